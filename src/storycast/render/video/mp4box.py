"""A small reader for the ISO base media file format (MP4/MOV) boxes storycast needs to check.

Only the boxes that decide platform compliance are decoded: top-level order (moov before mdat),
``edts/elst``, ``mvhd``/``mdhd`` durations, ``stsd`` sample entries (``avc1``/``hvc1`` with their
``avcC``/``hvcC`` records, ``mp4a`` with its ``esds``), and the sample tables (``stts``, ``stss``,
``stsz``, ``stsc``, ``stco``/``co64``) used to find key frames and read their NAL unit types.
The imageio-ffmpeg wheel ships no ffprobe, so this is what ``probe`` uses instead.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

# Boxes whose payload is a plain list of child boxes.
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta", b"mvex", b"wave"}


class BoxError(ValueError):
    """The bytes are not a well-formed MP4 box structure."""


@dataclass
class Box:
    """One box: its four-character type, payload bytes (not loaded for mdat) and children."""

    type: bytes
    offset: int
    size: int
    payload: bytes = b""
    children: list[Box] = field(default_factory=list)

    def find(self, *path: bytes) -> Box | None:
        """The first descendant along ``path`` (e.g. ``find(b"mdia", b"minf")``), or None."""
        node: Box | None = self
        for name in path:
            if node is None:
                return None
            node = next((c for c in node.children if c.type == name), None)
        return node

    def find_all(self, name: bytes) -> list[Box]:
        return [c for c in self.children if c.type == name]


def top_level(f: BinaryIO, file_size: int) -> Iterator[tuple[bytes, int, int, int]]:
    """Yield ``(type, offset, size, header_size)`` of each top-level box without reading payloads."""
    pos = 0
    while pos < file_size:
        f.seek(pos)
        head = f.read(8)
        if len(head) < 8:
            raise BoxError(f"truncated box header at byte {pos}")
        size, kind = struct.unpack(">I4s", head)
        header = 8
        if size == 1:
            ext = f.read(8)
            if len(ext) < 8:
                raise BoxError(f"truncated 64-bit box size at byte {pos}")
            size = struct.unpack(">Q", ext)[0]
            header = 16
        elif size == 0:  # box extends to the end of the file
            size = file_size - pos
        if size < header or pos + size > file_size:
            raise BoxError(
                f"box {kind!r} at byte {pos} claims {size} bytes; the file is cut short or corrupt"
            )
        yield kind, pos, size, header
        pos += size


def parse_children(data: bytes, base: int = 0) -> list[Box]:
    """Parse a run of boxes held in memory, recursing into container boxes."""
    boxes: list[Box] = []
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = len(data) - pos
        if size < header or pos + size > len(data):
            raise BoxError(f"box {kind!r} inside moov at byte {base + pos} overruns its parent")
        payload = data[pos + header : pos + size]
        box = Box(kind, base + pos, size, payload)
        if kind in CONTAINERS:
            box.children = parse_children(payload, base + pos + header)
        boxes.append(box)
        pos += size
    return boxes


def full_box(payload: bytes) -> tuple[int, int, bytes]:
    """Split a FullBox payload into (version, flags, rest)."""
    if len(payload) < 4:
        raise BoxError("full box too short")
    return payload[0], int.from_bytes(payload[1:4], "big"), payload[4:]


# --- sample tables ------------------------------------------------------------------------------


def mvhd_duration(payload: bytes) -> float:
    version, _, rest = full_box(payload)
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", rest, 16)
    else:
        timescale, duration = struct.unpack_from(">II", rest, 8)
    return duration / timescale if timescale else 0.0


def mdhd(payload: bytes) -> tuple[int, int]:
    """(timescale, duration in timescale units) of a media header."""
    version, _, rest = full_box(payload)
    if version == 1:
        timescale, duration = struct.unpack_from(">IQ", rest, 16)
    else:
        timescale, duration = struct.unpack_from(">II", rest, 8)
    return timescale, duration


def stts(payload: bytes) -> list[tuple[int, int]]:
    """(sample count, sample delta) runs."""
    _, _, rest = full_box(payload)
    (n,) = struct.unpack_from(">I", rest, 0)
    return [struct.unpack_from(">II", rest, 4 + 8 * i) for i in range(n)]


def ctts(payload: bytes) -> list[tuple[int, int]]:
    """(sample count, composition offset) runs; offsets are signed in version 1 (B-frames with the
    first frame presented at t = 0 and no edit list), unsigned in version 0."""
    version, _, rest = full_box(payload)
    (n,) = struct.unpack_from(">I", rest, 0)
    fmt = ">Ii" if version else ">II"
    return [struct.unpack_from(fmt, rest, 4 + 8 * i) for i in range(n)]


def stss(payload: bytes) -> list[int]:
    """1-based numbers of the sync samples."""
    _, _, rest = full_box(payload)
    (n,) = struct.unpack_from(">I", rest, 0)
    return list(struct.unpack_from(f">{n}I", rest, 4))


def stsz(payload: bytes) -> list[int]:
    _, _, rest = full_box(payload)
    fixed, n = struct.unpack_from(">II", rest, 0)
    if fixed:
        return [fixed] * n
    return list(struct.unpack_from(f">{n}I", rest, 8))


def stsc(payload: bytes) -> list[tuple[int, int, int]]:
    """(first chunk, samples per chunk, description index) runs."""
    _, _, rest = full_box(payload)
    (n,) = struct.unpack_from(">I", rest, 0)
    return [struct.unpack_from(">III", rest, 4 + 12 * i) for i in range(n)]


def chunk_offsets(stbl: Box) -> list[int]:
    box = stbl.find(b"stco")
    if box is not None:
        _, _, rest = full_box(box.payload)
        (n,) = struct.unpack_from(">I", rest, 0)
        return list(struct.unpack_from(f">{n}I", rest, 4))
    box = stbl.find(b"co64")
    if box is not None:
        _, _, rest = full_box(box.payload)
        (n,) = struct.unpack_from(">I", rest, 0)
        return list(struct.unpack_from(f">{n}Q", rest, 4))
    return []


def sample_offsets(stbl: Box, sizes: list[int]) -> list[int]:
    """File offset of every sample, from the chunk offsets and the sample-to-chunk runs."""
    offsets_of_chunks = chunk_offsets(stbl)
    box = stbl.find(b"stsc")
    runs = stsc(box.payload) if box is not None else []
    out: list[int] = []
    sample = 0
    for i, (first, per_chunk, _) in enumerate(runs):
        last = runs[i + 1][0] - 1 if i + 1 < len(runs) else len(offsets_of_chunks)
        for chunk in range(first, last + 1):
            if chunk - 1 >= len(offsets_of_chunks):
                break
            pos = offsets_of_chunks[chunk - 1]
            for _ in range(per_chunk):
                if sample >= len(sizes):
                    return out
                out.append(pos)
                pos += sizes[sample]
                sample += 1
    return out


# --- codec configuration records ---------------------------------------------------------------


class BitReader:
    """Reads bits and Exp-Golomb codes from an RBSP (emulation prevention bytes removed)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3] if (self.pos >> 3) < len(self.data) else 0
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise BoxError("bad Exp-Golomb code in parameter set")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def rbsp(nal: bytes) -> bytes:
    """Remove emulation prevention bytes (00 00 03 -> 00 00)."""
    out = bytearray()
    zeros = 0
    for b in nal:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}

