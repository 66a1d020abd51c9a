"""Auto-fit text layout: pick the largest size that fits a box, wrap, align, truncate last.

``layout_text`` is pure (no drawing) and deterministic; results are cached per request and
box, and every width is cached per (font, size, text), so laying out the frames of a whole
tutorial again costs a few dictionary look-ups.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass, field, replace

from storycast.errors import RenderError
from storycast.render.text.bidi import paragraph_direction, visual_order
from storycast.render.text.fonts import FontFace, FontLibrary, ensure_raqm, strike_size, weight_value
from storycast.render.text.linebreak import HYPHENS, SPACES
from storycast.render.text.runs import (
    Paragraph,
    Piece,
    Prepared,
    Unit,
    bcp47,
    emoji_scale,
    piece_width,
    prepare,
    run_language,
)
from storycast.render.text.scripts import script_of

GAP_EM = 0.06  # minimum clear space between the ink of two lines, in em
ELLIPSIS = "\u2026"
ALIGNS = ("left", "center", "right", "start", "end")


@dataclass(frozen=True)
class TextRequest:
    """What to lay out. Sizes are pixels; ``letter_spacing`` is in em (0.05 = 5% of the size).

    ``align`` ``start``/``end`` follow the paragraph direction (``start`` is right for Arabic);
    ``direction`` None takes it from the first strong character, then from ``lang``.
    ``emoji`` is ``"color"`` (bitmap colour emoji when a colour font is installed) or ``"mono"``.
    ``balance`` keeps the chosen size and line count but narrows the wrap width as far as it
    can, so lines come out of similar length (like CSS ``text-wrap: balance``). ``pretty``
    (like CSS ``text-wrap: pretty``) keeps a paragraph from ending on a lone word when the same
    number of lines can carry two (widow control); balanced text needs no such help.
    ``heading`` keeps a hyphenated compound on one line unless nothing else fits.
    """

    text: str
    lang: str
    family: str = "Noto Sans"
    weight: str | int = "regular"  # regular|medium|semibold|bold or 100..900 (nearest installed)
    size_max: int = 72
    size_min: int = 44
    max_lines: int | None = None
    line_height: float = 1.25
    letter_spacing: float = 0
    align: str = "start"  # left|center|right|start|end
    direction: str | None = None  # None = from the text/lang; "ltr" | "rtl"
    emoji: str = "color"  # color|mono
    balance: bool = False  # even out line lengths (headlines: no lone word on the last line)
    heading: bool = False  # never break at a hyphen when the text fits otherwise
    pretty: bool = True  # widow control: no lone word on a paragraph's last line where avoidable


@dataclass(frozen=True)
class Overflow:
    """How far a text that had to be cut is over its box, measured at the minimum size."""

    lines_needed: int  # lines the whole text takes at the minimum size
    lines_shown: int  # lines drawn
    height_needed: float  # px the whole text takes
    box_h: int
    max_lines: int | None
    hidden: str  # the text that is not drawn (the ellipsis stands for it)

    @property
    def over_px(self) -> int:
        """Height over the box, px (0 when only ``max_lines`` is exceeded)."""
        return max(0, math.ceil(self.height_needed - self.box_h))

    def describe(self) -> str:
        """'needs 7 lines, 4 shown (3 lines, 180 px over)': for warnings and lint."""
        over = self.lines_needed - self.lines_shown
        parts = [f"{over} line{'s' if over != 1 else ''}"] if over > 0 else []
        if self.over_px:
            parts.append(f"{self.over_px} px")
        limit = (
            f" (max_lines {self.max_lines})" if self.max_lines and self.lines_needed > self.max_lines else ""
        )
        plural = "s" if self.lines_needed != 1 else ""
        text = f"needs {self.lines_needed} line{plural}, {self.lines_shown} shown{limit}"
        if parts:
            text += f": {' and '.join(parts)} over"
        return text + f"; {len(self.hidden)} characters cut"


@dataclass(frozen=True)
class LaidRun:
    """One shaped run on a line, in visual order; ``x`` is from the line's left edge."""

    text: str
    x: float
    width: float
    face: FontFace
    font_size: int  # size the font is opened at (the strike size for bitmap emoji)
    scale: float  # 1.0 for outline fonts; resize factor for bitmap colour emoji
    direction: str  # "ltr" | "rtl"
    language: str | None
    script: str
    emoji: bool
    letter_spacing: float  # px added after each cluster (0 when not applied)


