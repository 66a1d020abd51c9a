"""``storycast cache info | prune``: the render cache under ``.storycast/cache/``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ._common import JSON_HELP, console, get_context, load_project, print_json

if TYPE_CHECKING:
    from ..render.prune import PruneReport

T = TypeVar("T")

cache_app = typer.Typer(help="Inspect and prune the render cache (.storycast/cache).", no_args_is_help=True)


def _option(value: str | None, parse: Callable[[str], T], flag: str) -> T | None:
    """``parse(value)`` for a CLI option; a bad value is a usage error (exit 2) naming ``flag``."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=flag) from None


@cache_app.command("info")
def info(
    ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False
) -> None:
    """Show the cache's entries and size by kind, the oldest and newest use, and the [cache] limits."""
    from ..render import prune as p

    project = load_project(ctx)
    now = get_context(ctx).now().timestamp()
    root = p.cache_root(project)
    scan = p.scan(root)
    kinds: dict[str, list[int]] = {}
    for e in scan.entries:
        row = kinds.setdefault(e.kind, [0, 0])
        row[0] += 1
        row[1] += e.size
    oldest = scan.entries[0].last_used if scan.entries else None
    newest = scan.entries[-1].last_used if scan.entries else None
    last = p.last_prune(root)
    cfg = project.config.cache
    videos = p.video_caches(project)
    data: dict[str, Any] = {
        "cache": str(root),
        "entries": len(scan.entries),
        "bytes": scan.size,
        "oldest_use": p.iso_time(oldest) if oldest is not None else None,
        "newest_use": p.iso_time(newest) if newest is not None else None,
        "kinds": {k: {"entries": v[0], "bytes": v[1]} for k, v in sorted(kinds.items())},
        "temp_files": len(scan.temps),
        "last_prune": p.iso_time(last) if last is not None else None,
        "limits": {"max_size": cfg.max_size, "max_age": cfg.max_age, "auto_prune": cfg.auto_prune},
        "video_segment_caches": [
            {"folder": str(folder), "files": n, "bytes": size} for folder, n, size in videos
        ],
    }
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(f"cache: {root}", markup=False)
    out.print(f"entries: {len(scan.entries)} ({p.format_size(scan.size)})", markup=False)
    for kind, (n, size) in sorted(kinds.items()):
        out.print(f"  {kind:<16} {n:>7}  {p.format_size(size):>9}", markup=False)
    if oldest is not None and newest is not None:
        out.print(
            f"oldest use: {data['oldest_use']} ({p.format_age(now - oldest)} ago); "
            f"newest use: {data['newest_use']} ({p.format_age(now - newest)} ago)",
            markup=False,
        )
    if scan.temps:
        out.print(f"temp files: {len(scan.temps)} (stale ones are removed by prune)", markup=False)
    auto = "on, at most daily after storycast render" if cfg.auto_prune else "off"
    out.print(
        f"limits: max_age {cfg.max_age}, max_size {cfg.max_size}; auto-prune {auto}; "
        f"last prune: {data['last_prune'] or 'never'}",
        markup=False,
    )
    if videos:
        n = sum(v[1] for v in videos)
        size = sum(v[2] for v in videos)
        out.print(
            f"video segment caches: {len(videos)} folders, {n} files ({p.format_size(size)}); "
            "each video render keeps only its own segments",
            markup=False,
        )


@cache_app.command("prune")
def prune(
    ctx: typer.Context,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="AGE",
            help="Remove entries not used for this long: 90m, 12h, 30d, 2w. Default: [cache] max_age.",
            show_default=False,
        ),
    ] = None,
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            metavar="SIZE",
            help="Then remove the least recently used entries until the cache fits: 500MB, 2GB, 1.5GiB. "
            "Default: [cache] max_size.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be removed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Remove cache entries not used recently, then the least recently used ones over a size limit.

    Safe to run from cron while renders run: entries used in the last 10 minutes and files being
    written are kept, and nothing outside .storycast/cache is removed. A removed entry is redrawn
    by the next build that needs it.
    """
    from ..render import prune as p

    age = _option(older_than, p.parse_duration, "--older-than")
    size = _option(max_size, p.parse_size, "--max-size")
    project = load_project(ctx)
    cfg = project.config.cache
    report = p.prune(
        p.cache_root(project),
        max_age=age if age is not None else p.parse_duration(cfg.max_age),
        max_size=size if size is not None else p.parse_size(cfg.max_size),
        dry_run=dry_run,
        now=get_context(ctx).now().timestamp(),
        project_root=project.root,
    )
    if as_json:
        print_json(report.to_dict())
    else:
        _print_report(report)
    if report.failed:
        from ..errors import StorycastError

        raise StorycastError(
            f"{len(report.failed)} cache files could not be removed (first: {report.failed[0]})",
            hint="run the prune as the user that renders, or fix the permissions of .storycast/cache",
        )


_REASONS = {
    "age": "not used within the age limit",
    "size": "least recently used, over the size limit",
    "incomplete": "incomplete (a write killed over an hour ago)",
}


def _print_report(report: PruneReport) -> None:
    from ..render.prune import format_age, format_size

    out = console()
    if report.dry_run:
        for e, why in report.removed:
            out.print(
                f"would remove {e.name} ({format_size(e.size)}, last used "
                f"{format_age(report.now - e.last_used)} ago; {why})",
                markup=False,
            )
        for path in report.temps_removed:
            out.print(f"would remove stale temp file {path}", markup=False)
    else:
        by_reason: dict[str, int] = {}
        for _, why in report.removed:
            by_reason[why] = by_reason.get(why, 0) + 1
        for why, n in sorted(by_reason.items()):
            out.print(f"{n:>7} {_REASONS.get(why, why)}", markup=False)
    out.print(report.summary(), markup=False)


def register(app: typer.Typer) -> None:
    app.add_typer(cache_app, name="cache")
