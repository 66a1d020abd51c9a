"""Itemizing text into shapeable pieces and measuring them.

A paragraph is cut into grapheme clusters; each cluster gets a script, a bidi level, a
language and the font face that covers it. A *unit* is the text between two line-break
opportunities (a word plus its trailing spaces); a *piece* is a stretch of clusters inside a
unit that shares one face, level, language and script, so it can be shaped by one raqm call.
Everything size-independent is computed once per text and cached; widths are cached per size.
"""

from __future__ import annotations

import itertools
import threading
import unicodedata
from dataclasses import dataclass, field

from storycast.render.text.bidi import embedding_levels
from storycast.render.text.fonts import FontFace, FontLibrary, strike_size
from storycast.render.text.fonts_system import CJK_SCRIPTS, is_cjk_symbol, missing_font_error
from storycast.render.text.linebreak import SPACES, break_opportunities
from storycast.render.text.scripts import CONNECTED_SCRIPTS, EMOJI, cluster_scripts, clusters, script_of

REF_SIZE = 100  # px at which ink extents are measured once, then scaled
EMOJI_SCALE = 0.92  # colour emoji drawn this many em per strike em (matches text height)

# BCP 47 primary language -> scripts it is written in; runs of other scripts get no language
# so that, say, an English brand name inside Thai text is shaped as plain Latin.
LANG_SCRIPTS: dict[str, frozenset[str]] = {
    "th": frozenset({"Thai"}),
    "hi": frozenset({"Devanagari"}),
    "mr": frozenset({"Devanagari"}),
    "ne": frozenset({"Devanagari"}),
    "sa": frozenset({"Devanagari"}),
    "sr": frozenset({"Cyrillic", "Latin"}),
    "ru": frozenset({"Cyrillic"}),
    "uk": frozenset({"Cyrillic"}),
    "bg": frozenset({"Cyrillic"}),
    "mk": frozenset({"Cyrillic"}),
    "be": frozenset({"Cyrillic"}),
    "kk": frozenset({"Cyrillic"}),
    "ar": frozenset({"Arabic"}),
    "fa": frozenset({"Arabic"}),
    "ur": frozenset({"Arabic"}),
    "he": frozenset({"Hebrew"}),
    "yi": frozenset({"Hebrew"}),
    "el": frozenset({"Greek"}),
    "bn": frozenset({"Bengali"}),
    "as": frozenset({"Bengali"}),
    "ta": frozenset({"Tamil"}),
    "km": frozenset({"Khmer"}),
    "lo": frozenset({"Lao"}),
    "my": frozenset({"Myanmar"}),
    "ja": frozenset({"Han", "Hiragana", "Katakana"}),
    "zh": frozenset({"Han", "Bopomofo"}),
    "yue": frozenset({"Han"}),
    "ko": frozenset({"Hangul", "Han"}),
}


def bcp47(lang: str | None) -> str | None:
    """Normalise a story language code to BCP 47 ('sr_RS' -> 'sr-RS'); empty -> None."""
    if not lang:
        return None
    return lang.strip().replace("_", "-") or None


def run_language(lang: str | None, script: str) -> str | None:
    """The language to shape a run of *script* with, for a story in *lang*."""
    if lang is None or script == EMOJI:
        return None
    primary = lang.split("-")[0].lower()
    scripts = LANG_SCRIPTS.get(primary, frozenset({"Latin"}))
    return lang if script in scripts else None


@dataclass(frozen=True)
class Piece:
    """Clusters of one unit sharing face, bidi level, language and script."""

    text: str
    face: FontFace
    level: int
    lang: str | None
    script: str
    emoji: bool
    nclusters: int

    @property
    def direction(self) -> str:
        return "rtl" if self.level % 2 else "ltr"

    @property
    def spaced(self) -> bool:
        """Whether letter spacing applies (never to cursive/conjunct scripts or emoji)."""
        return not self.emoji and self.script not in CONNECTED_SCRIPTS


@dataclass
class Unit:
    """Text between two break opportunities: a body and the spaces that trail it."""

    body: list[Piece]
    space: list[Piece]
    top_em: float  # ink above the baseline, in em
    bottom_em: float  # ink below the baseline, in em
    c0: int  # first cluster index
    c1: int  # end cluster index (exclusive)


