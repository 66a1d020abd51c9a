"""The send protocol: every change of a claimed row up to its result, and the attempt log.

Every change is a compare-and-set (``WHERE state = … AND claim_token = …``), so a process that
lost its claim (lease ended, row cancelled) changes nothing. The attempt is committed *before*
the platform is called (:meth:`Sending.begin_send`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, insert, literal, or_, select, update

from .base import LedgerBase
from .rows import WAITING, Row, actor, naive
from .states import IN_FLIGHT, State
from .tables import attempt, event, publication

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

SEND_LEASE = timedelta(minutes=30)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))  # then failed


# -- statements of the send path, built once ------------------------------------------------
# Every published frame runs begin_send and finish; building their statements per call (and
# computing SQLAlchemy's cache key for each) cost more CPU than the database round trips.


_ATTEMPT_COLUMNS = (
    "publication_id",
    "attempt_no",
    "started_utc",
    "outcome",
    "actor",
    "idempotency_key",
    "forced",
    "detail",
)


@dataclass(frozen=True)
class _SendStatements:
    begin: Any  # UPDATE publication ... RETURNING attempts
    attempt: Any  # INSERT INTO attempt
    begin_one: Any  # PostgreSQL: both in one statement (a data-modifying CTE), one round trip


def _state_in(*states: State) -> Any:
    """``state IN (...)`` written as ORs of plain binds: an IN list is an expanding parameter,
    rendered again at every execution (0.1 ms CPU of the 0.5 ms a send statement costs)."""
    return or_(*[publication.c.state == s.value for s in states])


@functools.cache
def _send_statements() -> _SendStatements:
    p = publication
    begin = (
        update(p)
        .where(
            p.c.id == bindparam("b_id"),
            _state_in(State.CLAIMED, State.RENDERING),
            p.c.claim_token.is_not_distinct_from(bindparam("b_token")),
        )
        .values(
            state=State.SENDING.value,
            attempts=p.c.attempts + 1,
            idempotency_key=bindparam("v_key"),
            frame_sha256=bindparam("v_sha"),
            lease_until_utc=bindparam("v_lease"),
            updated_utc=bindparam("v_now"),
        )
        .returning(p.c.attempts)
    )
    sent = begin.returning(p.c.id).cte("sent")
    a = attempt.c
    begin_one = (
        insert(attempt)
        .from_select(
            list(_ATTEMPT_COLUMNS),
            select(
                sent.c.id,
                sent.c.attempts,
                bindparam("v_now", type_=a.started_utc.type),
                literal("sending", type_=a.outcome.type),
                bindparam("a_actor", type_=a.actor.type),
                bindparam("v_key", type_=a.idempotency_key.type),
                bindparam("a_forced", type_=a.forced.type),
                bindparam("a_detail", type_=a.detail.type),
            ),
        )
        .returning(a.attempt_no)
    )
    return _SendStatements(begin=begin, attempt=insert(attempt), begin_one=begin_one)


@functools.cache
def _finish_statement(keys: tuple[str, ...]) -> Any:
    p = publication
    return (
        update(p)
        .where(
            p.c.id == bindparam("b_id"),
            p.c.claim_token.is_not_distinct_from(bindparam("b_token")),
            _state_in(*IN_FLIGHT, State.UNKNOWN),
        )
        .values({k: bindparam(f"v_{k}") for k in keys})
    )


@functools.cache
def _close_attempt_statement(keys: tuple[str, ...]) -> Any:
    return (
        update(attempt)
        .where(attempt.c.publication_id == bindparam("b_id"), attempt.c.attempt_no == bindparam("b_no"))
        .values({k: bindparam(f"a_{k}") for k in keys})
    )


@functools.cache
def _finish_one_statement(keys: tuple[str, ...], closing: tuple[str, ...]) -> Any:
    """PostgreSQL: the row's result and its attempt's close in one statement; selects 1 or 0."""
    done = _finish_statement(keys).returning(publication.c.id).cte("done")
    close = (
        _close_attempt_statement(closing).where(attempt.c.publication_id.in_(select(done.c.id))).cte("closed")
    )
    return select(func.count()).select_from(done).add_cte(close)


@dataclass(frozen=True)
class AlbumSend:
    """One row of an album about to be sent: what :meth:`Sending.begin_send` takes for a row."""

    row: Row
    idempotency_key: str
    frame_sha256: str | None
    forced: bool = False
    detail: str | None = None


@dataclass(frozen=True)
class Settled:
    """A sent row's answer, to be recorded (what :meth:`Sending.finish` records for a row that
    went out: ``published`` or ``handed_off``, with what the platform gave back)."""

    row: Row
    attempt_no: int
    state: State
    reason: str | None = None
    remote_id: str | None = None
    remote_url: str | None = None
    request_id: str | None = None
    expires: datetime | None = None


def _states(states: Sequence[State]) -> str:
    return ", ".join(f"'{s.value}'" for s in states)


# PostgreSQL: a sent row's result (as ``finish`` records it for published/handed_off) and the next
# row's attempt (as ``begin_send`` makes it) in one statement, so one commit. Each half keeps its
# own compare-and-set; they touch two different rows, and the statement is atomic. The attempt is
# found by its key (publication_id, attempt_no) as well as through ``done``: by ``done`` alone the
# planner scans the whole attempt table, once per post.
_SETTLE_AND_BEGIN = f"""
WITH done AS (
    UPDATE publication SET state = %(f_state)s, reason = %(f_reason)s, retryable = NULL,
        updated_utc = %(now)s, remote_id = %(f_remote_id)s, remote_url = %(f_remote_url)s,
        published_utc = %(now)s, expires_utc = %(f_expires)s, claim_token = NULL, lease_until_utc = NULL
    WHERE id = %(f_id)s AND claim_token IS NOT DISTINCT FROM %(f_token)s
        AND state IN ({_states((*IN_FLIGHT, State.UNKNOWN))})
    RETURNING id
), closed AS (
    UPDATE attempt SET outcome = %(f_state)s, finished_utc = %(now)s, remote_id = %(f_remote_id)s,
        request_id = %(f_request_id)s, detail = coalesce(%(f_reason)s, detail)
    WHERE publication_id = %(f_id)s AND attempt_no = %(f_no)s AND publication_id IN (SELECT id FROM done)
), sent AS (
    UPDATE publication SET state = '{State.SENDING.value}', attempts = attempts + 1,
        idempotency_key = %(b_key)s, frame_sha256 = %(b_sha)s, lease_until_utc = %(b_lease)s,
        updated_utc = %(now)s
    WHERE id = %(b_id)s AND state IN ({_states((State.CLAIMED, State.RENDERING))})
        AND claim_token IS NOT DISTINCT FROM %(b_token)s
    RETURNING id, attempts
), began AS (
    INSERT INTO attempt (publication_id, attempt_no, started_utc, outcome, actor, idempotency_key,
        forced, detail)
    SELECT id, attempts, %(now)s, 'sending', %(b_actor)s, %(b_key)s, %(b_forced)s, %(b_detail)s FROM sent
    RETURNING attempt_no
)
SELECT (SELECT count(*) FROM done), (SELECT attempt_no FROM began)
"""


class _ClaimLost(Exception):
    """A row of an album lost its claim: the album's transaction rolls back."""


