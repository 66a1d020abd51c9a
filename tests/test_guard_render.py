"""Render rules on frames drawn here with Pillow: contrast on pixels, safe zone, sizes, fit flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from storycast.config import Config
from storycast.content.models import Story
from storycast.guard.render import contrast_ratio, hex_rgb, layer_contrast, luminance, render_rules
from storycast.project import Project

W, H = 1080, 1920


def wcag(a: str, b: str) -> float:
    la = luminance(np.array([[hex_rgb(a)]], dtype="uint8"))[0, 0]
    lb = luminance(np.array([[hex_rgb(b)]], dtype="uint8"))[0, 0]
    return float(contrast_ratio(la, lb))


def draw_frame(
    path: Path,
    layers: list[dict[str, Any]],
    background: str | Image.Image = "#0D1B45",
    fmt: str = "PNG",
) -> None:
    """Draw each layer's lines in its colour and size inside its box, on ``background``."""
    image = background.copy() if isinstance(background, Image.Image) else Image.new("RGB", (W, H), background)
    draw = ImageDraw.Draw(image)
    for layer in layers:
        if layer.get("scrim"):
            x, y, w, h = layer["box"]
            draw.rectangle((x, y, x + w, y + h), fill=layer["scrim"])
        font = ImageFont.load_default(size=layer["size"])
        x, y = layer["box"][0], layer["box"][1]
        for i, line in enumerate(layer["lines"]):
            draw.text((x + 4, y + 4 + i * layer["size"] * 1.25), line, fill=layer["color"], font=font)
    image.save(path, fmt, quality=92) if fmt == "JPEG" else image.save(path, fmt, compress_level=1)


def layer(
    lid: str, role: str, box: list[int], size: int, color: str = "#FFFFFF", **kw: Any
) -> dict[str, Any]:
    lines = kw.pop("lines", ["Unplug the power", "and wait 30 seconds"])
    return {
        "id": lid,
        "type": "text",
        "role": role,
        "box": box,
        "lines": lines,
        "size": size,
        "size_min": kw.pop("size_min", 40),
        "size_max": kw.pop("size_max", 96),
        "truncated": kw.pop("truncated", False),
        "shrunk_to_min": kw.pop("shrunk_to_min", False),
        "color": color,
        **kw,
    }


def render_set(folder: Path, frames: list[tuple[list[dict[str, Any]], Any]], fmt: str = "PNG") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, (layers, bg) in enumerate(frames, start=1):
        name = f"{i:02d}.{'jpg' if fmt == 'JPEG' else 'png'}"
        draw_frame(folder / name, layers, bg, fmt)
        entries.append(
            {
                "file": name,
                "sha256": "0" * 64,
                "alt": "",
                "layers": [{k: v for k, v in lay.items() if k != "scrim"} for lay in layers],
            }
        )
    manifest = folder / "manifest.json"
    manifest.write_text(json.dumps({"story": "s", "lang": "en", "frames": entries}), encoding="utf-8")
    return manifest


def project(root: Path, guard: dict[str, Any] | None = None) -> Project:
    return Project(root=root, config=Config.model_validate({"guard": guard or {}}), environ={})


ONE_STEP = Story.model_validate(
    {
        "id": "s",
        "template": "plain",
        "category": "c",
        "languages": ["en"],
        "title": {"en": "T"},
        "steps": [{"title": {"en": "a"}, "text": {"en": "b"}}],
    }
)
GOOD = [layer("title", "heading", [100, 400, 880, 200], 72), layer("body", "body", [100, 700, 880, 300], 48)]


def rules_of(findings: list[Any]) -> list[tuple[str, int | None, str | None]]:
    return sorted((f.rule, f.frame, f.layer) for f in findings)


def test_clean_frames_pass_png_and_jpeg(tmp_path: Path) -> None:
    for fmt in ("PNG", "JPEG"):
        manifest = render_set(tmp_path / fmt, [(GOOD, "#0D1B45")] * 3, fmt)
        assert render_rules(project(tmp_path), ONE_STEP, "en", manifest) == []


def test_contrast_on_solid_background_matches_the_wcag_formula(tmp_path: Path) -> None:
    for fg, bg in [("#FFFFFF", "#0D1B45"), ("#767676", "#FFFFFF"), ("#FFB547", "#2454E6")]:
        path = tmp_path / "f.png"
        draw_frame(path, [layer("t", "body", [100, 700, 880, 300], 48, fg)], bg)
        crop = np.asarray(Image.open(path).convert("RGB").crop((100, 700, 980, 1000)))
        assert layer_contrast(crop, fg, 48) == pytest.approx(wcag(fg, bg), rel=0.01)


def test_low_contrast_is_an_error_and_large_text_gets_3_to_1(tmp_path: Path) -> None:
    # #949494 on white is about 3.0:1: fine for a 72 px heading, not for 48 px body text.
    assert 3.0 <= wcag("#949494", "#FFFFFF") < 4.5
    layers = [
        layer("title", "heading", [100, 400, 880, 200], 72, "#949494"),
        layer("body", "body", [100, 700, 880, 300], 48, "#949494"),
    ]
    manifest = render_set(tmp_path, [(layers, "#FFFFFF")])
    findings = render_rules(project(tmp_path), ONE_STEP, "en", manifest)
    assert rules_of(findings) == [("layout.contrast", 1, "body")]
    assert "4.5:1" in findings[0].message and findings[0].severity == "error"


