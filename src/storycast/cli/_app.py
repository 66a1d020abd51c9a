"""The storycast command line behind :func:`storycast.cli.main`: the Typer app and its error handling.

Errors become messages and exit codes here, and only here: a StorycastError prints its sentence,
location and hint and exits with its ExitStatus; an unexpected exception prints a one-line
summary (the stack with --traceback) and exits 70.
"""

from __future__ import annotations

import importlib
import itertools
import os
import sys
from typing import Annotated, Any

import typer

from .. import __version__
from ..errors import ExitStatus, StorycastError
from ._argv import COMPLETE_VAR, ROOT_VALUE_OPTIONS
from ._common import State, err_console, styled
from ._helpcache import ROOT_HELP_ARGS
from ._helpcache import keep as keep_root_help

# Command modules; each exposes register(app). Missing ones are simply not offered.
COMMAND_MODULES = (
    "init",
    "render",
    "media",
    "lint",
    "redact",
    "plan",
    "publish",
    "ledger",
    "approval",
    "daemon",
    "channels",
    "plugins",
    "engage",
    "kb",
    "web",
    "worker",
    "db",
    "cache",
    "i18n",
)

# Top-level command or group -> the module that registers it, so main() imports only the module
# a command needs (importing and building all 23 commands costs ~30 ms of every run). Anything
# else (no command, --help, a typo, a stale entry here) registers every module, as before.
COMMAND_HOMES = {
    "init": "init",
    "render": "render",
    "media": "media",
    "lint": "lint",
    "redact": "redact",
    "plan": "plan",
    "publish": "publish",
    **dict.fromkeys(("status", "retry", "cancel", "history", "reconcile"), "ledger"),
    **dict.fromkeys(("review", "approve", "reject", "approvals"), "approval"),
    **dict.fromkeys(("run", "cron"), "daemon"),
    **dict.fromkeys(("channels", "confirm"), "channels"),
    "plugins": "plugins",
    **dict.fromkeys(("qa", "polls", "insights", "report"), "engage"),
    "kb": "kb",
    "serve": "web",
    "worker": "worker",
    "db": "db",
    "cache": "cache",
    "i18n": "i18n",
}
_ROOT_VALUE_OPTIONS = ROOT_VALUE_OPTIONS