@dataclass
class Paragraph:
    """One paragraph (text between explicit newlines), itemized."""

    text: str
    rtl: bool
    spans: list[tuple[int, int]]
    faces: list[FontFace | None]
    levels: list[int]
    scripts: list[str]
    langs: list[str | None]
    units: list[Unit] = field(default_factory=list)

    def pieces(self, c0: int, c1: int) -> list[Piece]:
        """Pieces covering clusters [c0, c1); clusters no font covers are left out."""
        out: list[Piece] = []
        cur: list[int] = []

        def flush() -> None:
            if not cur:
                return
            k = cur[0]
            face = self.faces[k]
            assert face is not None
            text = "".join(self.text[self.spans[i][0] : self.spans[i][1]] for i in cur)
            out.append(
                Piece(
                    text,
                    face,
                    self.levels[k],
                    self.langs[k],
                    self.scripts[k],
                    self.scripts[k] == EMOJI,
                    len(cur),
                )
            )
            cur.clear()

        for i in range(c0, c1):
            if self.faces[i] is None:
                flush()
                continue
            if cur:
                k = cur[0]
                same = (
                    self.faces[i] == self.faces[k]
                    and self.levels[i] == self.levels[k]
                    and self.langs[i] == self.langs[k]
                    and self.scripts[i] == self.scripts[k]
                    and self.scripts[i] != EMOJI  # each emoji is its own bitmap
                )
                if not same:
                    flush()
            cur.append(i)
        flush()
        return out


@dataclass
class Prepared:
    """A text itemized once for a (text, lang, family, weight, direction, emoji) request."""

    paragraphs: list[Paragraph]
    primary: FontFace
    rtl: bool
    warnings: list[str]


