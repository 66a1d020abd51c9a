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


def build_wheel(
    out: Path, *, dist: str, version: str, module: str, source: str, entry_points: dict[str, dict[str, str]]
) -> Path:
    """Write a real wheel of a one-module distribution (METADATA, WHEEL, entry_points.txt, RECORD)."""
    import base64
    import hashlib
    import zipfile

    out.mkdir(parents=True, exist_ok=True)
    name = dist.replace("-", "_")
    info = f"{name}-{version}.dist-info"
    eps = "".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in items.items())
        for group, items in entry_points.items()
    )
    files = {
        f"{module}.py": source,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: storycast-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{info}/entry_points.txt": eps,
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    wheel = out / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
        zf.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel
