"""``storycast channels list | check | refresh`` and ``storycast confirm``.

``channels list`` shows every channel type (built-in or plugin) with its capabilities, then the
channels configured in storycast.toml. ``channels check`` opens each configured channel and
asks it to verify credentials, permissions and quota (no post is made). ``channels refresh``
renews an Instagram Login token and stores it where the channel's reference points.
``confirm`` records that a person posted a hand-off pack.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..errors import ConfigError, ExitStatus, StorycastError
from ._common import JSON_HELP, NOW_HELP, console, get_context, load_project, parse_now, print_json, state

channels_app = typer.Typer(
    name="channels",
    help="Channel types, configured channels, and credential/permission/quota checks.",
    no_args_is_help=True,
)


@channels_app.command("list")
def list_channels(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Channel types (with capabilities and origin) and the channels configured in this project."""
    from ..channels.registry import channel_types

    types = channel_types()
    type_rows: list[dict[str, Any]] = [
        {
            "type": name,
            "origin": reg.origin,
            "description": reg.cls.description,
            "capabilities": reg.cls.capabilities.as_list(),
            "max_frames_per_day": reg.cls.capabilities.max_frames_per_day,
        }
        for name, reg in types.items()
    ]
    configured: list[dict[str, Any]] = []
    project = _project_if_any(ctx)
    if project is not None:
        configured = [
            {
                "name": name,
                "type": section.type,
                "enabled": section.enabled,
                "known_type": section.type in types,
            }
            for name, section in project.config.channels.items()
        ]
    if as_json:
        print_json({"types": type_rows, "configured": configured})
        return
    from rich.table import Table

    out = console()
    table = Table(title="Channel types", title_justify="left")
    for col in ("type", "origin", "capabilities"):
        table.add_column(col)
    for row in type_rows:
        table.add_row(row["type"], row["origin"], ", ".join(row["capabilities"]))
    out.print(table)
    if project is None:
        out.print("(not in a storycast project: no configured channels to show)", markup=False)
        return
    table = Table(title="Configured channels", title_justify="left")
    for col in ("name", "type", "enabled"):
        table.add_column(col)
    for c in configured:
        kind = c["type"] if c["known_type"] else f"{c['type']} (unknown type)"
        table.add_row(c["name"], kind, "yes" if c["enabled"] else "no")
    if not configured:
        out.print("No channels configured: add a [channels.NAME] table to storycast.toml.", markup=False)
    else:
        out.print(table)


def _project_if_any(ctx: typer.Context) -> Any:
    """The project, or None outside one (listing types works anywhere); an invalid one raises."""
    from ..project import find_root

    st = state(ctx)
    try:
        find_root(st.project_arg, st.context.environ, origin=st.project_origin)
    except ConfigError:
        return None
    return load_project(ctx)


def _check_one(project: Any, name: str, context: Any) -> list[dict[str, Any]]:
    from ..channels.registry import open_channel

    try:
        channel = open_channel(project, name, context)
    except StorycastError as exc:
        return [{"check": "config", "ok": False, "detail": str(exc), "severity": "error"}]
    try:
        results = channel.check()
    except StorycastError as exc:
        return [{"check": "check", "ok": False, "detail": exc.message, "severity": "error"}]
    finally:
        channel.close()
    return [{"check": r.check, "ok": r.ok, "detail": r.detail, "severity": r.severity} for r in results]


@channels_app.command("check")
def check(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="Only this channel (default: every configured one).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Verify credentials, permissions and quota of configured channels (nothing is posted).

    Exits 5 when a check at error severity fails.
    """
    project = load_project(ctx)
    context = get_context(ctx)
    names = [name] if name else list(project.config.channels)
    if name and name not in project.config.channels:
        from ..channels.registry import open_channel

        open_channel(project, name, context)  # raises the "no channel named ..." error with a hint
    report = {n: _check_one(project, n, context) for n in names}
    failed = any(not r["ok"] and r["severity"] == "error" for rows in report.values() for r in rows)
    if as_json:
        print_json({"ok": not failed, "channels": report})
    else:
        from rich.table import Table

        table = Table(title="Channel checks", title_justify="left")
        for col in ("channel", "check", "result", "detail"):
            table.add_column(col)
        for n, rows in report.items():
            for r in rows:
                mark = "ok" if r["ok"] else ("FAIL" if r["severity"] == "error" else r["severity"])
                table.add_row(n, r["check"], mark, r["detail"])
        out = console()
        if not names:
            out.print("No channels configured.", markup=False)
        else:
            out.print(table)
    if failed:
        raise typer.Exit(int(ExitStatus.CHANNEL))


@channels_app.command("refresh")
def refresh(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The Instagram channel (login = instagram_login).")],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Renew an Instagram Login token (60-day lifetime) and save it where access_token points.

    A file: reference is rewritten atomically (mode 0600), a keyring: entry is updated; an env:
    reference cannot be written, so nothing is refreshed (exit 3). The new expiry is recorded in
    .storycast/tokens.json for `channels check`. Exits 5 when Instagram refuses (an expired token
    must be reconnected).
    """
    from ..channels.instagram import InstagramChannel
    from ..channels.registry import open_channel

    project = load_project(ctx)
    channel = open_channel(project, name, get_context(ctx))
    try:
        if not isinstance(channel, InstagramChannel):
            raise ConfigError(
                f"channel {name!r} is of type {channel.type_name!r}; "
                "refresh applies to Instagram Login tokens only",
                hint="other channels' credentials are renewed where they are issued; "
                "`storycast channels check` tells whether they still work",
                file=project.config_path,
            )
        result = channel.refresh_token()
    finally:
        channel.close()
    if as_json:
        print_json(
            {
                "channel": result.channel,
                "refreshed": True,
                "stored_in": result.stored_in,
                "expires_at": result.expires_at,
                "expires_in_days": result.expires_in_days,
            }
        )
        return
    console().print(
        f"{name}: token refreshed and saved to the {result.stored_in}; it expires "
        f"{result.expires_at:%Y-%m-%d %H:%M} UTC ({result.expires_in_days} days).",
        markup=False,
    )


def confirm(
    ctx: typer.Context,
    ids: Annotated[
        list[str], typer.Argument(help="Row ids of handed-off frames (from the pack's checklist).")
    ],
    remote_id: Annotated[
        str | None, typer.Option("--remote-id", help="The platform's id or URL of the post, if known.")
    ] = None,
    now: Annotated[str | None, typer.Option("--now", help=NOW_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Record that a person posted a hand-off pack: its rows become published."""
    from ..ledger import open_ledger
    from ..ledger.admin import confirm as do_confirm

    try:
        row_ids = [int(v) for v in ids]
    except ValueError:
        raise typer.BadParameter("row ids are numbers, as printed in the pack's checklist") from None
    at = parse_now(now, ctx)
    ledger = open_ledger(load_project(ctx))
    try:
        result = do_confirm(ledger, row_ids, at, remote_id=remote_id)
    finally:
        ledger.close()
    if as_json:
        print_json({"confirmed": result.changed, "skipped": result.skipped})
    else:
        out = console()
        out.print(
            f"{len(result.changed)} row(s) confirmed published: {', '.join(map(str, result.changed)) or '-'}",
            markup=False,
        )
        for rid, why in result.skipped.items():
            out.print(f"  #{rid} skipped: {why}", markup=False)
    if result.skipped and not result.changed:
        raise typer.Exit(int(ExitStatus.ERROR))


def register(app: typer.Typer) -> None:
    """Add `channels list|check|refresh` and `confirm` to the app."""
    app.add_typer(channels_app, name="channels")
    app.command("confirm")(confirm)
