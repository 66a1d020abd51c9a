"""storycast.units: the size grammar and the two duration grammars, error texts included."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storycast.units import format_age, format_duration, format_size, parse_age, parse_duration, parse_size


def test_sizes_round_trip_roughly() -> None:
    assert parse_size(" 1.5GiB ") == 1610612736
    assert format_size(800) == "800 B"
    assert format_size(1_500_000) == "1.5 MB"
    assert format_size(12 * 10**12) == "12000.0 GB"


def test_size_error_names_the_forms() -> None:
    with pytest.raises(ValueError) as err:
        parse_size("2XB")
    assert (
        str(err.value)
        == "'2XB' is not a size; write a number of bytes with an optional unit: 500MB, 2GB, 1.5GiB, 800K or 0"
    )


def test_ages_take_one_unit_and_decimals() -> None:
    assert parse_age("1.5h") == 5400.0
    assert parse_age("2W") == 14 * 86400.0
    assert [format_age(s) for s in (-3, 40, 61, 7200, 3 * 86400 + 5)] == ["0s", "40s", "1m", "2h", "3d"]
    with pytest.raises(ValueError) as err:
        parse_age("1h30m")
    assert (
        str(err.value)
        == "'1h30m' is not a duration; write a number with a unit: 90m, 12h, 30d, 2w (s, m, h, d or w)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", timedelta(0)),
        ("90s", timedelta(seconds=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("1D", timedelta(days=1)),
    ],
)
def test_durations_combine_whole_units(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (90, "90 is not a duration; write it with a unit, like 90s, 15m or 2h"),
        ("1.5h", "'1.5h' is not a duration; write it with a unit, like 90s, 15m, 2h or 1h30m"),
        ("2w", "'2w' is not a duration; write it with a unit, like 90s, 15m, 2h or 1h30m"),
        ("9" * 20 + "d", f"'{'9' * 20}d' is far too long a duration"),
    ],
)
def test_duration_errors(value: object, message: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_duration(value)
    assert str(err.value) == message


def test_format_duration_is_the_inverse() -> None:
    for text in ("0s", "45s", "15m", "1h30m", "2d3h", "1d1h1m1s"):
        assert format_duration(parse_duration(text)) == text
