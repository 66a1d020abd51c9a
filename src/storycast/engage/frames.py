"""Q&A announcement and poll frames: template context, rendering, and the engine's kind sources.

Both render through :func:`storycast.render.pipeline.render_frame` with the documented
contexts (``event`` for ``qa/announcement.j2``, ``poll`` for ``poll/poll.j2``). The engine calls
:func:`render_qa_at` when the occurrence is published, with that moment's ``now``: the countdown
("in 1 hour") is computed then, not when a frame was previewed.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import texts
from .polls import Poll, get_poll
from .qa import QaEvent, SessionRef, get_event, parse_ref

if TYPE_CHECKING:
    from ..engine.frames import Frame, KindSource
    from ..project import Project

QA_TEMPLATE = "qa/announcement.j2"
POLL_TEMPLATE = "poll/poll.j2"
FRAME_OPTIONS = 6  # what poll/poll.j2 lays out


def qa_context(event: QaEvent, session: datetime, phase: str, lang: str, now: datetime) -> dict[str, Any]:
    """The ``event`` template variable for one announcement (``session`` aware, local)."""
    when = texts.format_when(session, lang)
    left = session - now
    if phase.startswith("recap"):
        status = texts.phrase("recap", lang)
    elif left <= timedelta(minutes=1) and now < session + event.length:
        status = texts.phrase("live_now", lang)
    elif left > timedelta(0):
        status = texts.format_countdown(left, lang)
    else:
        status = texts.phrase("recap", lang)
    join = event.text(event.join, lang) or texts.phrase("reply_to_join", lang)
    out: dict[str, Any] = {
        "id": event.id,
        "title": event.text(event.title, lang),
        "host": event.text(event.host, lang),
        "starts_local": when,
        "starts_iso": session.isoformat(),
        "countdown": status,
        "phase": phase,
        # The stock template has one line under the time: the countdown leads it, then where to join.
        "join": status if phase.startswith("recap") else f"{status} · {join}",
        "topics": list(event.topics.get(lang) or event.topics.get("en") or []),
    }
    if status == texts.phrase("live_now", lang):
        out["when_label"] = status  # "Live now" above the time; the line below says how to join
        out["join"] = join
    if phase.startswith("recap"):
        out["when_label"] = texts.phrase("took_place", lang)
        out["ask"] = texts.phrase("recap_ask", lang)
    return out


def poll_context(poll: Poll, lang: str) -> dict[str, Any]:
    """The ``poll`` template variable: question, numbered options, how to answer."""
    options = poll.option_texts(lang)
    numbers = [str(i) for i in range(1, len(options) + 1)]
    return {
        "id": poll.id,
        "question": poll.question.get(lang) or poll.question.get("en", ""),
        "options": options,
        "reply_hint": texts.phrase("reply_with", lang, numbers=texts.format_list(numbers, lang)),
        "vote_url": poll.vote_url or "",
    }


def _session_local(project: Project, ref: SessionRef, event: QaEvent) -> datetime:
    from ..timetable.zones import resolve

    zone = ZoneInfo(ref.zone or project.config.project.timezone)
    if ref.session is not None:
        return ref.session.astimezone(zone)
    return resolve(event.start, ZoneInfo(event.timezone or project.config.project.timezone)).astimezone(zone)


def _frame(project: Project, out: Path, payload: bytes, alt: str, caption: str, poll: Any = None) -> Frame:
    from ..engine.frames import Frame
    from ..render.cache import atomic_write

    atomic_write(out, payload)
    return Frame(
        index=1,
        path=out,
        sha256=hashlib.sha256(payload).hexdigest(),
        alt=alt,
        caption=caption,
        width=project.config.render.width,
        height=project.config.render.height,
        poll=poll,
    )


def render_qa(project: Project, ref: str, lang: str, out_dir: Path, now: datetime) -> list[Frame]:
    """Render one Q&A announcement (``ref`` from the timetable) as seen at ``now``."""
    from ..render.pipeline import render_frame

    sref = parse_ref(ref)
    event = get_event(project, sref.event)
    session = _session_local(project, sref, event)
    ctx = qa_context(event, session, sref.phase, lang, now)
    fmt = project.config.render.format
    result = render_frame(project, QA_TEMPLATE, lang, {"event": ctx}, kind="qa", fmt=fmt)
    alt = f"{ctx['title']}. {ctx['starts_local']}. {ctx['join']}"
    caption = f"{ctx['title']} · {ctx['starts_local']}"
    return [_frame(project, out_dir / f"announcement.{fmt}", result.payload, alt, caption)]


def render_poll(project: Project, ref: str, lang: str, out_dir: Path, now: datetime) -> list[Frame]:
    """Render a poll frame; the frame carries the PollSpec so native channels post a real poll."""
    from ..render.pipeline import render_frame

    poll = get_poll(project, ref)
    ctx = poll_context(poll, lang)
    if len(ctx["options"]) > FRAME_OPTIONS:
        # No frame lays them all out: the poll goes only where the channel has native polls
        # (up to 12 options on Telegram); the engine fails it, unsent, on any other channel.
        from dataclasses import replace

        spec = poll.spec(lang, now, project.config.project.timezone)
        payload = json.dumps([spec.question, list(spec.options)], ensure_ascii=False).encode("utf-8")
        why = (
            f"poll {poll.id!r} has {len(ctx['options'])} options; a poll frame shows at most "
            f"{FRAME_OPTIONS}, so only a channel with native polls (Telegram, Discord) can carry it"
        )
        frame = _frame(project, out_dir / "poll.json", payload, ctx["question"], ctx["question"], spec)
        return [replace(frame, native_only=why)]
    fmt = project.config.render.format
    result = render_frame(project, POLL_TEMPLATE, lang, {"poll": ctx}, kind="poll", fmt=fmt)
    numbered = "; ".join(f"{i}. {o}" for i, o in enumerate(ctx["options"], start=1))
    alt = f"{ctx['question']} {numbered}. {ctx['reply_hint']}"
    spec = poll.spec(lang, now, project.config.project.timezone)
    return [_frame(project, out_dir / f"poll.{fmt}", result.payload, alt, ctx["question"], spec)]


def _qa_static(project: Project, ref: str, lang: str, out_dir: Path) -> list[Frame]:
    # Without a publish time (previews), count down from the announcement's own due time.
    sref = parse_ref(ref)
    event = get_event(project, sref.event)
    from .qa import phase_offset

    session = _session_local(project, sref, event)
    return render_qa(project, ref, lang, out_dir, session + phase_offset(sref.phase, event.length))


def _poll_static(project: Project, ref: str, lang: str, out_dir: Path) -> list[Frame]:
    from ..context import utcnow

    return render_poll(project, ref, lang, out_dir, utcnow())


def _one_frame(project: Project, ref: str) -> int:
    return 1  # a Q&A announcement and a poll are one frame each


@functools.cache
def sources() -> dict[str, KindSource]:
    """The engine's publishing sources for ``qa`` and ``poll`` rows (one frame each)."""
    from ..engine.frames import KindSource

    return {
        "qa": KindSource(_one_frame, _qa_static, render_qa),
        "poll": KindSource(_one_frame, _poll_static, render_poll),
    }
