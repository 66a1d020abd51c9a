"""Versions of installed distributions, read without importing them (cache keys and stamps)."""

from __future__ import annotations

import os
import re
import sys
from functools import cache


@cache
def version_of(dist: str) -> str:
    """An installed distribution's version (without importing it), "?" when unknown.

    Read from the name of its ``.dist-info`` folder in the first folder of ``sys.path`` that has
    one (as ``importlib.metadata`` finds it, which costs about 10 ms a distribution, scanning
    every folder's distributions); anything less plain (an ``.egg-info``, two versions in one
    folder) is asked of ``importlib.metadata``."""
    want = _normal(dist)
    for folder in sys.path:
        versions = _dist_infos(folder).get(want)
        if versions is None:
            continue
        if len(versions) == 1 and versions[0] is not None:
            return versions[0]
        break
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@cache
def _dist_infos(folder: str) -> dict[str, list[str | None]]:
    """The distributions in one folder of ``sys.path``: normalised name -> the versions its
    ``.dist-info`` folders name (None for an ``.egg-info``, which is left to importlib)."""
    found: dict[str, list[str | None]] = {}
    try:
        names = os.listdir(folder or ".")
    except OSError:
        return found
    for entry in names:
        if entry.endswith(".dist-info"):
            name, _, ver = entry[: -len(".dist-info")].partition("-")
            found.setdefault(_normal(name), []).append(ver or None)
        elif entry.endswith(".egg-info"):
            found.setdefault(_normal(entry[: -len(".egg-info")].partition("-")[0]), []).append(None)
    return found