@dataclass(frozen=True)
class LaidLine:
    """A line as drawn: ``text`` in logical order, runs in visual order."""

    text: str
    width: float
    x: float  # left edge within the layout box (alignment applied)
    baseline: float  # from the top of the layout
    ascent: float  # ink above the baseline, px
    descent: float  # ink below the baseline, px
    runs: tuple[LaidRun, ...]


@dataclass(frozen=True)
class TextLayout:
    """Result of ``layout_text``; draw it with ``draw_text``."""

    size: int
    lines: list[LaidLine]
    width: float  # widest line
    height: float  # from the top of the first line box to the bottom of the last
    fitted: bool  # everything fits the box without truncation
    shrunk_to_min: bool  # the size had to go down to size_min
    truncated: bool  # text was cut and an ellipsis added
    warnings: list[str]
    align: str  # resolved: left|center|right
    direction: str  # base direction: ltr|rtl
    box_w: int
    box_h: int
    fonts: FontLibrary = field(compare=False, repr=False)
    line_pitch: float = 0.0  # baseline-to-baseline distance, px (the same for every line)
    overflow: Overflow | None = None  # set when the text was cut: how much did not fit

    def line_box(self, index: int) -> tuple[float, float]:
        """Top and bottom of line *index*'s box, from the top of the layout.

        Line boxes tile the block without gaps: each is ``line_pitch`` tall, the first starts
        at 0 and the last ends at ``height`` (panels drawn behind lines use these).
        """
        top = self.lines[index].baseline - self.lines[0].baseline
        bottom = self.height if index == len(self.lines) - 1 else top + self.line_pitch
        return top, bottom

    @property
    def text(self) -> str:
        """All drawn text, lines joined with newlines (for manifests and alt text)."""
        return "\n".join(line.text for line in self.lines)


@dataclass
class _Trial:
    """Wrapping of all paragraphs at one size."""

    size: int
    lines: list[tuple[int, list[int]]]  # (paragraph index, unit indices)
    widths: list[list[tuple[float, float]]]  # per paragraph, per unit: (body, trailing spaces)
    overflow: bool  # some unit is wider than the box on its own
    pitch: float
    height: float


@dataclass
class _Broken(Prepared):
    """A text whose over-long words are cut into parts: ``soft`` maps (paragraph, unit) of a
    part that ends inside a word to the hyphen drawn when a line ends there (None: no hyphen,
    as after a URL's slash)."""

    soft: dict[tuple[int, int], Piece | None] = field(default_factory=dict)


def _soft(prep: Prepared) -> dict[tuple[int, int], Piece | None]:
    return prep.soft if isinstance(prep, _Broken) else {}


_prep_cache: dict[tuple[object, ...], tuple[FontLibrary, Prepared]] = {}
_layout_cache: dict[tuple[object, ...], TextLayout] = {}
_lock = threading.Lock()


def layout_text(req: TextRequest, box_w: int, box_h: int, fonts: FontLibrary) -> TextLayout:
    """Lay out *req* in a ``box_w`` x ``box_h`` box at the largest size that fits.

    Sizes from ``size_max`` down to ``size_min`` are searched by bisection. If nothing fits at
    ``size_min`` the text is cut at a word boundary with an ellipsis (``truncated=True`` and a
    warning); the caller decides whether that is an error. Raises RenderError for unknown
    families or weights, bad sizes, and when Pillow lacks raqm.
    """
    _validate(req, box_w, box_h)
    ensure_raqm()
    key = (req, box_w, box_h, id(fonts))
    hit = _layout_cache.get(key)
    if hit is not None and hit.fonts is fonts:
        return replace(hit, lines=list(hit.lines), warnings=list(hit.warnings))
    result = _layout(req, box_w, box_h, fonts)
    with _lock:
        if len(_layout_cache) > 4096:
            _layout_cache.clear()
        _layout_cache[key] = result
    return replace(result, lines=list(result.lines), warnings=list(result.warnings))


def _validate(req: TextRequest, box_w: int, box_h: int) -> None:
    if box_w <= 0 or box_h <= 0:
        raise RenderError(
            f"Text box is {box_w}x{box_h} px; it needs a positive width and height.",
            hint="Give the text layer a box [x, y, width, height] whose width and height are above 0 px.",
        )
    if req.size_min <= 0 or req.size_min > req.size_max:
        raise RenderError(
            f"Font sizes are inconsistent: size_min {req.size_min} and size_max {req.size_max}.",
            hint="Use 0 < size_min <= size_max.",
        )
    if req.align not in ALIGNS:
        raise RenderError(f"Unknown text alignment {req.align!r}.", hint=f"Use one of: {', '.join(ALIGNS)}.")
    if req.direction not in (None, "ltr", "rtl"):
        raise RenderError(
            f"Unknown text direction {req.direction!r}.", hint="Use ltr, rtl or leave it unset."
        )
    if req.emoji not in ("color", "mono"):
        raise RenderError(f"Unknown emoji mode {req.emoji!r}.", hint="Use color or mono.")
    if req.max_lines is not None and req.max_lines < 1:
        raise RenderError(
            f"max_lines is {req.max_lines}; it must be at least 1.",
            hint="Set max_lines to 1 or more, or leave it out to allow any number of lines.",
        )
    weight_value(req.weight)


