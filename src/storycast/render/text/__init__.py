"""storycast's text engine: fonts, shaping, line breaking, auto-fit layout and drawing.

Pillow draws the glyphs; this package decides which font draws which characters, where lines
break, what size fits, and where every run goes. Complex scripts are shaped by Pillow's raqm
layout (HarfBuzz + FriBiDi); without it ``RenderError`` is raised instead of drawing broken
Thai, Hindi or Arabic.

Stable API (the renderer's layers call only these)::

    from storycast.render.text import FontLibrary, TextRequest, layout_text, draw_text

    fonts = FontLibrary.for_project(project.root)   # project assets/fonts/ first, then packaged
    req = TextRequest(text="เปิดการตั้งค่า", lang="th", family="Noto Sans", weight="bold",
                      size_max=96, size_min=56, max_lines=3, align="center")
    layout = layout_text(req, box_w=900, box_h=400, fonts=fonts)
    draw_text(frame, layout, (90, 300, 990, 700), color="#111", valign="middle")

``TextRequest`` fields: ``text``; ``lang`` (BCP 47, passed to the shaper per run so that e.g.
Serbian gets its localized letterforms); ``family`` and ``weight`` (regular|medium|semibold|bold,
the nearest installed weight is used); ``size_max``/``size_min`` in px; ``max_lines``;
``line_height`` (multiple of the size, raised automatically when stacked marks would touch);
``letter_spacing`` in em (not applied to Arabic/Devanagari, which join or form conjuncts);
``align`` left|center|right|start|end (start = right for RTL text; the default); ``direction``
None|ltr|rtl; ``emoji`` color|mono; ``balance`` (even line lengths at the chosen size and line
count, for headlines: no lone word on the last line).

``layout_text(req, box_w, box_h, fonts) -> TextLayout`` picks the largest size in
[size_min, size_max] at which the text fits (bisection, cached). Explicit ``\\n`` forces a
break. Lines break only at word boundaries (spaces, hyphens, Thai dictionary words) and never
before closing or after opening punctuation. If the text does not fit at ``size_min`` it is cut
with an ellipsis: ``truncated=True`` and a sentence in ``warnings``; the caller decides whether
that is an error. ``TextLayout`` has ``size``, ``lines`` (``LaidLine``: ``text`` exactly as
drawn, ``width``, ``x``, ``baseline``, ``runs`` in visual order), ``width``, ``height``,
``fitted``, ``shrunk_to_min``, ``truncated``, ``warnings``, ``align``, ``direction``,
``line_pitch`` (baseline to baseline, px) and ``text`` (all drawn lines joined by newlines).
A line's ink spans ``baseline - ascent`` to ``baseline + descent``; ``layout.line_box(i)``
gives its box (boxes tile the block: panels behind single lines use them).

``draw_text(img, layout, box, *, color, valign="top", stroke_width=0, stroke_color=None,
shadow=None)`` draws into ``box = (left, top, right, bottom)``; ``shadow`` is a ``Shadow`` or a
``(dx, dy, color[, blur])`` tuple. Works on RGB and RGBA images.

``missing_glyphs(layout)`` lists characters a run's font has no glyph for (always empty unless
fonts are broken); tests and the guard use it. ``require_raqm(features)`` is the raqm check.
"""

from __future__ import annotations

from storycast.render.text.draw import Shadow, draw_text
from storycast.render.text.fonts import FontFace, FontLibrary, require_raqm
from storycast.render.text.layout import (
    LaidLine,
    LaidRun,
    TextLayout,
    TextRequest,
    clear_caches,
    layout_text,
)
from storycast.render.text.linebreak import break_opportunities, warm_up

__all__ = [
    "FontFace",
    "FontLibrary",
    "LaidLine",
    "LaidRun",
    "Shadow",
    "TextLayout",
    "TextRequest",
    "break_opportunities",
    "clear_caches",
    "draw_text",
    "layout_text",
    "missing_glyphs",
    "require_raqm",
    "warm_up",
]


def missing_glyphs(layout: TextLayout) -> list[tuple[str, str]]:
    """(character, font file name) for every drawn character its run's font lacks a glyph for.

    An empty list means no run can produce glyph id 0 (the .notdef box) from the cmap: every
    non-ignorable character of every run is mapped by that run's font.
    """
    out: list[tuple[str, str]] = []
    for line in layout.lines:
        for run in line.runs:
            out.extend((ch, run.face.path.name) for ch in run.face.missing(run.text))
    return out
