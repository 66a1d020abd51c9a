"""storycast.files: the one temp-file-and-rename writer."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from storycast.files import (
    atomic_output,
    atomic_outputs,
    copy_atomically,
    create_exclusively,
    replace_atomically,
)


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_replace_atomically_writes_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.json"
    replace_atomically(target, b"one")
    replace_atomically(target, b"two", mode=0o640, durable=True)
    assert target.read_bytes() == b"two"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _leftovers(target.parent, {"a.json"}) == []


def test_a_crash_between_write_and_rename_leaves_the_old_content(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    # A real crash: the process dies inside the block, after writing and before the rename.
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from storycast.files import atomic_output
        with atomic_output(Path({str(target)!r})) as tmp:
            tmp.write_bytes(b"new, half written")
            os._exit(3)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == 3
    assert target.read_bytes() == b"old"
    # The abandoned temp file is named so that cache sweeps recognise it.
    (temp,) = _leftovers(tmp_path, {"state.json"})
    assert temp.startswith(".state.json.") and temp.endswith(".tmp")


def test_atomic_output_failure_keeps_old_content_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "qr.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target, suffix=".png") as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        tmp.write_bytes(b"new")
        raise RuntimeError("the tool failed")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path, {"qr.png"}) == []
    with atomic_output(target, suffix=".png") as tmp:
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert _leftovers(tmp_path, {"qr.png"}) == []


def test_atomic_outputs_commit_all_or_none(tmp_path: Path) -> None:
    names = [tmp_path / "v-1.mp4", tmp_path / "v-2.mp4"]
    with pytest.raises(ValueError), atomic_outputs(names, suffix=".tmp.mp4") as temps:
        temps[0].write_bytes(b"1")
        raise ValueError("part 2 failed its check")
    assert not any(n.exists() for n in names)
    assert _leftovers(tmp_path, set()) == []
    with atomic_outputs(names, suffix=".tmp.mp4", durable=True) as temps:
        for i, tmp in enumerate(temps):
            tmp.write_bytes(str(i).encode())
    assert [n.read_bytes() for n in names] == [b"0", b"1"]
    assert _leftovers(tmp_path, {"v-1.mp4", "v-2.mp4"}) == []


def test_copy_atomically(tmp_path: Path) -> None:
    src = tmp_path / "frame.jpg"
    src.write_bytes(b"jpeg")
    dst = tmp_path / "pack" / "01.jpg"
    copy_atomically(src, dst, prefix=".01.jpg.", suffix=".part")
    assert dst.read_bytes() == b"jpeg"
    assert _leftovers(dst.parent, {"01.jpg"}) == []
    with pytest.raises(FileNotFoundError):
        copy_atomically(tmp_path / "missing.jpg", dst)
    assert dst.read_bytes() == b"jpeg"
    assert _leftovers(dst.parent, {"01.jpg"}) == []


def test_create_exclusively_first_writer_wins(tmp_path: Path) -> None:
    path = tmp_path / ".storycast" / "web.key"
    assert create_exclusively(path, b"first") is True
    assert create_exclusively(path, b"second") is False
    assert path.read_bytes() == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _leftovers(path.parent, {"web.key"}) == []


def test_create_exclusively_race_has_one_winner(tmp_path: Path) -> None:
    path = tmp_path / "key"
    start = threading.Barrier(8)
    results: dict[int, bool] = {}

    def racer(i: int) -> None:
        start.wait()
        results[i] = create_exclusively(path, f"writer {i}".encode())

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [i for i, won in results.items() if won]
    assert len(winners) == 1
    assert path.read_bytes() == f"writer {winners[0]}".encode()
    assert os.listdir(tmp_path) == ["key"]