def test_white_text_over_a_partly_bright_photo_fails_and_a_scrim_fixes_it(tmp_path: Path) -> None:
    photo = Image.new("RGB", (W, H), "#1B2A4A")
    ImageDraw.Draw(photo).rectangle((560, 650, 1080, 1050), fill="#C8C8C8")  # a bright window in the photo
    body = layer("body", "body", [100, 700, 880, 300], 48, lines=["Unplug the power cable", "and wait 30 s"])
    manifest = render_set(tmp_path / "a", [([body], photo)])
    assert rules_of(render_rules(project(tmp_path), ONE_STEP, "en", manifest)) == [
        ("layout.contrast", 1, "body")
    ]
    # The same photo, with text that ends before the bright window: nothing behind it is bright.
    short = layer("body", "body", [100, 700, 880, 300], 48, lines=["Unplug it", "and wait"])
    manifest = render_set(tmp_path / "c", [([short], photo)])
    assert render_rules(project(tmp_path), ONE_STEP, "en", manifest) == []
    with_scrim = {**body, "scrim": "#0D1B45"}
    manifest = render_set(tmp_path / "b", [([with_scrim], photo)])
    assert render_rules(project(tmp_path), ONE_STEP, "en", manifest) == []


def test_safe_zone_sizes_and_fit_flags(tmp_path: Path) -> None:
    cover = [layer("title", "heading", [100, 120, 880, 200], 72)]  # top overlay is 250 px
    step = [
        layer("title", "heading", [100, 400, 880, 200], 56),  # heading under 64 px
        layer("body", "body", [100, 700, 960, 300], 36, truncated=True),  # right edge 1060 > 1015, small
        layer("caption", "caption", [100, 1100, 880, 100], 28, shrunk_to_min=True),
    ]
    outro = [layer("cta", "body", [100, 1500, 880, 200], 48)]  # bottom edge 1700 > 1580
    manifest = render_set(tmp_path, [(cover, "#0D1B45"), (step, "#0D1B45"), (outro, "#0D1B45")])
    findings = render_rules(project(tmp_path), ONE_STEP, "en", manifest)
    assert rules_of(findings) == [
        ("layout.min-size", 2, "body"),
        ("layout.min-size", 2, "title"),
        ("layout.safe-zone", 1, "title"),
        ("layout.safe-zone", 2, "body"),
        ("layout.safe-zone", 3, "cta"),
        ("layout.shrunk", 2, "caption"),
        ("layout.truncated", 2, "body"),
    ]
    severities = {f.rule: f.severity for f in findings}
    assert severities["layout.shrunk"] == "warning" and severities["layout.truncated"] == "error"
    relaxed = project(
        tmp_path, {"rules": {"layout.safe-zone": False}, "min_size_body": 30, "min_size_heading": 50}
    )
    assert {f.rule for f in render_rules(relaxed, ONE_STEP, "en", manifest)} == {
        "layout.shrunk",
        "layout.truncated",
    }


def test_missing_manifest_or_frame(tmp_path: Path) -> None:
    findings = render_rules(project(tmp_path), ONE_STEP, "en", tmp_path / "nope.json")
    assert [f.rule for f in findings] == ["layout.manifest"]
    manifest = render_set(tmp_path, [(GOOD, "#0D1B45")])
    (tmp_path / "01.png").unlink()
    assert [f.rule for f in render_rules(project(tmp_path), ONE_STEP, "en", manifest)] == ["layout.manifest"]


def test_lint_project_checks_manifests_in_build_and_points_at_the_step(tmp_path: Path) -> None:
    from storycast.guard.check import lint_project

    (tmp_path / "stories").mkdir()
    story_text = (
        "id: s\ntemplate: plain\ncategory: c\nlanguages: [en]\ntitle: {en: T}\n"
        "steps:\n  - title: {en: a}\n    text: {en: b}\n"
    )
    (tmp_path / "stories" / "s.yaml").write_text(story_text, encoding="utf-8")
    (tmp_path / "storycast.toml").write_text('[project]\nlanguages = ["en"]\n', encoding="utf-8")
    low = [
        layer("body", "body", [100, 700, 880, 300], 48, "#AAAAAA"),
        layer("step-of", "label", [100, 1100, 880, 80], 36, "#BBBBBB", lines=["Step 1 of 1"]),
    ]
    render_set(tmp_path / "build" / "s" / "en", [(GOOD, "#0D1B45"), (low, "#FFFFFF"), (GOOD, "#0D1B45")])
    p = Project.load(tmp_path, environ={})
    result = lint_project(p)
    assert result.rendered == ["s/en"]
    found = {f.layer: f for f in result.findings if f.rule == "layout.contrast"}
    body, label = found["body"], found["step-of"]
    assert (body.file, body.line, body.frame, body.lang) == ("stories/s.yaml", 8, 2, "en")
    # A template label is not a story value: it points at the step.
    assert (label.line, label.frame) == (7, 2)
    assert lint_project(p, rendered=False).findings == []
    from storycast.guard.check import check_story

    story = p.content.story("s")
    assert check_story(p, story) == []
    assert {f.layer for f in check_story(p, story, rendered=True)} == {"body", "step-of"}


