"""Benchmark: `storycast kb build` for a library of 100 tutorials in 5 languages.

Target (issue 8): under 30 s. The library is generated from the five example tutorials: each
copy gets its own id and mutated titles and step texts in every language, and its own frames
(the example's rendered frames with a few variant bytes appended after the JPEG end marker, so
every frame has a distinct hash and is really decoded and re-encoded: no deduplication helps).
The site is then built from those builds (``render=False``: the archive of frames already
exists, as it does for stories that were published).

Baseline, measured in the same run: copying every frame file into a folder (the least any
site generator must do with the images), so the ratio shows what pages, web images and the
search index cost on top.

    python bench/kb.py [--stories 100]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import yaml

from storycast.project import Project

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "_out" / "kb"


def _example_project() -> Path:
    root = OUT / "proj"
    if root.exists():
        shutil.rmtree(root / "stories")
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "storycast.toml", root)
    for name in ("templates", "assets"):
        if not (root / name).exists():
            shutil.copytree(REPO / name, root / name)
    (root / "stories").mkdir()
    return root


def _render_examples(root: Path, examples: list[Path]) -> None:
    from storycast.render.pipeline import render_many

    for src in examples:
        shutil.copy(src, root / "stories" / src.name)
    project = Project.load(root)
    started = time.perf_counter()
    render_many(project, sorted(project.content.stories), None, jobs=os.cpu_count() or 1)
    print(f"examples rendered (cached after the first run) in {time.perf_counter() - started:.1f} s")
    for src in examples:
        (root / "stories" / src.name).unlink()


def _mutate(data: dict, i: int) -> dict:
    data = json.loads(json.dumps(data))  # deep copy of plain YAML data
    data["id"] = f"{data['id']}-{i:03d}"
    data["title"] = {lang: f"{text} {i}" for lang, text in data["title"].items()}
    for n, step in enumerate(data["steps"]):
        step["text"] = {lang: f"{text} ({i}.{n})" for lang, text in step.get("text", {}).items()}
    return data


def _copy_build(root: Path, src_id: str, new: dict, i: int) -> int:
    frames = 0
    for lang_dir in sorted((root / "build" / src_id).iterdir()):
        manifest = json.loads((lang_dir / "manifest.json").read_text(encoding="utf-8"))
        target = root / "build" / new["id"] / lang_dir.name
        target.mkdir(parents=True, exist_ok=True)
        for frame in manifest["frames"]:
            data = (lang_dir / frame["file"]).read_bytes() + f"variant {i}".encode()
            (target / frame["file"]).write_bytes(data)
            frame["sha256"] = hashlib.sha256(data).hexdigest()
            frames += 1
        manifest["story"] = new["id"]
        manifest["title"] = new["title"].get(lang_dir.name, manifest["title"])
        (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=100)
    args = parser.parse_args()

    from storycast.kb import build_site

    root = _example_project()
    examples = sorted(
        p for p in (REPO / "stories").glob("*.yaml") if "kind:" not in p.read_text(encoding="utf-8")
    )
    _render_examples(root, examples)
    sources = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in examples]
    frames = 0
    for i in range(args.stories):
        base = sources[i % len(sources)]
        new = _mutate(base, i)
        (root / "stories" / f"{new['id']}.yaml").write_text(
            yaml.safe_dump(new, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        frames += _copy_build(root, base["id"], new, i)
    project = Project.load(root)
    langs = {lang for s in project.content.stories.values() for lang in s.languages}
    print(f"library: {len(project.content.stories)} tutorials, {len(langs)} languages, {frames} frames")

    # Baseline: copy every frame file once.
    base_out = OUT / "copy"
    shutil.rmtree(base_out, ignore_errors=True)
    base_out.mkdir(parents=True)
    started = time.perf_counter()
    for n, path in enumerate((root / "build").glob("*/*/*.jpg")):
        shutil.copyfile(path, base_out / f"{n}.jpg")
    baseline = time.perf_counter() - started

    site = OUT / "site"
    shutil.rmtree(site, ignore_errors=True)
    cold = build_site(project, site, render=False)
    warm = build_site(project, site, render=False)
    print(f"baseline (copy {frames} frame files): {baseline:.2f} s")
    print(
        f"kb build cold: {cold.seconds:.2f} s ({cold.pages} pages, {cold.images_encoded} images encoded)"
        f"  ratio {cold.seconds / baseline:.1f}x baseline"
        f"  target < 30 s: {'ok' if cold.seconds < 30 else 'MISSED'}"
    )
    print("  phases (cold): " + ", ".join(f"{k} {v:.2f} s" for k, v in cold.timings.items()))
    print(
        f"kb build warm: {warm.seconds:.2f} s ({warm.images_encoded} images encoded)"
        f"  ratio {warm.seconds / baseline:.1f}x"
    )


if __name__ == "__main__":
    main()
