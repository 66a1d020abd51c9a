"""Files a render opens must stay inside the project (or the packaged defaults).

A template, picture, logo, font or strings file reached through a symbolic link that points out
of the project folder is refused, so a project cannot pull files from elsewhere on the machine
(``templates/x.j2 -> /etc/...``) onto a frame, into a manifest or into the cache.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path``, with every link resolved, is one of ``roots`` or lies under one."""
    real = os.path.realpath(path)
    for root in roots:
        top = os.path.realpath(root)
        if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False


def trusted_roots(root: Path, folders: Iterable[Path]) -> list[Path]:
    """``root`` plus those ``folders`` that are not inside it (the packaged defaults).

    A folder of the project (its ``assets/``) does not count on its own: if it is itself a link
    out of the project, what it holds is outside the project too.
    """
    out = [root]
    top = os.path.abspath(root)
    for folder in folders:
        here = os.path.abspath(folder)
        if not (here == top or here.startswith(top.rstrip(os.sep) + os.sep)):
            out.append(folder)
    return out
