"""Planning: inserting the timetable's units, correcting and cancelling planned rows, held rows,
and the read queries over publication rows."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, func, not_, or_, select, update

from .base import LedgerBase
from .rows import WAITING, Row, RowFilter, RowQuery, Unit, UnitKey, _like_prefix, aware, naive
from .states import State
from .tables import publication

log = logging.getLogger("storycast.ledger")

# New rows after which an insert refreshes PostgreSQL's statistics of the table, if they are
# more than a tenth of it (autovacuum's own default measure of stale, with its threshold of 50).
ANALYZE_AFTER = 200

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


def _unit(entry: str, occurrence: str, channel: str, lang: str, frame: int) -> tuple[Any, ...]:
    """Where-clauses of one unit's row: (entry, occurrence, channel, language, frame)."""
    p = publication
    return (
        p.c.entry_key == entry,
        p.c.occurrence_key == occurrence,
        p.c.channel == channel,
        p.c.lang == lang,
        p.c.frame == frame,
    )


@functools.cache
def _insert_json(keys: tuple[str, ...]) -> Any:
    """PostgreSQL: INSERT the publication rows of one JSON array (``u_rows``) that are absent."""
    from sqlalchemy import Text, cast, column
    from sqlalchemy.dialects.postgresql import JSONB
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    p = publication
    given = (
        func.jsonb_to_recordset(cast(bindparam("u_rows", type_=Text), JSONB))
        .table_valued(*[column(k, p.c[k].type) for k in keys])
        .render_derived(name="u", with_types=True)
    )
    rows = select(*[given.c[k] for k in keys])
    return pg_insert(p).from_select(list(keys), rows).on_conflict_do_nothing().returning(p.c.id)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a planned row")


