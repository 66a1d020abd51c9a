"""The knowledge base builder: pages, languages, images, search index, sitemap, CLI."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from storycast.kb import build_site
from storycast.kb.search import search, tokenize
from storycast.project import Project
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree

THAI_STORY = """\
id: router-lights
template: tutorial
category: connectivity
languages: [en, th, hi]
title:
  en: Read the router lights
  th: ดูไฟสถานะเราเตอร์
  hi: राउटर की लाइट्स समझें
summary:
  en: What each light on the front means.
  th: ไฟแต่ละดวงด้านหน้าเราเตอร์หมายถึงอะไร
  hi: सामने की हर लाइट का मतलब।
steps:
  - title:
      en: Find the internet light
      th: หาไฟอินเทอร์เน็ต
      hi: इंटरनेट लाइट ढूँढें
    text:
      en: It is the globe icon on the front.
      th: คือไฟรูปลูกโลกที่อยู่ด้านหน้าเครื่อง
      hi: यह सामने वाला ग्लोब आइकन है।
    alt:
      en: A router with a globe-shaped light
      th: เราเตอร์ที่มีไฟรูปลูกโลก
      hi: ग्लोब आकार की लाइट वाला राउटर
  - title:
      en: Check its colour
      th: ดูสีของไฟ
      hi: रंग देखें
    text:
      en: Green means online; red means the line is down.
      th: สีเขียวแปลว่าออนไลน์ สีแดงแปลว่าสัญญาณขาด
      hi: हरा मतलब ऑनलाइन, लाल मतलब लाइन बंद है।
"""


# Short, plain Arabic and Serbian (Cyrillic) support text.
ARABIC_STORY = """\
id: router-restart
template: tutorial
category: connectivity
languages: [ar, sr]
title:
  ar: إعادة تشغيل الراوتر
  sr: Поново покрените рутер
summary:
  ar: عندما يتوقف الإنترنت عن العمل.
  sr: Када интернет престане да ради.
steps:
  - title:
      ar: افصل الراوتر عن الكهرباء
      sr: Искључите рутер из струје
    text:
      ar: انتظر عشر ثوانٍ ثم أعد توصيله.
      sr: Сачекајте десет секунди па га поново укључите.
  - title:
      ar: انتظر الضوء الأخضر
      sr: Сачекајте зелено светло
    text:
      ar: يستغرق ذلك دقيقتين تقريبًا.
      sr: То траје око два минута.