class _RootGroup(typer.core.TyperGroup):
    """The root command: once built, every value in help gets a readable name and every help examples."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ._help import tune

        tune(self)


_APP_SETTINGS: dict[str, Any] = {
    "cls": _RootGroup,
    "name": "storycast",
    "help": "Render, schedule, publish and archive multilingual support stories for ephemeral channels.",
    "no_args_is_help": True,
    "add_completion": True,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
_app = typer.Typer(**_APP_SETTINGS)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"storycast {__version__}")
        raise typer.Exit(0)


@_app.callback()
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
    # Click's ParameterSource, read by name (Typer bundles Click: it is not imported here).
    from_env = getattr(ctx.get_parameter_source("project"), "name", "") == "ENVIRONMENT"
    ctx.obj = State(
        project=project, traceback=traceback, origin="STORYCAST_PROJECT" if from_env else "--project"
    )


# Module -> (commands, groups) its register() added to the app.
_registered: dict[str, tuple[list[Any], list[Any]]] = {}


def _register(name: str) -> None:
    if name in _registered:
        return
    _registered[name] = ([], [])
    n_commands, n_groups = len(_app.registered_commands), len(_app.registered_groups)
    importlib.import_module(f"{__package__}.{name}").register(_app)
    _registered[name] = (_app.registered_commands[n_commands:], _app.registered_groups[n_groups:])


def _register_all() -> None:
    for name in COMMAND_MODULES:
        _register(name)
    # Help lists commands in COMMAND_MODULES order, whichever command ran first in this process.
    _app.registered_commands[:] = [c for name in COMMAND_MODULES for c in _registered[name][0]]
    _app.registered_groups[:] = [g for name in COMMAND_MODULES for g in _registered[name][1]]


def _command_name(args: list[str]) -> str | None:
    """The command ``args`` run, if it can be read without Click; None means "not sure"."""
    it = iter(args)
    for arg in it:
        if arg in _ROOT_VALUE_OPTIONS:
            next(it, None)
        elif arg in ("-h", "--help", "--version", "--"):
            return None
        elif not arg.startswith("-"):
            return arg
    return None


def _hoist_root_options(args: list[str]) -> list[str]:
    """``storycast render -P DIR`` means ``storycast -P DIR render``: root options go first.

    Click reads ``--project``/``-P`` and ``--traceback`` only before the command; people put them
    anywhere. Tokens after ``--`` stay where they are.
    """
    end = args.index("--") if "--" in args else len(args)
    front: list[str] = []
    rest: list[str] = []
    seen_command = False
    i = 0
    while i < end:
        arg = args[i]
        if arg in _ROOT_VALUE_OPTIONS and i + 1 < end:  # without its value, Click names the mistake
            (front if seen_command else rest).extend(args[i : i + 2])
            i += 2
            continue
        if seen_command and (arg == "--traceback" or arg.startswith("--project=")):
            front.append(arg)
        else:
            seen_command = seen_command or not arg.startswith("-")
            rest.append(arg)
        i += 1
    return [*front, *rest, *args[end:]]


def _register_for(args: list[str]) -> None:
    """Register the module of the command in ``args`` only, or every module when unsure."""
    name = _command_name(args)
    home = COMMAND_HOMES.get(name) if name else None
    if home is not None:
        _register(home)
        known = {c.name for c in _app.registered_commands} | {g.name for g in _app.registered_groups}
        if name in known:
            return
    _register_all()


def _noop() -> None:
    """Stands in for every command in the root help (which shows names and help only)."""


def _listing_app() -> typer.Typer:
    """The app with its commands' names and help but none of their options: the root help.

    Building every command's options (signatures, type hints, converters) costs ~35 ms and the
    root help shows none of them, so ``storycast --help`` lists this stand-in instead.
    """
    import copy
    import inspect

    from typer.models import TyperInfo

    _register_all()
    light = typer.Typer(**_APP_SETTINGS)
    light.registered_callback = _app.registered_callback
    for info in _app.registered_commands:
        stand_in = copy.copy(info)
        stand_in.name = info.name or typer.main.get_command_name(info.callback.__name__)  # type: ignore[union-attr]
        stand_in.help = info.help if info.help is not None else inspect.getdoc(info.callback)
        stand_in.callback = _noop
        light.registered_commands.append(stand_in)
    for group in _app.registered_groups:
        help_text = typer.main.solve_typer_info_help(group)
        stand_in_group = TyperInfo(typer.Typer(), name=group.name, help=help_text, hidden=group.hidden)
        light.registered_groups.append(stand_in_group)
    return light


def _is_root_help(args: list[str]) -> bool:
    """True when ``args`` ask for the root help and nothing else (no command, no completion)."""
    if COMPLETE_VAR in os.environ or any(a.endswith("-completion") for a in args):
        return False
    return not args or (_command_name(args) is None and any(a in ("-h", "--help") for a in args))


def full_app() -> typer.Typer:
    """The app with every command registered (docs generation, tests: ``storycast.cli.app``)."""
    _register_all()
    return _app


def _print_error(exc: StorycastError) -> None:
    # The message quotes user text (keys, titles, paths): it is printed as Text, never as markup.
    console = err_console()
    text = str(exc)
    first, _, rest = text.partition("\n")
    console.print(styled(("error:", "bold red"), " ", first), markup=False, highlight=False)
    if rest:
        console.print(rest, markup=False, highlight=False)


def _wants_json(args: list[str]) -> bool:
    """True when the command line asks for JSON (``--json``, ``--format json``) before any ``--``."""
    args = args[: args.index("--")] if "--" in args else args
    pairs = itertools.pairwise(args)
    return (
        "--json" in args
        or "--format=json" in args
        or any(a in ("--format", "-f") and v == "json" for a, v in pairs)
    )


def _json_error(exit_code: int, message: str, **fields: Any) -> None:
    """An error as one JSON object on stderr, for callers that asked for JSON (never a partial line)."""
    import json

    doc = {"error": message, "exit_code": exit_code, "exit_status": _status_name(exit_code), **fields}
    sys.stderr.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
    sys.stderr.flush()


def _status_name(code: int) -> str:
    try:
        return ExitStatus(code).name
    except ValueError:
        return "ERROR"


def _error_fields(exc: StorycastError) -> dict[str, Any]:
    fields: dict[str, Any] = {"kind": type(exc).__name__, "hint": exc.hint}
    fields |= {"file": str(exc.file) if exc.file else None, "line": exc.line, "column": exc.column}
    problems = getattr(exc, "problems", None)
    if problems:
        fields["problems"] = [{"error": p.message, **_error_fields(p)} for p in problems]
    return fields


def main(argv: list[str] | None = None) -> None:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``) and exit."""
    args = _hoist_root_options(sys.argv[1:] if argv is None else argv)
    show_tb = "--traceback" in args or os.environ.get("STORYCAST_TRACEBACK") == "1"
    as_json = _wants_json(args)
    try:
        # Click returns (does not raise) a typer.Exit's code when standalone_mode is off.
        if _is_root_help(args):
            root = _listing_app()
        else:
            _register_for(args)
            root = _app
        if args in ROOT_HELP_ARGS:
            result = _root_help_kept(root, args)
        else:
            result = root(args=args, prog_name="storycast", standalone_mode=False)
        if isinstance(result, int) and result:
            sys.exit(result)
    except SystemExit:
        raise
    except BaseException as exc:  # the one place errors are reported
        handle_exception(exc, show_tb, as_json)
    sys.exit(0)