H264_PROFILES = {
    66: "Baseline",
    77: "Main",
    88: "Extended",
    100: "High",
    110: "High 10",
    122: "High 4:2:2",
    244: "High 4:4:4 Predictive",
}


@dataclass
class AvcInfo:
    profile_idc: int
    constrained_baseline: bool
    level_idc: int
    chroma_format_idc: int
    bit_depth: int
    frame_mbs_only: bool
    nal_length_size: int
    colour: Colour | None = None  # from the SPS's VUI, when it signals a video type

    @property
    def profile(self) -> str:
        if self.profile_idc == 66 and self.constrained_baseline:
            return "Constrained Baseline"
        return H264_PROFILES.get(self.profile_idc, f"profile {self.profile_idc}")


def parse_avcc(payload: bytes) -> AvcInfo:
    """Profile, level, chroma format, bit depth and progressive flag from an ``avcC`` record's SPS."""
    if len(payload) < 7:
        raise BoxError("avcC record too short")
    nal_length_size = (payload[4] & 3) + 1
    n_sps = payload[5] & 31
    if n_sps < 1:
        raise BoxError("avcC record has no sequence parameter set")
    (sps_len,) = struct.unpack_from(">H", payload, 6)
    sps = rbsp(payload[8 : 8 + sps_len])
    r = BitReader(sps[1:])  # skip the NAL header byte
    profile_idc = r.u(8)
    constraints = r.u(8)
    level_idc = r.u(8)
    r.ue()  # seq_parameter_set_id
    chroma, bit_depth = 1, 8
    if profile_idc in _HIGH_PROFILES:
        chroma = r.ue()
        if chroma == 3:
            r.u(1)
        bit_depth = r.ue() + 8
        r.ue()  # chroma bit depth
        r.u(1)
        if r.u(1):  # seq_scaling_matrix_present_flag
            for i in range(12 if chroma == 3 else 8):
                if r.u(1):
                    last = nxt = 8
                    for _ in range(16 if i < 6 else 64):
                        if nxt != 0:
                            nxt = (last + r.se() + 256) % 256
                        last = nxt if nxt != 0 else last
    r.ue()  # log2_max_frame_num_minus4
    poc_type = r.ue()
    if poc_type == 0:
        r.ue()
    elif poc_type == 1:
        r.u(1)
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue()  # max_num_ref_frames
    r.u(1)
    r.ue()  # width in macroblocks
    r.ue()  # height in map units
    frame_mbs_only = bool(r.u(1))
    colour = _avc_vui_colour(r, frame_mbs_only)
    return AvcInfo(
        profile_idc=profile_idc,
        constrained_baseline=bool(constraints & 0x40),
        level_idc=level_idc,
        chroma_format_idc=chroma,
        bit_depth=bit_depth,
        frame_mbs_only=frame_mbs_only,
        nal_length_size=nal_length_size,
        colour=colour,
    )