def _prepared(req: TextRequest, fonts: FontLibrary) -> Prepared:
    lang = bcp47(req.lang)
    direction = req.direction or paragraph_direction(req.text, lang)
    key = (req.text, lang, req.family, req.weight, direction, req.emoji, id(fonts))
    hit = _prep_cache.get(key)
    if hit is not None and hit[0] is fonts:  # id() alone could be reused by a new library
        return hit[1]
    prep = prepare(
        req.text, lang, req.family, req.weight, direction == "rtl", fonts, color_emoji=req.emoji == "color"
    )
    with _lock:
        if len(_prep_cache) > 2048:
            _prep_cache.clear()
        _prep_cache[key] = (fonts, prep)
    return prep


def _layout(req: TextRequest, box_w: int, box_h: int, fonts: FontLibrary) -> TextLayout:
    """Fit, then break over-long words, then cut: the text is always laid out.

    A heading first tries to keep its hyphenated compounds whole. When nothing fits at
    ``size_min``, words wider than the box are broken (URLs after their separators, words at
    their hyphenation points) and the size search runs again; what still does not fit is cut
    with an ellipsis, and ``overflow`` says by how much.
    """
    base = _prepared(req, fonts)
    warnings = list(base.warnings)
    candidates = [base]
    if req.heading:
        whole = _keep_hyphenated(base)
        if whole is not base:
            candidates.insert(0, whole)
    for prep in candidates:
        t = _fit(prep, req, box_w, box_h, fonts)
        if t is not None:
            return _fitted(prep, req, t, box_w, box_h, fonts, warnings)
    broken = _break_long_words(candidates[0], req, box_w, fonts)  # a heading's compounds whole first
    if broken is not None:
        t = _fit(broken, req, box_w, box_h, fonts)
        if t is not None:
            return _fitted(broken, req, t, box_w, box_h, fonts, warnings)
    prep = broken or candidates[0]
    return _truncated(prep, req, _wrap(prep, req, req.size_min, box_w, fonts), box_w, box_h, fonts, warnings)


def _fit(prep: Prepared, req: TextRequest, box_w: int, box_h: int, fonts: FontLibrary) -> _Trial | None:
    """The wrapping at the largest size in [size_min, size_max] that fits, or None."""
    trials: dict[int, _Trial] = {}

    def trial(size: int) -> _Trial:
        if size not in trials:
            trials[size] = _wrap(prep, req, size, box_w, fonts)
        return trials[size]

    def fits(size: int) -> bool:
        t = trial(size)
        return (
            not t.overflow and t.height <= box_h and (req.max_lines is None or len(t.lines) <= req.max_lines)
        )

    if fits(req.size_max):
        return trial(req.size_max)
    if not fits(req.size_min):
        return None
    lo, hi = req.size_min, req.size_max  # fits(lo), not fits(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return trial(lo)


def _fitted(
    prep: Prepared,
    req: TextRequest,
    t: _Trial,
    box_w: int,
    box_h: int,
    fonts: FontLibrary,
    warnings: list[str],
) -> TextLayout:
    if req.balance and len(t.lines) > 1:
        t = _phrase_split(prep, req, t, box_w, box_h) or _balanced(prep, req, t, box_w, box_h, fonts)
    elif req.pretty:
        t = _without_widows(prep, req, t, box_w, box_h, fonts)
    lines = _build_lines(prep, req, t, t.lines, fonts, box_w, ellipsis_last=False)
    return _result(prep, req, t.size, lines, t, box_w, box_h, fonts, warnings, truncated=False)


# Scripts written without spaces between words: a space there separates phrases, so a title
# breaks better at one than between two dictionary words of one compound.
_PHRASE_SPACED = frozenset({"th", "lo", "km", "my"})