def test_badge_and_pill_on_a_page_of_the_text_colour_pass(tmp_path: Path) -> None:
    # Dark numerals on an orange badge and a pill, on a page of the same dark colour: the page
    # around the badge is background of the text's colour, not glyphs, and not read against.
    # The page is a gradient from the text colour to a lighter blue, as the tutorial template's.
    x, y = np.linspace(0, 1, W)[None, :, None], np.linspace(0, 1, H)[:, None, None]
    shade = np.clip(0.6 * x + 0.4 * (1 - y), 0, 1)
    navy, blue = np.array([13, 27, 69]), np.array([31, 58, 138])
    page = Image.fromarray((navy + (blue - navy) * shade).astype("uint8"))
    draw = ImageDraw.Draw(page)
    draw.ellipse((90, 972, 178, 1060), fill="#FFB547")
    draw.rounded_rectangle((62, 421, 560, 483), radius=31, fill="#FFB547")
    badge = layer("step-number", "label", [90, 972, 88, 88], 46, "#0D1B45", lines=[""])
    pill = layer("kicker", "label", [90, 420, 900, 64], 32, "#0D1B45", lines=[""])
    font46, font32 = ImageFont.load_default(size=46), ImageFont.load_default(size=32)
    draw.text((134, 1016), "1", fill="#0D1B45", font=font46, anchor="mm")
    draw.text((96, 452), "Quick guide · Connectivity", fill="#0D1B45", font=font32, anchor="lm")
    (tmp_path / "build").mkdir()
    page.save(tmp_path / "build" / "01.jpg", quality=92)
    manifest = tmp_path / "build" / "manifest.json"
    frame = {"index": 1, "kind": "cover", "file": "01.jpg", "texts": [badge, pill]}
    manifest.write_text(json.dumps({"frames": [frame]}), encoding="utf-8")
    assert render_rules(project(tmp_path), ONE_STEP, "en", manifest) == []
    # The same pill in a text colour close to the page fails.
    dim = Image.new("RGB", (W, H), "#0D1B45")
    ImageDraw.Draw(dim).text((96, 452), "Quick guide", fill="#2A3A6A", font=font32, anchor="lm")
    crop = np.asarray(dim.crop((90, 420, 990, 484)))
    assert layer_contrast(crop, "#2A3A6A", 32) < 2


def test_renderer_manifest_shape_and_small_text(tmp_path: Path) -> None:
    """The renderer's manifests: layers under ``texts`` (no ``type``), frames with kind and step."""
    folder = tmp_path / "m"
    folder.mkdir()
    label_ok = layer("step-of", "label", [100, 980, 788, 72], 28, "#FFB547", lines=["Step 1 of 1"])
    label_tiny = layer("category", "label", [100, 400, 420, 56], 20, lines=["Connectivity"])
    body = layer("body", "body", [100, 1300, 880, 280], 52, "#E6EBFA")
    for item in (label_ok, label_tiny, body):
        item.pop("type")
    draw_frame(folder / "02.jpg", [label_ok, label_tiny, body], "#0D1B45", "JPEG")
    frames = [
        {"index": 2, "kind": "step", "step": 1, "file": "02.jpg", "texts": [label_ok, label_tiny, body]},
    ]
    (folder / "manifest.json").write_text(
        json.dumps({"manifest_version": 1, "frames": frames}), encoding="utf-8"
    )
    findings = render_rules(project(tmp_path), ONE_STEP, "en", folder / "manifest.json")
    assert rules_of(findings) == [("layout.min-size", 2, "category")]
    assert "24 px" in findings[0].message


def test_real_renders_of_an_example_tutorial_have_no_layout_findings(tmp_path: Path) -> None:
    """The renderer's own frames (Latin and Thai) pass every layout rule: no false positives."""
    import shutil

    from storycast.cli import main
    from storycast.guard.check import lint_project

    repo = Path(__file__).resolve().parents[1]
    shutil.copy(repo / "storycast.toml", tmp_path / "storycast.toml")
    (tmp_path / "stories").mkdir()
    shutil.copy(repo / "stories" / "reset-router.yaml", tmp_path / "stories")
    for folder in ("templates", "assets"):  # copies: links out of the project are refused
        shutil.copytree(repo / folder, tmp_path / folder)
    with pytest.raises(SystemExit) as done:
        main(["--project", str(tmp_path), "render", "reset-router", "--lang", "en,th", "--no-cache"])
    assert done.value.code == 0
    result = lint_project(Project.load(tmp_path, environ={}), langs=["en", "th"])
    assert result.rendered == ["reset-router/en", "reset-router/th"]
    assert [(f.lang, f.frame, f.layer, f.message) for f in result.findings] == []