def report_error(exc: BaseException, traceback: bool, as_json: bool) -> None:
    """Report ``exc`` of a command run before Typer exactly as the app reports a command's
    errors (and exit with its code); ``traceback``: the command line's --traceback."""
    handle_exception(exc, traceback or os.environ.get("STORYCAST_TRACEBACK") == "1", as_json)


def handle_exception(exc: BaseException, show_tb: bool, as_json: bool) -> None:
    """Report an error of a command and exit with its code (also for ``status`` run before Typer).

    A StorycastError prints its sentence, location and hint; Ctrl-C is ``interrupted``; Click's
    errors keep their own message and code; anything else is an unexpected error (exit 70).
    """
    if isinstance(exc, StorycastError):
        if as_json:
            _json_error(int(exc.exit_status), exc.message, **_error_fields(exc))
        else:
            _print_error(exc)
        sys.exit(int(exc.exit_status))
    if isinstance(exc, KeyboardInterrupt):
        if as_json:
            _json_error(int(ExitStatus.INTERRUPTED), "interrupted")
        else:
            err_console().print("interrupted", markup=False)
        sys.exit(int(ExitStatus.INTERRUPTED))
    _handle_click_or_crash(exc, show_tb, as_json)


def _root_help_kept(root: typer.Typer, args: list[str]) -> Any:
    """Run ``storycast --help``, printing the help and keeping it for the next run (_helpcache)."""
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        result = root(args=args, prog_name="storycast", standalone_mode=False)
    text = buf.getvalue()
    sys.stdout.write(text)
    sys.stdout.flush()
    if not (isinstance(result, int) and result) and text.startswith("Usage: storycast"):
        keep_root_help(text)
    return result


def _handle_click_or_crash(exc: BaseException, show_tb: bool, as_json: bool = False) -> None:
    # Typer bundles Click; its usage errors carry their own exit code and message.
    if isinstance(exc, typer.Abort):
        if as_json:
            _json_error(int(ExitStatus.INTERRUPTED), "aborted")
        else:
            err_console().print("aborted", markup=False)
        sys.exit(int(ExitStatus.INTERRUPTED))
    if isinstance(exc, typer.exceptions.TyperException):
        if as_json:
            usage_ctx = getattr(exc, "ctx", None)
            usage = usage_ctx.get_usage() if usage_ctx is not None else None
            _json_error(exc.exit_code, exc.format_message(), kind="UsageError", usage=usage)
            sys.exit(exc.exit_code)
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
    elif as_json:
        hint = "this is a bug in storycast; rerun with --traceback and report the output"
        _json_error(int(ExitStatus.INTERNAL), f"unexpected {type(exc).__name__}: {exc}", hint=hint)
    else:
        err_console().print(
            f"error: unexpected {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in storycast; rerun with --traceback and report the output",
            markup=False,
        )
    sys.exit(int(ExitStatus.INTERNAL))