def _phrase_split(prep: Prepared, req: TextRequest, t: _Trial, box_w: int, box_h: int) -> _Trial | None:
    """A two-line title in Thai (Lao, Khmer, Burmese) split at the space that evens it best.

    Width-only balancing may cut a compound between two of its words ("เปิดการยืนยัน /
    ตัวตน 2 ขั้นตอน"); when the title has spaces, the most even split *at a space* that fits is
    what a reader expects ("เปิดการยืนยันตัวตน / 2 ขั้นตอน"). None when that does not apply.
    """
    if (
        (bcp47(req.lang) or "").split("-")[0].lower() not in _PHRASE_SPACED
        or len(t.lines) != 2
        or len(t.widths) != 1
    ):
        return None
    widths = t.widths[0]
    spaced = [k for k in range(1, len(widths)) if widths[k - 1][1] > 0]
    options = []
    for k in spaced:
        first = sum(b + sp for b, sp in widths[:k]) - widths[k - 1][1]
        second = sum(b + sp for b, sp in widths[k:]) - widths[-1][1]
        if max(first, second) <= box_w:
            options.append((max(first, second), k))
    if not options:
        return None
    k = min(options)[1]
    lines = [(0, list(range(k))), (0, list(range(k, len(widths))))]
    pitch, height = _vertical(prep, req, t.size, lines, 2)
    if height > box_h:
        return None
    return _Trial(t.size, lines, t.widths, False, pitch, height)


def _balanced(
    prep: Prepared, req: TextRequest, t: _Trial, box_w: int, box_h: int, fonts: FontLibrary
) -> _Trial:
    """The narrowest wrap width (bisected) that keeps the same number of lines and still fits.

    Below the widest word, or below the words' total width shared out over the lines, no wrap
    can keep the line count: that is where the search starts, so it never stops short of the
    balanced width (a two-line title of two short words narrows to the longer word).
    """

    def ok(trial: _Trial) -> bool:
        return not trial.overflow and len(trial.lines) == len(t.lines) and trial.height <= box_h

    bodies = [body for para in t.widths for body, _ in para]
    floor = max(max(bodies, default=0.0), sum(bodies) / len(t.lines))
    best = t
    lo, hi = max(0, math.ceil(floor) - 1), box_w  # not ok(lo); hi is t itself
    while hi - lo > 1:
        mid = (lo + hi) // 2
        candidate = _wrap(prep, req, t.size, mid, fonts)
        if ok(candidate):
            best, hi = candidate, mid
        else:
            lo = mid
    return best


def _spacing_px(req: TextRequest, size: int) -> float:
    return req.letter_spacing * size


def _unit_widths(para: Paragraph, size: int, spacing: float, fonts: FontLibrary) -> list[tuple[float, float]]:
    return [
        (
            sum(piece_width(fonts, p, size, spacing) for p in u.body),
            sum(piece_width(fonts, p, size, spacing) for p in u.space),
        )
        for u in para.units
    ]


def _hyphen_widths(
    prep: Prepared, p_index: int, size: int, spacing: float, fonts: FontLibrary
) -> dict[int, float]:
    """Per unit that ends inside a word: the width of the hyphen drawn if a line ends there."""
    return {
        u: (piece_width(fonts, piece, size, spacing) if piece is not None else 0.0)
        for (p, u), piece in _soft(prep).items()
        if p == p_index
    }


def _wrap_units(
    widths: list[tuple[float, float]], hyphens: dict[int, float], width: float
) -> list[list[int]]:
    """Greedy first-fit: as many units on each line as fit ``width`` (a unit ending inside a
    word must leave room for its hyphen)."""
    lines: list[list[int]] = []
    current: list[int] = []
    used = 0.0
    for u_index, (body, space) in enumerate(widths):
        if current and used + body + hyphens.get(u_index, 0.0) > width:
            lines.append(current)
            current, used = [], 0.0
        current.append(u_index)
        used += body + space
    lines.append(current)
    return lines


def _wrap(prep: Prepared, req: TextRequest, size: int, box_w: int, fonts: FontLibrary) -> _Trial:
    spacing = _spacing_px(req, size)
    lines: list[tuple[int, list[int]]] = []
    widths: list[list[tuple[float, float]]] = []
    overflow = False
    for p_index, para in enumerate(prep.paragraphs):
        unit_widths = _unit_widths(para, size, spacing, fonts)
        hyphens = _hyphen_widths(prep, p_index, size, spacing, fonts)
        widths.append(unit_widths)
        if any(body + hyphens.get(u, 0.0) > box_w for u, (body, _) in enumerate(unit_widths)):
            overflow = True
        lines.extend((p_index, units) for units in _wrap_units(unit_widths, hyphens, box_w))
    pitch, height = _vertical(prep, req, size, lines, len(lines))
    return _Trial(size, lines, widths, overflow, pitch, height)