def _clean(text: str) -> str:
    """Newlines unified, tabs as spaces, other control characters removed (they have no
    glyph and HarfBuzz would draw .notdef for them)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")


def _is_space_cluster(cl: str) -> bool:
    return all(ch in SPACES for ch in cl)


def prepare(
    text: str,
    lang: str | None,
    family: str,
    weight: str | int,
    rtl: bool,
    lib: FontLibrary,
    *,
    color_emoji: bool = True,
) -> Prepared:
    """Itemize *text*: paragraphs, clusters, faces, bidi levels, break units, ink extents."""
    primary = lib.face(family, weight)  # raises RenderError for unknown families
    warnings: list[str] = []
    paragraphs: list[Paragraph] = []
    missing: list[str] = []
    for para_text in _clean(text).split("\n"):
        spans = clusters(para_text)
        scripts = cluster_scripts(para_text, spans)
        char_levels = embedding_levels(para_text, rtl)
        faces: list[FontFace | None] = []
        langs: list[str | None] = []
        levels: list[int] = []
        prev: FontFace | None = None
        for (s, e), script in zip(spans, scripts, strict=True):
            cl = para_text[s:e]
            face: FontFace | None = None
            # Spaces and punctuation stay in the font of what they follow, so a Thai phrase
            # is not cut into a run per word just because its spaces exist in two fonts.
            shared = script != EMOJI and script_of(cl[0]) == "Common" and not cl[0].isdigit()
            if shared and prev is not None and not prev.is_color and prev.covers(cl):
                face = prev
            if face is None:
                face = lib.face_for(cl, family, weight, script, color_emoji=color_emoji, lang=lang)
            if face is None and (script in CJK_SCRIPTS or is_cjk_symbol(cl[0])):
                raise missing_font_error(cl, lang, script)  # not a stray character: a whole language
            if face is None:
                missing.append(cl)
            faces.append(face)
            langs.append(run_language(lang, script))
            levels.append(char_levels[s] if s < len(char_levels) else (1 if rtl else 0))
            if face is not None:
                prev = face
        para = Paragraph(para_text, rtl, spans, faces, levels, scripts, langs)
        para.units = _units(para, lang, lib)
        paragraphs.append(para)
    if missing:
        shown = ", ".join(f"{c!r} (U+{ord(c[0]):04X})" for c in dict.fromkeys(missing))
        warnings.append(
            f"No font covers {shown}; left out of the frame. "
            "Add a font with these characters to assets/fonts/."
        )
    return Prepared(paragraphs, primary, rtl, warnings)


def _units(para: Paragraph, lang: str | None, lib: FontLibrary) -> list[Unit]:
    starts = {s for s in break_opportunities(para.text, lang)} if para.text else set()
    bounds = [0] + [k for k, (s, _) in enumerate(para.spans) if k > 0 and s in starts] + [len(para.spans)]
    units: list[Unit] = []
    for c0, c1 in itertools.pairwise(bounds):
        if c0 == c1:
            continue
        cw = c1
        while cw > c0 and _is_space_cluster(para.text[para.spans[cw - 1][0] : para.spans[cw - 1][1]]):
            cw -= 1
        body = para.pieces(c0, cw)
        top = bottom = 0.0
        for piece in body:
            piece_top, piece_bottom = _piece_extents(lib, piece)
            top = piece_top if piece_top > top else top
            bottom = piece_bottom if piece_bottom > bottom else bottom
        units.append(Unit(body, para.pieces(cw, c1), top, bottom, c0, c1))
    return units


_piece_ext_cache: dict[tuple[str, str, str, str | None], tuple[float, float]] = {}


def _piece_extents(lib: FontLibrary, piece: Piece) -> tuple[float, float]:
    """Ink above/below the baseline of a piece in em: the maximum over its clusters."""
    key = (piece.face.key, piece.text, piece.direction, piece.lang)
    hit = _piece_ext_cache.get(key)
    if hit is None:
        top = bottom = 0.0
        for s, e in clusters(piece.text):
            cl_top, cl_bottom = _cluster_extents(lib, piece, piece.text[s:e])
            top, bottom = max(top, cl_top), max(bottom, cl_bottom)
        hit = (top, bottom)
        with _cache_lock:
            if len(_piece_ext_cache) > 100_000:
                _piece_ext_cache.clear()
            _piece_ext_cache[key] = hit
    return hit


_ext_cache: dict[tuple[str, str, str, str | None], tuple[float, float]] = {}
_width_cache: dict[tuple[str, int, str, str, str | None], float] = {}
_cache_lock = threading.Lock()


def _cluster_extents(lib: FontLibrary, piece: Piece, cluster: str) -> tuple[float, float]:
    """Ink above/below the baseline of one cluster, in em (measured once at REF_SIZE)."""
    key = (piece.face.key, cluster, piece.direction, piece.lang)
    hit = _ext_cache.get(key)
    if hit is not None:
        return hit
    if piece.emoji:
        font = lib.font(piece.face, strike_size(piece.face))
        _, top, _, bottom = font.getbbox(cluster, anchor="ls")
        per_em = EMOJI_SCALE / strike_size(piece.face)
        result = (max(0.0, -top * per_em), max(0.0, bottom * per_em))
    else:
        font = lib.font(piece.face, REF_SIZE)
        _, top, _, bottom = font.getbbox(cluster, anchor="ls", direction=piece.direction, language=piece.lang)
        result = (max(0.0, -top / REF_SIZE), max(0.0, bottom / REF_SIZE))
    with _cache_lock:
        if len(_ext_cache) > 100_000:
            _ext_cache.clear()
        _ext_cache[key] = result
    return result


def emoji_scale(face: FontFace, size: int) -> float:
    """Resize factor from a bitmap emoji drawn at its strike size to text of *size* px."""
    return size * EMOJI_SCALE / strike_size(face)


def piece_width(lib: FontLibrary, piece: Piece, size: int, spacing_px: float = 0.0) -> float:
    """Advance width of *piece* at *size* px, letter spacing included. Cached."""
    key = (piece.face.key, size, piece.text, piece.direction, piece.lang)
    width = _width_cache.get(key)
    if width is None:
        if piece.emoji:
            font = lib.font(piece.face, strike_size(piece.face))
            width = font.getlength(piece.text) * emoji_scale(piece.face, size)
        else:
            font = lib.font(piece.face, size)
            width = font.getlength(piece.text, direction=piece.direction, language=piece.lang)
        with _cache_lock:
            if len(_width_cache) > 200_000:
                _width_cache.clear()
            _width_cache[key] = width
    if spacing_px and piece.spaced:
        width += spacing_px * piece.nclusters
    return width
