"""The hand-written Pillow baseline for bench/render.py.

Draws the same frames as the default tutorial templates (cover, steps, outro) for the example
stories, straight with Pillow: no templates, no frame spec, no cache, no manifest. It is written
the way a competent engineer would write a one-off script: one font per language (raqm shaping
with the language tag), greedy wrapping by words (Thai words from pythainlp, as storycast uses),
auto-fit by stepping the size down, shadows by blurring a small tile, JPEG quality 92.

It reads the story YAML itself (PyYAML's C loader) rather than through storycast, so the
baseline pays for nothing of storycast's.

    python bench/pillow_baseline.py --out /tmp/baseline [--lang en,es] [STORY ...]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "assets" / "fonts"
W, H = 1080, 1920
TOP, BOTTOM, M = 250, 1920 - 340, 90
CW = W - 2 * M
NAVY, BLUE, AMBER, WHITE, INK = (13, 27, 69), (36, 84, 230), (255, 181, 71), (255, 255, 255), (13, 27, 69)
MUTED = (185, 198, 242)
BODY = (227, 233, 251)
CARD = (235, 240, 253)
DAYS = {
    "en": ("Monday", "Friday", "Saturday", "Sunday"),
    "es": ("Lunes", "Viernes", "Sábado", "Domingo"),
    "th": ("วันจันทร์", "วันศุกร์", "วันเสาร์", "วันอาทิตย์"),
    "hi": ("सोमवार", "शुक्रवार", "शनिवार", "रविवार"),
    "sr": ("Понедељак", "Петак", "Субота", "Недеља"),
}
LABELS = {
    "en": ("Step {n} of {t}", "{n} steps", "Tap to start →", "You're all set", "Support hours", "Closed"),
    "es": (
        "Paso {n} de {t}",
        "{n} pasos",
        "Toca para empezar →",
        "¡Listo!",
        "Horario de atención",
        "Cerrado",
    ),
    "th": ("ขั้นตอนที่ {n} จาก {t}", "{n} ขั้นตอน", "แตะเพื่อเริ่ม →", "เรียบร้อยแล้ว", "เวลาให้บริการ", "ปิดทำการ"),
    "hi": ("चरण {n} / {t}", "{n} चरण", "शुरू करने के लिए टैप करें →", "सब तैयार है", "सहायता का समय", "बंद"),
    "sr": (
        "Корак {n} од {t}",
        "{n} корака",
        "Додирните да почнете →",
        "Готово!",
        "Радно време подршке",
        "Затворено",
    ),
}


@cache
def font(lang: str, bold: bool, size: int) -> ImageFont.FreeTypeFont:
    family = {"th": "NotoSansThai", "hi": "NotoSansDevanagari"}.get(lang, "NotoSans")
    return ImageFont.truetype(str(FONTS / f"{family}-{'Bold' if bold else 'Regular'}.ttf"), size)


@cache
def latin(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONTS / f"NotoSans-{'Bold' if bold else 'Regular'}.ttf"), size)


def _native(ch: str, lang: str) -> bool:
    cp = ord(ch)
    if lang == "th":
        return 0x0E00 <= cp <= 0x0E7F
    if lang == "hi":
        return 0x0900 <= cp <= 0x097F or cp in (0x200C, 0x200D)
    return True


def runs(text: str, lang: str) -> list[tuple[str, bool]]:
    """Split Thai/Hindi text into native-script runs and the rest (digits, Latin, punctuation)."""
    out: list[tuple[str, bool]] = []
    for ch in text:
        native = _native(ch, lang) or (ch == " " and bool(out) and out[-1][1])
        if out and out[-1][1] == native:
            out[-1] = (out[-1][0] + ch, native)
        else:
            out.append((ch, native))
    return out


def length(text: str, lang: str, f: ImageFont.FreeTypeFont) -> float:
    if lang not in ("th", "hi"):
        return f.getlength(text, language=lang)
    return sum(
        (f if native else latin("Bold" in f.path, f.size)).getlength(part, language=lang if native else None)
        for part, native in runs(text, lang)
    )


def draw_line(d: ImageDraw.ImageDraw, xy, text: str, lang: str, f: ImageFont.FreeTypeFont, fill, anchor="ls"):
    """Draw one line, switching to Noto Sans for the runs the script font has no glyphs for."""
    if lang not in ("th", "hi"):
        d.text(xy, text, font=f, fill=fill, anchor=anchor, language=lang)
        return
    x, y = xy
    total = length(text, lang, f)
    if anchor[0] == "m":
        x -= total / 2
    elif anchor[0] == "r":
        x -= total
    for part, native in runs(text, lang):
        face = f if native else latin("Bold" in f.path, f.size)
        d.text((x, y), part, font=face, fill=fill, anchor="l" + anchor[1], language=lang if native else None)
        x += face.getlength(part, language=lang if native else None)


def words(text: str, lang: str) -> list[str]:
    if lang == "th":
        from pythainlp.tokenize import word_tokenize

        return [w for w in word_tokenize(text, engine="newmm", keep_whitespace=True) if w]
    out: list[str] = []
    for part in text.split(" "):
        out += [part, " "]
    return out[:-1]


def wrap(text: str, lang: str, f: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines, cur = [], ""
    for w in words(text, lang):
        trial = cur + w
        if cur and length(trial, lang, f) > width:
            lines.append(cur.rstrip())
            cur = w.lstrip()
        else:
            cur = trial
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


def fit(text: str, lang: str, bold: bool, hi: int, lo: int, width: int, height: int, lines: int, lh: float):
    size = hi
    while True:
        f = font(lang, bold, size)
        wrapped = wrap(text, lang, f, width)
        if (len(wrapped) <= lines and len(wrapped) * size * lh <= height) or size <= lo:
            return f, wrapped, size
        size -= 4


def text_block(
    d: ImageDraw.ImageDraw,
    text,
    lang,
    box,
    hi,
    lo,
    color,
    bold=False,
    lines=4,
    lh=1.3,
    align="left",
    valign="top",
) -> None:
    x, y, w, h = box
    lh = lh + (0.25 if lang in ("th", "hi") else 0)
    f, wrapped, size = fit(text, lang, bold, hi, lo, w, h, lines, lh)
    block = len(wrapped) * size * lh
    top = y + (h - block) / 2 if valign == "middle" else (y + h - block if valign == "bottom" else y)
    for i, line in enumerate(wrapped):
        lx = x + (w - length(line, lang, f)) / 2 if align == "center" else x
        draw_line(d, (lx, top + i * size * lh + size * 0.95), line, lang, f, color)


@cache
def background() -> Image.Image:
    ramp = Image.linear_gradient("L").resize((W, H))
    top = Image.new("RGB", (W, H), (19, 43, 114))
    img = Image.composite(Image.new("RGB", (W, H), NAVY), top, ramp)
    # The glow: a radial ramp built at quarter size around (W - 60, 210), then scaled up.
    small = Image.new("L", (W // 4, H // 4), 255)
    disc = Image.radial_gradient("L").resize((550, 550))
    small.paste(disc, ((W - 60) // 4 - 275, 210 // 4 - 275))
    alpha = small.point(lambda v: max(0, int(128 - v * 0.75))).resize((W, H), Image.Resampling.BILINEAR)
    img.paste(Image.new("RGB", (W, H), BLUE), (0, 0), alpha)
    d = ImageDraw.Draw(img)
    d.ellipse((W + 10 - 260, TOP + 120 - 260, W + 10 + 260, TOP + 120 + 260), outline=(38, 52, 92), width=3)
    return img


@cache
def shadow(w: int, h: int, r: int) -> Image.Image:
    tile = Image.new("L", (w + 200, h + 200), 0)
    ImageDraw.Draw(tile).rounded_rectangle((100, 100, 100 + w, 100 + h), r, fill=77)
    return tile.filter(ImageFilter.GaussianBlur(24))


def card(img: Image.Image, box, fill, r=40) -> None:
    x, y, w, h = box
    img.paste((0, 0, 0), (x - 100, y - 80), shadow(w, h, r))
    ImageDraw.Draw(img).rounded_rectangle((x, y, x + w, y + h), r, fill=fill)


@cache
def picture(path: str, size: int) -> Image.Image:
    with Image.open(ROOT / path) as im:
        return im.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)


@cache
def logo() -> Image.Image:
    with Image.open(ROOT / "assets" / "brand" / "logo.png") as im:
        return im.convert("RGBA").resize((64, 64), Image.Resampling.LANCZOS)


def chrome(
    img: Image.Image, d: ImageDraw.ImageDraw, index: int, total: int, lang: str, label: str | None
) -> None:
    seg = (CW - 10 * (total - 1)) / total
    for i in range(total):
        color = AMBER if i + 1 == index else (WHITE if i + 1 < index else (86, 98, 133))
        x0 = M + i * (seg + 10)
        d.rounded_rectangle((x0, TOP + 12, x0 + seg, TOP + 20), 4, fill=color)
    img.paste(logo(), (M, TOP + 52), logo())
    d.text((M + 84, TOP + 84), "Lumen", font=latin(True, 36), fill=WHITE, anchor="lm")
    if label:
        f = font(lang, True, 28)
        w = length(label, lang, f)
        d.rounded_rectangle((M + CW - w - 52, TOP + 56, M + CW, TOP + 112), 28, fill=(50, 62, 101))
        draw_line(d, (M + CW - 26, TOP + 84), label, lang, f, WHITE, anchor="rm")


def draw_step(story, lang: str, i: int, total: int) -> Image.Image:
    step = story.steps[i - 1]
    img = background().copy()
    d = ImageDraw.Draw(img)
    chrome(img, d, i + 1, total, lang, story.category)
    card(img, (M, TOP + 150, CW, 540), CARD)
    if step.image:
        pic = picture(step.image, 500)
        img.paste(pic, (M + (CW - 500) // 2, TOP + 170), pic)
    ky = TOP + 730
    d.ellipse((M, ky - 8, M + 88, ky + 80), fill=AMBER)
    d.text((M + 44, ky + 36), str(i), font=latin(True, 46), fill=INK, anchor="mm")
    text_block(
        d,
        LABELS[lang][0].format(n=i, t=len(story.steps)),
        lang,
        (M + 112, ky, CW - 112, 72),
        36,
        30,
        AMBER,
        bold=True,
        lines=1,
        valign="middle",
    )
    text_block(d, step.title[lang], lang, (M, ky + 96, CW, 196), 80, 72, WHITE, bold=True, lines=2, lh=1.15)
    text_block(d, step.text.get(lang, ""), lang, (M, ky + 320, CW, BOTTOM - ky - 320), 52, 48, BODY)
    return img


def draw_cover(story, lang: str, total: int) -> Image.Image:
    img = background().copy()
    d = ImageDraw.Draw(img)
    chrome(img, d, 1, total, lang, None)
    f = font(lang, True, 32)
    kicker = story.category
    d.rounded_rectangle((M, TOP + 170, M + length(kicker, lang, f) + 56, TOP + 234), 32, fill=AMBER)
    draw_line(d, (M + 28, TOP + 202), kicker, lang, f, INK, anchor="lm")
    text_block(
        d, story.title[lang], lang, (M, TOP + 262, CW, 420), 116, 80, WHITE, bold=True, lines=3, lh=1.12
    )
    cy = BOTTOM - 300
    text_block(
        d,
        story.summary.get(lang, ""),
        lang,
        (M, TOP + 700, CW, cy - 40 - TOP - 700),
        54,
        48,
        BODY,
        lines=3,
        valign="bottom",
    )
    card(img, (M, cy, CW, 300), WHITE)
    first = next((s.image for s in story.steps if s.image), None)
    if first:
        d.rounded_rectangle((M + 24, cy + 24, M + 276, cy + 276), 28, fill=CARD)
        pic = picture(first, 232)
        img.paste(pic, (M + 34, cy + 34), pic)
    tx = M + 310
    text_block(
        d,
        LABELS[lang][1].format(n=len(story.steps)),
        lang,
        (tx, cy + 40, M + CW - tx - 40, 110),
        72,
        56,
        INK,
        bold=True,
        lines=1,
        valign="middle",
    )
    text_block(
        d,
        LABELS[lang][2],
        lang,
        (tx, cy + 160, M + CW - tx - 40, 100),
        42,
        34,
        BLUE,
        bold=True,
        lines=2,
        valign="middle",
    )
    return img


def draw_outro(story, lang: str, total: int) -> Image.Image:
    img = background().copy()
    d = ImageDraw.Draw(img)
    chrome(img, d, total, total, lang, None)
    ch = 124 + 4 * 58 + 104
    cy = BOTTOM - ch
    gy = TOP + 130 + (cy - 30 - TOP - 130 - 620) // 2
    d.ellipse((W // 2 - 90, gy, W // 2 + 90, gy + 180), fill=AMBER)
    d.line(
        [(W // 2 - 38, gy + 92), (W // 2 - 9, gy + 121), (W // 2 + 40, gy + 63)],
        fill=INK,
        width=18,
        joint="curve",
    )
    text_block(
        d,
        LABELS[lang][3],
        lang,
        (M, gy + 210, CW, 200),
        88,
        72,
        WHITE,
        bold=True,
        lines=2,
        align="center",
        valign="middle",
    )
    cta = story.cta.get(lang, "")
    f = font(lang, True, 50)
    lines = wrap(cta, lang, f, CW - 120)
    ph = len(lines) * 66 + 40
    d.rounded_rectangle((M + 20, gy + 450, M + CW - 20, gy + 450 + ph), 44, fill=AMBER)
    for i, line in enumerate(lines):
        draw_line(d, (W // 2, gy + 470 + 33 + i * 66), line, lang, f, INK, anchor="mm")
    card(img, (M, cy, CW, ch), WHITE)
    draw_line(d, (M + 50, cy + 68), LABELS[lang][4], lang, font(lang, True, 44), INK, anchor="lm")
    rows = [("09:00–18:00", 0), ("09:00–15:00", 1), ("10:00–14:00", 2), (LABELS[lang][5], 3)]
    for i, (hours, day) in enumerate(rows):
        y = cy + 112 + i * 58 + 26
        draw_line(d, (M + 50, y), DAYS[lang][day], lang, font(lang, False, 38), INK, anchor="lm")
        draw_line(d, (M + CW - 50, y), hours, lang, font(lang, True, 38), BLUE, anchor="rm")
    return img


def encode(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, subsampling=0)
    return buf.getvalue()


class Story:
    """The fields the frames need, read straight from the story's YAML (no storycast import)."""

    def __init__(self, data: dict) -> None:
        self.category = data.get("category", "")
        self.languages = list(data["languages"])
        self.title, self.summary, self.cta = data["title"], data.get("summary", {}), data.get("cta", {})
        self.steps = [Step(s) for s in data["steps"]]