# Widow control looks for a narrower wrap down to this share of the box: below it, the lines
# above the last would turn ragged, which reads worse than one word alone.
WIDOW_MIN_WIDTH = 0.72
WIDOW_STEPS = 24


def _is_lone_word(para: Paragraph, units: list[int]) -> bool:
    """Whether a line holds one word only (a unit with no space inside: "kind", "ไว้")."""
    if len(units) != 1:
        return False
    body = "".join(p.text for p in para.units[units[0]].body)
    return bool(body.strip()) and not any(ch in SPACES or ch == "\u00a0" for ch in body)


def _without_widows(
    prep: Prepared, req: TextRequest, t: _Trial, box_w: int, box_h: int, fonts: FontLibrary
) -> _Trial:
    """The same lines re-wrapped so no paragraph ends on a lone word, where that is possible.

    For each paragraph whose last line is one word, the widest narrower wrap (down to
    ``WIDOW_MIN_WIDTH`` of the box) that keeps the paragraph's line count, ends on two or more
    words and leaves no other line with a lone word is taken. The size and the number of lines
    stay as fitted; the block must still fit the box.
    """
    spacing = _spacing_px(req, t.size)
    changed = False
    out: list[tuple[int, list[int]]] = []
    for p_index, para in enumerate(prep.paragraphs):
        mine = [units for p, units in t.lines if p == p_index]
        if len(mine) >= 2 and _is_lone_word(para, mine[-1]):
            hyphens = _hyphen_widths(prep, p_index, t.size, spacing, fonts)
            widths = t.widths[p_index]
            for step in range(1, WIDOW_STEPS + 1):
                width = box_w * (1 - (1 - WIDOW_MIN_WIDTH) * step / WIDOW_STEPS)
                candidate = _wrap_units(widths, hyphens, width)
                if len(candidate) != len(mine):
                    break  # narrower only adds lines from here on
                if not any(_is_lone_word(para, units) for units in candidate):
                    mine, changed = candidate, True
                    break
        out.extend((p_index, units) for units in mine)
    if not changed:
        return t
    pitch, height = _vertical(prep, req, t.size, out, len(out))
    if height > box_h:
        return t
    return _Trial(t.size, out, t.widths, t.overflow, pitch, height)


def _keep_hyphenated(prep: Prepared) -> Prepared:
    """*prep* with every break after a hyphen removed ("Wi-Fi-Router", "self-service" whole)."""
    paragraphs: list[Paragraph] = []
    changed = False
    for para in prep.paragraphs:
        units: list[Unit] = []
        for unit in para.units:
            prev = units[-1] if units else None
            if prev is not None and not prev.space and prev.body and prev.body[-1].text[-1:] in HYPHENS:
                units[-1] = Unit(
                    para.pieces(prev.c0, _body_end(para, unit)),
                    unit.space,
                    max(prev.top_em, unit.top_em),
                    max(prev.bottom_em, unit.bottom_em),
                    prev.c0,
                    unit.c1,
                )
                changed = True
            else:
                units.append(unit)
        paragraphs.append(replace(para, units=units))
    if not changed:
        return prep
    return Prepared(paragraphs, prep.primary, prep.rtl, prep.warnings)


def _body_end(para: Paragraph, unit: Unit) -> int:
    """Cluster index where *unit*'s trailing spaces start."""
    end = unit.c1
    while end > unit.c0 and all(
        ch in SPACES for ch in para.text[para.spans[end - 1][0] : para.spans[end - 1][1]]
    ):
        end -= 1
    return end


