"""The Ledger: every read and write of publication rows, claims and the attempt log.

All state changes are compare-and-set updates (``WHERE state = … AND claim_token = …``) so a
process that lost its claim (lease ended, row cancelled) changes nothing. Claims take a batch
of due rows atomically: on SQLite inside ``BEGIN IMMEDIATE`` (one writer at a time), on
PostgreSQL with ``FOR UPDATE SKIP LOCKED`` (and a per-channel advisory lock when the channel
has a concurrency or rate limit, so the in-flight count it reads is exact).
"""

from __future__ import annotations

import functools
import json
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import and_, bindparam, case, exists, false, func, insert, literal, not_, or_, select, update

from . import db
from .states import DONE, IN_FLIGHT, State
from .tables import attempt, channel_bucket, event, meta, publication

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

CLAIM_LEASE = timedelta(minutes=10)
SEND_LEASE = timedelta(minutes=30)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))  # then failed


def naive(dt: datetime) -> datetime:
    """Aware -> naive UTC (how the ledger stores times)."""
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def aware(dt: datetime | None) -> datetime | None:
    return None if dt is None else (dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt)


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


@functools.cache
def _send_statements() -> _SendStatements:
    p = publication
    begin = (
        update(p)
        .where(
            p.c.id == bindparam("b_id"),
            p.c.state.in_([State.CLAIMED.value, State.RENDERING.value]),
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
            p.c.state.in_([s.value for s in (*IN_FLIGHT, State.UNKNOWN)]),
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


def actor() -> str:
    """``host:pid`` of this process, stored with claims and attempts."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Row:
    """One publication row, with aware UTC times."""

    id: int
    entry_key: str
    occurrence_key: str
    channel: str
    lang: str
    frame: int
    frame_total: int
    kind: str
    ref: str
    label: str
    source: str
    due_utc: datetime
    deadline_utc: datetime
    state: str
    reason: str | None
    retryable: bool | None
    attempts: int
    next_attempt_utc: datetime | None
    claim_token: str | None
    claimed_by: str | None
    lease_until_utc: datetime | None
    frame_sha256: str | None
    idempotency_key: str | None
    remote_id: str | None
    remote_url: str | None
    published_utc: datetime | None
    expires_utc: datetime | None
    created_utc: datetime
    updated_utc: datetime
    checked_utc: datetime | None

    @classmethod
    def from_mapping(cls, m: Any) -> Row:
        values: dict[str, Any] = {}
        for f in fields(cls):
            v = m[f.name]
            values[f.name] = aware(v) if isinstance(v, datetime) else v
        return cls(**values)

    @property
    def group(self) -> tuple[str, str, str, str]:
        """The frames of one story in one language on one channel share this."""
        return (self.entry_key, self.occurrence_key, self.channel, self.lang)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, datetime) else v
        for private in ("claim_token",):
            out.pop(private, None)
        return out


@dataclass(frozen=True)
class ChannelLimits:
    """How much one channel may take: rows in flight at once, and a token bucket."""

    concurrency: int | None = None
    rate_per_minute: float | None = None


WAITING = "waiting for a fix: "  # the reason of a planned row held back by a broken file or channel


def _like_prefix(column: Any, prefix: str) -> Any:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")


@dataclass(frozen=True)
class RowFilter:
    """Rows that belong to something broken: a content id, a schedule file, an entry, a channel.

    A row matches when any field matches. ``refs`` are content ids; a Q&A announcement's ref
    (``weekly-qa@20261203T1700Z.T-1h``) matches its event's id.
    """

    refs: frozenset[str] = frozenset()
    sources: frozenset[str] = frozenset()  # schedule files relative to the project (schedules/x.yaml)
    entries: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.refs or self.sources or self.entries or self.channels or self.ids)

    def __or__(self, other: RowFilter) -> RowFilter:
        return RowFilter(
            self.refs | other.refs,
            self.sources | other.sources,
            self.entries | other.entries,
            self.channels | other.channels,
            self.ids | other.ids,
        )

    def matches(self, ref: str, source: str, entry_key: str, channel: str) -> bool:
        """Whether a row with these values matches (in Python, like :meth:`condition` in SQL)."""
        return (
            ref in self.refs
            or ref.partition("@")[0] in self.refs
            or source.rpartition(":")[0] in self.sources
            or entry_key in self.entries
            or channel in self.channels
        )

    def condition(self) -> Any:
        """The SQL condition on :data:`publication` (False when the filter is empty)."""
        p = publication
        parts: list[Any] = []
        if self.refs:
            parts.append(p.c.ref.in_(sorted(self.refs)))
            parts.extend(_like_prefix(p.c.ref, r + "@") for r in sorted(self.refs))
        parts.extend(_like_prefix(p.c.source, s + ":") for s in sorted(self.sources))
        if self.entries:
            parts.append(p.c.entry_key.in_(sorted(self.entries)))
        if self.channels:
            parts.append(p.c.channel.in_(sorted(self.channels)))
        if self.ids:
            parts.append(p.c.id.in_(sorted(self.ids)))
        return or_(*parts) if parts else false()


_KEY_HINTS = {
    "entry_key": "give the entry a shorter id: (or its schedule file a shorter name)",
    "occurrence_key": "use shorter phase names in announce:",
    "ref": "use a shorter id for the story, event or poll",
    "channel": "use a shorter channel name in storycast.toml",
    "lang": "use a shorter language code",
    "kind": "use a shorter entry kind name",
}


def oversized(unit: dict[str, Any]) -> tuple[str, str, int] | None:
    """(field, hint, limit) of the first key field of ``unit`` too long for its column, or None.

    PostgreSQL refuses such a value (and with it the whole batch), SQLite would store it; checking
    first makes both behave the same, and lets the caller hold that one occurrence.
    """
    for name, hint in _KEY_HINTS.items():
        limit = getattr(publication.c[name].type, "length", None)
        if limit is not None and len(str(unit[name])) > limit:
            return name, hint, limit
    return None


class Unit(NamedTuple):
    """What the ledger holds for one unit key (see :meth:`Ledger.existing_units`)."""

    state: str
    frame_total: int
    ref: str
    source: str


class Ledger:
    """The publication ledger over one database URL."""

    def __init__(self, url: str, timeout_s: float = db.DEFAULT_TIMEOUT_S, *, threads: int = 1) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.engine: Engine = db.make_engine(url, timeout_s, threads=threads)
        self.dialect = self.engine.dialect.name
        self._live_tokens: set[str] = set()

    # -- opening --------------------------------------------------------------------------

    @classmethod
    def open(
        cls, url: str, timeout_s: float = db.DEFAULT_TIMEOUT_S, *, migrate: bool = True, threads: int = 1
    ) -> Ledger:
        """Connect, refuse a newer schema, and upgrade an older one (retrying while locked)."""
        ledger = cls(url, timeout_s, threads=threads)
        if migrate:
            ledger.retry(lambda: db.upgrade(ledger.engine, url))
        return ledger

    def close(self) -> None:
        self.engine.dispose()

    def retry(self, fn: Any) -> Any:
        """Run ``fn()`` with bounded retries on a locked/unreachable database."""
        return db.retrying(fn, self.url, self.timeout_s)

    def _write(self, fn: Any) -> Any:
        def run() -> Any:
            with db.transaction(self.engine) as conn:
                return fn(conn)

        return self.retry(run)

    def ids_in(self, column: Any, ids: Sequence[int]) -> Any:
        """``column IN ids``; on PostgreSQL ``= ANY(array)``: one statement text whatever the count,
        so neither the driver nor the server parses a new query for every batch size."""
        if self.dialect == "postgresql":
            from sqlalchemy import Integer, any_
            from sqlalchemy.dialects.postgresql import ARRAY

            return column == any_(bindparam("ids_any", list(ids), type_=ARRAY(Integer)))
        return column.in_(list(ids))

    def _write_one(self, fn: Any) -> Any:
        """Run one self-contained statement in autocommit (PostgreSQL): no BEGIN/COMMIT round trips.

        Only for a single statement that is atomic on its own (its CTEs included); anything that
        needs two statements to agree goes through :meth:`_write`.
        """

        def run() -> Any:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                return fn(conn)

        return self.retry(run)

    def _read(self, fn: Any) -> Any:
        def run() -> Any:
            with db.transaction(self.engine, read=True) as conn:
                return fn(conn)

        return self.retry(run)

    # -- meta -----------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        return self._read(lambda c: c.execute(select(meta.c.value).where(meta.c.key == key)).scalar())

    def set_meta(self, key: str, value: str) -> None:
        def run(c: Connection) -> None:
            if c.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
                c.execute(self._insert_ignore(meta).values(key=key, value=value))

        self._write(run)

    # -- inserting ------------------------------------------------------------------------

    def _insert_ignore(self, table: Any) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).on_conflict_do_nothing()
        if self.dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as lite_insert

            return lite_insert(table).on_conflict_do_nothing()
        return insert(table).prefix_with("IGNORE")

    def insert_units(self, units: Sequence[dict[str, Any]], now: datetime) -> int:
        """Insert publication rows if absent (``ON CONFLICT DO NOTHING``); return how many were new."""
        if not units:
            return 0
        stamp = naive(now)
        rows = []
        for u in units:
            r = dict(u)
            r["due_utc"] = naive(r["due_utc"])
            r["deadline_utc"] = naive(r["deadline_utc"])
            r.setdefault("label", "")
            r.setdefault("source", "")
            r.update(state=State.PLANNED.value, attempts=0, created_utc=stamp, updated_utc=stamp)
            rows.append(r)

        def run(c: Connection) -> int:
            total = 0
            stmt = self._insert_ignore(publication).returning(publication.c.id)
            for i in range(0, len(rows), 500):
                total += len(c.execute(stmt, rows[i : i + 500]).all())
            return total

        return int(self._write(run))

    def existing_units(
        self, due_from: datetime, due_to: datetime
    ) -> dict[tuple[str, str, str, str, int], Unit]:
        """Unit key -> what the ledger holds for it, for rows due in [due_from, due_to)."""
        p = publication

        def run(c: Connection) -> dict[tuple[str, str, str, str, int], Unit]:
            q = select(
                p.c.entry_key,
                p.c.occurrence_key,
                p.c.channel,
                p.c.lang,
                p.c.frame,
                p.c.state,
                p.c.frame_total,
                p.c.ref,
                p.c.source,
            ).where(p.c.due_utc >= naive(due_from), p.c.due_utc < naive(due_to))
            return {(r[0], r[1], r[2], r[3], r[4]): Unit(r[5], r[6], r[7], r[8]) for r in c.execute(q)}

        return self._read(run)

    def set_frame_totals(self, totals: dict[tuple[str, str, str, str, int], int], now: datetime) -> int:
        """Correct ``frame_total`` of planned rows whose story gained or lost frames."""
        p = publication

        def run(c: Connection) -> int:
            n = 0
            for (e, o, ch, lang, frame), total in totals.items():
                n += c.execute(
                    update(p)
                    .where(
                        p.c.entry_key == e,
                        p.c.occurrence_key == o,
                        p.c.channel == ch,
                        p.c.lang == lang,
                        p.c.frame == frame,
                        p.c.state == State.PLANNED.value,
                    )
                    .values(frame_total=total, updated_utc=naive(now))
                ).rowcount
            return n

        return int(self._write(run)) if totals else 0

    # -- held rows (a broken file or channel) -------------------------------------------------

    def mark_waiting(self, held: RowFilter, reason: str, now: datetime) -> int:
        """Give due planned rows matching ``held`` the reason they wait; return how many wait.

        The rows stay ``planned`` (a fix lets them go out within their grace window); the
        reason is what ``storycast status`` shows until then.
        """
        p = publication
        n = naive(now)
        text = WAITING + reason
        due = and_(
            p.c.state == State.PLANNED.value, p.c.due_utc <= n, p.c.deadline_utc >= n, held.condition()
        )

        def run(c: Connection) -> int:
            c.execute(
                update(p)
                .where(due, or_(p.c.reason.is_(None), p.c.reason != text))
                .values(reason=text, updated_utc=n)
            )
            return int(c.execute(select(func.count()).where(due)).scalar_one())

        return int(self._write(run)) if held else 0

    def clear_waiting(self, held: RowFilter) -> int:
        """Forget the waiting reason of planned rows no longer held (their file was fixed)."""
        p = publication
        cond = and_(p.c.state == State.PLANNED.value, _like_prefix(p.c.reason, WAITING))
        if held:
            cond = and_(cond, not_(held.condition()))
        return int(self._write(lambda c: c.execute(update(p).where(cond).values(reason=None)).rowcount))

    def count_waiting(self, now: datetime) -> int:
        """Due planned rows that wait for a fix (what ``publish --due`` reports as waiting)."""
        p = publication
        n = naive(now)
        cond = and_(
            p.c.state == State.PLANNED.value,
            p.c.due_utc <= n,
            p.c.deadline_utc >= n,
            _like_prefix(p.c.reason, WAITING),
        )
        return int(self._read(lambda c: c.execute(select(func.count()).where(cond)).scalar_one()))

    def hold(self, row: Row, now: datetime, reason: str) -> bool:
        """Give a claimed (not yet sending) row back to ``planned`` because something it needs is
        broken; its later frames get the same reason. Nothing was sent. False if the claim was lost."""
        p = publication
        n = naive(now)
        text = WAITING + reason

        def run(c: Connection) -> bool:
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
            c.execute(
                update(p)
                .where(
                    p.c.entry_key == row.entry_key,
                    p.c.occurrence_key == row.occurrence_key,
                    p.c.channel == row.channel,
                    p.c.lang == row.lang,
                    p.c.frame > row.frame,
                    p.c.state == State.PLANNED.value,
                )
                .values(reason=text, updated_utc=n)
            )
            return True

        return bool(self._write(run))

    # -- sweeping -------------------------------------------------------------------------

    def _owner_dead(self, claimed_by: str | None, token: str | None) -> bool:
        host, _, pid_text = (claimed_by or "").rpartition(":")
        if host != socket.gethostname() or not pid_text.isdigit():
            return False  # another machine: only its lease can tell
        pid = int(pid_text)
        if pid == os.getpid():
            return token not in self._live_tokens
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def sweep(self, now: datetime) -> dict[str, int]:
        """Release abandoned claims, mark abandoned sends ``unknown``, and late rows ``missed``."""
        p = publication
        n = naive(now)
        counts = {"released": 0, "unknown": 0, "missed": 0}

        def run(c: Connection) -> None:
            stuck = c.execute(
                select(p.c.id, p.c.state, p.c.claimed_by, p.c.claim_token, p.c.lease_until_utc).where(
                    p.c.state.in_([s.value for s in IN_FLIGHT])
                )
            ).all()
            for rid, state, owner, token, lease in stuck:
                if not ((lease is not None and lease < n) or self._owner_dead(owner, token)):
                    continue
                if state == State.SENDING:
                    c.execute(
                        update(p)
                        .where(p.c.id == rid, p.c.state == state, p.c.claim_token == token)
                        .values(
                            state=State.UNKNOWN.value,
                            reason="the process publishing it stopped during the platform call",
                            updated_utc=n,
                        )
                    )
                    c.execute(
                        update(attempt)
                        .where(attempt.c.publication_id == rid, attempt.c.outcome == "sending")
                        .values(outcome="unknown", finished_utc=n, detail="sender stopped mid-call")
                    )
                    counts["unknown"] += 1
                else:
                    c.execute(
                        update(p)
                        .where(p.c.id == rid, p.c.state == state, p.c.claim_token == token)
                        .values(state=State.PLANNED.value, claim_token=None, claimed_by=None, updated_utc=n)
                    )
                    counts["released"] += 1
            missed = c.execute(
                update(p)
                .where(p.c.state == State.PLANNED.value, p.c.deadline_utc < n)
                .values(
                    state=State.MISSED.value,
                    reason=case(
                        (
                            p.c.reason.like(WAITING + "%"),
                            literal("not published within its grace window; it was ") + p.c.reason,
                        ),
                        else_=literal("not published within its grace window"),
                    ),
                    updated_utc=n,
                )
                .returning(p.c.id)
            ).all()
            counts["missed"] = len(missed)
            if missed:
                c.execute(
                    insert(event),
                    [{"at_utc": n, "publication_id": r[0], "action": "missed", "detail": ""} for r in missed],
                )

        self._write(run)
        return counts

    # -- claiming -------------------------------------------------------------------------

    def _eligible(self, now: datetime, only_entry: str | None = None) -> Any:
        p = publication
        prev = publication.alias("prev")
        earlier_open = exists().where(
            prev.c.entry_key == p.c.entry_key,
            prev.c.occurrence_key == p.c.occurrence_key,
            prev.c.channel == p.c.channel,
            prev.c.lang == p.c.lang,
            prev.c.frame < p.c.frame,
            prev.c.state.notin_([s.value for s in DONE]),
        )
        cond = and_(
            p.c.state == State.PLANNED.value,
            p.c.due_utc <= now,
            p.c.deadline_utc >= now,
            or_(p.c.next_attempt_utc.is_(None), p.c.next_attempt_utc <= now),
            ~earlier_open,
        )
        if only_entry is not None:
            cond = and_(cond, p.c.entry_key == only_entry)
        return cond

    def claim(
        self,
        now: datetime,
        limit: int,
        limits: dict[str, ChannelLimits] | None = None,
        *,
        only_entry: str | None = None,
        within: Callable[[Connection, list[Row]], None] | None = None,
        exclude: RowFilter | None = None,
    ) -> list[Row]:
        """Atomically claim up to ``limit`` due rows (one frame per story group), honouring channel limits.

        ``within(conn, rows)`` runs inside the claim's transaction when rows were claimed: a queue
        defers their jobs there (transactional outbox), so a claim never outlives its hand-over.
        ``exclude``: rows not to claim (held back by a broken file or channel).
        """
        p = publication
        n = naive(now)
        token = uuid.uuid4().hex
        owner = actor()
        limits = limits or {}

        def take(c: Connection, cond: Any, ch: str, want: int) -> list[Row]:
            lim = limits.get(ch, ChannelLimits())
            if lim.concurrency is not None or lim.rate_per_minute is not None:
                if self.dialect == "postgresql":
                    c.execute(select(func.pg_advisory_xact_lock(func.hashtext("storycast-claim:" + ch))))
                if lim.concurrency is not None:
                    in_flight = p.c.state.in_([s.value for s in IN_FLIGHT])
                    busy = c.execute(select(func.count()).where(p.c.channel == ch, in_flight)).scalar_one()
                    want = min(want, lim.concurrency - busy)
                if lim.rate_per_minute is not None and want > 0:
                    want = self._take_tokens(c, ch, lim.rate_per_minute, want, n)
            if want <= 0:
                return []
            pick = select(p.c.id).where(cond, p.c.channel == ch).order_by(p.c.due_utc, p.c.id).limit(want)
            if self.dialect == "postgresql":
                pick = pick.with_for_update(skip_locked=True, of=p)
            # Two statements, not UPDATE ... WHERE id IN (SELECT ... LIMIT): PostgreSQL may
            # re-run a locking subquery per row and overshoot the limit.
            ids = [r[0] for r in c.execute(pick)]
            if not ids:
                return []
            got = c.execute(
                update(p)
                .where(self.ids_in(p.c.id, ids), p.c.state == State.PLANNED.value)
                .values(
                    state=State.CLAIMED.value,
                    claim_token=token,
                    claimed_by=owner,
                    lease_until_utc=n + CLAIM_LEASE,
                    updated_utc=n,
                )
                .returning(*p.c)
            ).all()
            return [Row.from_mapping(r._mapping) for r in got]

        def run(c: Connection) -> list[Row]:
            cond = self._eligible(n, only_entry)
            if exclude:
                cond = and_(cond, not_(exclude.condition()))
            channels = sorted(r[0] for r in c.execute(select(p.c.channel).where(cond).distinct()))
            claimed: list[Row] = []
            # A fair share per channel first, so one channel's backlog never holds back the
            # others' posts for a whole batch; then whatever room is left, channel by channel.
            share = -(-limit // max(len(channels), 1))
            hungry: list[str] = []
            for ch in channels:
                got = take(c, cond, ch, min(share, limit - len(claimed)))
                claimed.extend(got)
                if len(got) == share:
                    hungry.append(ch)
            for ch in hungry:
                if len(claimed) >= limit:
                    break
                claimed.extend(take(c, cond, ch, limit - len(claimed)))
            if within is not None and claimed:
                within(c, claimed)
            return claimed

        rows = self._write(run)
        if rows:
            self._live_tokens.add(token)
        rows.sort(key=lambda r: (r.due_utc, r.entry_key, r.occurrence_key, r.channel, r.lang, r.frame))
        return rows

    def _take_tokens(self, c: Connection, ch: str, per_minute: float, want: int, n: datetime) -> int:
        b = channel_bucket
        capacity = max(1.0, per_minute)
        row = c.execute(select(b.c.tokens, b.c.updated_utc).where(b.c.channel == ch)).first()
        if row is None:
            tokens = capacity
            c.execute(self._insert_ignore(b).values(channel=ch, tokens=tokens, updated_utc=n))
        else:
            elapsed = max((n - row[1]).total_seconds(), 0.0)
            tokens = min(capacity, row[0] + elapsed * per_minute / 60.0)
        take = min(want, int(tokens))
        c.execute(update(b).where(b.c.channel == ch).values(tokens=tokens - take, updated_utc=n))
        return take

    def release_token(self, token: str) -> None:
        """Forget a claim token once this process has finished with its rows."""
        self._live_tokens.discard(token)

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
                .where(
                    p.c.entry_key == row.entry_key,
                    p.c.occurrence_key == row.occurrence_key,
                    p.c.channel == row.channel,
                    p.c.lang == row.lang,
                    p.c.frame > row.frame,
                    p.c.state == State.PLANNED.value,
                )
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

    # -- queries --------------------------------------------------------------------------

    def rows(self, *where: Any, order: Any = None, limit: int | None = None) -> list[Row]:
        """Rows matching SQLAlchemy conditions on :data:`publication` (its columns as ``publication.c``)."""
        p = publication

        def run(c: Connection) -> list[Row]:
            q = select(*p.c).where(*where).order_by(*(order or (p.c.due_utc, p.c.id)))
            if limit is not None:
                q = q.limit(limit)
            return [Row.from_mapping(r._mapping) for r in c.execute(q)]

        return self._read(run)

    def counts(self) -> dict[str, int]:
        p = publication
        return self._read(
            lambda c: {s: n for s, n in c.execute(select(p.c.state, func.count()).group_by(p.c.state))}
        )

    def next_due(self, now: datetime, exclude: RowFilter | None = None) -> datetime | None:
        """The earliest time a planned row becomes claimable (for the daemon's sleep).

        ``exclude``: rows held back (a broken file): they do not wake the daemon; a fix does.
        """
        p = publication

        def run(c: Connection) -> datetime | None:
            t = func.coalesce(p.c.next_attempt_utc, p.c.due_utc)
            cond = and_(p.c.state == State.PLANNED.value, p.c.deadline_utc >= naive(now))
            if exclude:
                cond = and_(cond, not_(exclude.condition()))
            v = c.execute(select(func.min(t)).where(cond)).scalar()
            if isinstance(v, str):  # SQLite returns min() of a coalesce as text
                v = datetime.fromisoformat(v)
            return aware(v)

        return self._read(run)
