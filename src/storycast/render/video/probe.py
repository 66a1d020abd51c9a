"""Probe an MP4/MOV file by reading its box structure (no ffprobe needed).

``probe(path)`` returns a ``MediaInfo`` with what the platform checks need: container layout
(moov before mdat, edit lists), the video track (codec, profile, pixel format, size, frame rate,
key frames and whether every key frame is an IDR picture, i.e. a closed GOP) and the audio tracks
(codec, sample rate, channels, bitrate).
"""

from __future__ import annotations

import io
import itertools
import struct
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import RenderError
from . import mp4box
from .mp4box import Box, BoxError

# NAL unit types that start a closed GOP: H.264 IDR (5); HEVC IDR_W_RADL (19), IDR_N_LP (20).
_H264_IDR = {5}
_H264_SLICES = {1, 5}
_HEVC_IDR = {19, 20}
_HEVC_IRAP_OR_SLICE = set(range(0, 22))


@dataclass
class VideoTrack:
    """The facts about a video track that platform specs constrain."""

    fourcc: str
    codec: str  # "h264", "hevc" or the fourcc
    profile: str
    level: float
    width: int
    height: int
    chroma: str  # "4:2:0", "4:2:2", "4:4:4", "4:0:0" or "?"
    bit_depth: int
    progressive: bool | None
    duration: float
    frames: int
    fps: float
    constant_fps: bool
    keyframe_times: list[float]
    max_keyint: float  # seconds between key frames (or from the last one to the end)
    closed_gop: bool | None  # None when the key frames could not be read
    bitrate: int  # bits per second
    # Colour signalling: the H.264 stream's own (VUI), else the container's ``colr`` box; None: none.
    colour: mp4box.Colour | None = None
    # When the first frame is presented (seconds, before any edit list): 0 unless B-frames were
    # written with unsigned composition offsets, which shift the whole video late.
    start: float = 0.0
    reordered: bool = False  # frames are stored out of presentation order (B-frames; ``ctts``)

    @property
    def full_range(self) -> bool | None:
        """True for full ("pc", JPEG) range, False for limited ("tv"), None when not signalled."""
        return self.colour.full_range if self.colour is not None else None

    @property
    def pix_fmt(self) -> str:
        """ffmpeg-style pixel format name (``yuv420p`` for 8-bit 4:2:0; ``yuvj420p`` when full range)."""
        base = {"4:2:0": "yuv420p", "4:2:2": "yuv422p", "4:4:4": "yuv444p", "4:0:0": "gray"}.get(
            self.chroma, "?"
        )
        if base == "?" or self.bit_depth != 8:
            return base if base == "?" else f"{base}{self.bit_depth}le"
        return base.replace("yuv", "yuvj") if self.full_range and base.startswith("yuv") else base


@dataclass
class AudioTrack:
    fourcc: str
    codec: str  # "aac" or the fourcc
    aac_object_type: int  # 2 = AAC-LC, 0 when unknown
    sample_rate: int
    channels: int
    duration: float
    bitrate: int


@dataclass
class MediaInfo:
    path: Path
    size: int
    brands: list[str]
    moov_before_mdat: bool
    has_edit_list: bool
    duration: float
    video: VideoTrack | None
    audio: list[AudioTrack] = field(default_factory=list)


_CHROMA = {0: "4:0:0", 1: "4:2:0", 2: "4:2:2", 3: "4:4:4"}


def probe(path: Path) -> MediaInfo:
    """Read the structure of an MP4/MOV file.

    Raises RenderError when the file is missing or is not a readable MP4/MOV.
    """
    path = Path(path)
    if not path.is_file():
        raise RenderError("the video file does not exist", file=path, hint="check the path")
    size = path.stat().st_size
    try:
        with path.open("rb") as f:
            return _probe(f, path, size)
    except (BoxError, IndexError, ValueError, OSError) as exc:  # struct.error is a ValueError
        raise RenderError(
            f"this is not a readable MP4/MOV file ({exc})",
            file=path,
            hint="re-encode it with `storycast render --video`, or check that the upload finished",
        ) from None


