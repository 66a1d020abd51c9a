"""What comes back from WhatsApp after a send, kept where the next send can see it.

- :class:`SendJournal`: the channel's journal (``.storycast/channels/NAME.json``) of each ledger
  row's fan-out: ``sent`` ``{+number: wamid}``, ``freeform`` (numbers sent a free-form
  message), ``fallback`` (the approved template body for that row), and the re-send of a closed
  window: ``resend`` (owed, journalled by the webhook) -> ``resending`` (claimed by one tick)
  -> ``resent`` ``{+number: wamid}`` or ``resend_unknown``.
- the opt-out file (``optout_file``): ``{+number: {"at": ISO time, "word": what they wrote}}``,
  written by the webhook, read before every send.
- :func:`follow_statuses`: the webhook's statuses tied to their ledger rows (through the
  journal) and to what storycast does about a failure.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ...files import replace_atomically
from ..base import RetryableFailure
from ..journal import Journal
from .inbound import optout_words, optouts
from .numbers import OPTOUT_FILE, OUTCOMES, OUTSIDE_WINDOW, TYPE_NAME, normalize_number

if TYPE_CHECKING:
    from ...project import Project
    from ..inbound import DeliveryStatus
    from .channel import WhatsAppChannel

log = logging.getLogger("storycast.channels.whatsapp")


def journal_path(project: Project, channel: str) -> Path:
    """Where channel ``channel`` journals its sends."""
    return project.state_dir / "channels" / f"{channel}.json"


class SendJournal(Journal):
    """The journal of a whatsapp channel, with the compare-and-set steps of the template re-send."""

    def owe_resend(self, key: str, now: datetime, number: str, wamid: str) -> bool:
        """Owe ``number`` the template for row ``key``; False when it is owed, sent or tried already."""
        with self._lock:
            data = self._read()
            entry = data.get(key)
            if entry is None or not entry.get("fallback"):
                return False
            if any(
                number in (entry.get(f) or ()) for f in ("resend", "resending", "resent", "resend_unknown")
            ):
                return False
            entry.setdefault("resend", {})[number] = wamid
            self._write(data)
            return True

    def claim_resends(self, key: str, now: datetime, *, skip: Collection[str] = ()) -> list[str]:
        """Move the numbers owed a template for ``key`` to ``resending`` and return them: only one
        caller gets each number. Numbers in ``skip`` (opted out) are dropped."""
        with self._lock:
            data = self._read()
            entry = data.get(key) or {}
            owed = dict(entry.get("resend") or {})
            if not owed:
                return []
            claimed = [n for n in owed if n not in skip]
            entry["resend"] = {}
            entry.setdefault("resending", {}).update({n: owed[n] for n in claimed})
            dropped = [n for n in owed if n in skip]
            if dropped:
                entry["resend_dropped"] = sorted({*(entry.get("resend_dropped") or []), *dropped})
            self._write(data)
            return claimed

    def settle_resend(
        self,
        key: str,
        now: datetime,
        number: str,
        *,
        wamid: str = "",
        unknown: bool = False,
        again: bool = False,
    ) -> None:
        """Record how one claimed re-send ended: sent (``wamid``), no answer (``unknown``: never
        repeated), or not sent at all (``again``: owed to the next tick)."""
        with self._lock:
            data = self._read()
            entry = data.get(key)
            if entry is None:
                return
            failed = (entry.get("resending") or {}).pop(number, "")
            if wamid:
                entry.setdefault("resent", {})[number] = wamid
            elif unknown:
                entry["resend_unknown"] = sorted({*(entry.get("resend_unknown") or []), number})
            elif again:
                entry.setdefault("resend", {})[number] = failed
            self._write(data)

    def in_flight(self) -> set[str]:
        """Numbers whose send (or template re-send) has no answer journalled yet."""
        out: set[str] = set()
        for entry in self.entries().values():
            out.update([entry["inflight"]] if entry.get("inflight") else [])
            out.update(entry.get("resending") or {})
        return out

    def messages(self) -> Iterator[tuple[str, str, str, bool]]:
        """Every journalled message: (wamid, row key, +number, free-form)."""
        for key, entry in self.entries().items():
            free = set(entry.get("freeform") or [])
            for number, wamid in (entry.get("sent") or {}).items():
                yield str(wamid), key, number, number in free
            for number, wamid in (entry.get("resent") or {}).items():
                yield str(wamid), key, number, False


# -- opt-outs -------------------------------------------------------------------------------------


def read_optouts(path: Path) -> dict[str, dict[str, str]]:
    """``{+number: {"at": ISO time, "word": ...}}`` from an opt-out file ({} when missing)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {normalize_number(n): v if isinstance(v, dict) else {} for n, v in raw.items()}


