"""``storycast review | approve | reject | approvals``: approval bound to the frames' hashes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ._common import JSON_HELP, NOW_HELP, console, get_context, load_project, parse_now, print_json
from ._paths import output_folder

if TYPE_CHECKING:
    from ..ledger import Ledger
    from ..project import Project

LANG_HELP = "Only this language (default: every language of the story)."


def _open(project: Project) -> Ledger:
    from ..ledger import open_ledger

    return open_ledger(project)


def review(
    ctx: typer.Context,
    stories: Annotated[
        list[str] | None,
        typer.Argument(help="Stories to review (default: every story with posts waiting for approval)."),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", "-l", help=LANG_HELP)] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for the packs (default: review/).", callback=output_folder),
    ] = None,
    notify: Annotated[
        bool,
        typer.Option("--notify", help="Send each approver with a contact their own review link (apprise)."),
    ] = False,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Write a review pack per story and language: every frame as it will be published, a contact
    sheet, alt texts, lint findings, and old | new of each frame changed since the last approval.

    With --notify, each approver with a contact in [approval] approvers gets a signed link to the
    review page of `storycast serve` (valid for [approval] link_ttl, good for one decision).
    """
    from ..engine.approval import check_language
    from ..engine.approval_review import notify as send
    from ..engine.approval_review import review_stories, write_pack

    project = load_project(ctx)
    context = get_context(ctx)
    at = parse_now(now, ctx)
    ledger = _open(project)
    try:
        if stories:
            pairs = [(s, code) for s in stories for code in check_language(project, s, lang)]
        else:
            pairs = [(s, code) for s, code, _ in review_stories(project, ledger, at) if lang in (None, code)]
        root = out or project.root / "review"
        packs = []
        for ref, code in pairs:
            pack, _ = write_pack(project, ledger, ref, code, root, at)
            packs.append(pack)
    finally:
        ledger.close()
    if notify:
        _notify(project, context, packs, at, send)
    if as_json:
        print_json({"packs": [p.to_json() for p in packs]})
        return
    out_ = console()
    if not packs:
        out_.print("nothing to review: no story waits for approval", markup=False)
    for p in packs:
        state = "approved as it is" if p.approved else "needs approval"
        changed = (
            f"; changed since {p.last_approved}: frame {', '.join(map(str, p.changed))}" if p.changed else ""
        )
        out_.print(
            f"{p.ref} [{p.lang}] {p.frames} frame(s), {state}{changed}; "
            f"{p.findings} finding(s) -> {p.folder}",
            markup=False,
        )
        for name in p.notified:
            out_.print(f"  notified {name}", markup=False)


def _notify(project: Project, context: object, packs: list, at: object, send: object) -> None:  # type: ignore[type-arg]
    from datetime import datetime

    from ..web.review import link_url, make_token
    from ..web.security import load_key

    section = project.config.approval
    key = load_key(project.state_dir)
    assert isinstance(at, datetime)
    expires = at + section.ttl
    for pack in packs:
        if pack.approved:
            continue
        for approver in section.approvers:
            if not approver.contact:
                continue
            url = link_url(section.review_url, make_token(key, pack.ref, pack.lang, approver.name, expires))
            body = (
                f"{approver.name}, please review “{pack.ref}” [{pack.lang}] before it is published: "
                f"{pack.frames} frame(s)"
                + (
                    f", frame {', '.join(map(str, pack.changed))} changed since the last approval"
                    if pack.changed
                    else ""
                )
                + f".\nReview and decide: {url}\n"
                f"(valid until {expires:%Y-%m-%d %H:%M} UTC, for one decision)\n"
                f"Pack: {pack.folder}"
            )
            send(project, context, approver, f"storycast: review {pack.ref} [{pack.lang}]", body)  # type: ignore[operator]
            pack.notified.append(approver.name)


def _decide(
    ctx: typer.Context, story: str, lang: str | None, by: str, decision: str, note: str, now: str | None
) -> None:
    from ..engine.approval import check_language, decide

    project = load_project(ctx)
    at = parse_now(now, ctx)
    langs = check_language(project, story, lang)
    ledger = _open(project)
    try:
        got = [decide(project, ledger, story, code, by, decision, at, note=note) for code in langs]
    finally:
        ledger.close()
    out = console()
    for d in got:
        assert d is not None
        frames = sum(1 for i in d.items if i.kind == "frame")
        videos = len(d.items) - frames
        extra = f" and {videos} video part(s)" if videos else ""
        out.print(
            f"{d.ref} [{d.lang}] {d.decision} by {d.by} at {d.at_utc:%Y-%m-%d %H:%M} UTC: "
            f"{frames} frame(s){extra}, version {d.version[:12]}",
            markup=False,
        )


def approve(
    ctx: typer.Context,
    story: Annotated[str, typer.Argument(help="The story to approve, as it renders now.")],
    by: Annotated[str, typer.Option("--by", help="Your name, as in [approval] approvers.")],
    lang: Annotated[str | None, typer.Option("--lang", "-l", help=LANG_HELP)] = None,
    note: Annotated[str, typer.Option("--note", help="A note kept with the approval.")] = "",
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
) -> None:
    """Approve STORY as it renders now: the sha256 of every frame (and video part) is recorded.

    Any later change to a frame's bytes (the text, a translation, the template, the brand) voids
    the approval of that frame.
    """
    _decide(ctx, story, lang, by, "approved", note, now)


def reject(
    ctx: typer.Context,
    story: Annotated[str, typer.Argument(help="The story to reject.")],
    by: Annotated[str, typer.Option("--by", help="Your name, as in [approval] approvers.")],
    reason: Annotated[str, typer.Option("--reason", help="What must change (required).")],
    lang: Annotated[str | None, typer.Option("--lang", "-l", help=LANG_HELP)] = None,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
) -> None:
    """Reject STORY: it does not publish until a version is approved after this rejection."""
    _decide(ctx, story, lang, by, "rejected", reason, now)


def approvals(
    ctx: typer.Context,
    story: Annotated[str | None, typer.Option("--story", help="Only this story's decisions.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", "-l", help="Only this language.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Every approval and rejection, oldest first: who, when, which version, and the note."""
    project = load_project(ctx)
    ledger = _open(project)
    try:
        got = ledger.decisions(story, lang)
    finally:
        ledger.close()
    if as_json:
        print_json([d.to_json() for d in got])
        return
    out = console()
    if not got:
        out.print("no approvals recorded yet", markup=False)
    for d in got:
        note = f"  ({d.note})" if d.note else ""
        out.print(
            f"#{d.id:<5} {d.at_utc:%Y-%m-%d %H:%M}Z {d.decision:<8} {d.ref} [{d.lang}] "
            f"by {d.by} via {d.via}, "
            f"{len(d.items)} item(s), version {d.version[:12]}{note}",
            markup=False,
        )


def register(app: typer.Typer) -> None:
    """Add the approval commands to the app."""
    app.command("review")(review)
    app.command("approve")(approve)
    app.command("reject")(reject)
    app.command("approvals")(approvals)