def _probe(f: io.BufferedReader, path: Path, size: int) -> MediaInfo:
    order: list[bytes] = []
    moov: Box | None = None
    brands: list[str] = []
    for kind, offset, box_size, header in mp4box.top_level(f, size):
        order.append(kind)
        if kind == b"ftyp":
            f.seek(offset + header)
            data = f.read(box_size - header)
            brands = [data[i : i + 4].decode("latin-1") for i in range(0, len(data), 4) if i != 4]
        elif kind == b"moov":
            f.seek(offset + header)
            moov = Box(kind, offset, box_size, f.read(box_size - header))
            moov.children = mp4box.parse_children(moov.payload, offset + header)
    if not order or order[0] not in (b"ftyp", b"wide", b"free", b"moov"):
        raise BoxError(f"the file starts with {order[0]!r}, not an MP4 box" if order else "empty file")
    if moov is None:
        raise BoxError("no moov box (the file was not finalised)")
    moov_before_mdat = b"mdat" not in order or order.index(b"moov") < order.index(b"mdat")
    mvhd = moov.find(b"mvhd")
    duration = mp4box.mvhd_duration(mvhd.payload) if mvhd else 0.0
    info = MediaInfo(
        path=path,
        size=size,
        brands=brands,
        moov_before_mdat=moov_before_mdat,
        has_edit_list=any(t.find(b"edts", b"elst") is not None for t in moov.find_all(b"trak")),
        duration=duration,
        video=None,
    )
    for trak in moov.find_all(b"trak"):
        hdlr = trak.find(b"mdia", b"hdlr")
        handler = hdlr.payload[8:12] if hdlr is not None and len(hdlr.payload) >= 12 else b""
        if handler == b"vide" and info.video is None:
            info.video = _video(trak, f)
        elif handler == b"soun":
            info.audio.append(_audio(trak))
    return info


def _payload(parent: Box, name: bytes) -> bytes | None:
    box = parent.find(name)
    return box.payload if box is not None else None


def _stbl(trak: Box) -> Box:
    stbl = trak.find(b"mdia", b"minf", b"stbl")
    if stbl is None:
        raise BoxError("a track has no sample table")
    return stbl


def _entry(stbl: Box) -> tuple[bytes, bytes]:
    """(fourcc, payload) of the first sample description."""
    stsd = stbl.find(b"stsd")
    if stsd is None or len(stsd.payload) < 16:
        raise BoxError("a track has no sample description")
    data = stsd.payload[8:]  # full box header + entry count
    size, kind = struct.unpack_from(">I4s", data, 0)
    return kind, data[8:size]


def _video(trak: Box, f: io.BufferedReader) -> VideoTrack:
    stbl = _stbl(trak)
    fourcc, entry = _entry(stbl)
    width, height = struct.unpack_from(">HH", entry, 24)
    children = {b.type: b for b in mp4box.parse_children(entry[78:])}
    codec, profile, level, chroma, depth, progressive = fourcc.decode("latin-1"), "?", 0.0, "?", 8, None
    nal_size, hevc = 0, False
    colour = mp4box.parse_colr(children[b"colr"].payload) if b"colr" in children else None
    if b"avcC" in children:
        avc = mp4box.parse_avcc(children[b"avcC"].payload)
        codec, profile, level = "h264", avc.profile, avc.level_idc / 10
        chroma, depth, progressive = (
            _CHROMA.get(avc.chroma_format_idc, "?"),
            avc.bit_depth,
            avc.frame_mbs_only,
        )
        nal_size = avc.nal_length_size
        colour = avc.colour or colour  # the stream's own signalling is what decoders follow
    elif b"hvcC" in children:
        hv = mp4box.parse_hvcc(children[b"hvcC"].payload)
        codec, profile, level = "hevc", hv.profile, hv.level_idc / 30
        chroma, depth = _CHROMA.get(hv.chroma_format_idc, "?"), hv.bit_depth
        progressive = hv.progressive and not hv.interlaced
        nal_size, hevc = hv.nal_length_size, True
    mdhd = trak.find(b"mdia", b"mdhd")
    timescale, media_duration = mp4box.mdhd(mdhd.payload) if mdhd else (1, 0)
    stts_data = _payload(stbl, b"stts")
    runs = mp4box.stts(stts_data) if stts_data else []
    frames = sum(n for n, _ in runs)
    # The last sample's delta is often odd (muxers guess it); judge constancy on the rest.
    deltas = {d for n, d in runs[:-1] if n} | ({runs[-1][1]} if runs and runs[-1][0] > 1 else set())
    constant = len(deltas) <= 1
    main_delta = max(runs, key=lambda r: r[0])[1] if runs else 0
    fps = timescale / main_delta if main_delta else 0.0
    duration = media_duration / timescale if timescale else 0.0
    # Presentation times: decode times (stts) plus composition offsets (ctts, when frames are reordered).
    ticks: list[int] = []
    t = 0
    for n, d in runs:
        for _ in range(n):
            ticks.append(t)
            t += d
    ctts_data = _payload(stbl, b"ctts")
    offsets = [o for n, o in (mp4box.ctts(ctts_data) if ctts_data else []) for _ in range(n)]
    reordered = any(offsets)
    if offsets:
        ticks = [tk + (offsets[i] if i < len(offsets) else 0) for i, tk in enumerate(ticks)]
    times = [tk / timescale for tk in ticks] if timescale else [0.0] * len(ticks)
    start = min(times, default=0.0)
    stss_data = _payload(stbl, b"stss")
    sync = mp4box.stss(stss_data) if stss_data else list(range(1, frames + 1))
    key_times = sorted(times[s - 1] for s in sync if 0 < s <= len(times))
    bounds = [*key_times, start + duration]
    max_keyint = max((b - a for a, b in itertools.pairwise(bounds)), default=duration)
    stsz_data = _payload(stbl, b"stsz")
    sizes = mp4box.stsz(stsz_data) if stsz_data else []
    closed = _closed_gop(f, stbl, sizes, sync, nal_size, hevc) if nal_size else None
    return VideoTrack(
        fourcc=fourcc.decode("latin-1"),
        codec=codec,
        profile=profile,
        level=level,
        width=width,
        height=height,
        chroma=chroma,
        bit_depth=depth,
        progressive=progressive,
        duration=duration,
        frames=frames,
        fps=round(fps, 3),
        constant_fps=constant,
        keyframe_times=key_times,
        max_keyint=max_keyint,
        closed_gop=closed,
        bitrate=int(sum(sizes) * 8 / duration) if duration else 0,
        colour=colour,
        start=start,
        reordered=reordered,
    )


