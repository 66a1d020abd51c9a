"""Frame spec validation: defaults, value forms, and errors that name the layer and key."""

from __future__ import annotations

import pytest

from storycast import yamlsrc
from storycast.errors import TemplateError
from storycast.render.colors import ColorError, parse_color, to_hex
from storycast.render.spec import (
    BackgroundLayer,
    FrameSpec,
    ImageLayer,
    ProgressLayer,
    RectLayer,
    TextLayer,
    parse_spec,
)


def problems_of(data: object, source: str = "tutorial/step.j2", **kw: object) -> tuple[str, list[str]]:
    with pytest.raises(TemplateError) as info:
        parse_spec(data, source, **kw)  # type: ignore[arg-type]
    err = info.value
    return err.message, [p.message for p in err.problems]


# --- colours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rgba"),
    [
        ("#fff", (255, 255, 255, 255)),
        ("#0008", (0, 0, 0, 136)),
        ("#2454E6", (36, 84, 230, 255)),
        ("#2454e680", (36, 84, 230, 128)),
        ("transparent", (0, 0, 0, 0)),
        ("White", (255, 255, 255, 255)),
    ],
)
def test_parse_color_forms(text: str, rgba: tuple[int, int, int, int]) -> None:
    assert parse_color(text) == rgba


def test_palette_names_resolve_and_unknown_names_list_the_palette() -> None:
    assert parse_color("primary", {"primary": "#2454E6"}) == (36, 84, 230, 255)
    with pytest.raises(ColorError, match="known names: accent, primary"):
        parse_color("primry", {"primary": "#2454E6", "accent": "#FFB547"})


@pytest.mark.parametrize("bad", ["#12", "#GGGGGG", "#1234567", "rgb(1,2,3)", "", 12])
def test_invalid_colours_say_how_to_write_one(bad: object) -> None:
    with pytest.raises(ColorError, match=r"#RRGGBB|#2454E6"):
        parse_color(bad)


def test_to_hex_round_trips() -> None:
    assert to_hex((36, 84, 230, 255)) == "#2454E6"
    assert to_hex((0, 0, 0, 128)) == "#00000080"


# --- valid specs and defaults ---------------------------------------------------------------


def test_minimal_spec_defaults() -> None:
    spec = parse_spec({"layers": [{"type": "background", "color": "#000"}]}, "x.j2")
    assert (spec.width, spec.height, spec.alt) == (1080, 1920, None)
    layer = spec.layers[0]
    assert isinstance(layer, BackgroundLayer)
    assert layer.visible is True and layer.opacity == 1.0 and layer.fit == "cover"


def test_value_forms_are_normalized() -> None:
    spec = parse_spec(
        {
            "alt": "A frame",
            "layers": [
                {
                    "type": "text",
                    "id": "title",
                    "text": "Hi",
                    "box": [10.4, 20.6, 300, 100.2],
                    "size": 64,
                    "font": {"family": "Noto Sans", "weight": "Bold"},
                    "background": {"color": "#000000AA", "padding": 20},
                },
                {"type": "image", "src": "assets/x.png", "box": [0, 0, 10, 10]},
                {"type": "progress", "box": [0, 0, 100, 8], "total": 5, "current": 2},
            ],
        },
        "x.j2",
    )
    text = spec.layers[0]
    assert isinstance(text, TextLayer)
    assert text.box == (10, 21, 300, 100)
    assert (text.size.min, text.size.max) == (64, 64)  # type: ignore[union-attr]
    assert text.font.weight == 700
    assert text.background is not None and text.background.padding == (20, 20)
    assert text.role == "body" and text.align == "start" and text.ellipsis is True
    image = spec.layers[1]
    assert isinstance(image, ImageLayer) and image.fit == "contain" and image.anchor == (0.5, 0.5)
    progress = spec.layers[2]
    assert isinstance(progress, ProgressLayer) and progress.colors.active is None


def test_gradient_stops_spread_evenly_between_placed_ones() -> None:
    spec = parse_spec(
        {
            "layers": [
                {
                    "type": "background",
                    "gradient": {"stops": ["#000", "#111", {"color": "#222", "at": 0.8}, "#333"]},
                }
            ]
        },
        "x.j2",
    )
    layer = spec.layers[0]
    assert isinstance(layer, BackgroundLayer) and layer.gradient is not None
    assert layer.gradient.positions() == pytest.approx([0.0, 0.4, 0.8, 1.0])


def test_brand_colour_names_through_the_palette() -> None:
    spec = parse_spec(
        {"layers": [{"type": "rect", "box": [0, 0, 5, 5], "fill": "accent"}]},
        "x.j2",
        palette={"accent": "#FFB547"},
    )
    layer = spec.layers[0]
    assert isinstance(layer, RectLayer) and layer.fill == (255, 181, 71, 255)