def record_optouts(path: Path, seen: Mapping[str, tuple[datetime, str]]) -> int:
    """Add opt-outs to the file (the first time a number opted out is kept); returns the new ones."""
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=30):
        data = read_optouts(path)
        new = 0
        for number, (at, word) in seen.items():
            if number not in data:
                data[number] = {"at": at.astimezone(UTC).isoformat(), "word": word}
                new += 1
        if new:
            replace_atomically(
                path, json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"), suffix=".json"
            )
    return new


def channels_of(project: Project, pnid: str | None) -> Iterator[tuple[str, SimpleNamespace]]:
    """(name, options) of every whatsapp channel on phone number ``pnid`` (every one when None):
    the options the webhook files need (``phone_number_id``, ``optout_file``, ``optout_words``)."""
    for name, section in project.config.channels.items():
        if section.type != TYPE_NAME:
            continue
        extra = section.model_extra or {}
        words = extra.get("optout_words") or []
        opts = SimpleNamespace(
            phone_number_id=str(extra.get("phone_number_id", "")),
            optout_file=str(extra.get("optout_file") or OPTOUT_FILE),
            optout_words=[str(w) for w in words] if isinstance(words, list) else [],
        )
        if pnid is None or pnid == opts.phone_number_id:
            yield name, opts


def learn_optouts(project: Project, payload: Any, now: datetime) -> int:
    """Record the senders of opt-out words in the ``optout_file`` of every channel of the receiving
    number; returns how many numbers opted out with this delivery."""
    langs = project.config.project.languages
    new: set[str] = set()
    for _name, opts in channels_of(project, None):
        words = optout_words(langs, opts.optout_words)
        for pnid, numbers in optouts(payload, words).items():
            if (pnid is not None and pnid != opts.phone_number_id) or not numbers:
                continue
            path = project.resolve_path(opts.optout_file)
            if record_optouts(path, numbers):
                new.update(numbers)
                log.info("%d number(s) opted out of WhatsApp messages", len(numbers))
    return len(new)


# -- statuses -------------------------------------------------------------------------------------


def follow_statuses(
    project: Project, channel: str, statuses: list[DeliveryStatus], now: datetime
) -> tuple[list[DeliveryStatus], int]:
    """Tie each status to its ledger row (the journal's key) and decide what a failure means.

    A free-form message that failed with 131047 is owed the row's approved template (journalled
    here, sent by the next tick's :meth:`WhatsAppChannel.follow_up`); one that was a template,
    or has no template to fall back to, is just failed. Returns the statuses and the re-sends owed.
    """
    section = project.config.channels.get(channel)
    pnid = str((section.model_extra or {}).get("phone_number_id", "")) if section is not None else ""
    journals = {
        name: SendJournal(journal_path(project, name)) for name, _ in channels_of(project, pnid or None)
    }
    index: dict[str, tuple[str, str, str, bool]] = {}
    for name, journal in journals.items():
        for wamid, key, number, free in journal.messages():
            index[wamid] = (name, key, number, free)
    if any(st.remote_id not in index for st in statuses):
        flying = set().union(*(j.in_flight() for j in journals.values()))
        if any(st.remote_id not in index and st.recipient in flying for st in statuses):
            raise RetryableFailure(
                "a status came before its send was journalled",
                hint="the message to this number is still being sent; Meta delivers the status again",
            )
    out: list[DeliveryStatus] = []
    owed = 0
    for st in statuses:
        found = index.get(st.remote_id)
        if found is None:
            out.append(st)
            continue
        name, key, number, free = found
        outcome = ""
        if st.status == "failed":
            outcome = OUTCOMES.get(st.error_code or 0, "failed")
            if st.error_code == OUTSIDE_WINDOW:
                if free and journals[name].owe_resend(key, now, number, st.remote_id):
                    owed += 1
                elif not free or not (journals[name].get(key) or {}).get("fallback"):
                    outcome = "failed"  # a template cannot be re-sent as a template
        out.append(replace(st, key=key, recipient=st.recipient or number, outcome=outcome))
    return out, owed


def follow_up_all(project: Project, open_channel: Any, now: datetime) -> int:
    """Run :meth:`WhatsAppChannel.follow_up` for every enabled whatsapp channel that owes a template."""
    total = 0
    for name, _opts in channels_of(project, None):
        if not project.config.channels[name].enabled:
            continue
        entries = SendJournal(journal_path(project, name)).entries()
        if not any(e.get("resend") for e in entries.values()):
            continue
        channel: WhatsAppChannel = open_channel(name)
        total += channel.follow_up(now)
    return total
