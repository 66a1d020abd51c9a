"""The frame spec: what a template's YAML output must look like (pydantic models).

A frame template renders to YAML; :func:`parse_spec` validates that data into a
:class:`FrameSpec` (a canvas size, an optional ``alt`` text and an ordered list of layers,
drawn bottom to top). Each layer is a mapping with a ``type``:

``background``, ``image``, ``text``, ``rect``, ``circle``, ``line``, ``progress``, ``qr``, ``logo``

and every layer accepts ``id`` (a name for reports and lint findings), ``visible`` (default
true) and ``opacity`` (0..1, default 1). Boxes are ``[x, y, width, height]`` in pixels on the
canvas (1080x1920 by default); points are ``[x, y]``; colours are ``#RRGGBB`` / ``#RRGGBBAA``
(see :mod:`storycast.render.colors`). docs/layers.md documents every key for authors.

Validation reports every problem at once: :func:`parse_spec` raises one
:class:`~storycast.errors.TemplateError` whose ``problems`` name the template, the layer
(index, type and id) and the key of each problem, with a hint where one helps.

Stable API::

    FrameSpec(width=1080, height=1920, layers=[...], alt=None, meta={})
    parse_spec(data: dict, source: str, *, palette: Mapping[str, str] | None = None) -> FrameSpec
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from ..content.validate import locate
from ..errors import StorycastError, TemplateError
from .colors import RGBA, parse_color

# Bounds that keep one frame's drawing time in check (docs/layers.md); the stock frames use about
# 20 layers and texts of at most a few hundred characters.
MAX_LAYERS = 200
MAX_TEXT_CHARS = 5000
MAX_POINTS = 1000
MAX_STOPS = 32
MAX_PATH_CHARS = 300

# ---------------------------------------------------------------------------------------------
# Value types


def _color(value: Any, info: ValidationInfo) -> RGBA:
    palette = (info.context or {}).get("palette") if info is not None else None
    return parse_color(value, palette)


Color = Annotated[RGBA, BeforeValidator(_color)]
"""A colour: ``#RGB``, ``#RGBA``, ``#RRGGBB``, ``#RRGGBBAA``, ``transparent`` or a palette name."""


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{what} must be a number, not {value!r}")
    return float(value)


