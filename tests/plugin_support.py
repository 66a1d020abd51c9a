"""Install a test-only storycast plugin (a module plus its entry point) on sys.path.

Test channels register through the same entry-point group as real plugins, so the engine's
subprocesses find them exactly as they would find an installed plugin.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def install_plugin(module: str, entry_point: str, source: str) -> Path:
    """Write ``module``.py and a dist-info declaring ``[storycast] entry_point = module``.

    The folder is put on sys.path and returned (for subprocesses' PYTHONPATH).
    """
    dist = module.replace("_", "-")
    root = Path(tempfile.mkdtemp(prefix=f"{dist}-"))
    (root / f"{module}.py").write_text(source, encoding="utf-8")
    info = root / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[storycast]\n{entry_point} = {module}\n")
    sys.path.insert(0, str(root))
    from storycast import plugins

    plugins.reload()  # the manager may have loaded already in this process: find the new entry point
    return root
