"""Thai words that must not start a line: particles, complements, and classifiers after a number.

The dictionary breaker (pythainlp ``newmm``) finds word boundaries, but a boundary is not always
a place to break: "สอง|นาที" (two minutes) or "ค้าง|ไว้" (hold down) read as one unit, and a
line that starts with "ไว้", "นะ" or "ครับ" looks broken to a Thai reader. These rules remove
such boundaries; everything else the dictionary found stays a break.
"""

from __future__ import annotations

from collections.abc import Sequence

# Sentence particles and verb complements: always belong to the word before them.
PARTICLES = frozenset(
    {
        "ไว้",
        "อยู่",
        "ด้วย",
        "นะ",
        "น่ะ",
        "ครับ",
        "ค่ะ",
        "คะ",
        "จ้ะ",
        "จ้า",
        "ล่ะ",
        "สิ",
        "เถอะ",
        "หน่อย",
        "เลย",
    }
)

# Classifiers and units of measure: kept with a number before them ("สอง|นาที", "สาม|ครั้ง").
CLASSIFIERS = frozenset(
    {
        "นาที",
        "วินาที",
        "ชั่วโมง",
        "วัน",
        "สัปดาห์",
        "เดือน",
        "ปี",
        "ครั้ง",
        "ขั้นตอน",
        "ขั้น",
        "ข้อ",
        "ตัว",
        "อัน",
        "เครื่อง",
        "คน",
        "หลัก",
        "ช่อง",
        "บาท",
        "เมตร",
        "แบบ",
        "อย่าง",
        "วิธี",
    }
)

_DIGITS = frozenset("0123456789๐๑๒๓๔๕๖๗๘๙")
NUMBER_WORDS = (
    "หนึ่ง",
    "สอง",
    "สาม",
    "สี่",
    "ห้า",
    "หก",
    "เจ็ด",
    "แปด",
    "เก้า",
    "สิบ",
    "ยี่สิบ",
    "ร้อย",
    "พัน",
    "หมื่น",
    "แสน",
    "ล้าน",
    "ครึ่ง",
    "หลาย",
    "ไม่กี่",
)


def is_number(word: str) -> bool:
    """A Thai number word ("สอง", "สิบห้า"), a few quantity words, or digits."""
    word = word.strip()
    if not word:
        return False
    if all(ch in _DIGITS for ch in word):
        return True
    return word.endswith(NUMBER_WORDS)


def glued(words: Sequence[str]) -> set[int]:
    """Indexes ``i`` of *words* whose boundary with ``words[i - 1]`` is not a place to break."""
    out: set[int] = set()
    for i in range(1, len(words)):
        word, prev = words[i], words[i - 1]
        if not prev.strip() or not word.strip():
            continue  # a space: the break there is the line breaker's business
        if word in PARTICLES or (word in CLASSIFIERS and is_number(prev)):
            out.add(i)
    return out
