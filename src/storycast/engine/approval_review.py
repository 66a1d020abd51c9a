"""Review packs and approver notifications (``storycast review``).

A review pack shows one story in one language exactly as it would be published::

    review/reset-router/es/
        01.jpg 02.jpg ...       every frame, as rendered for publishing (their sha256 in review.md)
        contact.png             all frames on one sheet
        alt.txt  captions.txt   the alt text and the words that go with each frame
        lint.txt                the guard's findings for this story and language
        changes/03.png          old | new, side by side, for each frame changed since the last approval
        review.md               what to look at, what changed, and how to approve or reject
        manifest.json           the version digest and every item's hash

Approvers with a ``contact`` (an apprise URL) are told through apprise, each with their own
review link (made by the web layer, which owns the signing key).
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ChannelError, ConfigError
from ..files import replace_atomically
from .approval import Version, approved_file, current_version, family

if TYPE_CHECKING:
    from ..config import Approver
    from ..context import Context
    from ..ledger import Ledger
    from ..ledger.approvals import Decision
    from ..project import Project


@dataclass
class Pack:
    """One written review pack."""

    ref: str
    lang: str
    folder: Path
    version: str
    frames: int
    changed: list[int] = field(default_factory=list)  # frames that differ from the last approval
    last_approved: str | None = None  # "ana on 2026-11-30 10:00 UTC"
    findings: int = 0
    approved: bool = False  # this exact version already carries an approval
    notified: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "folder": str(self.folder)}


def _compare(last: Decision | None, version: Version) -> list[int]:
    """Frame numbers that changed (or were added) since ``last`` was approved."""
    if last is None:
        return []
    old = {(family(i.kind), i.index): i.sha256 for i in last.items}
    return [f.index for f in version.frames if old.get(("frame", f.index)) != f.sha256]


def _side_by_side(old: Path | None, new: Path, out: Path, index: int) -> None:
    from PIL import Image, ImageDraw

    from ..render.contact import png_bytes, thumbnail

    w, h = 360, 640
    sheet = Image.new("RGB", (2 * w + 60, h + 70), "#1E2433")
    draw = ImageDraw.Draw(sheet)
    draw.text((20, 15), f"frame {index}: approved", fill="#FFFFFF")
    draw.text((w + 40, 15), f"frame {index}: now", fill="#FFFFFF")
    if old is not None:
        with Image.open(old) as img:
            sheet.paste(thumbnail(img, w, h), (20, 50))
    else:
        draw.text((40, 60 + h // 2), "(new frame, or the approved copy is gone)", fill="#B9C6F2")
    with Image.open(new) as img:
        sheet.paste(thumbnail(img, w, h), (w + 40, 50))
    replace_atomically(out, png_bytes(sheet))


def write_pack(
    project: Project, ledger: Ledger, ref: str, lang: str, out_root: Path, now: datetime
) -> tuple[Pack, Version]:
    """Render ``ref`` in ``lang`` as it would be published and write its review pack."""
    from PIL import Image

    from ..guard.check import check_story
    from ..render.contact import contact_sheet, png_bytes

    version = current_version(project, ref, lang, ledger=ledger)
    decisions = ledger.decisions(ref, lang)
    last = next((d for d in reversed(decisions) if d.approved), None)
    folder = out_root / ref / lang
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for f in version.frames:
        shutil.copyfile(f.path, folder / f"{f.index:02d}{f.path.suffix.lower()}")
    images = []
    for f in version.frames:
        if f.kind == "image":
            with Image.open(f.path) as img:
                images.append(img.copy())
    if images:
        replace_atomically(folder / "contact.png", png_bytes(contact_sheet(images, title=f"{ref} [{lang}]")))
    alt = "".join(f"{f.index:02d}: {f.alt}\n" for f in version.frames)
    captions = "".join(f"{f.index:02d}: {f.caption}\n" for f in version.frames)
    replace_atomically(folder / "alt.txt", alt.encode("utf-8"))
    replace_atomically(folder / "captions.txt", captions.encode("utf-8"))
    story = project.content.story(ref)
    findings = check_story(project, story, [lang])
    lint = "".join(f"{x.severity}: {x.rule}: {x.message}\n  hint: {x.hint}\n" for x in findings)
    replace_atomically(folder / "lint.txt", (lint or "no findings\n").encode("utf-8"))
    changed = _compare(last, version)
    if changed:
        old = {i.index: i.sha256 for i in last.items if i.kind == "frame"} if last else {}
        for index in changed:
            frame = version.frames[index - 1]
            if frame.kind != "image":
                continue
            before = approved_file(project, old[index]) if index in old else None
            _side_by_side(before, frame.path, folder / "changes" / f"{index:02d}.png", index)
    approved = [d for d in decisions if d.approved and d.version == version.digest]
    rejected_after = any(
        not d.approved and d.id > max((a.id for a in approved), default=0) for d in decisions
    )
    pack = Pack(
        ref,
        lang,
        folder,
        version.digest,
        len(version.frames),
        changed,
        f"{last.by} on {last.at_utc:%Y-%m-%d %H:%M} UTC" if last else None,
        len(findings),
        bool(approved) and not rejected_after,
    )
    manifest = {
        "story": ref,
        "lang": lang,
        "version": version.digest,
        "made": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "items": [
            {"kind": i.kind, "index": i.index, "sha256": i.sha256, "file": i.file} for i in version.items
        ],
        "changed": changed,
        "last_approved": last.to_json() if last else None,
    }
    replace_atomically(folder / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False).encode())
    replace_atomically(folder / "review.md", _summary(pack, version, findings).encode("utf-8"))
    return pack, version


def _summary(pack: Pack, version: Version, findings: list[Any]) -> str:
    lines = [
        f"# Review: {pack.ref} [{pack.lang}]",
        "",
        f"Version `{pack.version}`: {pack.frames} frame(s)"
        + (f" and {sum(len(v) for v in version.videos.values())} video part(s)" if version.videos else "")
        + ".",
        "",
    ]
    if pack.last_approved is None:
        lines.append("Never approved before: look at every frame (contact.png, then 01, 02, ...).")
    elif pack.changed:
        lines.append(
            f"Last approved by {pack.last_approved}. Changed since: frame(s) "
            f"{', '.join(str(i) for i in pack.changed)} (old | new in changes/)."
        )
    else:
        lines.append(f"Last approved by {pack.last_approved}; no frame changed since.")
    lines += ["", f"Guard findings: {len(findings)} (lint.txt).", "", "| frame | sha256 |", "|---|---|"]
    lines += [f"| {i.kind} {i.index} | `{i.sha256}` |" for i in version.items]
    lines += [
        "",
        "Decide:",
        "",
        f"    storycast approve {pack.ref} --lang {pack.lang} --by NAME [--note TEXT]",
        f"    storycast reject {pack.ref} --lang {pack.lang} --by NAME --reason TEXT",
        "",
    ]
    return "\n".join(lines)


def notify(project: Project, context: Context, approver: Approver, title: str, body: str) -> None:
    """Tell one approver through their apprise ``contact``; a failure raises (secrets redacted)."""
    from ..channels.http import RedactingFilter, Redactor
    from ..secrets import is_reference, resolve

    if not approver.contact:
        return
    redact = Redactor()
    url = approver.contact
    if is_reference(url):
        secret = resolve(url, base=project.root, environ=context.environ)
        redact.add(secret)
        url = secret.reveal()
    else:
        redact.add(url)
    try:
        import apprise
    except ImportError:
        raise ConfigError(
            "notifying approvers needs apprise, which is not installed",
            hint="pip install 'storycast[notify]', or leave out --notify",
        ) from None
    logging.getLogger("apprise").addFilter(RedactingFilter())
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise ConfigError(
            f"the contact of approver {approver.name!r} is not a valid apprise URL",
            hint="see https://github.com/caronc/apprise/wiki for URL formats ([approval] approvers)",
            file=project.config_path,
        )
    if not notifier.notify(title=title, body=body):
        raise ChannelError(
            f"approver {approver.name!r} could not be notified",
            hint="check that their contact URL still works, then run storycast review --notify again",
        )


def review_stories(project: Project, ledger: Ledger, now: datetime) -> list[tuple[str, str, datetime]]:
    """(story, language, first slot) of open rows on channels that require approval, earliest first."""
    section = project.config.approval
    out: dict[tuple[str, str], datetime] = {}
    for ref, lang, channel, due in ledger.awaiting_stories(now):
        if section.rule(channel).required:
            out.setdefault((ref.partition("@")[0], lang), due)
    return [(ref, lang, due) for (ref, lang), due in out.items()]


__all__ = ["Pack", "current_version", "notify", "review_stories", "write_pack"]