def _break_long_words(prep: Prepared, req: TextRequest, box_w: int, fonts: FontLibrary) -> _Broken | None:
    """*prep* with every word wider than the box at ``size_min`` cut into parts, or None.

    Parts end at the word's preferred breaks (:func:`.hyphen.break_points`); a part still wider
    than the box is cut between grapheme clusters as a last resort. The wrapping puts as many
    parts on a line as fit, so a word breaks only where it must.
    """
    from storycast.render.text.hyphen import break_points, writes_hyphen

    size = req.size_min
    spacing = _spacing_px(req, size)
    lang = bcp47(req.lang)
    paragraphs: list[Paragraph] = []
    soft: dict[tuple[int, int], Piece | None] = {}
    changed = False
    for p_index, para in enumerate(prep.paragraphs):
        units: list[Unit] = []
        for unit in para.units:
            body_w = sum(piece_width(fonts, p, size, spacing) for p in unit.body)
            end = _body_end(para, unit)
            if body_w <= box_w or end - unit.c0 < 2:
                units.append(unit)
                continue
            changed = True
            offset = para.spans[unit.c0][0]
            word = para.text[offset : para.spans[end - 1][1]]
            starts = {para.spans[k][0] - offset: k for k in range(unit.c0 + 1, end)}
            cuts = {starts[b.offset]: b.hyphen for b in break_points(word, lang) if b.offset in starts}
            # Parts still too wide are cut between clusters (last resort).
            bounds = [unit.c0, *sorted(cuts), end]
            for a, b in itertools.pairwise(bounds):
                if sum(piece_width(fonts, p, size, spacing) for p in para.pieces(a, b)) > box_w:
                    for k in range(a + 1, b):
                        ch = para.text[para.spans[k - 1][0]]
                        cuts.setdefault(k, writes_hyphen(ch) and writes_hyphen(para.text[para.spans[k][0]]))
            bounds = [unit.c0, *sorted(cuts), end]
            for a, b in itertools.pairwise(bounds):
                last = b == end
                body = para.pieces(a, b)
                space = unit.space if last else []
                units.append(Unit(body, space, unit.top_em, unit.bottom_em, a, unit.c1 if last else b))
                if not last:
                    soft[(p_index, len(units) - 1)] = (
                        _hyphen_piece(para, body, req, fonts) if cuts[b] else None
                    )
        paragraphs.append(replace(para, units=units))
    if not changed:
        return None
    return _Broken(paragraphs, prep.primary, prep.rtl, prep.warnings, soft)


def _hyphen_piece(para: Paragraph, body: list[Piece], req: TextRequest, fonts: FontLibrary) -> Piece:
    """A hyphen in the font and language of the part it ends."""
    from storycast.render.text.hyphen import HYPHEN

    last = body[-1]
    face = last.face
    if not face.covers(HYPHEN) or last.emoji:
        face = fonts.face_for(HYPHEN, req.family, req.weight, "Latin") or fonts.face(req.family, req.weight)
    return Piece(HYPHEN, face, last.level, last.lang, last.script, False, 1)


def _line_extents(prep: Prepared, line: tuple[int, list[int]]) -> tuple[float, float]:
    units = prep.paragraphs[line[0]].units
    top = max((units[i].top_em for i in line[1]), default=0.0)
    bottom = max((units[i].bottom_em for i in line[1]), default=0.0)
    return top, bottom


def _vertical(
    prep: Prepared, req: TextRequest, size: int, lines: list[tuple[int, list[int]]], count: int
) -> tuple[float, float]:
    """Line pitch and total height of the first *count* lines.

    The pitch is ``line_height`` x size, raised for the whole block when the tallest ink
    (Thai stacked tone marks, Devanagari vowel signs above and below) would otherwise touch
    the next line; the first and last line boxes grow so no mark is ever clipped.
    """
    used = lines[:count]
    extents = [_line_extents(prep, ln) for ln in used]
    max_top = max((t for t, _ in extents), default=0.0)
    max_bottom = max((b for _, b in extents), default=0.0)
    pitch = size * max(req.line_height, max_top + max_bottom + GAP_EM)
    ratio = prep.primary.ascent / ((prep.primary.ascent + prep.primary.descent) or 1.0)
    first_top = extents[0][0] if extents else 0.0
    last_bottom = extents[-1][1] if extents else 0.0
    ascent = max(pitch * ratio, first_top * size + 1)
    descent = max(pitch * (1 - ratio), last_bottom * size + 1)
    return pitch, ascent + (len(used) - 1) * pitch + descent


def _first_ascent(prep: Prepared, size: int, pitch: float, line: tuple[int, list[int]]) -> float:
    ratio = prep.primary.ascent / ((prep.primary.ascent + prep.primary.descent) or 1.0)
    return max(pitch * ratio, _line_extents(prep, line)[0] * size + 1)