def test_every_layer_type_is_accepted() -> None:
    spec = FrameSpec.model_validate(
        {
            "layers": [
                {"type": "background", "image": "a.png", "blur": 10, "darken": 0.3, "tint": "#2454E640"},
                {"type": "image", "src": "a.png", "box": [0, 0, 9, 9], "shadow": {}, "border": {"width": 2}},
                {
                    "type": "text",
                    "text": "x",
                    "box": [0, 0, 9, 9],
                    "role": "heading",
                    "size": {"max": 90, "min": 60},
                },
                {"type": "rect", "box": [0, 0, 9, 9], "gradient": {"angle": 90, "stops": ["#000", "#fff"]}},
                {"type": "circle", "center": [5, 5], "radius": 4, "outline": {"width": 1, "color": "#fff"}},
                {"type": "line", "points": [[0, 0], [9, 9], [20, 0]], "cap": "butt"},
                {"type": "progress", "box": [0, 0, 90, 6], "total": 3, "current": 3, "label": {}},
                {"type": "qr", "data": "https://example.com", "box": [0, 0, 90, 90], "error": "H"},
                {"type": "logo", "box": [0, 0, 90, 90], "visible": False},
            ]
        }
    )
    assert [layer.type for layer in spec.layers] == [
        "background",
        "image",
        "text",
        "rect",
        "circle",
        "line",
        "progress",
        "qr",
        "logo",
    ]


# --- errors ---------------------------------------------------------------------------------


def test_every_problem_is_listed_with_layer_and_key() -> None:
    message, problems = problems_of(
        {
            "layers": [
                {"type": "background", "color": "#000"},
                {
                    "type": "text",
                    "id": "title",
                    "box": [0, 0, 100],
                    "color": "#ggg",
                    "size": {"max": 40, "min": 60},
                    "font": {"weight": "heavy"},
                },
                {"type": "rect", "id": "card", "box": [0, 0, 10, 10], "fill": "#fff", "opacity": 2},
            ]
        }
    )
    assert "tutorial/step.j2" in message and "6 problems" in message
    joined = "\n".join(problems)
    assert "layers[1] (text, id 'title'): text: Field required" in joined
    assert "layers[1] (text, id 'title'): box: a box is [x, y, width, height]" in joined
    assert "layers[1] (text, id 'title'): color: '#ggg' is not a colour" in joined
    assert "layers[1] (text, id 'title'): size: min (60) is larger than max (40)" in joined
    assert "layers[1] (text, id 'title'): font.weight: 'heavy' is not a font weight" in joined
    assert "layers[2] (rect, id 'card'): opacity:" in joined


def test_unknown_key_suggests_the_right_one() -> None:
    with pytest.raises(TemplateError) as info:
        parse_spec(
            {"layers": [{"type": "rect", "box": [0, 0, 5, 5], "fill": "#fff", "colour": "#000"}]}, "t.j2"
        )
    (problem,) = info.value.problems
    assert problem.message == "layers[0] (rect): colour: unknown key `colour`"
    assert problem.hint is not None and "`color`" in problem.hint


def test_unknown_and_missing_layer_types() -> None:
    _, problems = problems_of({"layers": [{"type": "txt", "text": "x"}, {"box": [0, 0, 1, 1]}]})
    assert problems == ["layers[0] (txt): unknown layer type 'txt'", "layers[1]: the layer has no `type`"]


def test_layer_rules() -> None:
    _, problems = problems_of(
        {
            "layers": [
                {"type": "background"},
                {
                    "type": "background",
                    "gradient": {"kind": "radial", "angle": 30, "stops": ["#000", "#fff"]},
                },
                {"type": "progress", "box": [0, 0, 10, 2], "total": 3, "current": 4},
                {"type": "rect", "box": [0, 0, 10, 0], "fill": "#fff"},
                {"type": "circle", "center": [1, 1], "radius": 3},
                {"type": "image", "src": "a.png", "box": [0, 0, 10, 10], "padding": 4},
            ]
        }
    )
    assert problems[0].startswith(
        "layers[0] (background): give the background a color, a gradient or an image"
    )
    assert "angle applies to linear gradients" in problems[1]
    assert "current (4) is larger than total (3)" in problems[2]
    assert problems[3].startswith("layers[3] (rect): box: the box's width and height must be positive")
    assert "a circle needs a fill or an outline" in problems[4]
    assert "add `background:` too" in problems[5]


def test_non_mapping_output_is_refused() -> None:
    with pytest.raises(TemplateError, match="did not produce a frame spec"):
        parse_spec(["layers"], "t.j2")  # type: ignore[arg-type]


def test_positions_from_yamlsrc_point_at_the_generated_line() -> None:
    text = "layers:\n  - type: rect\n    box: [0, 0, 10, 10]\n    fill: '#zzz'\n"
    with pytest.raises(TemplateError) as info:
        parse_spec(yamlsrc.loads(text, source="t.j2"), "t.j2")
    err = info.value
    assert (err.line, err.problems[0].line, err.problems[0].column) == (4, 4, 11)
    assert "t.j2:4:11: layers[0] (rect): fill:" in str(err)


def test_every_spec_key_is_documented() -> None:
    from pathlib import Path

    from pydantic import BaseModel

    from storycast.render import spec as spec_mod

    docs = (Path(__file__).resolve().parent.parent / "docs" / "layers.md").read_text(encoding="utf-8")
    models = [m for m in vars(spec_mod).values() if isinstance(m, type) and issubclass(m, BaseModel)]
    missing = sorted(
        f"{model.__name__}.{name}"
        for model in models
        if not model.__name__.startswith("_") or model.__name__ == "_Layer"
        for name in model.model_fields
        if f"`{name}`" not in docs
    )
    assert not missing, f"keys missing from docs/layers.md: {missing}"
    for kind in spec_mod.LAYER_TYPES:
        assert f"## {kind}\n" in docs, f"docs/layers.md has no section for the {kind} layer"
