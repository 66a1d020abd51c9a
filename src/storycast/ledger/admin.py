"""Operator actions on the ledger: retry, cancel, resolve unknowns, and the history view.

Each action is a compare-and-set from the states it is allowed from (see :mod:`.states`) and
leaves an ``event`` row, so ``storycast history`` shows who changed what and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, or_, select, update

from ..errors import ExitStatus, StorycastError
from .rows import HistoryItem, newest_history
from .states import CANCELLABLE_FROM, OPEN, RETRYABLE_FROM, State
from .store import Ledger, actor, naive
from .tables import attempt, event, publication

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


@dataclass
class ActionResult:
    """What an operator action did: row ids changed, and ids it skipped with the reason."""

    changed: list[int]
    skipped: dict[int, str]


class LedgerUsageError(StorycastError):
    """An operator action asked for something that is not there: bad usage, not a database problem."""

    exit_status = ExitStatus.USAGE


class NoSuchRow(LedgerUsageError):
    """A row id (or story) the ledger does not have."""


def _check_ids(ledger: Ledger, c: Connection, ids: Sequence[int], *, changing: bool = True) -> dict[int, str]:
    p = publication
    found = dict(c.execute(select(p.c.id, p.c.state).where(p.c.id.in_(list(ids)))).all())
    missing = [i for i in ids if i not in found]
    if missing:
        top = c.execute(select(func.max(p.c.id))).scalar()
        plural = "s" if len(missing) > 1 else ""
        raise NoSuchRow(
            f"no ledger row with id{plural} {', '.join(map(str, missing))}"
            + ("; nothing was changed" if changing else ""),
            hint="`storycast status --all` lists the rows and their ids"
            + (f" (the highest is {top})" if top else " (the ledger is empty)"),
        )
    return found


def retry(ledger: Ledger, ids: Sequence[int], now: datetime) -> ActionResult:
    """Put failed/missed/unknown/cancelled rows back to ``planned``, due now with a fresh grace window.

    Later frames of the same story that were failed because this frame failed come back too.
    """
    p = publication
    n = naive(now)
    result = ActionResult([], {})

    def run(c: Connection) -> None:
        states = _check_ids(ledger, c, ids)
        for rid in ids:
            if states[rid] not in RETRYABLE_FROM:
                result.skipped[rid] = (
                    f"it is {states[rid]}; only {', '.join(RETRYABLE_FROM)} rows can be retried"
                )
                continue
            row = c.execute(select(*p.c).where(p.c.id == rid)).one()._mapping
            grace = row["deadline_utc"] - row["due_utc"]
            group = (
                p.c.entry_key == row["entry_key"],
                p.c.occurrence_key == row["occurrence_key"],
                p.c.channel == row["channel"],
                p.c.lang == row["lang"],
            )
            reset = dict(
                state=State.PLANNED.value,
                reason=None,
                retryable=None,
                next_attempt_utc=None,
                claim_token=None,
                claimed_by=None,
                lease_until_utc=None,
                deadline_utc=max(row["deadline_utc"], n + grace),
                updated_utc=n,
            )
            c.execute(update(p).where(p.c.id == rid).values(**reset))
            followers = c.execute(
                update(p)
                .where(
                    *group,
                    p.c.frame > row["frame"],
                    p.c.state == State.FAILED.value,
                    p.c.reason.like("frame %"),
                )
                .values(**reset)
                .returning(p.c.id)
            ).all()
            c.execute(
                insert(event).values(
                    at_utc=n, publication_id=rid, action="retry", detail=f"by {actor()}; was {states[rid]}"
                )
            )
            result.changed.append(rid)
            result.changed.extend(f[0] for f in followers)

    ledger._write(run)
    return result


def cancel(ledger: Ledger, now: datetime, ids: Sequence[int] = (), story: str | None = None) -> ActionResult:
    """Cancel rows by id, or every open row of a story; rows being sent cannot be cancelled."""
    p = publication
    n = naive(now)
    result = ActionResult([], {})

    def run(c: Connection) -> None:
        if story is not None:
            target = [
                r[0]
                for r in c.execute(
                    select(p.c.id).where(p.c.ref == story, p.c.state == State.PLANNED.value).order_by(p.c.id)
                )
            ]
            states = {i: State.PLANNED.value for i in target}
            if not target and c.execute(select(p.c.id).where(p.c.ref == story).limit(1)).first() is None:
                raise NoSuchRow(
                    f"the ledger has no rows of {story!r}; nothing was changed",
                    hint="give the story's id as `storycast status --all` shows it",
                )
        else:
            states = _check_ids(ledger, c, ids)
            target = list(ids)
        for rid in target:
            if states[rid] not in CANCELLABLE_FROM:
                why = (
                    "it is being published right now"
                    if states[rid] in OPEN
                    else f"it is already {states[rid]}"
                )
                result.skipped[rid] = why
                continue
            done = c.execute(
                update(p)
                .where(p.c.id == rid, p.c.state == states[rid])
                .values(state=State.CANCELLED.value, reason="cancelled by the user", updated_utc=n)
            ).rowcount
            if done:
                c.execute(
                    insert(event).values(
                        at_utc=n, publication_id=rid, action="cancel", detail=f"by {actor()}"
                    )
                )
                result.changed.append(rid)
            else:
                result.skipped[rid] = "it changed state meanwhile; look again"

    ledger._write(run)
    return result


def resolve(ledger: Ledger, rid: int, verdict: str, now: datetime, *, remote_id: str | None = None) -> None:
    """Settle an ``unknown`` row as ``published`` or ``failed`` on the user's word (or a lookup)."""
    if verdict not in ("published", "failed"):
        raise LedgerUsageError(f"cannot resolve a row as {verdict!r}", hint="use ID=published or ID=failed")
    p = publication
    n = naive(now)

    def run(c: Connection) -> None:
        states = _check_ids(ledger, c, [rid])
        if states[rid] not in (State.UNKNOWN.value, State.SENDING.value):
            # Not a database problem: the row is simply not one to resolve (exit 1, like a skip).
            raise StorycastError(
                f"row {rid} is {states[rid]}, not unknown; only unknown rows are resolved",
                hint="`storycast status` lists unknown rows",
            )
        values: dict[str, Any] = {
            "state": verdict,
            "updated_utc": n,
            "claim_token": None,
            "lease_until_utc": None,
        }
        if verdict == "published":
            values.update(reason="confirmed published by reconcile", published_utc=n, remote_id=remote_id)
        else:
            values.update(reason="confirmed not published by reconcile", retryable=True)
        c.execute(update(p).where(p.c.id == rid).values(**values))
        c.execute(
            update(attempt)
            .where(
                attempt.c.publication_id == rid,
                or_(attempt.c.outcome == "unknown", attempt.c.outcome == "sending"),
            )
            .values(outcome=verdict, finished_utc=n, remote_id=remote_id)
        )
        c.execute(insert(event).values(at_utc=n, publication_id=rid, action="resolve", detail=verdict))

    ledger._write(run)


