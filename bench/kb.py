"""Benchmark: `storycast kb build` for a library of 100 tutorials in 5 languages, as users run it.

The library is generated from the example tutorials (en, es, th, hi, sr): each copy gets its own
id and mutated titles and step texts in every language, so every frame differs. Its frames are
rendered once with ``storycast render --jobs 2`` (untimed setup, kept in bench/_out/kb between
runs: the render cache makes a second setup quick). Then, in a fresh process each time, the
command users run (its default brings the frame builds up to date first, cached):

- cold:  ``storycast kb build --out SITE`` into an empty folder (every page, web image and
  search word is written; of what an earlier build into that path kept in ``.storycast/cache/kb``
  only the stamps of the frame builds, their manifests and the interface catalogue are used;
  the project's own caches stay, as after any earlier command: the parsed stories, the compiled
  page templates, and the web size of each frame, which the render made in the setup where it
  drew the frame and which the build copies; their cost is in ``bench/render.py``'s cold render);
- after one story changes: one step text of one tutorial edited (English), then the same
  command over the existing site (that story's frame is drawn again, its image, pages and
  search words made again; the other stories' are kept);
- nothing changed: the same command again.

Baseline, in the same rounds: ``cp -r`` of the frame builds (the least any site generator does
with the images). Targets (issue 22): cold <= 10 s, after one story changes <= 1 s.

    python bench/kb.py [--stories 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import yaml

from _measure import ROOT, Sample, load_line, ratio_line, row, run

OUT = ROOT / "bench" / "_out" / "kb"
LANGS = ["en", "es", "th", "hi", "sr"]
TUTORIALS = ["reset-router", "speed-test", "two-factor-login", "update-firmware", "wifi-password"]


def storycast(root: Path, *args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("storycast")), "--project", str(root), *args]


def _only_langs(node: Any) -> Any:
    """Drop languages other than LANGS from every per-language mapping."""
    if isinstance(node, dict):
        if node and all(isinstance(k, str) and len(k) <= 5 and k.islower() for k in node) and "en" in node:
            return {k: _only_langs(v) for k, v in node.items() if k in LANGS}
        return {k: _only_langs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_only_langs(v) for v in node]
    return node


def _mutate(data: dict[str, Any], i: int) -> dict[str, Any]:
    data = _only_langs(json.loads(json.dumps(data)))
    data["id"] = f"{data['id']}-{i:03d}"
    data["languages"] = [lang for lang in data["languages"] if lang in LANGS]
    data["title"] = {lang: f"{text} {i}" for lang, text in data["title"].items()}
    for n, step in enumerate(data["steps"]):
        step["text"] = {lang: f"{text} ({i}.{n})" for lang, text in step.get("text", {}).items()}
    return data


def library(count: int) -> Path:
    """The generated project (stories, templates, assets, config) with every frame rendered."""
    root = OUT / "proj"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "storycast.toml", root)
    for name in ("templates", "assets"):
        shutil.rmtree(root / name, ignore_errors=True)
        shutil.copytree(ROOT / name, root / name)
    shutil.rmtree(root / "stories", ignore_errors=True)
    (root / "stories").mkdir()
    (root / "schedules").mkdir(exist_ok=True)
    sources = [
        yaml.safe_load((ROOT / "stories" / f"{t}.yaml").read_text(encoding="utf-8")) for t in TUTORIALS
    ]
    for i in range(count):
        new = _mutate(sources[i % len(sources)], i)
        (root / "stories" / f"{new['id']}.yaml").write_text(
            yaml.safe_dump(new, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    s = run(storycast(root, "render", "--jobs", "2"))
    print(f"setup: library rendered in {s.wall:.1f} s wall, {s.cpu:.1f} s cpu (cached after the first run)")
    return root


def edit_one_story(root: Path, n: int) -> None:
    """Change the English text of the first step of the first tutorial (a one-step edit)."""
    path = sorted((root / "stories").glob("*.yaml"))[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["steps"][0]["text"]["en"] = data["steps"][0]["text"]["en"].split(" [edit")[0] + f" [edit {n}]"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    root = library(args.stories)
    frames = sum(1 for _ in (root / "build").glob("*/*/[0-9][0-9].jpg"))
    site, copy = OUT / "site", OUT / "copy"
    got: dict[str, list[Sample]] = {"copy": [], "cold": [], "edit": [], "same": []}
    edits = 0

    def baseline() -> Sample:
        shutil.rmtree(copy, ignore_errors=True)
        return run(["cp", "-r", str(root / "build"), str(copy)])

    def kb() -> tuple[Sample, Sample, Sample]:
        nonlocal edits
        shutil.rmtree(site, ignore_errors=True)
        cold = run(storycast(root, "kb", "build", "--out", str(site)))
        edits += 1
        edit_one_story(root, edits)
        edit = run(storycast(root, "kb", "build", "--out", str(site)))
        same = run(storycast(root, "kb", "build", "--out", str(site)))
        return cold, edit, same

    for r in range(-1, args.rounds):  # one warm-up round, not counted
        if r % 2 == 0:
            base, (cold, edit, same) = baseline(), kb()
        else:
            (cold, edit, same), base = kb(), baseline()
        print(
            f"  round {r + 1} (wall/cpu s): copy {base.wall:.2f}/{base.cpu:.2f}, cold {cold.wall:.2f}/"
            f"{cold.cpu:.2f}, one story changed {edit.wall:.2f}/{edit.cpu:.2f}, "
            f"nothing changed {same.wall:.2f}/{same.cpu:.2f}; load {same.load:.1f}",
            file=sys.stderr,
        )
        if r >= 0:
            for key, s in zip(got, (base, cold, edit, same), strict=True):
                got[key].append(s)
    print(
        f"\nlibrary: {args.stories} tutorials x {len(LANGS)} languages, {frames} frames; "
        f"medians of {args.rounds} paired rounds"
    )
    print(row("baseline: cp -r of the frame builds", got["copy"], 46))
    print(row("storycast kb build, cold (empty site)", got["cold"], 46) + "   (target <= 10 s)")
    print(row("storycast kb build, one story changed", got["edit"], 46) + "   (target <= 1 s)")
    print(row("storycast kb build, nothing changed", got["same"], 46))
    print(ratio_line("cold / baseline", got["cold"], got["copy"], "", 46))
    cold_cpu = statistics.median(s.cpu for s in got["cold"])
    print(f"{'':46} cold cpu {cold_cpu:.2f} s: {'met' if cold_cpu <= 10 else 'MISSED'} (CPU, not load-bound)")
    print(load_line(got))


if __name__ == "__main__":
    main()