class Step:
    def __init__(self, data: dict) -> None:
        self.title, self.text, self.image = data["title"], data.get("text", {}), data.get("image")


def load(story_id: str) -> Story:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(ROOT / "stories" / f"{story_id}.yaml", encoding="utf-8") as f:
        return Story(yaml.load(f, Loader=loader))


def render(story_ids: list[str], out: Path, langs: list[str] | None = None) -> int:
    """Draw every frame of ``story_ids`` in ``langs`` (default: all theirs) into ``out``; the frame count."""
    n = 0
    for sid in story_ids:
        story = load(sid)
        total = len(story.steps) + 2
        for lang in story.languages:
            if langs and lang not in langs:
                continue
            folder = out / sid / lang
            folder.mkdir(parents=True, exist_ok=True)
            frames = [draw_cover(story, lang, total)]
            frames += [draw_step(story, lang, i, total) for i in range(1, len(story.steps) + 1)]
            frames.append(draw_outro(story, lang, total))
            for i, frame in enumerate(frames, start=1):
                (folder / f"{i:02d}.jpg").write_bytes(encode(frame))
                n += 1
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stories", nargs="*", default=["reset-router", "two-factor-login", "update-firmware"])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--lang", default="", help="comma-separated languages (default: every one)")
    args = parser.parse_args()
    started = time.perf_counter()
    n = render(args.stories, args.out, [x for x in args.lang.split(",") if x])
    print(f"{n} frames in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