def confirm(
    ledger: Ledger, ids: Sequence[int], now: datetime, *, remote_id: str | None = None
) -> ActionResult:
    """A person posted a hand-off pack: move ``handed_off`` rows to ``published``."""
    p = publication
    n = naive(now)
    result = ActionResult([], {})

    def run(c: Connection) -> None:
        states = _check_ids(ledger, c, ids)
        for rid in ids:
            if states[rid] != State.HANDED_OFF.value:
                result.skipped[rid] = f"it is {states[rid]}; only handed_off rows are confirmed"
                continue
            values: dict[str, Any] = {
                "state": State.PUBLISHED.value,
                "reason": f"posted by hand, confirmed by {actor()}",
                "published_utc": n,
                "updated_utc": n,
            }
            if remote_id:
                values["remote_id"] = remote_id
            done = c.execute(
                update(p).where(p.c.id == rid, p.c.state == State.HANDED_OFF.value).values(**values)
            ).rowcount
            if not done:
                result.skipped[rid] = "it changed state meanwhile; look again"
                continue
            c.execute(
                insert(event).values(at_utc=n, publication_id=rid, action="confirm", detail=f"by {actor()}")
            )
            result.changed.append(rid)

    ledger._write(run)
    return result


def history(ledger: Ledger, limit: int = 50, publication_id: int | None = None) -> list[HistoryItem]:
    """Newest first: attempts (with request and remote ids) and events."""
    p, a, e = publication, attempt, event

    def run(c: Connection) -> list[HistoryItem]:
        if publication_id is not None:
            _check_ids(ledger, c, [publication_id], changing=False)
        qa = select(a, p.c.ref, p.c.channel, p.c.lang, p.c.frame).join(p, p.c.id == a.c.publication_id)
        qe = select(e)
        if publication_id is not None:
            qa = qa.where(a.c.publication_id == publication_id)
            qe = qe.where(e.c.publication_id == publication_id)
        attempts = c.execute(qa.order_by(a.c.started_utc.desc(), a.c.id.desc()).limit(limit)).mappings().all()
        events = c.execute(qe.order_by(e.c.at_utc.desc(), e.c.id.desc()).limit(limit)).mappings().all()
        return newest_history(attempts, events, limit)

    return ledger._read(run)


def attempts_of(ledger: Ledger, rid: int) -> list[dict[str, Any]]:
    """The attempt log of one row, oldest first."""
    a = attempt
    return ledger._read(
        lambda c: [
            dict(r._mapping)
            for r in c.execute(select(a).where(a.c.publication_id == rid).order_by(a.c.attempt_no))
        ]
    )
