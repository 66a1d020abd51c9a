"""Gather what the knowledge base shows: every tutorial in every language, with its rendered frames.

The frames come from the render build (``build/<story>/<lang>/manifest.json``). With
``render=True`` the builds are brought up to date first through the render pipeline's cache
(a warm build draws nothing); with ``render=False`` only existing builds are used, which is how
the site is rebuilt from an archive of frames on a machine without the fonts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from ..errors import ContentError
from ..render.web import WEB_SUFFIX
from .images import ImageJob, WebImage, planned
from .shipped import Facts, Session, Shipped, Votes
from .state import BuildState, digest, frames_stamp, stamp

if TYPE_CHECKING:
    from ..content.models import Story
    from ..project import Project
    from ..render.strings import Strings


@dataclass
class StepEntry:
    """One step of a tutorial page."""

    number: int
    title: str
    text: str
    alt: str
    image: WebImage | None = None


@dataclass
class TutorialEntry:
    """One tutorial in one language: one page of the site."""

    story: str
    lang: str
    title: str
    summary: str
    category: str
    tags: list[str]
    updated: date
    steps: list[StepEntry]
    cover: WebImage | None = None
    cover_alt: str = ""
    languages: list[str] = field(default_factory=list)  # every language this tutorial exists in
    shipped: Shipped = field(default_factory=Shipped)  # where and when it was published (ledger)
    votes: Votes = field(default_factory=Votes)  # "Was this helpful?" answers, every language
    changed: date | None = None  # its frames differ from the ones last published: since this day

    @property
    def url(self) -> str:
        """Path of the page from the site root (a folder with index.html)."""
        return f"{self.lang}/{self.story}/"


@dataclass
class Library:
    """Everything the site builder needs."""

    tutorials: list[TutorialEntry]
    languages: list[str]  # site languages, project default first
    default_language: str
    images: list[ImageJob]
    strings: Strings
    missing: list[str]  # "story/lang" pairs without a build (skipped)
    sessions: list[Session] = field(default_factory=list)  # Q&A sessions with a published recap


def _updated(story: Story) -> date:
    # The author's last edit of the story file is what "last updated" promises a reader.
    if story.source is not None and Path(story.source).is_file():
        return datetime.fromtimestamp(Path(story.source).stat().st_mtime, UTC).date()
    return datetime(1970, 1, 1, tzinfo=UTC).date()


_HEX64 = re.compile("[0-9a-f]{64}")


def _image(
    files: set[str] | frozenset[str],
    out: str,
    frame: dict[str, Any],
    size: tuple[int, int],
    store: str,
) -> ImageJob | None:
    """The web image of one frame of the build in ``out``, when its file is there (``files``:
    the build folder's listing); ``store``: the frame cache's folder."""
    name = str(frame.get("file", ""))
    if not name or name not in files:
        return None
    key = frame.get("cache_key")
    # The render kept this frame's web size in its cache, under the key the manifest names
    # (``FrameCache.web_path``).
    web = f"{store}/{key[:2]}/{key}{WEB_SUFFIX}" if isinstance(key, str) and _HEX64.fullmatch(key) else None
    return ImageJob(f"{out}/{name}", str(frame["sha256"]), size[0], size[1], web)


def collect(
    project: Project,
    story_ids: Sequence[str] | None = None,
    *,
    render: bool = True,
    build_dir: Path | None = None,
    jobs: int = 1,
    facts: Facts | None = None,
    state: BuildState | None = None,
) -> Library:
    """Read stories and their builds into a :class:`Library` (rendering stale builds when asked).

    ``facts``: what the ledger says shipped (:func:`.shipped.read_facts`); None shows none.
    ``state``: the last build's stamps; stories they show unchanged skip the render's check."""
    from .. import resources
    from ..render import manifest as manifest_mod
    from ..render.strings import load_strings

    content = project.content
    ids = list(story_ids) if story_ids else sorted(content.stories)
    stories = [content.story(i) for i in ids]
    base = Path(build_dir) if build_dir is not None else project.build_dir
    paths = [resources.templates_dir() / "strings.yaml", project.templates_dir / "strings.yaml"]
    # The catalogue as the last build read it, when its files are unchanged (parsing it is a
    # quarter of a build that finds nothing else to do); a linked file is always read again.
    key = [[str(p), stamp(p)] for p in paths]
    linked = any(p.is_symlink() for p in paths)
    held = state.strings if state is not None else None
    strings = held[1] if held and held[0] == key and not linked else load_strings(*paths)
    if state is not None:
        state.strings = [key, strings]
    listings: dict[str, set[str]] = {}
    if render and stories:
        # The frames read the same catalogue: a build to render need not parse it again.
        listings = _bring_up_to_date(project, stories, base, jobs, state, None if linked else [key, strings])

    tutorials: list[TutorialEntry] = []
    images: list[ImageJob] = []
    missing: list[str] = []
    known = state.manifests if state is not None else {}
    seen: dict[str, list[Any]] = {}
    store = str(project.state_dir / "cache" / "frames")  # the frame cache (``FrameCache``)
    for story in stories:
        updated = _updated(story)
        for lang in story.languages:
            pair = f"{story.id}/{lang}"
            out = base / story.id / lang
            path = out / manifest_mod.MANIFEST_NAME
            now = stamp(path)
            manifest = _summary(path, known.get(pair), now)
            if manifest is None:
                missing.append(pair)
                continue
            seen[pair] = [now, manifest]
            # The folder's listing as the frame check took it (the render wrote nothing since).
            files = listings.get(pair)
            if files is None:
                files = set(os.listdir(out))
            entry = _entry(story, lang, str(out), files, manifest, images, store, updated)
            if facts is not None:
                _ship(entry, facts, manifest, out)
            tutorials.append(entry)
    if state is not None:
        state.manifests = seen
    if not tutorials and stories:
        raise ContentError(
            "no story has a rendered build to publish in the knowledge base",
            hint="run `storycast render` first, or build without --no-render",
        )
    present: dict[str, list[str]] = {}
    for t in tutorials:
        present.setdefault(t.story, []).append(t.lang)
    for t in tutorials:
        t.languages = present[t.story]
    langs = [project.config.project.default_language] + [
        lang for lang in project.languages if lang != project.config.project.default_language
    ]
    used = {t.lang for t in tutorials}
    site_langs = [lang for lang in langs if lang in used] + sorted(used - set(langs))
    sessions = [s for s in facts.sessions if s.lang in site_langs] if facts is not None else []
    return Library(
        tutorials, site_langs, site_langs[0] if site_langs else "en", images, strings, missing, sessions
    )


def _bring_up_to_date(
    project: Project,
    stories: list[Story],
    base: Path,
    jobs: int,
    state: BuildState | None,
    strings: list[Any] | None = None,
) -> dict[str, set[str]]:
    """Render the builds (story and language) whose frames may be stale (``render``'s cached build).

    A build is current without running its templates when the stamp of everything else the
    templates see is the one the last build recorded, the story's text in its language is too
    (the story file unchanged, or the story as parsed now equal in everything that language's
    frames are made from: see :func:`language_digests`), and the build's record finds the files
    it read and wrote unchanged with the fingerprint recorded. Only the other builds are
    rendered: an English edit renders the English build of that story, not its other languages."""
    from ..render import buildrec
    from ..render import cache as cache_mod
    from ..render.prepare import asset_roots
    from ..render.results import FRAME_FILE

    roots = asset_roots(project)
    stamp_now = frames_stamp(project, base) if state is not None else None
    known = (
        state.frames.get("stories", {})
        if state is not None and state.frames.get("stamp") == stamp_now
        else {}
    )
    sources = {s.id: _source_stamp(s) for s in stories}
    digests: dict[str, dict[str, str] | None] = {}
    records = str(buildrec._record_path(project, base).parent)
    real_base = os.path.realpath(base)

    listings: dict[str, set[str]] = {}  # "story/lang": the listing of a build found current

    def print_of(story: Story, lang: str, stats: dict[str, Any]) -> str | None:
        listing: list[str] = []
        written: list[Any] = []
        folder = _resolved(base, real_base, story.id, lang)
        found = _files_current(folder, records, roots, FRAME_FILE, stats, listing, written)
        if found is not None:
            listings[f"{story.id}/{lang}"] = set(listing)
        if state is not None:  # what the check found there (None: not current)
            state.builds[folder] = written if found is not None else None
        return found

    def digests_of(story: Story, entry: Any) -> dict[str, str] | None:
        # The story file unchanged: the digests recorded with it (None for an entry without).
        if story.id not in digests:
            if entry is not None and entry[0] == sources[story.id] and len(entry) > 2:
                digests[story.id] = entry[2] if isinstance(entry[2], dict) else None
            else:
                digests[story.id] = language_digests(story)
        return digests[story.id]

    current: dict[str, dict[str, str]] = {}
    stale: list[tuple[Story, str]] = []
    with cache_mod.call_memo():  # the builds name the same pictures: look each up once
        stats: dict[str, Any] = {}
        for story in stories:
            entry = known.get(story.id)
            if stamp_now is None or sources[story.id] is None or not _entry_ok(entry):
                stale.extend((story, lang) for lang in story.languages)
                continue
            if entry[0] == sources[story.id]:
                same = set(story.languages)
            else:
                now, then = digests_of(story, None), entry[2] if len(entry) > 2 else None
                same = {
                    lang
                    for lang in story.languages
                    if now is not None and isinstance(then, dict) and then.get(lang) == now.get(lang)
                }
            found: dict[str, str] = {}
            for lang in story.languages:
                fp = print_of(story, lang, stats) if lang in same else None
                if fp is not None and fp == entry[1].get(lang):
                    found[lang] = fp
                else:
                    stale.append((story, lang))
            current[story.id] = found
        _note_read(state, stats)
    if stale:
        from ..render.frames import remember_catalogue
        from ..render.pipeline import default_out, render_pairs

        if strings is not None:  # [its files' stamps, taken before they were read; the catalogue]
            remember_catalogue(strings[0], strings[1])

        render_pairs(
            project, [(s, lang, default_out(project, base, s.id, lang)) for s, lang in stale], jobs=jobs
        )
        with cache_mod.call_memo():
            stats = {}
            for story, lang in stale:
                listings.pop(f"{story.id}/{lang}", None)  # taken before the render wrote it
                fp = print_of(story, lang, stats)
                if fp is not None:
                    current.setdefault(story.id, {})[lang] = fp
            _note_read(state, stats)
    if state is not None and stamp_now is not None:
        # Stories not built this time (a build of some stories only) keep their entries.
        # (A copy: the state's values are replaced, never changed in place; see BuildState.save.)
        previous = dict(state.frames.get("stories", {})) if state.frames.get("stamp") == stamp_now else {}
        for story in stories:
            found = current.get(story.id, {})
            if set(found) == set(story.languages):
                entry = known.get(story.id)
                previous[story.id] = [sources[story.id], found, digests_of(story, entry)]
            else:
                previous.pop(story.id, None)
        state.frames = {"stamp": stamp_now, "stories": previous}
    return listings


def _note_read(state: BuildState | None, stats: dict[str, Any]) -> None:
    """Keep on ``state`` the files the frame checks looked at (the pictures and other files
    the builds' records name): what a kept answer of the build must find unchanged."""
    if state is not None:
        state.read.update(path for path in stats if not path.startswith("\0"))


def _entry_ok(entry: Any) -> TypeGuard[list[Any]]:
    """A state entry of a story: [source stamp, {lang: fingerprint}, {lang: digest} or None]."""
    return isinstance(entry, list) and len(entry) >= 2 and isinstance(entry[1], dict)


# The story's fields that hold one text per language (``Story`` and ``Step``): a language's
# frames read only their own language's text of them. Every other field is kept whole.
_LOCALIZED = ("title", "summary", "cta")
_STEP_LOCALIZED = ("title", "text", "alt")


def language_digests(story: Story) -> dict[str, str] | None:
    """Per language of ``story``, a hash of everything in it that language's frames are made
    from: every field as parsed, with the per-language texts cut to that language's. Two
    versions of a story with the same digest for a language give that language the same frames
    (the rest, templates, strings, configuration, is in the frames stamp). None when the story
    cannot be hashed (every language is then checked as changed)."""
    try:
        data = story.model_dump(mode="json")
        data["source"] = str(story.source) if story.source is not None else None
        out: dict[str, str] = {}
        for lang in story.languages:
            one = dict(data)
            for key in _LOCALIZED:
                if isinstance(one.get(key), dict):
                    one[key] = [lang, one[key].get(lang)]
            steps = []
            for step in data.get("steps", []):
                cut = dict(step)
                for key in _STEP_LOCALIZED:
                    if isinstance(cut.get(key), dict):
                        cut[key] = [lang, cut[key].get(lang)]
                steps.append(cut)
            one["steps"] = steps
            out[lang] = digest([lang, one])
        return out
    except (TypeError, ValueError, AttributeError):
        return None


def _resolved(base: Path, real_base: str, story: str, lang: str) -> str:
    """``os.path.realpath(base / story / lang)``, from the resolved ``base`` when neither part
    is a link or a name realpath would change (``..``)."""
    if story in ("", ".", "..") or lang in ("", ".", "..") or "/" in story or "/" in lang:
        return os.path.realpath(base / story / lang)
    story_dir = f"{real_base}/{story}"
    folder = f"{story_dir}/{lang}"
    if os.path.islink(story_dir) or os.path.islink(folder):
        return os.path.realpath(base / story / lang)
    return folder


def _files_current(
    folder: str,
    records: str,
    roots: Sequence[Path],
    frame_file: re.Pattern[str],
    stats: dict[str, Any],
    listing: list[str] | None = None,
    written_out: list[Any] | None = None,
) -> str | None:
    """``render.buildrec.files_current`` for one build (``folder``, resolved), with plain ``os``
    calls on text paths: the record's fingerprint when every file it names (the pictures its
    tokens find under ``roots`` now, the other files it read, the files it wrote) has the size
    and mtime recorded and the folder holds no frame file the build did not write; else None.

    ``records``: the folder of the build records; ``stats``: the pictures' stamps, looked up
    once per check of many builds (they share them); ``listing``: filled with the folder's
    listing when the build is current, ``written_out`` with the files it wrote as found
    (``[name, size, mtime]``). Checking 500 builds this way costs about a third of
    render's own check, which builds a ``Path`` for every file it looks at."""
    from ..render import cache as cache_mod

    # The record's name, as buildrec gives it: from the resolved folder.
    name = hashlib.sha256(folder.encode("utf-8")).hexdigest()[:32]
    try:
        with open(os.path.join(records, f"{name}.json"), "rb") as fh:
            record = json.loads(fh.read())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not record.get("fingerprint"):
        return None

    def stat(path: str) -> list[Any]:
        got = stats.get(path)
        if got is None:
            try:
                st = os.stat(path)
                got = [path, st.st_size, st.st_mtime_ns]
            except OSError:
                got = [path, None, None]
            stats[path] = got
        return got

    try:
        files = cache_mod.files_for_tokens(record.get("tokens", []), roots)
        if [stat(str(p)) for p in files] != record.get("inputs"):
            return None
        extra = record.get("extra", [])
        if [stat(_as_path(entry[0], stats)) for entry in extra] != extra:
            return None
        outputs = record.get("outputs")
        names = [entry[0] for entry in outputs] if isinstance(outputs, list) else []
        written = []
        for n in names:
            try:
                st = os.stat(f"{folder}/{n}" if "/" not in n else os.path.join(folder, n))
                written.append([n, st.st_size, st.st_mtime_ns])
            except OSError:
                written.append([n, None, None])
        if not names or written != outputs:
            return None
        found = os.listdir(folder)
    except (OSError, TypeError, IndexError, KeyError):  # a damaged record: render's full check
        return None
    known = set(names)
    if any(frame_file.match(n) and n not in known for n in found):
        return None
    if listing is not None:
        listing[:] = found
    if written_out is not None:
        written_out[:] = written
    return str(record["fingerprint"])


def _as_path(text: Any, seen: dict[str, Any]) -> str:
    """``str(Path(text))`` (how the record's own check spells a path), once per text."""
    key = f"\0{text}"
    if key not in seen:
        seen[key] = str(Path(text))
    return seen[key]  # type: ignore[no-any-return]


def _summary(path: Path, known: list[Any] | None, now: list[Any] | None) -> dict[str, Any] | None:
    """What the site reads of a build's manifest (title, size, each frame's file, hash, kind, cache key,
    step and alt text), from the last build's state when the manifest file is unchanged (``now``:
    its stamp)."""
    from ..render import manifest as manifest_mod

    if known is not None and known[0] is not None and known[0] == now:
        return known[1]  # type: ignore[no-any-return]
    manifest = manifest_mod.load(path)
    if manifest is None:
        return None
    keys = ("index", "file", "sha256", "kind", "step", "alt", "cache_key")
    summary: dict[str, Any] = {k: manifest[k] for k in ("title", "width", "height") if k in manifest}
    summary["frames"] = [{k: f[k] for k in keys if k in f} for f in manifest.get("frames", [])]
    return summary


def _source_stamp(story: Story) -> list[Any] | None:
    return stamp(Path(story.source)) if story.source is not None else None


def _ship(entry: TutorialEntry, facts: Facts, manifest: dict[str, Any], out: Path) -> None:
    """The ledger's facts on one tutorial, and whether its frames changed since they went out."""
    from ..render import manifest as manifest_mod

    entry.shipped = facts.of(entry.story, entry.lang)
    entry.votes = facts.votes.get(entry.story) or Votes()
    sent = entry.shipped.frames
    if not sent or entry.shipped.last_published is None:
        return
    now = {int(f.get("index", 0)): str(f.get("sha256", "")) for f in manifest.get("frames", [])}
    # Only the frames that went out are compared: a post cut short (a failed frame) is no change.
    if any(now.get(i) != sha for i, sha in sent.items()):
        # The day it changed: the story file's last edit when that came after the post, else the
        # build's (a template or picture changed).
        after = entry.shipped.last_published.date()
        built = datetime.fromtimestamp((out / manifest_mod.MANIFEST_NAME).stat().st_mtime, UTC).date()
        entry.changed = entry.updated if entry.updated >= after else max(built, after)


def _entry(
    story: Story,
    lang: str,
    out: str,
    files: set[str] | frozenset[str],
    manifest: dict[str, Any],
    images: list[ImageJob],
    store: str,
    updated: date,
) -> TutorialEntry:
    frames = manifest.get("frames", [])
    size = (int(manifest.get("width", 1080)), int(manifest.get("height", 1920)))
    by_step = {f.get("step"): f for f in frames if f.get("kind") == "step" and f.get("step")}
    steps: list[StepEntry] = []
    for n, step in enumerate(story.steps, start=1):
        frame = by_step.get(n)
        title = story.text(step.title, lang)
        # The step's own image description; the text beside it already carries the words.
        alt = story.text(step.alt, lang) or (frame or {}).get("alt", "") or title
        entry = StepEntry(n, title, story.text(step.text, lang), alt)
        if frame is not None:
            job = _image(files, out, frame, size, store)
            if job is not None:
                images.append(job)
                entry.image = planned(job)
        steps.append(entry)
    cover = next((f for f in frames if f.get("kind") == "cover"), None)
    cover_img = None
    if cover is not None:
        job = _image(files, out, cover, size, store)
        if job is not None:
            images.append(job)
            cover_img = planned(job)
    return TutorialEntry(
        story=story.id,
        lang=lang,
        title=story.text(story.title, lang) or manifest.get("title", story.id),
        summary=story.text(story.summary, lang),
        category=story.category,
        tags=list(story.tags),
        updated=updated,
        steps=steps,
        cover=cover_img,
        cover_alt=(cover or {}).get("alt", ""),
    )
