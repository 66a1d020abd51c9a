"""Publish claimed rows: guard, render (cached), record the attempt, call the channel, record.

The order inside :meth:`Publisher.publish_row` is the exactly-once protocol: the attempt is
committed (row ``sending``) *before* the platform call, and only the channel's answer moves it
on. A crash or an ambiguous answer leaves ``sending``/``unknown``, which nothing re-sends
without a reconcile verdict. A channel that sends albums gets consecutive frames of one story
as one call (:mod:`storycast.engine.albums`), under the same protocol for every row of it.
With approval required, a story row goes only when its frames carry their approvals
(:mod:`storycast.engine.approval`); otherwise it waits, planned, before any attempt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..channels.base import (
    AmbiguousOutcome,
    MediaItem,
    NeedsAuth,
    PermanentFailure,
    PublishRequest,
    PublishResult,
    RetryableFailure,
)
from ..errors import RenderError, StorycastError
from ..ledger.sending import Settled
from ..ledger.states import State
from ..ledger.store import BACKOFF, WAITING, ChannelLimits, Row, RowFilter
from .approval import Gate
from .frames import FALLBACK, STORY_KINDS, FrameCache, log
from .holds import Holds

if TYPE_CHECKING:
    from ..channels.base import Channel
    from ..context import Context
    from ..ledger import Ledger
    from ..project import Project

EXPIRY = timedelta(hours=24)
Checkpoint = Callable[[str, Row], None]


def idempotency_key(row: Row, frame_sha256: str) -> str:
    """sha256 of the occurrence, channel, language, frame number and the frame's render hash."""
    text = "\n".join([row.entry_key, row.occurrence_key, row.channel, row.lang, str(row.frame), frame_sha256])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Prepared:
    """A row ready for its platform call: the open channel, the request, and what its attempt records."""

    row: Row
    channel: Channel
    request: PublishRequest
    idempotency_key: str
    frame_sha256: str
    forced: bool
    detail: str | None


