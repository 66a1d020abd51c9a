"""Timeline planning (parts, segments, whole frames) and reading time: pure Python, no ffmpeg."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storycast.errors import RenderError
from storycast.render.video import reading_time
from storycast.render.video.plan import frame_counts, plan_parts, split_parts


def plan(durations, transitions=None, **kw):  # type: ignore[no-untyped-def]
    transitions = transitions or ["crossfade"] * (len(durations) - 1)
    args = {"fps": 30, "transition_seconds": 0.5, "max_part_seconds": 60, "min_part_seconds": 3} | kw
    return plan_parts(durations, transitions, **args)


def test_transitions_take_half_from_each_side_and_keep_the_total():
    (part,) = plan([3, 3, 3], ["crossfade", "cut"])
    assert part.length == 270
    kinds = [(s.kind, s.a, s.frames) for s in part.segments]
    assert kinds == [("hold", 0, 83), ("transition", 0, 15), ("hold", 1, 82), ("hold", 2, 90)]
    assert [s.start for s in part.segments] == [0, 83, 98, 180]
    assert part.segments[1].xfade == "fade"


def test_a_short_frame_keeps_some_time_of_its_own():
    (part,) = plan([3, 0.2, 3])
    holds = [s for s in part.segments if s.kind == "hold"]
    assert all(s.frames >= 1 for s in holds) and part.length == 186


def test_split_prefers_no_short_parts_and_even_lengths():
    assert split_parts([2, 2, 2, 2, 1], 5, 3, 1) == [[0, 1], [2, 3, 4]]
    assert split_parts([10] * 13, 60, 3, 1) == [[0, 1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    parts = plan([10] * 13)
    assert [p.seconds(30) for p in parts] == [50.0, 40.0, 40.0]
    assert [p.start for p in parts] == [0, 1500, 2700]
    # A transition never crosses a part boundary.
    assert all(s.b in p.frames for p in parts for s in p.segments if s.kind == "transition")


def test_a_too_short_story_is_held_to_the_platform_minimum():
    (part,) = plan([1.0])
    assert part.length == 90


def test_a_frame_longer_than_a_part_is_refused():
    with pytest.raises(RenderError, match="frame 2 lasts 61 s"):
        plan([3, 61])


def test_bad_durations_and_transitions_are_refused():
    with pytest.raises(RenderError, match="invalid duration"):
        plan([3, float("nan")])
    with pytest.raises(RenderError, match="unknown transition"):
        plan([3, 3], ["zoom-blur"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.05, 20), min_size=1, max_size=22), st.floats(0, 1.5))
def test_frame_arithmetic_always_adds_up(durations, transition):  # type: ignore[no-untyped-def]
    counts = frame_counts(durations, 30)
    assert abs(sum(counts) - round(sum(durations) * 30)) <= len(durations)
    parts = plan(durations, transition_seconds=transition)
    for p in parts:
        assert sum(s.frames for s in p.segments) == p.length <= 1800
        assert all(s.frames >= 1 for s in p.segments)
        assert p.length >= 90  # the 3 s platform minimum
    assert [i for p in parts for i in p.frames] == list(range(len(durations)))


def test_reading_time_per_language():
    assert reading_time("Unplug it.", "en") == 3.0  # clamped to the 3 s floor
    assert reading_time("word " * 200, "en") == 10.0  # and the 10 s ceiling
    text_en = "Open Settings, tap Privacy, then turn off location tracking for this app and restart it"
    assert 5 < reading_time(text_en, "en") < 7
    # Same number of words: Hindi and Serbian are read more slowly than English.
    assert (
        reading_time("शब्द " * 15, "hi") > reading_time("word " * 15, "sr") > reading_time("word " * 15, "en")
    )
    # Thai has no spaces: words come from pythainlp (18 words here), not from whitespace (1 "word").
    thai = "เปิดการตั้งค่าแล้วแตะที่ความเป็นส่วนตัวเพื่อปิดการติดตามตำแหน่งของคุณ"
    assert reading_time(thai, "th") > 5
    assert reading_time("Abre Ajustes y toca Privacidad", "es-MX") == reading_time(
        "Abre Ajustes y toca Privacidad", "es"
    )
