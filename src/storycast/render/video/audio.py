"""The audio half of a story part: background music (looped, faded out, loudness-normalised) and
per-frame voice-overs, mixed into one AAC 48 kHz stereo track."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# EBU R128-style target for phone speakers; true peak below -1.5 dBTP leaves room for AAC overshoot.
LOUDNORM = "loudnorm=I=-16:TP=-1.5:LRA=11"
MUSIC_UNDER_VOICE = 0.3  # music gain when a part has voice-over (about -10 dB)
FADE_OUT = 1.5  # seconds of music fade-out at the end of each part
FADE_IN = 0.3  # seconds of music fade-in at the start of a continuation part
AUDIO_CODEC_ARGS = ["-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"]
AAC_PRIMING = 1024  # samples the AAC encoder puts before the first real sample
_FMT = "aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo"


@dataclass(frozen=True)
class AudioPlan:
    """ffmpeg input arguments and the filter graph producing ``[aout]``."""

    inputs: list[str]
    graph: str


def part_audio(
    *,
    first_input: int,
    part_start: float,
    part_seconds: float,
    music: Path | None,
    voices: list[tuple[float, Path]],
    continuation: bool,
) -> AudioPlan | None:
    """The audio of one part, or None when it has neither music nor voice-over.

    ``voices`` are (offset from the part start in seconds, file). Music continues across parts:
    part 2 starts where part 1 stopped.
    """
    if music is None and not voices:
        return None
    inputs: list[str] = []
    chains: list[str] = []
    labels: list[str] = []
    idx = first_input
    d = f"{part_seconds:.6f}"
    if music is not None:
        inputs += ["-stream_loop", "-1", "-i", str(music)]
        fade = min(FADE_OUT, part_seconds / 4)
        chain = f"[{idx}:a]atrim=start={part_start:.6f}:duration={d},asetpts=PTS-STARTPTS,{_FMT}"
        if voices:
            chain += f",volume={MUSIC_UNDER_VOICE}"
        if continuation:
            chain += f",afade=t=in:d={FADE_IN}"
        chain += f",afade=t=out:st={part_seconds - fade:.6f}:d={fade:.6f}[m]"
        chains.append(chain)
        labels.append("[m]")
        idx += 1
    else:
        chains.append(f"anullsrc=r=48000:cl=stereo,atrim=duration={d}[m]")
        labels.append("[m]")
    for k, (offset, path) in enumerate(voices):
        inputs += ["-i", str(path)]
        ms = max(0, round(offset * 1000))
        chains.append(f"[{idx}:a]{_FMT},adelay={ms}:all=1[v{k}]")
        labels.append(f"[v{k}]")
        idx += 1
    mix = (
        f"{''.join(labels)}amix=inputs={len(labels)}:normalize=0:duration=first[mix]"
        if len(labels) > 1
        else "[m]anull[mix]"
    )
    chains.append(mix)
    # loudnorm resamples to 192 kHz internally; bring it back to 48 kHz and cut to the part exactly.
    # The AAC encoder adds 1024 priming samples; without an edit list they play at the start, so the
    # track is cut that much shorter to end with the video (the sound runs 21 ms late: imperceptible).
    cut = f"{max(0.1, part_seconds - AAC_PRIMING / 48000):.6f}"
    chains.append(f"[mix]{LOUDNORM},aresample=48000,{_FMT},atrim=duration={cut}[aout]")
    return AudioPlan(inputs, ";".join(chains))