def _truncated(
    prep: Prepared,
    req: TextRequest,
    t: _Trial,
    box_w: int,
    box_h: int,
    fonts: FontLibrary,
    warnings: list[str],
) -> TextLayout:
    """Cut the text at size_min so it fits, ending the last kept line with an ellipsis."""
    limit = len(t.lines) if req.max_lines is None else min(req.max_lines, len(t.lines))
    while limit > 1 and _vertical(prep, req, t.size, t.lines, limit)[1] > box_h:
        limit -= 1
    kept = [(p, list(us)) for p, us in t.lines[:limit]]
    # A word wider than the box ends the text there: it is cut (with the ellipsis), never broken.
    for index, (p, us) in enumerate(kept):
        if any(t.widths[p][u][0] > box_w for u in us):
            kept = kept[: index + 1]
            break
    lines = _build_lines(prep, req, t, kept, fonts, box_w, ellipsis_last=True)
    _, height = _vertical(prep, req, t.size, kept, len(kept))
    overflow = Overflow(
        lines_needed=len(t.lines),
        lines_shown=len(kept),
        height_needed=t.height,
        box_h=box_h,
        max_lines=req.max_lines,
        hidden=_hidden_text(prep, req, t, kept, fonts, box_w),
    )
    preview = req.text.replace("\n", " ")
    preview = preview if len(preview) <= 40 else preview[:39] + ELLIPSIS
    if height > box_h:
        warnings.append(
            f"Text {preview!r} does not fit even one line in a {box_w}x{box_h} box at the minimum size "
            f"{req.size_min} px; it was cut to {lines[0].text!r}."
        )
    else:
        warnings.append(
            f"Text {preview!r} does not fit a {box_w}x{box_h} box at the minimum size {req.size_min} px"
            + (f" in {req.max_lines} lines" if req.max_lines else "")
            + f"; it was cut with an ellipsis ({overflow.describe()}). Shorten the text or lower size_min."
        )
    trial = _Trial(t.size, kept, t.widths, False, t.pitch, height)
    laid = _result(prep, req, t.size, lines, trial, box_w, box_h, fonts, warnings, truncated=True)
    return replace(laid, overflow=overflow)


def _hidden_text(
    prep: Prepared,
    req: TextRequest,
    t: _Trial,
    kept: list[tuple[int, list[int]]],
    fonts: FontLibrary,
    box_w: int,
) -> str:
    """The text the ellipsis stands for: from the first cluster left out to the end."""
    if not kept:
        return req.text
    p_index, unit_ids = kept[-1]
    para = prep.paragraphs[p_index]
    units = [para.units[u] for u in unit_ids]
    _, end = _with_ellipsis(para, units, req, t.size, _spacing_px(req, t.size), box_w, fonts)
    start = para.spans[end][0] if end < len(para.spans) else len(para.text)
    rest = [para.text[start:], *(q.text for q in prep.paragraphs[p_index + 1 :])]
    return "\n".join(rest).strip()


def _result(
    prep: Prepared,
    req: TextRequest,
    size: int,
    lines: list[LaidLine],
    t: _Trial,
    box_w: int,
    box_h: int,
    fonts: FontLibrary,
    warnings: list[str],
    *,
    truncated: bool,
) -> TextLayout:
    pitch, height = _vertical(prep, req, size, t.lines, len(t.lines))
    return TextLayout(
        size=size,
        lines=lines,
        width=max((ln.width for ln in lines), default=0.0),
        height=height,
        fitted=not truncated,
        shrunk_to_min=size == req.size_min and req.size_min != req.size_max,
        truncated=truncated,
        warnings=warnings,
        align=_resolve_align(req.align, prep.rtl),
        direction="rtl" if prep.rtl else "ltr",
        box_w=box_w,
        box_h=box_h,
        fonts=fonts,
        line_pitch=pitch,
    )


def _resolve_align(align: str, rtl: bool) -> str:
    if align == "start":
        return "right" if rtl else "left"
    if align == "end":
        return "left" if rtl else "right"
    return align


def align_offset(align: str, box_w: float, width: float) -> float:
    """x of a line of *width* inside a box of *box_w* for a resolved alignment."""
    if align == "right":
        return box_w - width
    if align == "center":
        return (box_w - width) / 2
    return 0.0


def _build_lines(
    prep: Prepared,
    req: TextRequest,
    t: _Trial,
    lines: list[tuple[int, list[int]]],
    fonts: FontLibrary,
    box_w: int,
    *,
    ellipsis_last: bool,
) -> list[LaidLine]:
    size = t.size
    spacing = _spacing_px(req, size)
    align = _resolve_align(req.align, prep.rtl)
    pitch, _ = _vertical(prep, req, size, lines, len(lines))
    baseline = _first_ascent(prep, size, pitch, lines[0]) if lines else 0.0
    out: list[LaidLine] = []
    soft = _soft(prep)
    for index, (p_index, unit_ids) in enumerate(lines):
        para = prep.paragraphs[p_index]
        units = [para.units[u] for u in unit_ids]
        if ellipsis_last and index == len(lines) - 1:
            pieces = _with_ellipsis(para, units, req, size, spacing, box_w, fonts)[0]
        elif soft:
            pieces = _joined_pieces(para, unit_ids, {u for p, u in soft if p == p_index})
            hyphen = soft.get((p_index, unit_ids[-1])) if unit_ids else None
            if hyphen is not None:
                pieces.append(hyphen)
        else:
            pieces = _line_pieces(units)
        top, bottom = _line_extents(prep, (p_index, unit_ids))
        out.append(_laid_line(pieces, fonts, size, spacing, baseline, top, bottom, align, box_w))
        baseline += pitch
    return out


