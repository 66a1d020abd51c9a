"""Golden images of every default template (en and th; the step frame also in hi and sr).

A fresh render is compared with tests/golden/<case>.png with a tolerance: the mean absolute
difference per channel must stay under 2 (of 255) and fewer than 0.5% of pixels may differ by
more than 40 in any channel. After a deliberate change to templates or drawing, refresh with

    python -m tests.refresh_golden            (or STORYCAST_REFRESH_GOLDEN=1 pytest tests/test_golden.py)

and look at the new PNGs before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from .refresh_golden import CASES, golden_path, render_case

MEAN_LIMIT = 2.0
PIXEL_DIFF = 40
PIXEL_SHARE = 0.005


def compare(actual: Image.Image, expected: Image.Image) -> tuple[float, float]:
    """(largest per-channel mean absolute difference, share of pixels off by more than PIXEL_DIFF)."""
    assert actual.size == expected.size, f"size {actual.size} != golden {expected.size}"
    diff = ImageChops.difference(actual.convert("RGB"), expected.convert("RGB"))
    mean = max(ImageStat.Stat(diff).mean)
    worst = ImageChops.lighter(ImageChops.lighter(diff.getchannel(0), diff.getchannel(1)), diff.getchannel(2))
    over = worst.point(lambda v: 255 if v > PIXEL_DIFF else 0).histogram()[255]
    return mean, over / (actual.width * actual.height)


@pytest.mark.parametrize(("name", "lang"), CASES, ids=[f"{n}-{lg}" for n, lg in CASES])
def test_golden(name: str, lang: str, tmp_path: Path) -> None:
    actual = render_case(name, lang)
    path = golden_path(name, lang)
    if os.environ.get("STORYCAST_REFRESH_GOLDEN") == "1":
        actual.save(path, "PNG", optimize=True)
        pytest.skip(f"refreshed {path.name}")
    assert path.is_file(), f"no golden image {path.name}: run python -m tests.refresh_golden"
    with Image.open(path) as expected:
        mean, share = compare(actual, expected)
    if mean >= MEAN_LIMIT or share >= PIXEL_SHARE:
        actual.save(tmp_path / path.name)
        pytest.fail(
            f"{path.name} differs: mean {mean:.2f} (limit {MEAN_LIMIT}), {share:.2%} of pixels off by "
            f">{PIXEL_DIFF} (limit {PIXEL_SHARE:.1%}); actual image: {tmp_path / path.name}. "
            "If the change is intended, run python -m tests.refresh_golden and review the PNGs."
        )


def test_compare_detects_a_moved_block() -> None:
    # The tolerance must not hide a real layout change: a 60 px shift of a text-sized block fails.
    base = Image.new("RGB", (540, 960), (13, 27, 69))
    moved = base.copy()
    base.paste((255, 255, 255), (45, 300, 495, 380))
    moved.paste((255, 255, 255), (45, 360, 495, 440))
    mean, share = compare(moved, base)
    assert mean >= MEAN_LIMIT or share >= PIXEL_SHARE
    assert compare(base, base.copy()) == (0.0, 0.0)
