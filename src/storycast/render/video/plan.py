"""Turn a list of timed frames into parts (at most ``max_part_seconds`` each) and encode segments.

All timing is done in whole output frames so that durations add up exactly. Each frame's
``duration`` is its share of the timeline; a transition of T frames into the next frame takes
``T // 2`` frames from the end of the first frame and the rest from the start of the next one,
so a story lasts exactly the sum of its frame durations whatever the transitions.

A part is a list of segments: a *hold* (one still frame) or a *transition* (two frames blended by
an ``xfade`` transition). The encoder caches a transition and the hold after it as one file
(``encode.pieces``), starting with a closed GOP, and joins a part's files with the concat
demuxer, so a changed frame re-encodes only the file it arrives in and the one it leaves in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ...errors import RenderError

# storycast transition names -> ffmpeg xfade transitions ("cut" has no segment).
TRANSITIONS = {
    "crossfade": "fade",
    "fade": "fade",
    "slide": "slideleft",
    "slide-left": "slideleft",
    "slide-right": "slideright",
    "slide-up": "slideup",
    "slide-down": "slidedown",
    "wipe": "wipeleft",
    "wipe-left": "wipeleft",
    "wipe-right": "wiperight",
    "wipe-up": "wipeup",
    "wipe-down": "wipedown",
    "fadeblack": "fadeblack",
    "dissolve": "dissolve",
}


@dataclass(frozen=True)
class Segment:
    """One independently encoded piece of a part."""

    kind: str  # "hold" or "transition"
    a: int  # frame index (into the story's frame list)
    b: int | None  # the next frame, for transitions
    xfade: str | None
    frames: int  # output frames
    start: int  # first output frame, counted from the start of the story
    a_offset: int  # position of this segment's first frame inside frame a's visible span
    a_span: int  # frames during which frame a is visible (for the slow zoom)
    b_offset: int = 0
    b_span: int = 0


@dataclass(frozen=True)
class PartPlan:
    index: int  # 1-based
    frames: tuple[int, ...]  # frame indices in this part
    segments: tuple[Segment, ...]
    start: int  # first output frame, counted from the start of the story
    length: int  # output frames

    def seconds(self, fps: int) -> float:
        return self.length / fps


def frame_counts(durations: Sequence[float], fps: int) -> list[int]:
    """Durations in seconds -> whole frame counts whose running sum tracks the running sum of seconds."""
    out: list[int] = []
    acc = 0.0
    done = 0
    for d in durations:
        acc += d
        n = round(acc * fps) - done
        out.append(max(1, n))
        done += out[-1]
    return out


def split_parts(counts: Sequence[int], max_frames: int, min_frames: int, fps: int) -> list[list[int]]:
    """Group frame indices into parts of at most ``max_frames`` output frames, cutting only between frames.

    Parts shorter than ``min_frames`` are avoided when possible (``plan_parts`` lengthens the last
    frame of any that remain). Raises RenderError when one frame alone is longer than a part may be.
    """
    for i, n in enumerate(counts):
        if n > max_frames:
            raise RenderError(
                f"frame {i + 1} lasts {n / fps:g} s, longer than a story part may last "
                f"({max_frames / fps:g} s), so the story cannot be split at step boundaries",
                hint=f"shorten that step to at most {max_frames / fps:g} s or split its text over two steps",
            )
    # Dynamic programming over cut positions: fewest parts first, then the fewest parts shorter than
    # ``min_frames`` (a platform minimum), then the longest shortest part (even parts).
    n = len(counts)
    prefix = [0]
    for c in counts:
        prefix.append(prefix[-1] + c)
    inf = (10**9, 10**9, 0)
    best: list[tuple[int, int, int]] = [(0, 0, -(10**9))] + [inf] * n
    cut: list[int] = [0] * (n + 1)
    for end in range(1, n + 1):
        for begin in range(end - 1, -1, -1):
            length = prefix[end] - prefix[begin]
            if length > max_frames:
                break
            parts_before, short_before, neg_min_before = best[begin]
            if parts_before >= 10**9:
                continue
            cand = (parts_before + 1, short_before + (length < min_frames), max(neg_min_before, -length))
            if cand < best[end]:
                best[end], cut[end] = cand, begin
    groups: list[list[int]] = []
    end = n
    while end > 0:
        groups.append(list(range(cut[end], end)))
        end = cut[end]
    return groups[::-1]


def plan_parts(
    durations: Sequence[float],
    transitions: Sequence[str],
    *,
    fps: int,
    transition_seconds: float,
    max_part_seconds: float,
    min_part_seconds: float,
) -> list[PartPlan]:
    """The parts and segments of a story. ``transitions[i]`` leads from frame i into frame i + 1."""
    for i, name in enumerate(transitions):
        if name != "cut" and name not in TRANSITIONS:
            raise RenderError(
                f"frame {i + 1} asks for an unknown transition {name!r}",
                hint=f"use one of: cut, {', '.join(TRANSITIONS)}",
            )
    for i, d in enumerate(durations):
        if not (isinstance(d, int | float) and math.isfinite(d) and d > 0):
            raise RenderError(
                f"frame {i + 1} has an invalid duration {d!r}", hint="give each frame a duration > 0 s"
            )
    counts = frame_counts(durations, fps)
    max_frames = math.floor(max_part_seconds * fps + 1e-6)
    min_frames = min(max_frames, math.ceil(min_part_seconds * fps - 1e-6))
    groups = split_parts(counts, max_frames, min_frames, fps)
    for group in groups:
        short = min_frames - sum(counts[i] for i in group)
        if short > 0:  # hold the last frame longer: a too-short video is refused by the platforms
            counts[group[-1]] += short
    t_frames = max(0, round(transition_seconds * fps))
    parts: list[PartPlan] = []
    story_start = 0
    for p, group in enumerate(groups, start=1):
        # Transition length at each boundary inside the part (0 = cut); capped so every frame keeps
        # at least one frame of its own.
        trans = []
        for k in range(len(group) - 1):
            i = group[k]
            name = transitions[i] if i < len(transitions) else "cut"
            n = 0 if name == "cut" else min(t_frames, counts[i] - 1, counts[i + 1] - 1)
            trans.append(max(0, n))
        segments: list[Segment] = []
        pos = story_start
        for k, i in enumerate(group):
            t_in = trans[k - 1] if k > 0 else 0
            t_out = trans[k] if k < len(trans) else 0
            head = t_in - t_in // 2  # frames of the incoming transition inside this frame's share
            tail = t_out // 2
            span = t_in + counts[i] - head - tail + t_out  # frames during which frame i is visible
            hold = counts[i] - head - tail
            segments.append(Segment("hold", i, None, None, hold, pos, t_in, span))
            pos += hold
            if t_out:
                nxt = group[k + 1]
                nxt_in = t_out
                nxt_head = nxt_in - nxt_in // 2
                nxt_tail = (trans[k + 1] // 2) if k + 1 < len(trans) else 0
                nxt_span = (
                    nxt_in + counts[nxt] - nxt_head - nxt_tail + (trans[k + 1] if k + 1 < len(trans) else 0)
                )
                segments.append(
                    Segment(
                        "transition",
                        i,
                        nxt,
                        TRANSITIONS[transitions[i]],
                        t_out,
                        pos,
                        t_in + hold,
                        span,
                        0,
                        nxt_span,
                    )
                )
                pos += t_out
        length = sum(counts[i] for i in group)
        assert pos - story_start == length, (pos, story_start, length)
        parts.append(PartPlan(p, tuple(group), tuple(segments), story_start, length))
        story_start += length
    return parts
