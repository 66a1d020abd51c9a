"""The storycast command line.

``main()`` is the console script. It reads which command the arguments run before the
command-line framework loads: ``storycast render`` first asks the warm render's fast path
(:func:`storycast.render.uptodate.fast_path`), which may answer without loading anything else,
``storycast status`` runs its one implementation before the framework loads when the arguments
are plain (:func:`storycast.cli._status.fast_path`), and ``storycast --help`` prints the root
help kept by an earlier run (``_helpcache``).
Everything else runs the Typer app in :mod:`storycast.cli._app`, where errors become messages
and exit codes, and only there.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from ._argv import first_word
from ._helpcache import cached as cached_root_help


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: ``storycast ARGS`` (``argv`` defaults to ``sys.argv[1:]``)."""
    args = sys.argv[1:] if argv is None else list(argv)
    text = cached_root_help(args)
    if text is not None:  # kept from an earlier `storycast --help` by this code at this width
        sys.stdout.write(text)
        sys.stdout.flush()
        sys.exit(0)
    command = first_word(args)
    if command == "render":
        # Imports nothing heavy: the framework, the project and the renderer load only if needed.
        from ..context import Context
        from ..render.uptodate import fast_path

        code = fast_path(args, wall=Context().clock.wall().timestamp())
        if code is not None:
            sys.exit(code)
    elif command == "kb":
        # A plain `kb build`, without the framework (cli/_kbfast.py), answered from what the
        # last build kept when nothing changed (kb/kept.py).
        from ._kbfast import fast_path as kb_fast_path

        code = kb_fast_path(args)
        if code is not None:
            sys.exit(code)
    elif command == "status":
        # The same code as the Typer command, without the framework (cli/_status.py).
        from ._status import fast_path as status_fast_path

        code = status_fast_path(args)
        if code is not None:
            sys.exit(code)
    from ._app import main as run

    run(args)


def __getattr__(name: str) -> Any:
    # The Typer app, COMMAND_HOMES and the helpers live in _app; importing them from here loads it.
    if name.startswith("__") or name == "_app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    app_module = importlib.import_module(f"{__name__}._app")
    if name == "app":  # every command registered (docs generation, tests)
        return app_module.full_app()
    return getattr(app_module, name)