"""
ARABIC_TOML = MINIMAL_TOML.replace('"sr"]', '"sr", "ar"]')


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path, Any]:
    root = build_file_tree(
        tmp_path_factory.mktemp("kb") / "proj",
        {
            "storycast.toml": MINIMAL_TOML + '\n[brand]\nname = "Lumen"\n',
            "stories/sample.yaml": MINIMAL_STORY,
            "stories/router-lights.yaml": THAI_STORY,
        },
    )
    project = Project.load(root)
    out = root / "site"
    result = build_site(project, out, base_url="https://help.example.org/")
    return project, out, result


def test_one_page_per_tutorial_and_language_plus_homes_categories_and_search(built: Any) -> None:
    _, out, result = built
    assert result.tutorials == 2
    assert result.languages == ["en", "es", "th", "hi"]
    for lang, story in [
        ("en", "sample"),
        ("es", "sample"),
        ("en", "router-lights"),
        ("th", "router-lights"),
        ("hi", "router-lights"),
    ]:
        assert (out / lang / story / "index.html").is_file()
    assert not (out / "es" / "router-lights").exists()
    for lang in result.languages:
        assert (out / lang / "index.html").is_file()
        assert (out / lang / "search" / "index.html").is_file()
        assert (out / lang / "c" / "connectivity" / "index.html").is_file()
        assert (out / "search" / f"{lang}.json").is_file()
    assert (out / "index.html").is_file()
    assert result.pages == 1 + 4 * 3 + 5


def test_tutorial_page_has_real_text_alt_text_sizes_and_language_links(built: Any) -> None:
    _, out, _ = built
    html = (out / "th" / "router-lights" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="th" dir="ltr">' in html
    assert "<h1>ดูไฟสถานะเราเตอร์</h1>" in html
    assert "คือไฟรูปลูกโลกที่อยู่ด้านหน้าเครื่อง" in html  # step text as HTML, not only in the image
    imgs = re.findall(r"<img [^>]*>", html)
    assert len(imgs) == 2
    for tag in imgs:
        assert 'width="540"' in tag and 'height="960"' in tag
    assert 'alt="เราเตอร์ที่มีไฟรูปลูกโลก"' in imgs[0]
    assert re.search(r'alt="[^"]+"', imgs[1])  # no alt in the story: the frame's own alt text
    for lang in ("en", "th", "hi"):
        assert (
            f'<link rel="alternate" hreflang="{lang}" href="https://help.example.org/{lang}/router-lights/">'
            in html
        )
    assert 'hreflang="es"' not in html.split("<body>")[0]
    assert (
        '<link rel="alternate" hreflang="x-default" href="https://help.example.org/en/router-lights/">'
        in html
    )
    assert '<time datetime="' in html and "อัปเดตล่าสุด" in html
    assert 'href="#main"' in html and '<main id="main"' in html
    assert 'aria-label="เส้นทางนำทาง"' in html  # breadcrumbs


def test_web_images_are_half_size_jpegs_and_reused_on_rebuild(built: Any) -> None:
    from PIL import Image

    project, out, result = built
    files = sorted((out / "img").glob("*.jpg"))
    assert len(files) == result.images == result.images_encoded
    with Image.open(files[0]) as im:
        assert im.size == (540, 960) and im.format == "JPEG"
    again = build_site(project, out, render=False, base_url="https://help.example.org/")
    assert again.images_encoded == 0 and again.images == result.images


def test_search_index_finds_thai_by_a_word_inside_a_sentence(built: Any) -> None:
    _, out, _ = built
    th = json.loads((out / "search" / "th.json").read_text(encoding="utf-8"))
    assert "ลูกโลก" in th["terms"] or "ลูก" in th["terms"]
    assert [d["url"] for d in search(th, "เราเตอร์")] == ["th/router-lights/"]
    assert [d["url"] for d in search(th, "สีแดง")] == ["th/router-lights/"]
    assert search(th, "modem") == []
    hi = json.loads((out / "search" / "hi.json").read_text(encoding="utf-8"))
    assert [d["title"] for d in search(hi, "राउट")] == ["राउटर की लाइट्स समझें"]  # a prefix
    en = json.loads((out / "search" / "en.json").read_text(encoding="utf-8"))
    assert [d["url"] for d in search(en, "MODEM")] == ["en/sample/"]


def test_tokenize_segments_thai_and_folds_case() -> None:
    words = tokenize("รีเซ็ตเราเตอร์ของคุณ Router")
    assert "เราเตอร์" in words and "router" in words
    assert len(words) >= 4


def test_sitemap_lists_every_page_with_alternates(built: Any) -> None:
    _, out, _ = built
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    tree = ET.parse(out / "sitemap.xml")
    locs = [e.text for e in tree.findall("s:url/s:loc", ns)]
    assert "https://help.example.org/th/router-lights/" in locs
    assert len(locs) == len(set(locs)) == 5 + 4 + 4
    url = next(
        u for u in tree.findall("s:url", ns) if u.find("s:loc", ns).text.endswith("/hi/router-lights/")
    )
    assert sorted(x.get("hreflang") for x in url.findall("x:link", ns)) == ["en", "hi", "th"]
    assert url.find("s:lastmod", ns) is not None
    assert "Sitemap: https://help.example.org/sitemap.xml" in (out / "robots.txt").read_text()


def test_the_fonts_of_the_scripts_on_the_pages_are_shipped_as_webfonts(built: Any) -> None:
    from storycast.render.text.webfonts import STACK

    _, out, _ = built
    css = (out / "assets" / "fonts.css").read_text()
    faces = re.findall(
        r'font-family:"([^"]+)";font-style:normal;font-weight:(\d+);[^}]*url\("fonts/([^"?]+)\?v=', css
    )
    assert sorted(faces) == sorted(
        (family, weight, f"{key}-{weight}.woff2")
        for family, key in [
            ("Storycast Sans", "latin"),
            ("Storycast Thai", "thai"),
            ("Storycast Devanagari", "devanagari"),
        ]
        for weight in ("400", "700")
    )
    assert "unicode-range:U+0E00-0E7F" in css and "unicode-range:U+0900-097F" in css
    # No Arabic or Cyrillic on any page: no face for them, and no stale file from an older build.
    assert "Arabic" not in css and "cyrillic" not in css
    files = sorted(p.name for p in (out / "assets" / "fonts").iterdir())
    assert files == sorted(f for _, _, f in faces)
    thai = (out / "assets" / "fonts" / "thai-400.woff2").read_bytes()
    assert thai[:4] == b"wOF2" and len(thai) < 40_000  # cut to Thai: the TTF is 37 kB
    latin = (out / "assets" / "fonts" / "latin-700.woff2").read_bytes()
    assert len(latin) < 120_000  # Noto Sans Bold is 515 kB with Greek, Cyrillic, Vietnamese, ...
    # The page stack names our families before anything the system may lack.
    kb_css = (out / "assets" / "kb.css").read_text()
    assert f"--font: {STACK};" in kb_css and STACK.startswith('"Storycast Sans", "Storycast Thai"')


def test_an_arabic_page_is_right_to_left_and_gets_the_arabic_face(make_project: Any, tmp_path: Path) -> None:
    root = make_project({"stories/arabic.yaml": ARABIC_STORY}, toml=ARABIC_TOML)
    out = tmp_path / "site"
    build_site(Project.load(root), out)
    html = (out / "ar" / "router-restart" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in html
    css = (out / "assets" / "fonts.css").read_text()
    assert '"Storycast Arabic"' in css and "U+0600-06FF" in css
    assert (out / "assets" / "fonts" / "arabic-400.woff2").read_bytes()[:4] == b"wOF2"
    ar = json.loads((out / "search" / "ar.json").read_text(encoding="utf-8"))
    # Typed without hamza, harakat or teh marbuta: the title is found all the same.
    assert [d["url"] for d in search(ar, "اعاده تشغيل")] == ["ar/router-restart/"]
    assert [d["url"] for d in search(ar, "الراوتر")] == ["ar/router-restart/"]
    sr = json.loads((out / "search" / "sr.json").read_text(encoding="utf-8"))
    assert [d["url"] for d in search(sr, "ruter")] == ["sr/router-restart/"]  # Latin finds Cyrillic
    assert "Storycast Sans" in css and "U+0400-052F" in css  # the Cyrillic face


def test_refuses_to_write_into_a_foreign_folder(built: Any, tmp_path: Path) -> None:
    from storycast.errors import ConfigError

    project, _, _ = built
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        build_site(project, tmp_path, render=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_cli_kb_build_json(built: Any, run_cli: Any, tmp_path: Path) -> None:
    project, _, _ = built
    code, out, err = run_cli(
        "--project", str(project.root), "kb", "build", "--no-render", "--out", str(tmp_path / "s"), "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["tutorials"] == 2 and data["languages"] == ["en", "es", "th", "hi"]
    assert any("base_url" in w for w in data["warnings"])
    code, out, err = run_cli(
        "--project", str(project.root), "kb", "build", "--no-render", "--out", str(tmp_path / "s")
    )
    assert code == 0 and "pages, 2 tutorials in 4 languages" in out


def test_cli_kb_build_without_any_render_is_a_content_error(run_cli: Any, make_project: Any) -> None:
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    code, _, err = run_cli("--project", str(root), "kb", "build", "--no-render")
    assert code == 4
    assert "no story has a rendered build" in err


# --- folding: one table for the index (Python) and the query (search.js) ----------------------


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("ruter", "рутер"),  # Serbian Latin finds Cyrillic ...
        ("РУТЕР", "Ruter"),  # ... and the other way, in any case
        ("ljubav", "љубав"),  # digraphs: lj nj dž are љ њ џ
        ("konj", "коњ"),
        ("džep", "џеп"),
        ("sifra", "шифра"),  # š without its caron, as typed on an English keyboard
        ("šifra", "šifra"),
        ("djak", "ђак"),
        ("đak", "ђак"),
        ("اعاده", "إعادة"),  # alef with hamza below, teh marbuta
        ("احمد", "أَحْمَد"),  # hamza above, harakat
        ("الاسلام", "ٱلإِسْلَام"),  # alef wasla, hamza below, kasra, sukun
        ("مستشفي", "مستشفى"),  # alef maksura
        ("سايله", "سائلة"),  # yeh with hamza, teh marbuta
        ("محمد", "مُـحَـمَّـد"),  # tatweel and shadda
        ("10", "١٠"),  # Arabic-Indic digits
        ("फोन", "फ़ोन"),  # Devanagari nukta, precomposed ...
        ("फोन", "फ\u093cोन"),  # ... or as a mark
        ("कलम", "क़लम"),
        ("configuracion", "Configuración"),
    ],
)
def test_fold_makes_typed_and_written_spellings_meet(typed: str, written: str) -> None:
    from storycast.kb.fold import fold

    assert fold(typed) == fold(written)


def test_fold_keeps_different_words_apart_and_is_idempotent() -> None:
    from storycast.kb.fold import fold, fold_table

    assert fold("ruter") != fold("router")
    assert fold("قلم") != fold("كلم")
    assert fold("เราเตอร์") == "เราเตอร์"  # Thai is left alone
    table = fold_table()
    assert all(fold(v) == v for v in table.values())  # one pass is enough
    assert all(k == k.lower() for k in table)  # folding runs after lower-casing


def test_the_index_carries_its_folding_table_and_search_folds_both_sides() -> None:
    from storycast.kb.fold import fold_table
    from storycast.kb.search import SearchDoc, build_index

    docs = [
        SearchDoc("hi/phone/", "फ़ोन रीसेट करें", "", "", {"title": "फ़ोन रीसेट करें"}),
        SearchDoc("hi/pen/", "क़लम", "", "", {"title": "क़लम"}),
    ]
    index = build_index(docs, "hi")
    assert index["fold"] == fold_table() and index["version"] == 2
    assert json.loads(json.dumps(index, ensure_ascii=False))["fold"]["\u0958"] == "\u0915"
    assert [d["url"] for d in search(index, "फोन")] == ["hi/phone/"]
    assert [d["url"] for d in search(index, "फ़ोन")] == ["hi/phone/"]
    assert [d["url"] for d in search(index, "कलम")] == ["hi/pen/"]
