"""The storycast command line.

``main()`` is the console script. Errors become messages and exit codes here, and only here:
a StorycastError prints its sentence, location and hint and exits with its ExitStatus; an
unexpected exception prints a one-line summary (the stack with --traceback) and exits 70.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from typing import Annotated

import typer

from .. import __version__
from ..errors import ExitStatus, StorycastError
from ._common import State, err_console

# Command modules; each exposes register(app). Missing ones are simply not offered.
COMMAND_MODULES = (
    "init",
    "render",
    "media",
    "lint",
    "plan",
    "publish",
    "ledger",
    "daemon",
    "channels",
    "engage",
    "kb",
    "web",
    "worker",
    "db",
)

app = typer.Typer(
    name="storycast",
    help="Render, schedule, publish and archive multilingual support stories for ephemeral channels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"storycast {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-P",
            envvar="STORYCAST_PROJECT",
            help="Project folder (holds storycast.toml). Default: the nearest one above the working dir.",
            show_default=False,
        ),
    ] = None,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the Python stack trace of unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """storycast: support stories for ephemeral channels."""
    ctx.obj = State(project=project, traceback=traceback)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        modname = f"{__name__}.{name}"
        if importlib.util.find_spec(modname) is None:
            continue
        module = importlib.import_module(modname)
        module.register(app)


_register_all()


def _print_error(exc: StorycastError) -> None:
    console = err_console()
    text = str(exc)
    first, _, rest = text.partition("\n")
    console.print(f"[bold red]error:[/] {first}", markup=True, highlight=False)
    if rest:
        console.print(rest, markup=False, highlight=False)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = sys.argv[1:] if argv is None else argv
    show_tb = "--traceback" in args or os.environ.get("STORYCAST_TRACEBACK") == "1"
    try:
        # Click returns (does not raise) a typer.Exit's code when standalone_mode is off.
        result = app(args=args, standalone_mode=False)
        if isinstance(result, int) and result:
            sys.exit(result)
    except StorycastError as exc:
        _print_error(exc)
        sys.exit(int(exc.exit_status))
    except KeyboardInterrupt:
        err_console().print("interrupted", markup=False)
        sys.exit(int(ExitStatus.INTERRUPTED))
    except SystemExit:
        raise
    except BaseException as exc:  # the one place unexpected errors are reported
        _handle_click_or_crash(exc, show_tb)
    sys.exit(0)


def _handle_click_or_crash(exc: BaseException, show_tb: bool) -> None:
    # Typer bundles Click; its usage errors carry their own exit code and message.
    if isinstance(exc, typer.Abort):
        err_console().print("aborted", markup=False)
        sys.exit(int(ExitStatus.INTERRUPTED))
    if isinstance(exc, typer.exceptions.TyperException):
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err_console().print(f"error: {exc.format_message()}", markup=False)
        sys.exit(exc.exit_code)
    if isinstance(exc, typer.Exit):
        sys.exit(exc.exit_code)
    if show_tb:
        import traceback

        traceback.print_exception(exc)
    else:
        err_console().print(
            f"error: unexpected {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in storycast; rerun with --traceback and report the output",
            markup=False,
        )
    sys.exit(int(ExitStatus.INTERNAL))