class Sending(LedgerBase):
    """A claimed row's way to its result."""

    # -- the send protocol ----------------------------------------------------------------

    def mark_rendering(self, rows: Sequence[Row], now: datetime) -> None:
        p = publication
        ids = [r.id for r in rows]
        if not ids:
            return
        token = rows[0].claim_token

        def run(c: Connection) -> None:
            c.execute(
                update(p)
                .where(self.ids_in(p.c.id, ids), p.c.state == State.CLAIMED.value, p.c.claim_token == token)
                .values(state=State.RENDERING.value, updated_utc=naive(now))
            )

        self._write(run)

    def begin_send(
        self,
        row: Row,
        now: datetime,
        *,
        idempotency_key: str,
        frame_sha256: str | None,
        forced: bool = False,
        detail: str | None = None,
    ) -> int | None:
        """CAS the row to ``sending`` and commit its attempt record; None when the claim was lost."""
        n = naive(now)
        stmts = _send_statements()
        params = {
            "b_id": row.id,
            "b_token": row.claim_token,
            "v_key": idempotency_key,
            "v_sha": frame_sha256,
            "v_lease": n + SEND_LEASE,
            "v_now": n,
        }
        extra = {"a_actor": actor(), "a_forced": forced, "a_detail": detail}
        if self.dialect == "postgresql":
            found = self._write_one(lambda c: c.execute(stmts.begin_one, {**params, **extra}).first())
            return None if found is None else int(found[0])

        def run(c: Connection) -> int | None:
            res = c.execute(stmts.begin, params).first()
            if res is None:
                return None
            no = int(res[0])
            c.execute(
                stmts.attempt,
                {
                    "publication_id": row.id,
                    "attempt_no": no,
                    "started_utc": n,
                    "outcome": "sending",
                    "actor": extra["a_actor"],
                    "idempotency_key": idempotency_key,
                    "forced": forced,
                    "detail": detail,
                },
            )
            return no

        return self._write(run)

    def settle_and_begin(
        self,
        settled: Settled,
        row: Row,
        now: datetime,
        *,
        idempotency_key: str,
        frame_sha256: str | None,
        forced: bool = False,
        detail: str | None = None,
    ) -> tuple[bool, int | None]:
        """Record ``settled`` and begin ``row``'s attempt: ``finish`` then ``begin_send`` as one
        commit on PostgreSQL (one statement), two elsewhere.

        Returns (whether ``settled``'s row was still in flight with its claim, ``row``'s attempt
        number or None when its claim was lost). Exactly-once holds as with the two calls: the
        attempt is durable before ``row`` is sent, and so is the earlier row's result.
        """
        s = settled
        if not self.raw_pg or s.row.id == row.id:
            done = self.finish(
                s.row,
                s.attempt_no,
                now,
                s.state,
                reason=s.reason,
                remote_id=s.remote_id,
                remote_url=s.remote_url,
                request_id=s.request_id,
                expires=s.expires,
            )
            no = self.begin_send(
                row,
                now,
                idempotency_key=idempotency_key,
                frame_sha256=frame_sha256,
                forced=forced,
                detail=detail,
            )
            return done, no
        n = naive(now)
        got = self._pg_one(
            _SETTLE_AND_BEGIN,
            {
                "now": n,
                "f_id": s.row.id,
                "f_token": s.row.claim_token,
                "f_no": s.attempt_no,
                "f_state": s.state.value,
                "f_reason": s.reason,
                "f_remote_id": s.remote_id,
                "f_remote_url": s.remote_url,
                "f_request_id": s.request_id,
                "f_expires": naive(s.expires) if s.expires else None,
                "b_id": row.id,
                "b_token": row.claim_token,
                "b_key": idempotency_key,
                "b_sha": frame_sha256,
                "b_lease": n + SEND_LEASE,
                "b_actor": actor(),
                "b_forced": forced,
                "b_detail": detail,
            },
        )
        assert got is not None  # the statement selects one row
        return bool(got[0]), None if got[1] is None else int(got[1])

    def begin_album(self, sends: Sequence[AlbumSend], now: datetime) -> list[int] | None:
        """CAS every row of one album to ``sending`` and commit their attempts, all or none.

        An album is one platform call for several rows: each row gets its attempt (outcome
        ``sending``, detail naming the album) and an ``album`` event listing the rows, in one
        transaction, before the call. None when any row's claim was lost (then nothing changed).
        """
        n = naive(now)
        stmts = _send_statements()
        ids = [s.row.id for s in sends]
        note = f"album of {len(sends)} frames in one call (rows {', '.join(map(str, ids))})"

        def run(c: Connection) -> list[int]:
            numbers = []
            for s in sends:
                got = c.execute(
                    stmts.begin,
                    {
                        "b_id": s.row.id,
                        "b_token": s.row.claim_token,
                        "v_key": s.idempotency_key,
                        "v_sha": s.frame_sha256,
                        "v_lease": n + SEND_LEASE,
                        "v_now": n,
                    },
                ).first()
                if got is None:
                    raise _ClaimLost
                no = int(got[0])
                c.execute(
                    stmts.attempt,
                    {
                        "publication_id": s.row.id,
                        "attempt_no": no,
                        "started_utc": n,
                        "outcome": "sending",
                        "actor": actor(),
                        "idempotency_key": s.idempotency_key,
                        "forced": s.forced,
                        "detail": "; ".join(filter(None, [note, s.detail])),
                    },
                )
                numbers.append(no)
            c.execute(
                insert(event),
                [{"at_utc": n, "publication_id": rid, "action": "album", "detail": note} for rid in ids],
            )
            return numbers

        try:
            return self._write(run)
        except _ClaimLost:
            return None

    def finish(
        self,
        row: Row,
        attempt_no: int | None,
        now: datetime,
        state: State,
        *,
        reason: str | None = None,
        retryable: bool | None = None,
        next_attempt: datetime | None = None,
        remote_id: str | None = None,
        remote_url: str | None = None,
        request_id: str | None = None,
        expires: datetime | None = None,
        outcome: str | None = None,
        detail: str | None = None,
    ) -> bool:
        """CAS the claimed/sending row to its result and close its attempt; False if the claim was lost."""
        n = naive(now)
        values: dict[str, Any] = {
            "state": state.value,
            "reason": reason,
            "retryable": retryable,
            "updated_utc": n,
        }
        if state in (State.PUBLISHED, State.HANDED_OFF):
            values.update(remote_id=remote_id, remote_url=remote_url, published_utc=n)
            values["expires_utc"] = naive(expires) if expires else None
        if state != State.UNKNOWN:
            values.update(claim_token=None, lease_until_utc=None)
        if next_attempt is not None:
            values["next_attempt_utc"] = naive(next_attempt)
            grace = row.deadline_utc - row.due_utc
            values["deadline_utc"] = max(naive(row.deadline_utc), naive(next_attempt) + grace)

        keys = tuple(sorted(values))
        params = {"b_id": row.id, "b_token": row.claim_token, **{f"v_{k}": v for k, v in values.items()}}
        closing: dict[str, Any] = {}
        if attempt_no is not None:
            closing = {
                "outcome": outcome or state.value,
                "finished_utc": n,
                "remote_id": remote_id,
                "request_id": request_id,
            }
            note = detail if detail is not None else reason
            if note is not None:  # keep what begin_send wrote (e.g. "forced past lint: …")
                closing["detail"] = note
            params.update({"b_no": attempt_no, **{f"a_{k}": v for k, v in closing.items()}})
        if self.dialect == "postgresql":
            if not closing:
                return bool(self._write_one(lambda c: c.execute(_finish_statement(keys), params).rowcount))
            stmt = _finish_one_statement(keys, tuple(sorted(closing)))
            return bool(self._write_one(lambda c: c.execute(stmt, params).scalar()))

        def run(c: Connection) -> bool:
            if not c.execute(_finish_statement(keys), params).rowcount:
                return False
            if closing:
                c.execute(_close_attempt_statement(tuple(sorted(closing))), params)
            return True

        return bool(self._write(run))

    def fail_unsent(self, rows: Sequence[Row], now: datetime, reason: str, *, action: str = "failed") -> None:
        """Fail claimed rows before any platform call (render or lint problems), with an event each."""
        p = publication
        n = naive(now)

        def run(c: Connection) -> None:
            for r in rows:
                done = c.execute(
                    update(p)
                    .where(
                        p.c.id == r.id,
                        p.c.claim_token == r.claim_token,
                        p.c.state.in_([s.value for s in IN_FLIGHT]),
                    )
                    .values(
                        state=State.FAILED.value,
                        reason=reason,
                        retryable=False,
                        claim_token=None,
                        lease_until_utc=None,
                        updated_utc=n,
                    )
                ).rowcount
                if done:
                    c.execute(
                        insert(event).values(at_utc=n, publication_id=r.id, action=action, detail=reason)
                    )

        self._write(run)

    def release(self, rows: Sequence[Row], now: datetime) -> None:
        """Give claimed (not yet sending) rows back to ``planned`` (a stop request, a frame count change)."""
        p = publication

        def run(c: Connection) -> None:
            for r in rows:
                c.execute(
                    update(p)
                    .where(
                        p.c.id == r.id,
                        p.c.claim_token == r.claim_token,
                        p.c.state.in_([State.CLAIMED.value, State.RENDERING.value]),
                    )
                    .values(
                        state=State.PLANNED.value, claim_token=None, claimed_by=None, updated_utc=naive(now)
                    )
                )

        self._write(run)

    def block_followers(self, row: Row, now: datetime) -> int:
        """Fail the later frames of a group whose frame ``row.frame`` failed for good."""
        p = publication
        n = naive(now)
        reason = f"frame {row.frame} of this story did not publish (row {row.id})"

        def run(c: Connection) -> int:
            got = c.execute(
                update(p)
                .where(*_planned_followers(row))
                .values(state=State.FAILED.value, reason=reason, retryable=True, updated_utc=n)
                .returning(p.c.id)
            ).all()
            if got:
                c.execute(
                    insert(event),
                    [
                        {"at_utc": n, "publication_id": g[0], "action": "blocked", "detail": reason}
                        for g in got
                    ],
                )
            return len(got)

        return int(self._write(run))

    def add_event(self, publication_id: int | None, action: str, detail: Any, now: datetime) -> None:
        text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
        self._write(
            lambda c: c.execute(
                insert(event).values(
                    at_utc=naive(now), publication_id=publication_id, action=action, detail=text
                )
            )
        )

    def hold(self, row: Row, now: datetime, reason: str) -> bool:
        """Give a claimed (not yet sending) row back to ``planned`` because something it needs is
        broken; its later frames get the same reason. Nothing was sent. False if the claim was lost."""
        return bool(self._write(lambda c: give_back(c, row, WAITING + reason, naive(now))))

    # -- reconcile and recovery ------------------------------------------------------------

    def mark_checked(self, row_id: int, now: datetime) -> None:
        """Record that reconcile asked a channel about this row (so it asks again only later)."""
        p = publication
        self._write(lambda c: c.execute(update(p).where(p.c.id == row_id).values(checked_utc=naive(now))))

    def replan_unknown(self, row: Row, now: datetime, reason: str) -> bool:
        """Plan an ``unknown`` row again, due now with a fresh grace window (the channel is certain
        nothing was posted), with a ``reconcile`` event. False if the row is no longer ``unknown``."""
        p = publication
        n = naive(now)
        grace = row.deadline_utc - row.due_utc

        def run(c: Connection) -> bool:
            done = c.execute(
                update(p)
                .where(p.c.id == row.id, p.c.state == State.UNKNOWN.value)
                .values(
                    state=State.PLANNED.value,
                    reason=reason,
                    claim_token=None,
                    claimed_by=None,
                    lease_until_utc=None,
                    checked_utc=n,
                    deadline_utc=max(naive(row.deadline_utc), naive(now + grace)),
                    updated_utc=n,
                )
            ).rowcount
            if done:
                c.execute(
                    insert(event).values(
                        at_utc=n, publication_id=row.id, action="reconcile", detail="not published"
                    )
                )
            return bool(done)

        return self._write(run)

    def abandon_sending(self, row_id: int, now: datetime) -> bool:
        """A row whose sender (a queue worker) died mid-call: ``sending`` becomes ``unknown`` and
        its open attempt is closed as such. Rows in any other state are left alone (False)."""
        p = publication
        n = naive(now)

        def run(c: Connection) -> bool:
            hit = c.execute(
                update(p)
                .where(p.c.id == row_id, p.c.state == State.SENDING.value)
                .values(
                    state=State.UNKNOWN.value,
                    reason="the worker publishing it died during the platform call",
                    updated_utc=n,
                )
            ).rowcount
            if hit:
                c.execute(
                    update(attempt)
                    .where(attempt.c.publication_id == row_id, attempt.c.outcome == "sending")
                    .values(outcome="unknown", finished_utc=n, detail="worker stopped mid-call")
                )
            return bool(hit)

        return self._write(run)


def _planned_followers(row: Row) -> tuple[Any, ...]:
    """Where-clauses of the planned rows after ``row``'s frame in its story/channel/language."""
    p = publication
    return (
        p.c.entry_key == row.entry_key,
        p.c.occurrence_key == row.occurrence_key,
        p.c.channel == row.channel,
        p.c.lang == row.lang,
        p.c.frame > row.frame,
        p.c.state == State.PLANNED.value,
    )


def give_back(c: Connection, row: Row, text: str, n: datetime) -> bool:
    """Return a claimed (not yet sending) row to ``planned`` with ``text`` as its reason, and give
    its later planned frames the same reason. False if the claim was lost."""
    p = publication
    done = c.execute(
        update(p)
        .where(
            p.c.id == row.id,
            p.c.claim_token == row.claim_token,
            p.c.state.in_([State.CLAIMED.value, State.RENDERING.value]),
        )
        .values(
            state=State.PLANNED.value,
            reason=text,
            claim_token=None,
            claimed_by=None,
            lease_until_utc=None,
            updated_utc=n,
        )
    ).rowcount
    if not done:
        return False
    c.execute(update(p).where(*_planned_followers(row)).values(reason=text, updated_utc=n))
    return True
