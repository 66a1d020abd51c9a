"""Load the built-in extensions that register content and schedule kinds.

Content kinds (``kind: qa``, ``kind: poll``) and their schedule entry kinds live in
``storycast.engage``, which registers them on import. Loaders call :func:`ensure_loaded`
so a project's files parse the same whichever command reads them first.
"""

from __future__ import annotations

import importlib
import importlib.util

_BUILTIN_EXTENSIONS = ("storycast.engage",)
_done = False


def ensure_loaded() -> None:
    """Import every built-in extension once (cheap: they import nothing heavy)."""
    global _done
    if _done:
        return
    _done = True
    for name in _BUILTIN_EXTENSIONS:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
