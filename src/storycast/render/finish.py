"""Finishing a story/language build: frame records, manifest, contact sheet and the atomic writes
(every file only after every frame of the build rendered)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .. import __version__
from . import buildrec
from . import cache as cache_mod
from . import manifest as manifest_mod
from .frames import story_source
from .jobs import Thumb, contact_job, remember_thumb
from .prepare import Prepared, asset_roots
from .results import CONTACT_NAME, FRAME_FILE, RenderResult
from .strings import text_direction

if TYPE_CHECKING:
    from ..project import Project


def frame_records(prep: Prepared) -> list[manifest_mod.FrameRecord]:
    out = []
    for f in prep.frames:
        if f.output is not None:
            texts, warnings = f.output.texts, f.output.warnings
            assert f.payload is not None
            sha = cache_mod.bytes_sha256(f.payload)
        else:
            meta = f.cached_meta or {}
            texts, warnings = meta.get("texts", []), meta.get("warnings", [])
            sha = meta.get("sha256") or cache_mod.bytes_sha256(f.payload or b"")
        out.append(
            manifest_mod.FrameRecord(
                index=f.plan.index,
                file=f.file,
                sha256=sha,
                kind=f.plan.kind,
                template=f.plan.template,
                alt=f.plan.alt,
                cache_key=f.key,
                duration=f.plan.duration,
                step=f.plan.step,
                texts=texts,
                warnings=warnings,
            )
        )
    return out


def contact_sources(prep: Prepared, store: cache_mod.FrameCache) -> list[Thumb | bytes | str]:
    """What each frame's contact-sheet thumbnail is made from: the thumbnail made where it was
    drawn, else its web image in the cache (the same pixels the drawing path reads), else the
    frame itself."""
    out: list[Thumb | bytes | str] = []
    for f in prep.frames:
        if f.output is not None and f.output.thumb is not None:
            out.append(f.output.thumb)
            continue
        web = store.web_path(f.key)
        if web.is_file():
            out.append(str(web))
        else:
            out.append(f.payload if f.payload is not None else str(prep.out_dir / f.file))
    return out


def unchanged_result(prep: Prepared) -> RenderResult:
    """The result of a build the record found current: nothing to write."""
    assert prep.unchanged is not None
    frames = buildrec.frames_of(prep.unchanged)
    return RenderResult(
        story=prep.story.id,
        lang=prep.lang,
        out_dir=prep.out_dir,
        frames=frames,
        rendered=0,
        cached=len(frames),
        seconds=prep.seconds,
        manifest=prep.out_dir / manifest_mod.MANIFEST_NAME,
        contact=prep.out_dir / CONTACT_NAME,
        warnings=list(prep.unchanged.get("warnings", [])),
    )


def finish(project: Project, prep: Prepared, store: cache_mod.FrameCache) -> RenderResult:
    if prep.unchanged is not None:
        return unchanged_result(prep)
    started = time.perf_counter()
    story, lang = prep.story, prep.lang
    records = frame_records(prep)
    title = story.title.get(lang, "")
    manifest = manifest_mod.build_manifest(
        story=story.id,
        lang=lang,
        direction=text_direction(lang),
        title=title,
        source=story_source(project, story),
        fmt=prep.fmt,
        size=(project.config.render.width, project.config.render.height),
        frames=records,
        contact_sheet=CONTACT_NAME,
        engine=f"storycast {__version__} {cache_mod.ENGINE_VERSION}",
    )
    manifest_bytes = manifest_mod.dumps(manifest)
    manifest_path = prep.out_dir / manifest_mod.MANIFEST_NAME
    contact_path = prep.out_dir / CONTACT_NAME
    all_unchanged = all(f.state == "unchanged" for f in prep.frames)
    same_manifest = manifest_path.is_file() and manifest_path.read_bytes() == manifest_bytes
    files: dict[str, bytes] = {}
    for f in prep.frames:
        if f.state != "unchanged" and f.payload is not None:
            files[f.file] = f.payload
    if not (all_unchanged and same_manifest and contact_path.is_file()):
        sheet = prep.contact if prep.contact is not None else contact_job(contact_sources(prep, store))
        files[CONTACT_NAME] = sheet
    if not same_manifest:
        files[manifest_mod.MANIFEST_NAME] = manifest_bytes
    # Frames first, manifest last: a reader that sees the new manifest sees the new frames.
    order = sorted(files, key=lambda n: (n == manifest_mod.MANIFEST_NAME, n))
    for name in order:
        cache_mod.atomic_write(prep.out_dir / name, files[name])
    keep = {f.file for f in prep.frames}
    if prep.out_dir.is_dir():
        for old in prep.out_dir.iterdir():
            if FRAME_FILE.match(old.name) and old.name not in keep:
                old.unlink()
    for f, record in zip(prep.frames, records, strict=True):
        if f.output is not None and f.payload is not None:
            if f.output.thumb is not None:
                remember_thumb(str(prep.out_dir / f.file), f.output.thumb)
            store.put(
                f.key,
                prep.fmt,
                f.payload,
                {
                    "sha256": record.sha256,
                    "texts": f.output.texts,
                    "warnings": f.output.warnings,
                },
                written=prep.out_dir / f.file,
                web=f.output.web,
            )
    buildrec.write(
        project,
        prep.out_dir,
        prep.fingerprint,
        [f.text for f in prep.frames],
        prep.extra_files,
        asset_roots(project),
        [*(f.file for f in prep.frames), CONTACT_NAME, manifest_mod.MANIFEST_NAME],
    )
    rendered = sum(1 for f in prep.frames if f.output is not None)
    return RenderResult(
        story=story.id,
        lang=lang,
        out_dir=prep.out_dir,
        frames=records,
        rendered=rendered,
        cached=len(prep.frames) - rendered,
        seconds=prep.seconds + time.perf_counter() - started,
        manifest=manifest_path,
        contact=contact_path,
        warnings=list(manifest["warnings"]),
    )
