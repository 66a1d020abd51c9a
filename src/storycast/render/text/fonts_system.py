"""Chinese, Japanese and Korean fonts from the system, through fontconfig.

CJK fonts are about 20 MB per weight, too large to ship, so they are the one exception to
"fonts come from the project and the package": when neither has a face for a Han, kana, Hangul
or Bopomofo cluster, ``fc-list`` is asked for the installed CJK fonts (Noto Sans CJK from
Debian's ``fonts-noto-cjk``, Source Han Sans, or any other). Han characters are drawn
differently in Japan, mainland China, Taiwan, Hong Kong and Korea, so the face is chosen by
the story's language: Noto Sans CJK JP for ``ja``, SC for ``zh``/``zh-Hans``, TC for
``zh-Hant``/``zh-TW``, HK for ``zh-HK``, KR for ``ko``.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from storycast.errors import RenderError

CJK_SCRIPTS = frozenset({"Han", "Hiragana", "Katakana", "Hangul", "Bopomofo"})
DEBIAN_PACKAGE = "fonts-noto-cjk"
# Where fonts live when fontconfig is not there to ask (macOS, minimal containers).
_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
)
_REGION_NAMES = {"JP": "Japanese", "KR": "Korean", "SC": "Simplified Chinese", "TC": "Traditional Chinese"}


def is_cjk_symbol(ch: str) -> bool:
    """CJK punctuation and full-width forms: only CJK fonts have them, whatever script is around."""
    cp = ord(ch)
    return 0x3000 <= cp <= 0x303F or 0xFF00 <= cp <= 0xFFEF or cp in (0x30FB, 0x30FC)


def cjk_region(lang: str | None, script: str) -> str:
    """The CJK region code (JP, KR, SC, TC, HK) whose glyph forms a reader of *lang* expects."""
    parts = [p.lower() for p in (lang or "").replace("_", "-").split("-") if p]
    primary = parts[0] if parts else ""
    if primary == "ja":
        return "JP"
    if primary == "ko":
        return "KR"
    if primary in ("zh", "yue", "cmn"):
        if "hk" in parts or "mo" in parts or primary == "yue":
            return "HK"
        if "hant" in parts or "tw" in parts:
            return "TC"
        return "SC"
    return {"Hiragana": "JP", "Katakana": "JP", "Hangul": "KR", "Bopomofo": "TC"}.get(script, "SC")


def families(region_code: str) -> tuple[str, ...]:
    """Family names to try for *region_code*, best first (Noto, then Source Han, other regions)."""
    order = [region_code] + [r for r in ("JP", "SC", "TC", "HK", "KR") if r != region_code]
    source = {"JP": "JP", "SC": "SC", "TC": "TC", "HK": "HC", "KR": "K"}
    out: list[str] = []
    for r in order:
        out += [f"Noto Sans CJK {r}", f"Source Han Sans {source[r]}"]
    return tuple(out)


@lru_cache(maxsize=1)
def cjk_font_files() -> tuple[Path, ...]:
    """Installed font files that cover Japanese, Chinese or Korean (asked once per process)."""
    files: list[Path] = []
    fc_list = shutil.which("fc-list")
    if fc_list is not None:
        for lang in ("ja", "zh-cn", "zh-tw", "ko"):
            try:
                done = subprocess.run(
                    [fc_list, "--format", "%{file}\n", f":lang={lang}"],
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
            except (OSError, subprocess.TimeoutExpired):
                continue
            files += [Path(line) for line in done.stdout.splitlines() if line.strip()]
    else:
        for folder in _FONT_DIRS:
            root = Path(folder).expanduser()
            if root.is_dir():
                files += [p for p in root.rglob("*") if "CJK" in p.name or "SourceHanSans" in p.name]
    seen: dict[Path, None] = {}
    for file in files:
        if file.suffix.lower() in (".ttf", ".otf", ".ttc", ".otc") and file.is_file():
            seen.setdefault(file, None)
    # Sans before serif and mono, so "any CJK font" picks the one that suits the stock look.
    return tuple(sorted(seen, key=lambda p: ("Serif" in p.name, "Mono" in p.name, str(p))))


def missing_font_error(cluster: str, lang: str | None, script: str) -> RenderError:
    """The error for CJK text when no font anywhere covers it."""
    code = cjk_region(lang, script)
    name = _REGION_NAMES.get(code, "Chinese (Hong Kong)")
    return RenderError(
        f"No font covers the {name} text {cluster!r} (U+{ord(cluster[0]):04X}): Chinese, "
        "Japanese and Korean fonts are too large to ship with storycast, and none is installed.",
        hint=f"Install Noto Sans CJK: `apt-get install {DEBIAN_PACKAGE}` on Debian/Ubuntu "
        "(`dnf install google-noto-sans-cjk-fonts` on Fedora), or copy a CJK font such as "
        f"NotoSansCJK{code.lower()}-Regular.otf into the project's assets/fonts/.",
    )
