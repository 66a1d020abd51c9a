"""The set-indexed Thai dictionary answers newmm exactly as pythainlp's full trie does."""

from __future__ import annotations

from pathlib import Path

from pythainlp.corpus import thai_words as corpus_words
from pythainlp.tokenize import word_tokenize
from pythainlp.util import Trie

from storycast.render.text.linebreak import _ThaiDictionary, thai_words

STORIES = Path(__file__).resolve().parent.parent / "stories"

SAMPLES = [
    "กดปุ่มรีเซ็ตค้างไว้สิบวินาทีจนไฟกะพริบ",
    "การตั้งค่าเราเตอร์ใหม่ทำได้ง่ายๆ ในห้าขั้นตอน",
    "ถอดสายไฟออก รอสามสิบวินาที แล้วเสียบกลับเข้าไป",
    "เปิดแอปยืนยันตัวตนแล้วสแกนคิวอาร์โค้ด",
    "ก",
    "กข",
]


def test_prefixes_match_the_full_trie_at_every_position() -> None:
    words = corpus_words()
    full, lazy = Trie(words), _ThaiDictionary(words)
    assert len(lazy) == len(full)
    for text in SAMPLES:
        for start in range(len(text) + 1):
            assert lazy.prefixes(text, start) == full.prefixes(text, start), (text, start)


def test_prefixes_match_the_full_trie_over_the_example_stories() -> None:
    words = corpus_words()
    full, indexed = Trie(words), _ThaiDictionary(words)
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(STORIES.glob("*.yaml")))
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in text)
    for start in range(len(text) + 1):
        assert indexed.prefixes(text, start) == full.prefixes(text, start), start


def test_tokenization_matches_pythainlp_default() -> None:
    for text in SAMPLES:
        assert thai_words(text) == tuple(word_tokenize(text, engine="newmm", keep_whitespace=True))


def test_single_characters_and_stripped_words() -> None:
    lazy = _ThaiDictionary([" ก ", "กา", "การ", "", "ข"])
    assert len(lazy) == 4
    assert lazy.prefixes("การบ้าน", 0) == ["ก", "กา", "การ"]
    assert lazy.prefixes("ขา", 0) == ["ข"]
    assert lazy.prefixes("ขา", 2) == []