@dataclass(frozen=True)
class Colour:
    """Colour signalling (ISO/IEC 23091-2 code points; 1 = BT.709, 2 = unspecified)."""

    primaries: int
    transfer: int
    matrix: int
    full_range: bool


def _avc_vui_colour(r: BitReader, frame_mbs_only: bool) -> Colour | None:
    """The video signal type of an H.264 SPS, read on from ``frame_mbs_only_flag`` (None: not signalled)."""
    if not frame_mbs_only:
        r.u(1)  # mb_adaptive_frame_field_flag
    r.u(1)  # direct_8x8_inference_flag
    if r.u(1):  # frame_cropping_flag
        for _ in range(4):
            r.ue()
    if not r.u(1):  # vui_parameters_present_flag
        return None
    if r.u(1) and r.u(8) == 255:  # aspect_ratio_info_present_flag, aspect_ratio_idc == Extended_SAR
        r.u(32)
    if r.u(1):  # overscan_info_present_flag
        r.u(1)
    if not r.u(1):  # video_signal_type_present_flag
        return None
    r.u(3)  # video_format
    full_range = bool(r.u(1))
    if r.u(1):  # colour_description_present_flag
        return Colour(r.u(8), r.u(8), r.u(8), full_range)
    return Colour(2, 2, 2, full_range)


