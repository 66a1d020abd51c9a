"""``storycast kb build`` before the command-line framework loads.

A plain ``kb build`` command line (the options the Typer command has, each at most once) runs
here, without Typer, through the same code as the Typer command (:func:`build_and_report`):
first it asks the kept answer of the last build with the same arguments
(:mod:`storycast.cli._kbkept`), which answers when nothing the site is made from changed; else it
builds the site and keeps the answer for the next run. Anything else (help, an unknown or
repeated option, ``--``, a value that is not a number for ``--jobs``, an ``--out`` that names a
file) returns None, and Typer runs the command and says what is wrong.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._argv import COMPLETE_VAR, read_plain

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..project import Project

# Flag pairs and valued options of `kb build` -> the argument they set.
_FLAGS = {
    "--render": ("render", True),
    "--no-render": ("render", False),
    "--ledger": ("ledger", True),
    "--no-ledger": ("ledger", False),
    "--json": ("as_json", True),
}
_VALUED = {"--out": "out", "-o": "out", "--base-url": "base_url", "--jobs": "jobs", "-j": "jobs"}


def read_args(args: list[str]) -> tuple[dict[str, Any], str | None, bool] | None:
    """(the build's arguments, --project value, --traceback) of a plain ``kb build``, or None."""
    got = read_plain(args, ("kb", "build"), _FLAGS, _VALUED, positional="stories")
    if got is None:
        return None
    opts, project, traceback = got
    opts.setdefault("stories", [])
    if "jobs" in opts:
        jobs = opts["jobs"].strip()
        if not (jobs.isascii() and jobs.lstrip("-+").isdigit()):
            return None  # Typer says what is wrong with it
        opts["jobs"] = int(jobs)
    if "out" in opts:
        if not opts["out"] or _blocking_file(Path(opts["out"]).expanduser()) is not None:
            return None  # Typer's --out check says which file is in the way
        opts["out"] = Path(opts["out"])
    return opts, project, traceback


def _blocking_file(path: Path) -> Path | None:
    """The first existing non-folder on the way to ``path`` (as ``_paths.output_folder`` checks)."""
    for part in [*reversed(path.parents), path]:
        if part.exists() and not part.is_dir():
            return part
    return None


def fast_path(args: list[str]) -> int | None:
    """Run ``storycast kb build`` without Typer when ``args`` are plain; None: let Typer run it."""
    if COMPLETE_VAR in os.environ:
        return None
    got = read_args(args)
    if got is None:
        return None
    opts, project, traceback = got
    as_json = bool(opts.get("as_json"))
    from ._common import State

    origin = (
        "--project" if project is not None or "STORYCAST_PROJECT" not in os.environ else "STORYCAST_PROJECT"
    )
    state = State(project=project, traceback=traceback, origin=origin)
    try:
        build_and_report(
            state.project,
            stories=opts["stories"],
            out=opts.get("out"),
            base_url=opts.get("base_url"),
            render=opts.get("render", True),
            jobs=opts.get("jobs"),
            ledger=opts.get("ledger", True),
            as_json=as_json,
            keep=(project, state.context.environ),
        )
    except SystemExit:
        raise
    except BaseException as exc:  # reported exactly as the app reports a command's errors
        from ._app import report_error

        report_error(exc, traceback, as_json)
    return 0


def build_and_report(
    load: Callable[[], Project],
    *,
    stories: list[str] | None,
    out: Path | None,
    base_url: str | None,
    render: bool,
    jobs: int | None,
    ledger: bool,
    as_json: bool,
    keep: tuple[str | None, dict[str, str]] | None = None,
) -> None:
    """``kb build``: build the site (``load`` gives the project) and print what it made.

    ``keep``: (the --project value, the environment) when the answer may come from, and be
    kept for, the next run with the same arguments (:mod:`storycast.cli._kbkept`)."""
    # (By name: ``from . import`` would ask the package's attribute hook, which loads Typer.)
    from ._kbkept import answer as kept_answer
    from ._kbkept import before as kept_before
    from ._kbkept import record as kept_record

    command = {
        "stories": list(stories or []),
        "out": str(out) if out is not None else None,
        "base_url": base_url,
        "render": render,
        "jobs": jobs,
        "ledger": ledger,
    }
    if keep is not None:
        answer = kept_answer(keep[0], keep[1], command)
        if answer is not None:
            _report(answer, as_json, answer["seconds"])
            return
    from ..kb import build_site

    project = load()
    mark = kept_before(project, command) if keep is not None else None
    result = build_site(
        project,
        out,
        story_ids=stories or None,
        render=render,
        base_url=base_url,
        jobs=jobs,
        ledger=ledger,
    )
    summary = result.to_dict()
    if mark is not None:
        from ..render import buildrec

        records = str(buildrec._record_path(project, project.build_dir).parent)
        kept_record(mark, summary, [str(project.build_dir)], result.read, result.builds, records)
    _report(summary, as_json, result.seconds)


def _report(summary: dict[str, Any], as_json: bool, seconds: float) -> None:
    langs = summary["languages"]
    line = (
        f"{summary['pages']} pages, {summary['tutorials']} tutorials in {len(langs)} languages "
        f"({', '.join(langs)}), {summary['images']} images ({summary['images_encoded']} encoded) "
        f"in {seconds:.1f} s -> {summary['out']}"
    )
    warnings = [f"warning: {warning}" for warning in summary["warnings"]]
    if as_json:
        from ._common import print_json

        print_json(summary)
    elif all(text.isprintable() for text in (line, *warnings)):
        # What the consoles print of plain text (no markup, highlighting, emoji or wrapping),
        # without loading rich.
        sys.stderr.write("".join(f"{w}\n" for w in warnings))
        sys.stderr.flush()
        sys.stdout.write(f"{line}\n")
        sys.stdout.flush()
    else:
        from ._common import console, err_console

        for warning in warnings:
            err_console().print(warning, markup=False)
        console().print(line, markup=False)
