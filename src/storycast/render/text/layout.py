"""Auto-fit text layout: pick the largest size that fits a box, wrap, align, truncate last.

``layout_text`` is pure (no drawing) and deterministic; results are cached per request and
box, and every width is cached per (font, size, text), so laying out the frames of a whole
tutorial again costs a few dictionary look-ups.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field, replace

from storycast.errors import RenderError
from storycast.render.text.bidi import paragraph_direction, visual_order
from storycast.render.text.fonts import FontFace, FontLibrary, ensure_raqm, strike_size, weight_value
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
    can, so lines come out of similar length (like CSS ``text-wrap: balance``).
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
    prep = _prepared(req, fonts)
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

    warnings = list(prep.warnings)
    if fits(req.size_max):
        chosen = req.size_max
    elif not fits(req.size_min):
        return _truncated(prep, req, trial(req.size_min), box_w, box_h, fonts, warnings)
    else:
        lo, hi = req.size_min, req.size_max  # fits(lo), not fits(hi)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if fits(mid):
                lo = mid
            else:
                hi = mid
        chosen = lo
    t = trial(chosen)
    if req.balance and len(t.lines) > 1:
        t = _phrase_split(prep, req, t, box_w, box_h) or _balanced(prep, req, t, box_w, box_h, fonts)
    lines = _build_lines(prep, req, t, t.lines, fonts, box_w, ellipsis_last=False)
    return _result(prep, req, chosen, lines, t, box_w, box_h, fonts, warnings, truncated=False)


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


def _wrap(prep: Prepared, req: TextRequest, size: int, box_w: int, fonts: FontLibrary) -> _Trial:
    spacing = _spacing_px(req, size)
    lines: list[tuple[int, list[int]]] = []
    widths: list[list[tuple[float, float]]] = []
    overflow = False
    for p_index, para in enumerate(prep.paragraphs):
        unit_widths = [
            (
                sum(piece_width(fonts, p, size, spacing) for p in u.body),
                sum(piece_width(fonts, p, size, spacing) for p in u.space),
            )
            for u in para.units
        ]
        widths.append(unit_widths)
        current: list[int] = []
        used = 0.0
        for u_index, (body, space) in enumerate(unit_widths):
            if body > box_w:
                overflow = True
            if current and used + body > box_w:
                lines.append((p_index, current))
                current, used = [], 0.0
            current.append(u_index)
            used += body + space
        lines.append((p_index, current))
    pitch, height = _vertical(prep, req, size, lines, len(lines))
    return _Trial(size, lines, widths, overflow, pitch, height)


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
            + "; it was cut with an ellipsis. Shorten the text or lower size_min."
        )
    trial = _Trial(t.size, kept, t.widths, False, t.pitch, height)
    return _result(prep, req, t.size, lines, trial, box_w, box_h, fonts, warnings, truncated=True)


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
    for index, (p_index, unit_ids) in enumerate(lines):
        para = prep.paragraphs[p_index]
        units = [para.units[u] for u in unit_ids]
        if ellipsis_last and index == len(lines) - 1:
            pieces = _with_ellipsis(para, units, req, size, spacing, box_w, fonts)
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


def _with_ellipsis(
    para: Paragraph,
    units: list[Unit],
    req: TextRequest,
    size: int,
    spacing: float,
    box_w: int,
    fonts: FontLibrary,
) -> list[Piece]:
    """Pieces of the last kept line, shortened word by word until ``…`` fits after them."""
    ell = _ellipsis_piece(para, req, fonts)
    ell_w = piece_width(fonts, ell, size, spacing)

    def width(ps: list[Piece]) -> float:
        return sum(piece_width(fonts, p, size, spacing) for p in ps)

    kept = list(units)
    while kept and width(_line_pieces(kept)) + ell_w > box_w:
        kept.pop()
    if kept:
        return [*_line_pieces(kept), ell]
    if not units:
        return [ell]
    # Not even the first word fits: keep as many of its clusters as fit (this is a cut, the
    # ellipsis marks it), never fewer than one so the frame shows something.
    first = units[0]
    end = first.c0 + 1
    while end < first.c1 and width(para.pieces(first.c0, end + 1)) + ell_w <= box_w:
        end += 1
    return [*para.pieces(first.c0, end), ell]


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