def parse_colr(payload: bytes) -> Colour | None:
    """An ``nclx`` (MP4) or ``nclc`` (QuickTime, no range flag) ``colr`` box; None for ICC profiles."""
    if len(payload) < 10 or payload[:4] not in (b"nclx", b"nclc"):
        return None
    primaries, transfer, matrix = struct.unpack_from(">HHH", payload, 4)
    full = bool(payload[10] & 0x80) if payload[:4] == b"nclx" and len(payload) > 10 else False
    return Colour(primaries, transfer, matrix, full)


HEVC_PROFILES = {1: "Main", 2: "Main 10", 3: "Main Still Picture", 4: "Range Extensions"}


@dataclass
class HevcInfo:
    profile_idc: int
    level_idc: int
    chroma_format_idc: int
    bit_depth: int
    progressive: bool
    interlaced: bool
    nal_length_size: int

    @property
    def profile(self) -> str:
        return HEVC_PROFILES.get(self.profile_idc, f"profile {self.profile_idc}")


def parse_hvcc(payload: bytes) -> HevcInfo:
    """Profile, level, chroma format, bit depth and source scan flags from an ``hvcC`` record."""
    if len(payload) < 23:
        raise BoxError("hvcC record too short")
    return HevcInfo(
        profile_idc=payload[1] & 31,
        level_idc=payload[12],
        chroma_format_idc=payload[16] & 3,
        bit_depth=(payload[17] & 7) + 8,
        progressive=bool(payload[6] & 0x80),
        interlaced=bool(payload[6] & 0x40),
        nal_length_size=(payload[21] & 3) + 1,
    )


@dataclass
class AacInfo:
    object_type_indication: int  # 0x40 = MPEG-4 audio
    audio_object_type: int  # 2 = AAC LC
    sample_rate: int
    channels: int
    avg_bitrate: int


_AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]


def _descriptor(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, payload start, payload size) of an MPEG-4 descriptor at ``pos``."""
    tag = data[pos]
    pos += 1
    size = 0
    for _ in range(4):
        b = data[pos]
        pos += 1
        size = (size << 7) | (b & 0x7F)
        if not b & 0x80:
            break
    return tag, pos, size


def parse_esds(payload: bytes, entry_rate: int, entry_channels: int) -> AacInfo:
    """Audio object type, rate and channels from an ``esds`` box (falling back to the sample entry)."""
    _, _, data = full_box(payload)
    oti, aot, rate, channels, avg = 0, 0, entry_rate, entry_channels, 0
    tag, pos, _ = _descriptor(data, 0)
    if tag == 0x03:
        flags = data[pos + 2]
        pos += 3
        if flags & 0x80:
            pos += 2
        if flags & 0x40:
            pos += 1 + data[pos]
        if flags & 0x20:
            pos += 2
        tag, pos, _ = _descriptor(data, pos)
        if tag == 0x04:
            oti = data[pos]
            avg = struct.unpack_from(">I", data, pos + 9)[0]
            tag, pos2, size = _descriptor(data, pos + 13)
            if tag == 0x05 and size >= 2:
                r = BitReader(data[pos2 : pos2 + size])
                aot = r.u(5)
                if aot == 31:
                    aot = 32 + r.u(6)
                idx = r.u(4)
                rate = r.u(24) if idx == 15 else (_AAC_RATES[idx] if idx < len(_AAC_RATES) else rate)
                channels = r.u(4) or channels
    return AacInfo(oti, aot, rate, channels, avg)


def nal_types(sample: bytes, length_size: int, hevc: bool) -> list[int]:
    """NAL unit types in one length-prefixed sample."""
    out: list[int] = []
    pos = 0
    while pos + length_size <= len(sample):
        n = int.from_bytes(sample[pos : pos + length_size], "big")
        pos += length_size
        if n == 0 or pos + n > len(sample):
            break
        header = sample[pos]
        out.append((header >> 1) & 0x3F if hevc else header & 0x1F)
        pos += n
    return out