def _line_pieces(units: list[Unit]) -> list[Piece]:
    pieces: list[Piece] = []
    for i, unit in enumerate(units):
        pieces.extend(unit.body)
        if i < len(units) - 1:
            pieces.extend(unit.space)
    return pieces


def _joined_pieces(para: Paragraph, unit_ids: list[int], soft: set[int]) -> list[Piece]:
    """A line's pieces where parts of one broken word are shaped together again."""
    pieces: list[Piece] = []
    k = 0
    while k < len(unit_ids):
        j = k
        while j < len(unit_ids) - 1 and unit_ids[j] in soft:
            j += 1
        first, last = para.units[unit_ids[k]], para.units[unit_ids[j]]
        pieces.extend(para.pieces(first.c0, _body_end(para, last)) if j > k else last.body)
        if j < len(unit_ids) - 1:
            pieces.extend(last.space)
        k = j + 1
    return pieces


def _with_ellipsis(
    para: Paragraph,
    units: list[Unit],
    req: TextRequest,
    size: int,
    spacing: float,
    box_w: int,
    fonts: FontLibrary,
) -> tuple[list[Piece], int]:
    """Pieces of the last kept line, shortened word by word until ``…`` fits after them, and
    the index of the first cluster left out."""
    ell = _ellipsis_piece(para, req, fonts)
    ell_w = piece_width(fonts, ell, size, spacing)

    def width(ps: list[Piece]) -> float:
        return sum(piece_width(fonts, p, size, spacing) for p in ps)

    kept = list(units)
    while kept and width(_line_pieces(kept)) + ell_w > box_w:
        kept.pop()
    if kept:
        return [*_line_pieces(kept), ell], kept[-1].c1
    if not units:
        return [ell], 0
    # Not even the first word fits: keep as many of its clusters as fit (this is a cut, the
    # ellipsis marks it), never fewer than one so the frame shows something.
    first = units[0]
    end = first.c0 + 1
    while end < first.c1 and width(para.pieces(first.c0, end + 1)) + ell_w <= box_w:
        end += 1
    return [*para.pieces(first.c0, end), ell], end


def _ellipsis_piece(para: Paragraph, req: TextRequest, fonts: FontLibrary) -> Piece:
    script = next((s for s in reversed(para.scripts) if s != "Emoji"), "Latin")
    face = fonts.face_for(ELLIPSIS, req.family, req.weight, script) or fonts.face(req.family, req.weight)
    if not face.covers(ELLIPSIS):
        face = fonts.face_for("...", req.family, req.weight, script) or face
        text = "..."
    else:
        text = ELLIPSIS
    lang = run_language(bcp47(req.lang), script_of(text[0]) if script_of(text[0]) != "Common" else script)
    return Piece(text, face, 1 if para.rtl else 0, lang, script, False, len(text))


def _laid_line(
    pieces: list[Piece],
    fonts: FontLibrary,
    size: int,
    spacing: float,
    baseline: float,
    top_em: float,
    bottom_em: float,
    align: str,
    box_w: int,
) -> LaidLine:
    order = visual_order([p.level for p in pieces])
    runs: list[LaidRun] = []
    x = 0.0
    for i in order:
        p = pieces[i]
        w = piece_width(fonts, p, size, spacing)
        runs.append(
            LaidRun(
                text=p.text,
                x=x,
                width=w,
                face=p.face,
                font_size=strike_size(p.face) if p.emoji else size,
                scale=emoji_scale(p.face, size) if p.emoji else 1.0,
                direction=p.direction,
                language=p.lang,
                script=p.script,
                emoji=p.emoji,
                letter_spacing=spacing if p.spaced else 0.0,
            )
        )
        x += w
    text = "".join(p.text for p in pieces)
    return LaidLine(
        text=text,
        width=x,
        x=align_offset(align, box_w, x),
        baseline=baseline,
        ascent=top_em * size,
        descent=bottom_em * size,
        runs=tuple(runs),
    )


def clear_caches() -> None:
    """Forget cached layouts and itemizations (fonts added while running, benchmarks)."""
    with _lock:
        _layout_cache.clear()
        _prep_cache.clear()