class Planning(LedgerBase):
    """Rows before anything claims them, and queries over all rows."""

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
            if self.dialect == "postgresql":
                # The rows as one JSON parameter: the statement's text stays the same whatever
                # their number (a VALUES list of 500 rows is 10,000 placeholders for the driver
                # to parse, an array per column as many elements to quote, both in Python).
                by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
                for r in rows:
                    by_keys.setdefault(tuple(sorted(r)), []).append(r)
                for keys, group in by_keys.items():
                    text = json.dumps(group, default=_json_value)
                    total += len(c.execute(_insert_json(keys), {"u_rows": text}).all())
                return total
            stmt = self._insert_ignore(publication).returning(publication.c.id)
            for i in range(0, len(rows), 500):
                total += len(c.execute(stmt, rows[i : i + 500]).all())
            return total

        inserted = int(self._write(run))
        if inserted >= ANALYZE_AFTER and self.dialect == "postgresql":
            self._analyze_if_stale(inserted)
        return inserted

    def _analyze_if_stale(self, inserted: int) -> None:
        """PostgreSQL: refresh the table's statistics when this insert made them stale.

        The claim's condition (the earlier frames and languages of each row) is planned from
        them: on a table never analyzed, or one that just grew by more than a tenth, the planner
        guesses one row and picks a nested loop over a channel's every row for each candidate
        (45 ms for 1,000 new rows, against 11 ms once analyzed; a channel's pick 2.7 against
        0.6 ms). Autovacuum would analyze it too, but up to a minute later, while the tick that
        planned the rows claims them at once. Best effort: skipped when another analyze holds
        the table, and never an error of the tick.
        """
        from sqlalchemy import text

        def run(c: Connection) -> None:
            got = c.execute(text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('publication')"))
            known = got.scalar()
            if known is not None and known >= 0 and inserted * 10 < known:
                return
            c.execute(text("SET LOCAL lock_timeout = '200ms'"))
            c.execute(text("ANALYZE publication"))

        from . import db

        try:
            with db.transaction(self.engine) as conn:  # once: a lock timeout is not retried
                run(conn)
        except Exception as exc:  # statistics are an optimization: the plan is the same rows
            log.debug("ANALYZE publication skipped: %s", exc)

    def existing_units(self, due_from: datetime, due_to: datetime) -> dict[UnitKey, Unit]:
        """Unit key -> what the ledger holds for it, for rows due in [due_from, due_to)."""
        p = publication

        def run(c: Connection) -> dict[UnitKey, Unit]:
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
                p.c.kind,
            ).where(p.c.due_utc >= naive(due_from), p.c.due_utc < naive(due_to))
            return {(r[0], r[1], r[2], r[3], r[4]): Unit(r[5], r[6], r[7], r[8], r[9]) for r in c.execute(q)}

        return self._read(run)

    def set_frame_totals(self, totals: dict[UnitKey, int], now: datetime) -> int:
        """Correct ``frame_total`` of planned rows whose story gained or lost frames."""
        p = publication

        def run(c: Connection) -> int:
            n = 0
            for (e, o, ch, lang, frame), total in totals.items():
                n += c.execute(
                    update(p)
                    .where(
                        *_unit(e, o, ch, lang, frame),
                        p.c.state == State.PLANNED.value,
                    )
                    .values(frame_total=total, updated_utc=naive(now))
                ).rowcount
            return n

        return int(self._write(run)) if totals else 0

    def set_kinds(self, kinds: dict[UnitKey, tuple[str, str | None]], now: datetime, revive: str) -> int:
        """Give rows a new ``(kind, reason)``: an entry's ``format:`` changed before its story began
        going out. Planned rows change in place; rows cancelled with reason ``revive`` (they had
        left the schedule, and are back in it) are planned again. Other states are left alone."""
        p = publication

        def run(c: Connection) -> int:
            n = 0
            for (e, o, ch, lang, frame), (kind, reason) in kinds.items():
                n += c.execute(
                    update(p)
                    .where(
                        *_unit(e, o, ch, lang, frame),
                        or_(
                            p.c.state == State.PLANNED.value,
                            and_(p.c.state == State.CANCELLED.value, p.c.reason == revive),
                        ),
                    )
                    .values(kind=kind, reason=reason, state=State.PLANNED.value, updated_utc=naive(now))
                ).rowcount
            return n

        return int(self._write(run)) if kinds else 0

    def cancel_planned(self, keys: Sequence[UnitKey], now: datetime, reason: str) -> int:
        """Cancel the planned rows with these unit keys (rows in any other state are left alone)."""
        p = publication

        def run(c: Connection) -> int:
            n = 0
            for e, o, ch, lang, frame in keys:
                n += c.execute(
                    update(p)
                    .where(
                        *_unit(e, o, ch, lang, frame),
                        p.c.state == State.PLANNED.value,
                    )
                    .values(state=State.CANCELLED.value, reason=reason, updated_utc=naive(now))
                ).rowcount
            return n

        return self._write(run)

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

    # -- queries --------------------------------------------------------------------------

    def find(self, query: RowQuery | None = None) -> list[Row]:
        """Publication rows matching ``query`` (every row without one), due time order by default."""
        q = query or RowQuery()
        p = publication
        where: list[Any] = []
        if q.ids is not None:
            where.append(self.ids_in(p.c.id, list(q.ids)))  # one statement text whatever the count
        if q.states is not None:
            where.append(p.c.state.in_(list(q.states)))
        if q.ref is not None:
            where.append(p.c.ref == q.ref)
        if q.due_from is not None:
            where.append(p.c.due_utc >= naive(q.due_from))
        if q.due_to is not None:
            where.append(p.c.due_utc <= naive(q.due_to))
        if q.checked_before is not None:
            where.append(or_(p.c.checked_utc.is_(None), p.c.checked_utc < naive(q.checked_before)))
        order = (p.c.due_utc, p.c.id) if q.order == "due" else (p.c.id,)
        return self.rows(*where, order=order, limit=q.limit)

    def rows(self, *where: Any, order: Any = None, limit: int | None = None) -> list[Row]:
        """Rows matching SQLAlchemy conditions on :data:`publication` (its columns as ``publication.c``).

        For the ledger's own modules and white-box tests; other packages call :meth:`find`.
        """
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
