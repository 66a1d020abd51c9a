"""Claims: the sweep of abandoned work, and the atomic claim of due rows under channel limits.

A claim takes a batch of due rows atomically: on SQLite inside ``BEGIN IMMEDIATE`` (one writer at
a time), on PostgreSQL with ``FOR UPDATE SKIP LOCKED`` (and a per-channel advisory lock when the
channel has a concurrency or rate limit, so the in-flight count it reads is exact).
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, case, exists, func, insert, literal, not_, or_, select, update

from .approvals import AWAITING
from .base import LedgerBase
from .outbox import OutboxTx
from .rows import WAITING, ChannelLimits, Row, RowFilter, actor, naive
from .states import DONE, FINAL, IN_FLIGHT, State
from .tables import attempt, channel_bucket, event, publication

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

CLAIM_LEASE = timedelta(minutes=10)
# The earlier rows of a row's story group, in the claim's condition; made once: a new alias builds
# its column collection again on each claim (0.85 of the 1.9 ms CPU the condition took).
_PREV = publication.alias("prev")
SETTLED = FINAL  # a later language may follow these (published, handed off, failed, missed, cancelled)


@functools.cache
def _eligible_condition(one_entry: bool) -> Any:
    """The condition of :meth:`Claims._eligible` with its time (``e_now``) and entry (``e_entry``)
    as parameters: built once, where building it (and its subquery) for every claim cost more
    CPU than running it. See that method for what it says."""
    p = publication
    prev = _PREV
    now = bindparam("e_now", type_=p.c.due_utc.type)
    earlier_open = exists().where(
        prev.c.entry_key == p.c.entry_key,
        prev.c.occurrence_key == p.c.occurrence_key,
        prev.c.channel == p.c.channel,
        or_(
            and_(
                prev.c.lang == p.c.lang,
                prev.c.frame < p.c.frame,
                prev.c.state.notin_([s.value for s in DONE]),
            ),
            and_(
                prev.c.lang_seq < p.c.lang_seq,
                prev.c.state.notin_([s.value for s in SETTLED]),
            ),
        ),
    )
    cond = and_(
        p.c.state == State.PLANNED.value,
        p.c.due_utc <= now,
        p.c.deadline_utc >= now,
        or_(p.c.next_attempt_utc.is_(None), p.c.next_attempt_utc <= now),
        ~earlier_open,
    )
    if one_entry:
        cond = and_(cond, p.c.entry_key == bindparam("e_entry", type_=p.c.entry_key.type))
    return cond


class Claims(LedgerBase):
    """Sweeping and claiming."""

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
                            or_(p.c.reason.like(WAITING + "%"), p.c.reason.like(AWAITING + "%")),
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

    def _eligible(self, now: datetime, only_entry: str | None = None) -> tuple[Any, dict[str, Any]]:
        """Due, claimable rows whose turn has come within their occurrence and channel.

        A frame waits for the earlier frames of its language until they are published; a
        language waits for every row of the languages before it (``lang_seq``) until each is
        settled, published or failed for good: a failed or missed frame ends its own language's
        sequence (the engine fails the frames after it), and the next language then goes out,
        since its audience is another one. A row planned for a retry, in flight, or ``unknown``
        (it may still be sent) holds the next language back, so two languages never interleave.
        """
        params: dict[str, Any] = {"e_now": naive(now)}
        if only_entry is not None:
            params["e_entry"] = only_entry
        return _eligible_condition(only_entry is not None), params

    def claim(
        self,
        now: datetime,
        limit: int,
        limits: dict[str, ChannelLimits] | None = None,
        *,
        only_entry: str | None = None,
        within: Callable[[OutboxTx, list[Row]], None] | None = None,
        exclude: RowFilter | None = None,
        only_channel: str | None = None,
    ) -> list[Row]:
        """Atomically claim up to ``limit`` due rows (one frame per story group), honouring channel limits.

        ``only_entry`` / ``only_channel``: claim only that entry's / that channel's rows.

        ``within(tx, rows)`` runs inside the claim's transaction when rows were claimed: a queue
        hands the rows over and defers their jobs there (transactional outbox), so a claim never
        outlives its hand-over.
        ``exclude``: rows not to claim (held back by a broken file or channel).
        """
        p = publication
        n = naive(now)
        token = uuid.uuid4().hex
        owner = actor()
        limits = limits or {}

        eligible, params = self._eligible(n, only_entry)

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
            ids = [r[0] for r in c.execute(pick, params)]
            if not ids:
                return []
            rows = self._claim_ids(c, ids, n, token, owner)
            if lim.album > 1:  # an album's later frames go with its first, in this claim
                rows += self._claim_album_rest(c, rows, ch, lim, n, exclude, token, owner)
            return rows

        def take_shares(c: Connection, cond: Any, chans: list[str], share: int, room: int) -> list[Row]:
            """``take`` for each of ``chans`` (in order, ``min(share, room left)`` rows each) in
            two statements instead of two per channel: channels without limits or albums, on
            PostgreSQL. The same rows, locked the same way (SKIP LOCKED), each claim checked
            again by the update (``state = 'planned'``)."""
            rank = func.row_number().over(partition_by=p.c.channel, order_by=(p.c.due_utc, p.c.id))
            ranked = select(p.c.id, rank.label("rn")).where(cond, p.c.channel.in_(chans)).subquery()
            pick = (
                select(p.c.id, p.c.channel)
                .where(p.c.id.in_(select(ranked.c.id).where(ranked.c.rn <= share)))
                .order_by(p.c.channel, p.c.due_utc, p.c.id)
                .with_for_update(skip_locked=True, of=p)
            )
            counts: dict[str, int] = defaultdict(int)
            ids: list[int] = []
            for rid, ch in c.execute(pick, params):
                # The channels in order, as the loop takes them: the room may end within one.
                if counts[ch] < share and len(ids) < room:
                    counts[ch] += 1
                    ids.append(rid)
            if not ids:
                return []
            return self._claim_ids(c, ids, n, token, owner)

        def plain(ch: str) -> bool:
            lim = limits.get(ch, ChannelLimits())
            return lim.concurrency is None and lim.rate_per_minute is None and lim.album <= 1

        def run(c: Connection) -> list[Row]:
            cond = eligible
            if only_channel is not None:
                cond = and_(cond, p.c.channel == only_channel)
            if exclude:
                cond = and_(cond, not_(exclude.condition()))
            channels = sorted(r[0] for r in c.execute(select(p.c.channel).where(cond).distinct(), params))
            claimed: list[Row] = []
            # A fair share per channel first, so one channel's backlog never holds back the
            # others' posts for a whole batch; then whatever room is left, channel by channel.
            share = -(-limit // max(len(channels), 1))
            hungry: list[str] = []
            if self.dialect == "postgresql" and len(channels) > 1 and all(map(plain, channels)):
                claimed = take_shares(c, cond, channels, share, limit)
                per_channel: dict[str, int] = defaultdict(int)
                for r in claimed:
                    per_channel[r.channel] += 1
                hungry = [ch for ch in channels if per_channel[ch] == share]
                channels = []
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
                within(OutboxTx(c, self.ids_in), claimed)
            return claimed

        rows = self._write(run)
        if rows:
            self._live_tokens.add(token)
        rows.sort(
            key=lambda r: (r.due_utc, r.entry_key, r.occurrence_key, r.channel, r.lang_seq, r.lang, r.frame)
        )
        return rows

    def _claim_album_rest(
        self,
        c: Connection,
        firsts: list[Row],
        ch: str,
        lim: ChannelLimits,
        n: datetime,
        exclude: RowFilter | None,
        token: str,
        owner: str,
    ) -> list[Row]:
        """Claim, with each first frame in ``firsts``, the frames that follow it in one album.

        An album is one platform call for up to ``lim.album`` consecutive frames of one story
        group (occurrence, channel, language). Its later frames are not eligible on their own
        (they wait for the frame before them), so they are claimed here with the same token:
        the frames right after the first that are due and planned, up to the album's size,
        stopping at a gap. They draw on the rate bucket as far as it holds them; the album is
        never split by the rate (nor by ``concurrency``, which counts it as one post).
        """
        p = publication
        out: list[Row] = []
        for first in firsts:
            if first.frame >= first.frame_total:
                continue
            cond = and_(
                p.c.entry_key == first.entry_key,
                p.c.occurrence_key == first.occurrence_key,
                p.c.channel == first.channel,
                p.c.lang == first.lang,
                p.c.frame > first.frame,
                p.c.frame < first.frame + lim.album,
                p.c.state == State.PLANNED.value,
                p.c.due_utc <= n,
                p.c.deadline_utc >= n,
                or_(p.c.next_attempt_utc.is_(None), p.c.next_attempt_utc <= n),
            )
            if exclude:
                cond = and_(cond, not_(exclude.condition()))
            ids: list[int] = []
            for rid, frame in c.execute(select(p.c.id, p.c.frame).where(cond).order_by(p.c.frame)):
                if frame != first.frame + 1 + len(ids):
                    break  # a gap: the album ends before it
                ids.append(rid)
            if not ids:
                continue
            got = self._claim_ids(c, ids, n, token, owner)
            out.extend(got)
            if lim.rate_per_minute is not None:
                self._take_tokens(c, ch, lim.rate_per_minute, len(got), n)
        return out

    def _claim_ids(self, c: Connection, ids: list[int], n: datetime, token: str, owner: str) -> list[Row]:
        """Claim the picked rows ``ids`` that are still planned (each checked again), for
        ``token``/``owner`` with a fresh lease; the rows as claimed."""
        p = publication
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

    # -- handing work to a job queue ----------------------------------------------------------

    @contextmanager
    def session_lock(self, name: str) -> Iterator[bool]:
        """Hold the lock ``name`` for the block if no other session holds it (yields False then).

        On PostgreSQL a session advisory lock, so a process that dies holding it releases it with
        its connection. Other databases have one writer at a time anyway: they always yield True.
        """
        if self.dialect != "postgresql":
            yield True
            return
        with self.engine.connect() as conn:
            key = func.hashtext(name)
            if not conn.execute(select(func.pg_try_advisory_lock(key))).scalar():
                conn.rollback()
                yield False
                return
            conn.commit()
            try:
                yield True
            finally:
                conn.execute(select(func.pg_advisory_unlock(key)))
                conn.commit()

    def hand_render_jobs(
        self,
        now: datetime,
        until: datetime,
        defer: Callable[..., int],
        exclude: RowFilter | None = None,
        *,
        with_channels: bool = False,
    ) -> int:
        """Call ``defer(tx, wanted)`` in one transaction with the languages of each (kind, ref)
        planned to go out by ``until`` and still within grace at ``now``; return what it returns.

        ``exclude``: rows held back by a broken file (rendering them would only fail again).
        ``with_channels``: call ``defer(tx, wanted, channels)``, ``channels`` giving the channels
        of each (kind, ref), for sources whose output depends on the channel (a story's video).
        """
        p = publication

        def run(c: Connection) -> int:
            due = [
                p.c.state == State.PLANNED.value,
                p.c.due_utc <= naive(until),
                p.c.deadline_utc >= naive(now),
            ]
            if exclude:
                due.append(not_(exclude.condition()))
            wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
            channels: dict[tuple[str, str], list[str]] = defaultdict(list)
            q = select(p.c.kind, p.c.ref, p.c.lang, p.c.channel).where(*due).distinct()
            for kind, ref, lang, channel in c.execute(q):
                if lang not in wanted[(kind, ref)]:
                    wanted[(kind, ref)].append(lang)
                if channel not in channels[(kind, ref)]:
                    channels[(kind, ref)].append(channel)
            if with_channels:
                return defer(OutboxTx(c, self.ids_in), dict(wanted), dict(channels))
            return defer(OutboxTx(c, self.ids_in), dict(wanted))

        return self._write(run)
