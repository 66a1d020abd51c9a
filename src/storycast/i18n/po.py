"""Gettext PO files through Babel (``babel.messages``): what Poedit, Weblate, Crowdin and
msgmerge read and write.

Each unit is one message: ``msgctxt`` is its key (``reset-router:steps.2.title``), ``msgid`` the
source text, ``msgstr`` the translation, the translator notes are extracted comments (``#.``),
the YAML file and line the reference (``#:``), and a stale translation carries the ``fuzzy`` flag.
A fuzzy message is not imported, as gettext's own tools do not use one: a translator checks it
and clears the flag.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

from ..errors import ContentError
from ..files import read_text
from .document import Document, Entry, OutEntry

MAX_PO_BYTES = 20_000_000


def write(entries: list[OutEntry], lang: str, source_lang: str, project: str, now: datetime) -> bytes:
    """The PO file of ``entries`` in ``lang``."""
    from babel.core import UnknownLocaleError
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    header = (
        f"{project}: translations into {lang}, from storycast i18n export.\n"
        "Edit the msgstr texts (Poedit, Weblate, any PO editor), clear the fuzzy flag of an\n"
        "entry you have checked, and bring the file back with `storycast i18n import`.\n"
        "msgctxt names the item and field; do not change it or the msgid."
    )
    try:
        catalog = Catalog(
            locale=lang.replace("-", "_"),
            project=project,
            version="",
            header_comment="# " + header.replace("\n", "\n# "),
            creation_date=now,
            revision_date=now,
            language_team=f"{lang}",
            last_translator="",
            fuzzy=False,
        )
    except (UnknownLocaleError, ValueError):
        catalog = Catalog(project=project, header_comment="# " + header, creation_date=now, revision_date=now)
    for e in entries:
        catalog.add(
            e.source,
            e.target,
            context=e.key,
            auto_comments=e.notes,
            locations=[(e.file, e.line)] if e.line else [(e.file, None)],  # type: ignore[list-item]
            flags=["fuzzy"] if e.fuzzy else [],
        )
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, omit_header=False, sort_output=False)
    return buf.getvalue()


def read(path: Path) -> Document:
    """Read a PO file; a file that is not one is a ContentError naming its line."""
    from babel.messages.pofile import PoFileError, read_po

    text = read_text(path, what="PO file", max_bytes=MAX_PO_BYTES)
    try:
        catalog = read_po(io.StringIO(text), abort_invalid=True)
    except PoFileError as exc:
        # Babel counts lines from 0 and ends its message with " on <that number>".
        at = getattr(exc, "lineno", None)
        line = at + 1 if isinstance(at, int) else None
        reason = re.sub(r" on \d+$", "", str(exc))
        bad = str(getattr(exc, "line", "") or "").strip()
        if not bad and line is not None and line <= len(text.splitlines()):
            bad = text.splitlines()[line - 1].strip()
        raise ContentError(
            f"this is not a readable PO file: {reason}"
            + (f" (the line reads {_short(bad)!r})" if bad else ""),
            hint="open it in a PO editor (Poedit) or check it with `msgfmt --check`; "
            "or export it again with `storycast i18n export`",
            file=path,
            line=line,
        ) from None
    except (ValueError, UnicodeError, AttributeError, IndexError) as exc:
        raise ContentError(
            f"this is not a readable PO file: {exc}",
            hint="export it again with `storycast i18n export`",
            file=path,
        ) from None
    lang = (catalog.locale_identifier or "").replace("_", "-")
    lines = text.splitlines()
    doc = Document(path, "po", lang, None)
    for message in catalog:
        if not message.id or message.context is None:
            continue  # the header, or a message storycast did not write
        if isinstance(message.id, (list, tuple)) or isinstance(message.string, (list, tuple)):
            raise ContentError(
                f"the message {message.context!r} has plural forms (msgid_plural)",
                hint="storycast exports one message per plural form; export the file again",
                file=path,
                line=message.lineno,
            )
        doc.entries.append(
            Entry(
                str(message.context),
                message.id,
                message.string or "",
                not message.fuzzy,
                _context_line(lines, message.lineno),
            )
        )
    return doc


def _context_line(lines: list[str], msgid_line: int | None) -> int | None:
    """The line of a message's ``msgctxt`` (which names the text), from the line of its msgid."""
    if not msgid_line:
        return msgid_line
    n = msgid_line - 1  # the line above the msgid; a long msgctxt continues over quoted lines
    while 1 <= n <= len(lines):
        head = lines[n - 1].lstrip()
        if head.startswith("msgctxt"):
            return n
        if not head.startswith('"'):
            break
        n -= 1
    return msgid_line


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