def _closed_gop(
    f: io.BufferedReader, stbl: Box, sizes: list[int], sync: list[int], nal_size: int, hevc: bool
) -> bool:
    """True when every sync sample is an IDR picture (an open GOP marks recovery-point I or CRA frames)."""
    offsets = mp4box.sample_offsets(stbl, sizes)
    idr, slices = (_HEVC_IDR, _HEVC_IRAP_OR_SLICE) if hevc else (_H264_IDR, _H264_SLICES)
    for s in sync:
        if s - 1 >= len(offsets):
            continue
        f.seek(offsets[s - 1])
        types = mp4box.nal_types(f.read(sizes[s - 1]), nal_size, hevc)
        first_slice = next((t for t in types if t in slices), None)
        if first_slice is None or first_slice not in idr:
            return False
    return True


def _audio(trak: Box) -> AudioTrack:
    stbl = _stbl(trak)
    fourcc, entry = _entry(stbl)
    version = struct.unpack_from(">H", entry, 8)[0]
    channels = struct.unpack_from(">H", entry, 16)[0]
    rate = struct.unpack_from(">I", entry, 24)[0] >> 16
    child_at = 28 + {0: 0, 1: 16, 2: 36}.get(version, 0)
    children = {b.type: b for b in mp4box.parse_children(entry[child_at:])}
    if b"wave" in children:  # QuickTime keeps the esds inside a 'wave' box
        children.update({b.type: b for b in children[b"wave"].children})
    codec, aot = fourcc.decode("latin-1"), 0
    if b"esds" in children:
        aac = mp4box.parse_esds(children[b"esds"].payload, rate, channels)
        if aac.object_type_indication in (0x40, 0x66, 0x67, 0x68):
            codec = "aac"
        aot, rate, channels = aac.audio_object_type, aac.sample_rate, aac.channels
    mdhd = trak.find(b"mdia", b"mdhd")
    timescale, media_duration = mp4box.mdhd(mdhd.payload) if mdhd else (1, 0)
    duration = media_duration / timescale if timescale else 0.0
    stsz_data = _payload(stbl, b"stsz")
    sizes = mp4box.stsz(stsz_data) if stsz_data else []
    return AudioTrack(
        fourcc=fourcc.decode("latin-1"),
        codec=codec,
        aac_object_type=aot,
        sample_rate=rate,
        channels=channels,
        duration=duration,
        bitrate=int(sum(sizes) * 8 / duration) if duration else 0,
    )
