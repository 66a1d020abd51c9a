"""Approval bound to the pixels: what a person approves is the sha256 of every frame.

A story's *version* in one language is what the engine would publish: its frames (and, for
channels that take it as video, its MP4 parts), rendered exactly as the publisher renders them,
each with its sha256. ``storycast approve`` and the review page record a decision over those
hashes in the ledger (:mod:`storycast.ledger.approvals`).

The :class:`Gate` is asked by the publisher for every story row, after rendering and before the
attempt: with approval required on the row's channel, every frame of the story (in the row's
language, as the channel gets it) must carry ``min_approvals`` approvals from the channel's
approvers, given at least ``lead_time`` before the slot. A change that alters a frame's bytes
changes its hash, so the old approval no longer covers it; a rejection voids every approval
recorded before it. Otherwise the row waits, ``planned`` with a reason saying who must approve
by when (``storycast status`` shows it as ``awaiting_approval``), and is ``missed`` with that
reason when its slot passes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, ContentError, StorycastError
from ..ledger.approvals import Decision, Item
from .frames import STORY_KINDS, VIDEO_KIND, Frame, FrameCache

if TYPE_CHECKING:
    from ..config import ApprovalRule
    from ..ledger import Ledger, Row
    from ..project import Project

APPROVED_DIR = "approved"  # .storycast/approved/<sha256>.<ext>: approved frames, kept for review diffs
MAX_NOTE = 2000


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def family(kind: str) -> str:
    """``frame`` or ``video``: what an item is compared with (a video part's variant is in its hash)."""
    return "video" if kind.startswith("video") else "frame"


@dataclass(frozen=True)
class Version:
    """What one story publishes in one language: frames, video parts, and one digest over them."""

    ref: str
    lang: str
    frames: tuple[Frame, ...]
    videos: dict[str, tuple[Frame, ...]] = field(default_factory=dict)  # variant -> parts

    @property
    def items(self) -> tuple[Item, ...]:
        out = [Item("frame", f.index, f.sha256, f.path.name) for f in self.frames]
        for variant, parts in sorted(self.videos.items()):
            out += [Item(f"video:{variant}", p.index, p.sha256, p.path.name) for p in parts]
        return tuple(out)

    @property
    def digest(self) -> str:
        text = "\n".join(f"{i.kind} {i.index} {i.sha256}" for i in self.items)
        return hashlib.sha256(text.encode("ascii")).hexdigest()


def check_language(project: Project, ref: str, lang: str | None) -> list[str]:
    """The languages a command about story ``ref`` means: ``lang``, or every one of the story."""
    story = project.content.story(ref)
    if lang is None:
        return list(story.languages)
    if lang not in story.languages:
        raise ContentError(
            f"story {ref!r} has no {lang!r} version",
            hint=f"its languages are {', '.join(story.languages)}",
            file=story.source,
        )
    return [lang]


def current_version(
    project: Project, ref: str, lang: str, *, ledger: Ledger | None = None, cache: FrameCache | None = None
) -> Version:
    """Render story ``ref`` in ``lang`` as the publisher would, and hash it.

    Video parts are included for every channel with open ``story-video`` rows of it (the
    ledger says which); they are encoded on demand like the publisher does.
    """
    check_language(project, ref, lang)
    cache = cache or FrameCache(project)
    frames = tuple(cache.frames("story", ref, lang))
    videos: dict[str, tuple[Frame, ...]] = {}
    if ledger is not None:
        from .frames import source_for

        src = source_for(VIDEO_KIND)
        for channel in ledger.video_channels(ref, lang):
            target = src.target(project, channel) if src.target is not None else channel
            if target not in videos:
                videos[target] = tuple(cache.frames(VIDEO_KIND, ref, lang, channel=channel))
    return Version(ref, lang, frames, videos)


def keep_approved(project: Project, version: Version) -> None:
    """Keep a copy of each approved image frame by its hash, for later review diffs."""
    from ..files import copy_atomically

    folder = project.state_dir / APPROVED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for f in version.frames:
        if f.kind != "image":
            continue
        target = folder / f"{f.sha256}{f.path.suffix.lower()}"
        if not target.exists():
            copy_atomically(f.path, target)


def approved_file(project: Project, sha256: str) -> Path | None:
    """The kept copy of an approved frame, or None when it is gone (or never kept)."""
    folder = project.state_dir / APPROVED_DIR
    for suffix in (".jpg", ".png", ".jpeg", ".webp"):
        path = folder / f"{sha256}{suffix}"
        if path.is_file():
            return path
    return None


def _approver(project: Project, by: str) -> str:
    section = project.config.approval
    found = section.approver(by)
    if found is None:
        names = ", ".join(a.name for a in section.approvers)
        raise ConfigError(
            f"{by!r} is not an approver of this project",
            hint=f"approvers are {names}; give one of them with --by"
            if names
            else 'name who may approve in storycast.toml: [approval] approvers = ["ana", "ben"]',
            file=project.config_path,
        )
    return found.name


def decide(
    project: Project,
    ledger: Ledger,
    ref: str,
    lang: str,
    by: str,
    decision: str,
    now: datetime,
    *,
    note: str = "",
    via: str = "cli",
    link_nonce: str | None = None,
    expect_version: str | None = None,
) -> Decision | None:
    """Record ``by``'s approval or rejection of the story as it renders now; None when the
    review link (``link_nonce``) has already decided.

    ``expect_version``: the digest of the version the person saw (the review page sends it);
    a story that changed since is refused, so an approval always covers what was shown.
    """
    name = _approver(project, by)
    note = note.strip()
    if decision == "rejected" and not note:
        raise StorycastError(
            "a rejection needs a reason", hint="say what must change: --reason 'frame 3 shows the old router'"
        )
    if len(note) > MAX_NOTE:
        raise StorycastError(f"the note is {len(note)} characters long", hint=f"keep it under {MAX_NOTE}")
    version = current_version(project, ref, lang, ledger=ledger)
    if expect_version is not None and expect_version != version.digest:
        raise StorycastError(
            f"{ref} [{lang}] changed since this page was opened",
            hint="reload the review page and look at the frames again before deciding",
        )
    got = ledger.record_decision(
        ref,
        lang,
        decision,
        name,
        now,
        version.items,
        version=version.digest,
        note=note,
        via=via,
        link_nonce=link_nonce,
    )
    if got is not None and decision == "approved":
        keep_approved(project, version)
    return got


# -- the gate ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """How one story version stands under one channel's rule at one slot."""

    ok: bool
    got: int  # approvals the least-approved item has
    need: int
    changed: tuple[int, ...] = ()  # frames whose hash differs from what someone approved
    changed_since: Decision | None = None
    rejected: Decision | None = None
    late: tuple[str, ...] = ()  # approvers whose approval came after the lead time

    def reason(self, rule: ApprovalRule, by: datetime, ref: str, lang: str) -> str:
        """The text after ``awaiting approval:`` in the row's reason."""
        parts = []
        if self.rejected is not None:
            r = self.rejected
            parts.append(f"rejected by {r.by} on {_when(r.at_utc)}: {r.note}")
        if self.changed and self.changed_since is not None:
            frames = ", ".join(str(i) for i in self.changed)
            what = f"frame {frames} changed" if len(self.changed) == 1 else f"frames {frames} changed"
            parts.append(
                f"{what} since {self.changed_since.by} approved it on {_when(self.changed_since.at_utc)}"
            )
        if self.late:
            parts.append(f"approved too late for this slot by {', '.join(self.late)}")
        who = " or ".join(rule.approvers) if self.need == 1 else ", ".join(rule.approvers)
        parts.append(f"{self.got} of {self.need} approval(s) from {who} by {_when(by)}")
        return "; ".join(parts) + f" (storycast review {ref} --lang {lang})"


def stand(
    decisions: Sequence[Decision],
    items: Sequence[Item],
    rule: ApprovalRule,
    due: datetime | None = None,
) -> Standing:
    """How ``items`` stand under ``rule`` given every decision about their story and language."""
    rejected = next((d for d in reversed(decisions) if not d.approved), None)
    after = [d for d in decisions if d.approved and (rejected is None or d.id > rejected.id)]
    allowed = {n.casefold() for n in rule.approvers}
    # lead_time 0: any approval before the post goes out counts; else one given that long before the slot.
    cutoff = due - rule.lead_time if due is not None and rule.lead_time else None
    valid = [d for d in after if d.by.casefold() in allowed and (cutoff is None or d.at_utc <= cutoff)]
    late = sorted({d.by for d in after if d.by.casefold() in allowed and d not in valid})
    keys = [(family(i.kind), i.index, i.sha256) for i in items]
    covered = [{(family(x.kind), x.index, x.sha256) for x in d.items} for d in valid]
    counts = [len({d.by.casefold() for d, cov in zip(valid, covered, strict=True) if k in cov}) for k in keys]
    got = min(counts) if counts else 0
    ok = got >= rule.min_approvals and (rejected is None or bool(after))
    # Frames whose bytes differ from the newest approval: the change a person must look at.
    changed: list[int] = []
    since = next((d for d in reversed(decisions) if d.approved), None)
    if since is not None:
        old = {(family(x.kind), x.index): x.sha256 for x in since.items}
        changed = sorted(
            {i.index for i in items if family(i.kind) == "frame" and old.get(("frame", i.index)) != i.sha256}
        )
        if not changed and any(old.get((family(i.kind), i.index)) != i.sha256 for i in items):
            changed = [0]  # only a video part differs
    return Standing(
        ok,
        got,
        rule.min_approvals,
        tuple(c for c in changed if c) if not ok else (),
        since if not ok and changed else None,
        rejected if not ok and rejected is not None and not after else None,
        tuple(late) if not ok else (),
    )


class Gate:
    """The publisher's approval check: one per tick (it caches the decisions it reads)."""

    def __init__(self, project: Project, ledger: Ledger) -> None:
        self.project = project
        self.ledger = ledger
        self._decisions: dict[tuple[str, str], list[Decision]] = {}

    def applies(self, row: Row) -> bool:
        """Whether ``row`` needs approval at all (a story row on a channel that requires it)."""
        return row.kind in STORY_KINDS and self.project.config.approval.rule(row.channel).required

    def check(self, row: Row, frames: Sequence[Frame]) -> str | None:
        """None when ``row`` may go; else why it waits (the reason after ``awaiting approval:``).

        Every frame of the story as this channel gets it must be approved, not only the row's
        own: half a story is never published.
        """
        if not self.applies(row):
            return None
        rule = self.project.config.approval.rule(row.channel)
        ref = row.ref.partition("@")[0]
        key = (ref, row.lang)
        if key not in self._decisions:
            self._decisions[key] = self.ledger.decisions(ref, row.lang)
        kind = "frame" if row.kind == "story" else "video"
        items = [Item(kind, f.index, f.sha256) for f in frames]
        standing = stand(self._decisions[key], items, rule, row.due_utc)
        return None if standing.ok else standing.reason(rule, approve_by(rule, row), ref, row.lang)


def approve_by(rule: ApprovalRule, row: Row) -> datetime:
    """When an approval for ``row`` must exist: ``lead_time`` before its slot, or (lead_time 0)
    before its grace window ends."""
    return row.due_utc - rule.lead_time if rule.lead_time else row.deadline_utc
