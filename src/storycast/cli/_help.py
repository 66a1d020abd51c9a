"""Help that reads well: value names instead of Python types, and examples at the end of each command.

Typer names a value by its Python type (``--lang <list[str]>``, ``--now <str>``). ``tune`` walks the
built Click commands once and names each value by what it is (``--lang LANG``, ``--now TIME``),
keeps the choices of a choice (``--format [text|json]``), and ends every help with examples.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument

# Option or argument name -> the name of its value in help. Unlisted ones are upper-cased.
METAVARS = {
    "project": "DIR",
    "lang": "LANG",
    "now": "TIME",
    "from": "TIME",
    "since": "TIME",
    "out": "PATH",
    "chart": "FILE",
    "story": "STORY",
    "stories": "STORY",
    "channel": "CHANNEL",
    "limit": "N",
    "jobs": "N",
    "concurrency": "N",
    "days": "DAYS",
    "every": "MINUTES",
    "at_hours": "HOURS",
    "id": "ID",
    "ids": "ID",
    "resolve": "ID=VERDICT",
    "port": "PORT",
    "host": "HOST",
    "allowed_host": "HOST",
    "base_url": "URL",
    "url": "URL",
    "by": "NAME",
    "note": "TEXT",
    "reason": "TEXT",
    "remote_id": "ID",
    "voter": "VOTER",
    "target": "TYPE",
    "video_target": "TARGET",
    "queues": "QUEUES",
    "items": "ITEM",
    "files": "FILE",
    "file": "FILE",
    "directory": "DIR",
    "name": "NAME",
    "poll": "POLL",
    "rules": "RULE",
    "style": "STYLE",
}

P = "storycast"
# Command path -> examples; the root and every group and command has some (a test checks).
EXAMPLES: dict[str, list[str]] = {
    "": [f"{P} init support-stories", f"{P} render wifi-password -l en,th", f"{P} plan --days 3"],
    "init": [f"{P} init support-stories", f"{P} init support-stories --empty"],
    "render": [
        f"{P} render",
        f"{P} render wifi-password -l en,th",
        f"{P} render wifi-password -l en -l th --video --json",
    ],
    "lint": [f"{P} lint", f"{P} lint wifi-password -l th", f"{P} lint --format sarif > lint.sarif"],
    "redact": [f"{P} redact assets/router.jpg", f"{P} redact assets/*.png -o redacted/"],
    "plan": [f"{P} plan", f"{P} plan --from 2026-12-01 --days 14", f"{P} plan --ics -o plan.ics"],
    "publish": [
        f"{P} publish --due",
        f"{P} publish --due --dry-run",
        f"{P} publish wifi-password --channel telegram -l en,th",
    ],
    "status": [f"{P} status", f"{P} status --story wifi-password", f"{P} status --all --json"],
    "retry": [f"{P} retry 42", f"{P} retry 42 43 --json"],
    "cancel": [f"{P} cancel 42 43", f"{P} cancel --story wifi-password --json"],
    "history": [f"{P} history", f"{P} history --id 42 --json"],
    "reconcile": [f"{P} reconcile", f"{P} reconcile --resolve 42=published"],
    "review": [f"{P} review wifi-password", f"{P} review --notify"],
    "approve": [f'{P} approve wifi-password --by "Ana"', f'{P} approve wifi-password --by "Ana" -l th'],
    "reject": [f'{P} reject wifi-password --by "Ana" --reason "step 2 shows a password"'],
    "approvals": [f"{P} approvals", f"{P} approvals --story wifi-password --json"],
    "run": [f"{P} run", f"{P} run --once"],
    "cron": [f"{P} cron", f"{P} cron --every 5", f"{P} cron --json"],
    "confirm": [f"{P} confirm 42 43", f"{P} confirm 42 --remote-id https://example.com/post/1"],
    "plugins": [f"{P} plugins", f"{P} plugins --json"],
    "report": [f"{P} report", f"{P} report --since 2026-11-01 --format csv -o report.csv"],
    "serve": [f"{P} serve", f"{P} serve --port 8080"],
    "worker": [f"{P} worker", f"{P} worker --concurrency 4"],
    "media": [f"{P} media check build/wifi-password/en/story.mp4"],
    "media check": [
        f"{P} media check build/wifi-password/en/story.mp4",
        f"{P} media check story.mp4 --target telegram --json",
    ],
    "channels": [f"{P} channels list", f"{P} channels check"],
    "channels check": [f"{P} channels check", f"{P} channels check telegram --json"],
    "channels list": [f"{P} channels list", f"{P} channels list --json"],
    "channels refresh": [f"{P} channels refresh instagram"],
    "qa": [f"{P} qa hours", f"{P} qa ics -o support.ics"],
    "qa hours": [f"{P} qa hours", f"{P} qa hours --lang th --json"],
    "qa ics": [f"{P} qa ics", f"{P} qa ics --lang es --no-hours -o qa.ics"],
    "polls": [f"{P} polls results", f"{P} polls vote router-color 2"],
    "polls results": [f"{P} polls results", f"{P} polls results router-color --json"],
    "polls vote": [f"{P} polls vote router-color 2", f"{P} polls vote router-color 2 --voter s-17 --json"],
    "insights": [f"{P} insights collect"],
    "insights collect": [f"{P} insights collect", f"{P} insights collect --all --json"],
    "kb": [f"{P} kb build", f"{P} kb serve"],
    "kb build": [f"{P} kb build", f"{P} kb build --base-url https://help.example.com -o site/"],
    "kb serve": [f"{P} kb serve", f"{P} kb serve --no-build --port 8002"],
    "kb visits": [f"{P} kb visits", f"{P} kb visits --json"],
    "db": [f"{P} db current", f"{P} db upgrade"],
    "db current": [f"{P} db current", f"{P} db current --json"],
    "db upgrade": [f"{P} db upgrade", f"{P} db upgrade --json"],
    "db migrate-to": [f"{P} db migrate-to postgresql://storycast@localhost/storycast"],
    "cache": [f"{P} cache info", f"{P} cache prune --older-than 30d"],
    "cache info": [f"{P} cache info", f"{P} cache info --json"],
    "cache prune": [f"{P} cache prune --older-than 30d", f"{P} cache prune --max-size 2G --dry-run"],
    "i18n": [f"{P} i18n export -l th,es", f"{P} i18n status"],
    "i18n export": [f"{P} i18n export", f"{P} i18n export -l th,es --format xliff -o translations/"],
    "i18n import": [f"{P} i18n import translations/th.po", f"{P} i18n import translations/*.xlf"],
    "i18n status": [f"{P} i18n status", f"{P} i18n status -l th --json"],
    "i18n lock": [f"{P} i18n lock", f"{P} i18n lock wifi-password -l th"],
}


def _metavar(param: Any) -> str | None:
    """The value name of ``param`` in help, or None to leave Typer's (flags, explicit names)."""
    if param.metavar is not None or getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    desc = getattr(param, "type_descriptor", None)
    if desc is not None and desc.is_choice:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in desc.choices or ()) + "]"
    name = (param.name or "").lower()
    return METAVARS.get(name, name.upper().replace("_", "-"))


class _Argument(TyperArgument):
    """An argument shown as ``STORY...`` / ``[STORY]...``, without Typer's ``{STORY}`` and ``<list[str]>``."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 and not name.endswith("...") else "")


def examples_epilog(lines: list[str]) -> str:
    # \b keeps Click from re-flowing the example lines into one paragraph.
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def _readable(param: Any) -> Any:
    """``param`` with a readable value name; an argument becomes an ``_Argument`` with its state."""
    if param.name in ("install_completion", "show_completion"):
        return param
    metavar = _metavar(param)
    if metavar is not None:
        param.metavar = metavar
    if type(param) is not TyperArgument:
        return param
    # Typer builds every argument as a TyperArgument and offers no way to pick the class.
    shown = _Argument.__new__(_Argument)
    shown.__dict__.update(param.__dict__)
    return shown


def tune(command: Any, path: str = "") -> None:
    """Readable value names and examples on ``command`` and everything under it."""
    command.params = [_readable(param) for param in command.params]
    lines = EXAMPLES.get(path)
    if lines and not (command.epilog or "").startswith("Examples:"):
        command.epilog = examples_epilog(lines)
    for name, sub in getattr(command, "commands", {}).items():
        tune(sub, f"{path} {name}".strip())