@dataclass
class ItemResult:
    """The outcome of one row in one tick."""

    id: int
    ref: str
    channel: str
    lang: str
    frame: int
    frame_total: int
    occurrence_key: str
    outcome: str  # published, handed_off, failed, retry, unknown, waiting, awaiting_approval, released
    reason: str | None = None
    remote_id: str | None = None
    blocked: int = 0  # later frames failed with this one ("frame N of this story did not publish")

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Publisher:
    """Publishes claimed rows in-process; one per tick (it caches renders, guard results, channels)."""

    project: Project
    context: Context
    ledger: Ledger
    now: datetime
    force: bool = False
    checkpoint: Checkpoint | None = None
    should_stop: Callable[[], bool] = lambda: False
    holds: Holds | None = None  # the tick's; rows held here are added (a worker job has its own)
    # Record a sent row's result in the same commit as the next row's attempt (one commit per
    # post instead of two; see publish_rows). The result then waits for the next row's prepare.
    settle_with_next: bool = False
    renders: FrameCache = field(init=False)
    approvals: Gate = field(init=False)  # the approval gate ([approval] in storycast.toml)
    _channels: dict[str, Channel | Exception] = field(default_factory=dict, init=False)
    _lint: dict[tuple[str, str, str], list[str]] = field(default_factory=dict, init=False)
    _unsettled: Settled | None = field(default=None, init=False)  # sent, result not yet recorded

    def __post_init__(self) -> None:
        if self.holds is None:
            self.holds = Holds(self.project.root)
        # See content edits and fixes made since the last tick (a worker lives for days).
        self.project.refresh_content()
        self.renders = FrameCache(self.project, self.now)
        self.approvals = Gate(self.project, self.ledger)

    # -- channels and limits --------------------------------------------------------------

    def channel(self, name: str) -> Channel:
        if name not in self._channels:
            from ..channels.registry import open_channel

            try:
                self._channels[name] = open_channel(self.project, name, self.context)
            except StorycastError as exc:
                self._channels[name] = exc
        got = self._channels[name]
        if isinstance(got, Exception):
            raise got
        return got

    def limits(self) -> dict[str, ChannelLimits]:
        """Concurrency and rate limits of every configured channel (options, else the type's
        defaults), and how many frames it takes as one album."""
        out = {}
        for name, section in self.project.config.channels.items():
            extra = section.model_extra or {}
            conc = extra.get("concurrency")
            rate = extra.get("rate_per_minute")
            album = 1
            try:
                from ..channels.registry import get_channel_type

                cls = get_channel_type(section.type).cls
                conc = conc if conc is not None else getattr(cls, "default_concurrency", None)
                rate = rate if rate is not None else getattr(cls, "default_rate_per_minute", None)
                if cls.capabilities.album:
                    album = self.album_size(name)
            except StorycastError:
                pass
            out[name] = ChannelLimits(conc, rate, album)
        return out

    def album_size(self, name: str) -> int:
        """Frames channel ``name`` sends as one post (1 when it sends them one by one or is broken)."""
        try:
            return max(1, self.channel(name).album_size())
        except StorycastError:
            return 1

    def close(self) -> None:
        for ch in self._channels.values():
            if not isinstance(ch, Exception):
                try:
                    ch.close()
                except Exception:  # closing must not turn a good tick into a failed one
                    pass

    # -- the guard ------------------------------------------------------------------------

    def lint_errors(self, row: Row) -> list[str]:
        """Rule ids of guard errors for this story/lang/channel ([] when clean)."""
        key = (row.ref, row.lang, row.channel)
        if key not in self._lint:
            self._lint[key] = []
            if row.kind in STORY_KINDS:  # frames or video: the same story is checked
                from ..guard.check import check_story

                story = self.project.content.story(row.ref)
                findings = check_story(self.project, story, [row.lang], [row.channel])
                self._lint[key] = sorted({f.rule for f in findings if f.severity == "error"})
        return self._lint[key]

    # -- rows -----------------------------------------------------------------------------

    def _point(self, name: str, row: Row) -> None:
        if self.checkpoint is not None:
            self.checkpoint(name, row)

    def publish_rows(self, rows: Sequence[Row]) -> list[ItemResult]:
        """Publish claimed rows in order; rows left when a stop is requested go back to planned.

        Consecutive frames of one story group for a channel that sends albums go out as one
        album (2 or more frames, one platform call); a lone frame goes as a single post.

        With :attr:`settle_with_next`, a single post's result is recorded in the same commit as
        the next single post's attempt (:meth:`Ledger.settle_and_begin`), after that row is
        prepared; the last one's before this returns. Exactly-once is unchanged: every attempt
        is durable before its call, and every result before the next attempt. A crash between
        a call and that commit leaves the row ``sending``, as a crash before ``finish`` did.
        """
        from .albums import group_albums

        results: list[ItemResult] = []
        self.ledger.mark_rendering(rows, self.now)
        try:
            done = 0
            for group in group_albums(rows, self.album_size):
                if self.should_stop():
                    self._settle()
                    self.ledger.release(rows[done:], self.now)
                    results.extend(self._result(r, "released", "stopping") for r in rows[done:])
                    break
                if len(group) == 1:
                    single = self._publish_settling if self.settle_with_next else self.publish_row
                    results.append(single(group[0]))
                else:
                    self._settle()
                    results.extend(self.publish_album(group))
                done += len(group)
        finally:
            try:
                self._settle()  # on the way out too: the post went out, its result is known
            finally:
                if rows and rows[0].claim_token:
                    self.ledger.release_token(rows[0].claim_token)
        return results

    def _settle(self) -> None:
        """Record the result still waiting for the next row's attempt, if any."""
        settled, self._unsettled = self._unsettled, None
        if settled is not None:
            self._finish_settled(settled)

    def _finish_settled(self, s: Settled) -> None:
        self.ledger.finish(
            s.row,
            s.attempt_no,
            self.now,
            s.state,
            reason=s.reason,
            remote_id=s.remote_id,
            remote_url=s.remote_url,
            request_id=s.request_id,
            expires=s.expires,
        )

    def _publish_settling(self, row: Row) -> ItemResult:
        """:meth:`publish_row` whose attempt commits with the result waiting from the row before,
        and whose own successful result waits for the next row's attempt."""
        try:
            ready = self.prepare(row)
        except BaseException:
            self._settle()
            raise
        if isinstance(ready, ItemResult):
            return ready
        settled, self._unsettled = self._unsettled, None
        begin: dict[str, Any] = {
            "idempotency_key": ready.idempotency_key,
            "frame_sha256": ready.frame_sha256,
            "forced": ready.forced,
            "detail": ready.detail,
        }
        if settled is None:
            no = self.ledger.begin_send(row, self.now, **begin)
        else:
            try:
                no = self.ledger.settle_and_begin(settled, row, self.now, **begin)[1]
            except Exception:
                # Nothing of that statement was committed: record the result on its own (a
                # problem of this row's attempt must not keep the earlier row ``sending``).
                self._finish_settled(settled)
                no = self.ledger.begin_send(row, self.now, **begin)
        if no is None:
            return self._release(row, "the claim was lost before sending")
        self._point("before_send", row)
        try:
            result = ready.channel.publish(ready.request)
        except Exception as exc:
            return self.record_failure(row, no, exc)
        self._point("after_send", row)
        self._unsettled, item = self._success(row, no, result)
        return item

    def _result(
        self, row: Row, outcome: str, reason: str | None = None, remote: str | None = None, blocked: int = 0
    ) -> ItemResult:
        return ItemResult(
            row.id,
            row.ref,
            row.channel,
            row.lang,
            row.frame,
            row.frame_total,
            row.occurrence_key,
            outcome,
            reason,
            remote,
            blocked,
        )

    def _fail_before_send(self, row: Row, reason: str) -> ItemResult:
        self.ledger.fail_unsent([row], self.now, reason)
        blocked = self.ledger.block_followers(row, self.now)
        return self._result(row, "failed", reason, blocked=blocked)

    def _hold(self, row: Row, error: StorycastError, scope: RowFilter | None = None) -> ItemResult:
        """Something this row needs is broken (its story, template, image or channel): nothing
        is sent; the row waits, planned, with the reason, and a fix sends it."""
        assert self.holds is not None
        reason = self.holds.add(scope or RowFilter(ids=frozenset({row.id})), error)
        if not self.holds.hold:
            return self._fail_before_send(row, reason)
        if not self.ledger.hold(row, self.now, reason):
            return self._result(row, "released", "the claim was lost before sending")
        return self._result(row, "waiting", WAITING + reason)

    def _await_approval(self, row: Row, reason: str) -> ItemResult:
        """The row's frames lack approval: nothing is sent; it waits, planned, saying who must
        approve by when, and goes out at a later tick once they have (or is missed)."""
        from ..ledger.approvals import AWAITING

        assert self.holds is not None
        if not self.holds.hold:  # a manual publish does not leave a row behind for cron
            return self._fail_before_send(row, AWAITING + reason)
        self.holds.skip = self.holds.skip | RowFilter(ids=frozenset({row.id}))  # not again this tick
        if not self.ledger.await_approval(row, self.now, reason):
            return self._result(row, "released", "the claim was lost before sending")
        return self._result(row, "awaiting_approval", AWAITING + reason)

    def _release(self, row: Row, reason: str) -> ItemResult:
        assert self.holds is not None
        self.ledger.release([row], self.now)
        self.holds.skip = self.holds.skip | RowFilter(ids=frozenset({row.id}))  # not again this tick
        return self._result(row, "released", reason)

    def publish_row(self, row: Row) -> ItemResult:
        """One row through the protocol. Never raises for a per-row problem; records it instead."""
        ready = self.prepare(row)
        return ready if isinstance(ready, ItemResult) else self.publish_row_prepared(ready)

    def publish_album(self, rows: Sequence[Row]) -> list[ItemResult]:
        """Consecutive frames of one story group as one album: one platform call for all of them.

        Every row is prepared first; the rows after one that cannot go are given back (they
        wait behind it, as single frames would). Then every row's attempt is committed
        ``sending`` in one transaction (:meth:`Ledger.begin_album`), the channel is called once,
        and each row is finished from its item of the answer. A failure applies to every row:
        a retry plans the whole album again, and a crash or an ambiguous answer leaves every
        row ``sending``/``unknown``, so no part of the album is sent twice.
        """
        from ..ledger.sending import AlbumSend

        results: list[ItemResult] = []
        ready: list[Prepared] = []
        for i, row in enumerate(rows):
            got = self.prepare(row)
            if isinstance(got, Prepared):
                ready.append(got)
                continue
            rest = rows[i + 1 :]
            self.ledger.release(rest, self.now)
            if got.outcome == "failed":  # the given-back frames cannot follow a failed one
                got.blocked += self.ledger.block_followers(row, self.now)
            results.append(got)
            results.extend(self._result(r, "released", f"frame {row.frame} did not go") for r in rest)
            break
        if len(ready) < 2:  # what is left is one frame: a single post
            return [self.publish_row_prepared(p) for p in ready] + results
        sends = [AlbumSend(p.row, p.idempotency_key, p.frame_sha256, p.forced, p.detail) for p in ready]
        numbers = self.ledger.begin_album(sends, self.now)
        if numbers is None:
            self.ledger.release([p.row for p in ready], self.now)
            lost = "the claim was lost before sending"
            return [self._result(p.row, "released", lost) for p in ready] + results
        for p in ready:
            self._point("before_send", p.row)
        try:
            answers = ready[0].channel.publish_album([p.request for p in ready])
            if len(answers) != len(ready):
                raise AmbiguousOutcome(
                    f"{ready[0].row.channel}: the album answer has {len(answers)} items for "
                    f"{len(ready)} frames",
                    hint="look in the chat, then settle the rows with "
                    "`storycast reconcile --resolve ID=published|failed`",
                )
        except Exception as exc:
            failed = [self.record_failure(p.row, no, exc) for p, no in zip(ready, numbers, strict=True)]
            return failed + results
        out = []
        for p, no, answer in zip(ready, numbers, answers, strict=True):
            self._point("after_send", p.row)
            out.append(self._record_success(p.row, no, answer))
        return out + results

    def publish_row_prepared(self, ready: Prepared) -> ItemResult:
        """The protocol from the attempt on, for a row :meth:`prepare` made ready."""
        row = ready.row
        no = self.ledger.begin_send(
            row,
            self.now,
            idempotency_key=ready.idempotency_key,
            frame_sha256=ready.frame_sha256,
            forced=ready.forced,
            detail=ready.detail,
        )
        if no is None:
            return self._release(row, "the claim was lost before sending")
        self._point("before_send", row)
        try:
            result = ready.channel.publish(ready.request)
        except Exception as exc:
            return self.record_failure(row, no, exc)
        self._point("after_send", row)
        return self._record_success(row, no, result)

    def prepare(self, row: Row) -> Prepared | ItemResult:
        """Everything before the attempt: channel, guard, render, the request. An ItemResult
        when the row cannot go (already recorded: held, failed before sending, or released)."""
        self._point("after_claim", row)
        try:
            channel = self.channel(row.channel)
        except StorycastError as exc:  # misconfigured: its rows wait, other channels' go out
            return self._hold(row, exc, RowFilter(channels=frozenset({row.channel})))
        try:
            lint = self.lint_errors(row)
            if lint and not self.force:  # checked before rendering: a refused story costs nothing
                return self._fail_before_send(row, "lint: " + ", ".join(lint))
            frames = self.renders.frames(row.kind, row.ref, row.lang, channel=row.channel)
        except StorycastError as exc:
            return self._hold(row, exc)
        except Exception as exc:  # a bug, or the machine (a full disk): nothing was sent
            failure = RenderError(
                f"{row.ref} [{row.lang}] could not be prepared: {type(exc).__name__}: {exc}",
                hint=f"run `storycast render {row.ref.partition('@')[0]} --lang {row.lang} --traceback` "
                "to see where it fails",
            )
            return self._hold(row, failure)
        if len(frames) != row.frame_total or row.frame > len(frames):
            # The story gained or lost frames since the row was planned; the next
            # materialization corrects the count. Nothing was sent.
            return self._release(row, f"the story now has {len(frames)} frames")
        waiting = self.approvals.check(row, frames)  # every frame must carry its approvals
        if waiting is not None:
            return self._await_approval(row, waiting)
        frame = frames[row.frame - 1]
        if frame.native_only and not channel.capabilities.polls_native:
            return self._fail_before_send(row, frame.native_only)
        key = idempotency_key(row, frame.sha256)
        request = PublishRequest(
            row_id=row.id,
            idempotency_key=key,
            kind=row.kind,
            ref=row.ref,
            lang=row.lang,
            frame_index=row.frame,
            frame_total=row.frame_total,
            media=MediaItem(frame.path, frame.kind, frame.sha256, frame.width, frame.height, frame.duration),
            caption=frame.caption,
            alt=frame.alt,
            due_utc=row.due_utc,
            expires_utc=self.now + EXPIRY,
            poll=frame.poll,
            meta={
                "entry_key": row.entry_key,
                "occurrence_key": row.occurrence_key,
                "label": row.label,
                "step": frame.step,
            },
        )
        detail = f"forced past lint: {', '.join(lint)}" if lint else None
        return Prepared(row, channel, request, key, frame.sha256, bool(lint), detail)

    def record_failure(self, row: Row, no: int, exc: Exception) -> ItemResult:
        """Record what a failed platform call means for a row whose attempt ``no`` was begun."""
        if isinstance(exc, RetryableFailure):
            return self._retry_or_fail(row, no, exc)
        if isinstance(exc, PermanentFailure | NeedsAuth):
            needs_auth = isinstance(exc, NeedsAuth)
            reason = ("needs auth: " if needs_auth else "") + exc.message
            self.ledger.finish(row, no, self.now, State.FAILED, reason=reason, retryable=needs_auth)
            blocked = self.ledger.block_followers(row, self.now)
            return self._result(row, "failed", reason, blocked=blocked)
        if isinstance(exc, AmbiguousOutcome):
            self.ledger.finish(row, no, self.now, State.UNKNOWN, reason=exc.message, outcome="unknown")
            return self._result(row, "unknown", exc.message)
        # An adapter bug: the call may have reached the platform.
        reason = f"unexpected {type(exc).__name__} in channel {row.channel!r}: {exc}"
        self.ledger.finish(row, no, self.now, State.UNKNOWN, reason=reason, outcome="unknown")
        return self._result(row, "unknown", reason)

    def _success(self, row: Row, no: int, result: PublishResult) -> tuple[Settled, ItemResult]:
        """What a successful call of attempt ``no`` records, and the row's outcome."""
        state = State.HANDED_OFF if result.state == "handed_off" else State.PUBLISHED
        # A story asked for as video that went out as frames keeps saying so (never silently).
        note = row.reason if row.reason and row.reason.startswith(FALLBACK) else None
        if note:
            log.warning("%s [%s] frame %d -> %s: %s", row.ref, row.lang, row.frame, row.channel, note)
        settled = Settled(
            row,
            no,
            state,
            reason=note,
            remote_id=result.remote_id,
            remote_url=result.url,
            request_id=result.request_id,
            expires=result.expires_utc or self.now + EXPIRY,
        )
        return settled, self._result(row, state.value, note, result.remote_id)

    def _record_success(self, row: Row, no: int, result: PublishResult) -> ItemResult:
        settled, item = self._success(row, no, result)
        self._finish_settled(settled)
        return item

    def _retry_or_fail(self, row: Row, no: int, exc: RetryableFailure) -> ItemResult:
        if no > len(BACKOFF):
            reason = f"gave up after {no} attempts: {exc.message}"
            self.ledger.finish(
                row, no, self.now, State.FAILED, reason=reason, retryable=True, outcome="failed"
            )
            blocked = self.ledger.block_followers(row, self.now)
            return self._result(row, "failed", reason, blocked=blocked)
        wait = BACKOFF[no - 1]
        if exc.retry_after is not None:
            wait = max(wait, timedelta(seconds=exc.retry_after))
        reason = f"{exc.message} (attempt {no}; next try after {int(wait.total_seconds())} s)"
        self.ledger.finish(
            row,
            no,
            self.now,
            State.PLANNED,
            reason=reason,
            retryable=True,
            next_attempt=self.now + wait,
            outcome="retry",
        )
        return self._result(row, "retry", reason)