def _box(value: Any) -> tuple[int, int, int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        raise ValueError("a box is [x, y, width, height], four numbers in pixels")
    x, y, w, h = (round(_number(v, "each box value")) for v in value)
    if w <= 0 or h <= 0:
        raise ValueError(f"the box's width and height must be positive (got {w}x{h})")
    return (x, y, w, h)


Box = Annotated[tuple[int, int, int, int], BeforeValidator(_box)]
"""``[x, y, width, height]`` in canvas pixels (floats are rounded)."""


def _point(value: Any) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError("a point is [x, y], two numbers in pixels")
    return (_number(value[0], "x"), _number(value[1], "y"))


Point = Annotated[tuple[float, float], BeforeValidator(_point)]


def _fraction_pair(value: Any) -> tuple[float, float]:
    x, y = _point(value)
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise ValueError("an anchor is [x, y] as fractions from 0 to 1 (0.5, 0.5 is the centre)")
    return (x, y)


Anchor = Annotated[tuple[float, float], BeforeValidator(_fraction_pair)]


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (round(value), round(value))
    x, y = _point(value)
    return (round(x), round(y))


Padding = Annotated[tuple[int, int], BeforeValidator(_pair)]
"""``[horizontal, vertical]`` pixels, or one number for both."""

Opacity = Annotated[float, Field(ge=0, le=1)]

_WEIGHTS = {
    "thin": 100,
    "extralight": 200,
    "light": 300,
    "regular": 400,
    "normal": 400,
    "medium": 500,
    "semibold": 600,
    "bold": 700,
    "extrabold": 800,
    "black": 900,
}


def _weight(value: Any) -> int:
    if isinstance(value, str):
        key = value.strip().lower().replace("-", "").replace(" ", "")
        if key in _WEIGHTS:
            return _WEIGHTS[key]
        if key.isdigit():
            value = int(key)
        else:
            names = ", ".join(_WEIGHTS)
            raise ValueError(f"{value!r} is not a font weight; use 100..900 or one of {names}")
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 900:
        raise ValueError(
            f"{value!r} is not a font weight; use a number from 100 to 900 (400 regular, 700 bold)"
        )
    return value


Weight = Annotated[int, BeforeValidator(_weight)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------
# Shared parts


class Shadow(_Model):
    """A soft drop shadow. ``blur`` works like CSS (the Gaussian's sigma is blur / 2)."""

    blur: float = Field(24, ge=0, le=300)
    offset: Point = (0.0, 12.0)
    color: Color = (0, 0, 0, 77)


class Stroke(_Model):
    """A line around something: ``width`` pixels of ``color``."""

    width: int = Field(2, ge=0, le=100)
    color: Color = (0, 0, 0, 255)


class Stop(_Model):
    """A gradient colour stop; ``at`` is 0..1 along the gradient (omitted: spread evenly)."""

    color: Color
    at: float | None = Field(None, ge=0, le=1)


def _stop(value: Any) -> Any:
    # Authors mostly list bare colours; a mapping is only needed to place a stop.
    return {"color": value} if isinstance(value, str) else value


class Gradient(_Model):
    """A linear (``angle``) or radial (``center``, ``radius``) gradient through 2+ ``stops``."""

    kind: Literal["linear", "radial"] = "linear"
    angle: float | None = None
    center: Point | None = None
    radius: float | None = Field(None, gt=0)
    stops: list[Annotated[Stop, BeforeValidator(_stop)]] = Field(min_length=2, max_length=MAX_STOPS)

    @model_validator(mode="after")
    def _check(self) -> Gradient:
        if self.kind == "linear" and (self.center is not None or self.radius is not None):
            raise ValueError("center and radius apply to radial gradients; use angle for a linear one")
        if self.kind == "radial" and self.angle is not None:
            raise ValueError("angle applies to linear gradients; use center and radius for a radial one")
        placed = [s.at for s in self.stops if s.at is not None]
        if placed != sorted(placed):
            raise ValueError("the stops' `at` positions must increase from the first stop to the last")
        return self

    def positions(self) -> list[float]:
        """Each stop's position; unplaced stops are spread evenly between placed ones (as in CSS)."""
        pos: list[float | None] = [s.at for s in self.stops]
        if pos[0] is None:
            pos[0] = 0.0
        if pos[-1] is None:
            pos[-1] = 1.0
        i = 0
        while i < len(pos):
            if pos[i] is None:
                j = i
                while pos[j] is None:
                    j += 1
                lo, hi = pos[i - 1], pos[j]
                assert lo is not None and hi is not None
                for k in range(i, j):
                    pos[k] = lo + (hi - lo) * (k - i + 1) / (j - i + 1)
                i = j
            i += 1
        return [p for p in pos if p is not None]


class Font(_Model):
    """A font choice: ``family`` (a family the font library knows) and ``weight`` (100..900 or a name)."""

    family: str | None = Field(None, max_length=100)
    weight: Weight | None = None


class SizeRange(_Model):
    """Auto-fit: the largest size that fits, between ``min`` and ``max`` pixels."""

    max: float = Field(gt=0, le=1000)
    min: float = Field(gt=0, le=1000)

    @model_validator(mode="after")
    def _order(self) -> SizeRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is larger than max ({self.max:g})")
        return self


def _size(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"max": value, "min": value}
    return value


Size = Annotated[SizeRange, BeforeValidator(_size)]


class TextBackground(_Model):
    """A rounded panel behind the laid-out lines (like Instagram's text background)."""

    color: Color
    padding: Padding = (28, 14)
    radius: int = Field(18, ge=0, le=500)
    mode: Literal["block", "lines"] = "block"


# ---------------------------------------------------------------------------------------------
# Layers


class _Layer(_Model):
    id: str | None = Field(None, max_length=100)
    visible: bool = True
    opacity: Opacity = 1.0


class BackgroundLayer(_Layer):
    """The whole canvas: a ``color``, a ``gradient`` or an ``image`` (any one, or color + image)."""

    type: Literal["background"]
    color: Color | None = None
    gradient: Gradient | None = None
    image: str | None = Field(None, max_length=MAX_PATH_CHARS)
    fit: Literal["cover", "contain", "contain-blur"] = "cover"
    anchor: Anchor = (0.5, 0.5)
    blur: float = Field(0, ge=0, le=200)
    darken: float = Field(0, ge=0, le=1)
    tint: Color | None = None

    @model_validator(mode="after")
    def _one_source(self) -> BackgroundLayer:
        if self.color is None and self.gradient is None and self.image is None:
            raise ValueError("give the background a color, a gradient or an image")
        if self.color is not None and self.gradient is not None:
            raise ValueError("give either color or gradient, not both")
        return self


class ImageLayer(_Layer):
    """A picture in a box: screenshots, photos, illustrations."""

    type: Literal["image"]
    src: str = Field(min_length=1, max_length=MAX_PATH_CHARS)
    box: Box
    fit: Literal["cover", "contain", "stretch"] = "contain"
    anchor: Anchor = (0.5, 0.5)
    radius: int = Field(0, ge=0, le=2000)
    border: Stroke | None = None
    shadow: Shadow | None = None
    background: Color | None = None
    padding: Padding = (0, 0)

    @model_validator(mode="after")
    def _padding(self) -> ImageLayer:
        if self.padding != (0, 0) and self.background is None:
            raise ValueError("padding insets the picture inside its background card; add `background:` too")
        if self.padding[0] * 2 >= self.box[2] or self.padding[1] * 2 >= self.box[3]:
            raise ValueError("the padding leaves no room for the picture inside the box")
        return self


Role = Literal["heading", "body", "caption", "label"]


class TextLayer(_Layer):
    """Text laid out by the text engine inside ``box`` (auto-fit, wrapping, ellipsis)."""

    type: Literal["text"]
    role: Role = "body"
    text: str = Field(max_length=MAX_TEXT_CHARS)
    box: Box
    font: Font = Field(default_factory=Font)
    size: Size | None = None
    max_lines: int | None = Field(None, ge=1, le=50)
    ellipsis: bool = True
    balance: bool = False  # even out line lengths at the fitted size (headlines: no lone last word)
    align: Literal["left", "center", "right", "start", "end"] = "start"
    valign: Literal["top", "middle", "bottom"] = "top"
    line_height: float | None = Field(None, ge=0.8, le=3)
    letter_spacing: float = Field(0, ge=-0.2, le=1)  # em, as the text engine takes it
    color: Color = (255, 255, 255, 255)
    stroke: Stroke | None = None
    background: TextBackground | None = None
    shadow: Shadow | None = None
    lang: str | None = None


class RectLayer(_Layer):
    """A rectangle, optionally rounded, filled, outlined and shadowed (cards, panels, scrims)."""

    type: Literal["rect"]
    box: Box
    fill: Color | None = None
    gradient: Gradient | None = None
    radius: int = Field(0, ge=0, le=2000)
    outline: Stroke | None = None
    shadow: Shadow | None = None

    @model_validator(mode="after")
    def _something(self) -> RectLayer:
        if self.fill is not None and self.gradient is not None:
            raise ValueError("give either fill or gradient, not both")
        if self.fill is None and self.gradient is None and self.outline is None:
            raise ValueError("a rect needs a fill, a gradient or an outline to be visible")
        return self


class CircleLayer(_Layer):
    """A circle (dots, avatars' rings, highlights)."""

    type: Literal["circle"]
    center: Point
    radius: float = Field(gt=0, le=4000)
    fill: Color | None = None
    outline: Stroke | None = None
    shadow: Shadow | None = None

    @model_validator(mode="after")
    def _something(self) -> CircleLayer:
        if self.fill is None and self.outline is None:
            raise ValueError("a circle needs a fill or an outline to be visible")
        return self


class LineLayer(_Layer):
    """A polyline through ``points`` (arrows, underlines, connectors)."""

    type: Literal["line"]
    points: list[Point] = Field(min_length=2, max_length=MAX_POINTS)
    width: float = Field(6, gt=0, le=200)
    color: Color = (255, 255, 255, 255)
    cap: Literal["round", "butt"] = "round"


class ProgressColors(_Model):
    """Segment colours: finished steps, the current step, steps still to come."""

    done: Color = (255, 255, 255, 255)
    active: Color | None = None
    todo: Color = (255, 255, 255, 89)


class ProgressLabel(_Model):
    """Text next to the bar; ``{current}`` and ``{total}`` are replaced (e.g. "Step {current} of {total}")."""

    text: str = Field("{current} / {total}", max_length=200)
    size: float = Field(32, gt=0, le=200)
    color: Color = (255, 255, 255, 255)
    font: Font = Field(default_factory=Font)
    align: Literal["start", "center", "end"] = "start"
    position: Literal["above", "below"] = "below"
    gap: int = Field(16, ge=0, le=400)


class ProgressLayer(_Layer):
    """A segmented bar like the stories UI: ``total`` segments, ``current`` is 1-based."""

    type: Literal["progress"]
    box: Box
    total: int = Field(ge=1, le=100)
    current: int = Field(ge=0)
    gap: int = Field(8, ge=0, le=200)
    radius: int | None = Field(None, ge=0)
    colors: ProgressColors = Field(default_factory=ProgressColors)
    active_fill: float = Field(1, ge=0, le=1)
    label: ProgressLabel | None = None
    # None: the frame language's direction (the first segment at the right in Arabic).
    direction: Literal["ltr", "rtl"] | None = None

    @model_validator(mode="after")
    def _range(self) -> ProgressLayer:
        if self.current > self.total:
            raise ValueError(f"current ({self.current}) is larger than total ({self.total})")
        return self


class QrLayer(_Layer):
    """A QR code for ``data`` (a URL, usually), drawn as a square in ``box``."""

    type: Literal["qr"]
    data: str = Field(min_length=1, max_length=2000)
    box: Box
    color: Color = (0, 0, 0, 255)
    background: Color = (255, 255, 255, 255)
    quiet_zone: int = Field(2, ge=0, le=10)
    error: Literal["L", "M", "Q", "H"] = "M"
    radius: int = Field(0, ge=0, le=500)


class LogoLayer(_Layer):
    """The brand logo (``[brand] logo`` in storycast.toml) fitted into ``box``."""

    type: Literal["logo"]
    box: Box
    fit: Literal["contain", "cover"] = "contain"
    anchor: Anchor = (0.5, 0.5)


Layer = Annotated[
    BackgroundLayer
    | ImageLayer
    | TextLayer
    | RectLayer
    | CircleLayer
    | LineLayer
    | ProgressLayer
    | QrLayer
    | LogoLayer,
    Field(discriminator="type"),
]

LAYER_TYPES: dict[str, type[_Layer]] = {
    "background": BackgroundLayer,
    "image": ImageLayer,
    "text": TextLayer,
    "rect": RectLayer,
    "circle": CircleLayer,
    "line": LineLayer,
    "progress": ProgressLayer,
    "qr": QrLayer,
    "logo": LogoLayer,
}


class FrameSpec(_Model):
    """One story frame: canvas size, layers bottom to top, and the frame's alt text."""

    width: int = Field(1080, ge=320, le=4096)
    height: int = Field(1920, ge=320, le=4096)
    layers: list[Layer] = Field(default_factory=list, max_length=MAX_LAYERS)
    alt: str | None = Field(None, max_length=MAX_TEXT_CHARS)
    meta: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Validation with author-friendly errors


def _all_keys() -> set[str]:
    keys: set[str] = set()
    models: list[type[BaseModel]] = [
        FrameSpec,
        *LAYER_TYPES.values(),
        Shadow,
        Stroke,
        Stop,
        Gradient,
        Font,
        SizeRange,
        TextBackground,
        ProgressColors,
        ProgressLabel,
    ]
    for model in models:
        keys.update(model.model_fields)
    return keys


_KNOWN_KEYS = _all_keys()


def _describe_layer(data: Any, index: int) -> str:
    layer = None
    if isinstance(data, Mapping):
        layers = data.get("layers")
        if isinstance(layers, list) and 0 <= index < len(layers):
            layer = layers[index]
    parts = []
    if isinstance(layer, Mapping):
        if isinstance(layer.get("type"), str):
            parts.append(str(layer["type"]))
        if layer.get("id") is not None:
            parts.append(f"id {str(layer['id'])!r}")
    return f"layers[{index}]" + (f" ({', '.join(parts)})" if parts else "")


def _problem(err: Any, data: Any, source: str) -> StorycastError:
    loc = list(err["loc"])
    where = "frame"
    if len(loc) >= 2 and loc[0] == "layers" and isinstance(loc[1], int):
        where = _describe_layer(data, loc[1])
        loc = loc[2:]
        if loc and isinstance(loc[0], str) and loc[0] in LAYER_TYPES:
            loc = loc[1:]  # the discriminator tag pydantic adds to the path
    # pydantic puts function-validator names into paths (e.g. "function-before[...]"); drop them
    key = ".".join(str(k) for k in loc if not (isinstance(k, str) and "[" in k))
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    hint = None
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else key
        msg = f"unknown key `{name}`"
        close = difflib.get_close_matches(name.replace("colour", "color"), sorted(_KNOWN_KEYS), n=1)
        hint = f"did you mean `{close[0]}`? (see docs/layers.md)" if close else "see docs/layers.md"
    elif kind == "missing":
        hint = f"add `{loc[-1]}:` to this layer (see docs/layers.md)" if loc else None
    elif kind == "union_tag_invalid":
        msg = (
            f"unknown layer type {err.get('input', {}).get('type')!r}"
            if isinstance(err.get("input"), Mapping)
            else "unknown layer type"
        )
        hint = "use one of " + ", ".join(LAYER_TYPES)
    elif kind == "union_tag_not_found":
        msg = "the layer has no `type`"
        hint = "start the layer with `type:` " + "|".join(LAYER_TYPES)
    text = f"{where}: {key}: {msg}" if key else f"{where}: {msg}"
    # Data loaded with storycast.yamlsrc remembers positions: point at the generated YAML line.
    path = list(err["loc"])
    if len(path) >= 3 and path[0] == "layers" and path[2] in LAYER_TYPES:
        del path[2]
    line, column = locate(data, tuple(path))
    return StorycastError(text, hint=hint, file=source, line=line, column=column)


def parse_spec(data: Any, source: str, *, palette: Mapping[str, str] | None = None) -> FrameSpec:
    """Validate a template's parsed YAML into a :class:`FrameSpec`.

    ``source`` names the template (it appears in every message). ``palette`` maps colour names
    (for example the brand colours ``primary``, ``accent``) to hex values a spec may use by name.
    Raises :class:`TemplateError` listing every problem with its layer and key.
    """
    if not isinstance(data, Mapping):
        raise TemplateError(
            f"template {source} did not produce a frame spec (a YAML mapping with `layers:`)",
            hint="the rendered template must start with keys such as `layers:`; check it renders YAML",
            file=source,
        )
    try:
        return FrameSpec.model_validate(dict(data), context={"palette": dict(palette or {})})
    except ValidationError as exc:
        problems = [_problem(err, data, source) for err in exc.errors()]
        n = len(problems)
        raise TemplateError(
            f"template {source} produced an invalid frame spec ({n} problem{'s' if n != 1 else ''}):",
            problems=problems,
            file=source,
            line=problems[0].line,
            column=problems[0].column,
        ) from None
