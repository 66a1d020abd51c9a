"""Build the static knowledge base: pages, web images, search indexes, sitemap, fonts.

Layout of the output folder (every link is relative, so the site works from any sub-path or
straight from the disk)::

    index.html                     language chooser
    <lang>/index.html              home: categories and every tutorial
    <lang>/c/<category>/index.html one category
    <lang>/<story>/index.html      one tutorial: every step's image and text
    <lang>/search/index.html       search (the only page that needs JavaScript)
    <lang>/qa/<event>-<date>/      the recap of a Q&A session: the questions and the answers given
    go/<story>/index.html          the short link's target on a static host (meta refresh)
    _redirects                     the short links for hosts that read it (Netlify, Cloudflare Pages)
    search/<lang>.json             the search index of one language
    img/<sha>.jpg                  540x960 web versions of the frames
    assets/                        CSS, search script, fonts.css and fonts/ (the scripts the pages use)
    sitemap.xml  robots.txt
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..versions import version_of
from .collect import Library, TutorialEntry, collect
from .i18n import direction, native_name, ui
from .images import IMG_DIR, encode_all, image_name
from .search import INDEX_VERSION, SearchDoc, build_index, doc_terms, index_key
from .shipped import Session
from .sitemap import Entry, sitemap_xml
from .state import BuildState, code_stamp, digest, plain, stamp, tree_stamp

if TYPE_CHECKING:
    from jinja2 import Environment

    from ..project import Project

HERE = Path(__file__).parent


@dataclass
class KbResult:
    """What ``kb build`` produced."""

    out: Path
    pages: int
    tutorials: int
    languages: list[str]
    images: int
    images_encoded: int
    seconds: float
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase
    # The files the frame checks looked at (the pictures the builds' records name).
    read: list[str] = field(default_factory=list)
    # The build folders the frame checks looked at: the files each wrote as found (or None).
    builds: dict[str, list[Any] | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (what ``storycast kb build --json`` prints)."""
        return {
            "out": str(self.out),
            "pages": self.pages,
            "tutorials": self.tutorials,
            "languages": self.languages,
            "images": self.images,
            "images_encoded": self.images_encoded,
            "seconds": round(self.seconds, 3),
            "missing": self.missing,
            "warnings": self.warnings,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def _env(cache_dir: Path | None = None) -> Environment:
    """The pages' Jinja environment; with ``cache_dir``, compiled templates are kept there (a
    rebuild that renders a few pages does not compile the templates again)."""
    import jinja2
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    bcc = None
    if cache_dir is not None:
        # Jinja checks each template's source; its own version, Python's and the options below
        # (this file's stamp) name the folder.
        code = digest(code_stamp("kb/site.py"))[:16]
        from ..render.templating import CompiledCache

        bcc = CompiledCache.in_folder(cache_dir / f"jinja-kb-{jinja2.__version__}-{code}")
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=bcc,
    )
    env.globals.update(native_name=native_name, direction=direction)
    return env


def _write(path: Path, text: str) -> None:
    """Write ``text`` unless the file already holds it: unchanged files keep their mtime, so
    the next build (and a sync to the host) can tell them unchanged."""
    data = text.encode("utf-8")
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def category_label(lib: Library, category: str, lang: str) -> str:
    """A category's name in ``lang`` from ``strings.yaml`` (``category_<id>``), else its id, capitalised."""
    key = f"category_{category.replace('-', '_')}"
    if key in lib.strings:
        return ui(lib.strings, lang, key)
    return category.replace("-", " ").capitalize()


def _format_date(value: Any, lang: str) -> str:
    from babel.core import UnknownLocaleError

    from ..dates import long_date

    try:
        return long_date(value, lang)
    except (UnknownLocaleError, ValueError):
        return value.isoformat()  # type: ignore[no-any-return]


def _format_number(value: int, lang: str) -> str:
    from babel.core import UnknownLocaleError
    from babel.numbers import format_decimal

    try:
        # Western digits everywhere, as the catalogue's strings have them.
        return format_decimal(value, locale=lang, numbering_system="latn")
    except (UnknownLocaleError, ValueError, TypeError):
        return str(value)


class _Site:
    """Renders pages of one library into one folder."""

    def __init__(
        self, project: Project, lib: Library, out: Path, base_url: str | None, state: BuildState
    ) -> None:
        self.project = project
        self.lib = lib
        self.out = out
        self.base_url = base_url.rstrip("/") + "/" if base_url else None
        self._env: Environment | None = None  # Jinja loads only when a page must be rendered
        self.state = state
        self.written: dict[str, list[Any]] = {}  # page path -> its state entry, this build
        self.rendered = 0  # pages rendered (not kept)
        self.pages: list[str] = []
        brand = project.config.brand
        self.brand = {
            "name": brand.name or project.config.project.name,
            "primary": brand.primary,
            "ink": brand.ink,
        }
        self.by_lang: dict[str, list[TutorialEntry]] = {}
        for t in lib.tutorials:
            self.by_lang.setdefault(t.lang, []).append(t)
        for items in self.by_lang.values():
            items.sort(key=lambda t: (t.category, t.title.casefold()))
        self.chars: set[str] = set()  # every character of every page: which fonts to ship
        self._digests: dict[int, str] = {}
        channels = {name: section.type for name, section in project.config.channels.items()}
        # Everything every page sees besides its own context: a change re-renders every page.
        self.shared = digest(
            [
                code_stamp("kb", "dates.py", "render/strings.py"),
                tree_stamp([HERE / "templates"]),
                [version_of("jinja2"), version_of("babel")],
                lib.strings,
                self.brand,
                lib.languages,
                lib.default_language,
                self.base_url,
                channels,
                lib.sessions,
            ]
        )

    @property
    def env(self) -> Environment:
        if self._env is None:
            self._env = _env(self.project.state_dir / "cache")
        return self._env

    def _plain(self, o: Any) -> Any:
        # A tutorial appears on its page, its home and its category: hash it once.
        if isinstance(o, TutorialEntry):
            key = id(o)
            if key not in self._digests:
                self._digests[key] = digest(vars(o))
            return self._digests[key]
        return plain(o)

    def channel_label(self, name: str) -> str:
        """A channel's name as readers know it: its type's (Instagram), else its own."""
        section = self.project.config.channels.get(name)
        kind = section.type if section is not None else name
        return {"local": name, "whatsapp": "WhatsApp", "telegram": "Telegram"}.get(kind, kind.capitalize())

    def absolute(self, url: str) -> str | None:
        return self.base_url + url if self.base_url else None

    def render(self, template: str, url: str, lang: str, *, count: bool = True, **ctx: Any) -> None:
        """Render ``template`` to ``<out>/<url>index.html`` (``url`` '' is the root).

        A page whose inputs and file are those of the last build is kept as it is."""
        if count:
            self.pages.append(url)
        path = f"{url}index.html"
        target = self.out / path
        text = json.dumps([self.shared, template, url, lang, ctx], sort_keys=True, default=self._plain)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()
        old = self.state.pages.get(path)
        if old is not None and old[0] == key and old[1] == stamp(target):
            self.chars.update(old[2])
            self.written[path] = old
            return
        depth = url.count("/")
        root = "../" * depth
        alternates = ctx.get("alternates") or []
        # x-default: the project's default language when the page has it, else its first language.
        x_default = next((p for lang_, p in alternates if lang_ == self.lib.default_language), None)
        if x_default is None and alternates:
            x_default = alternates[0][1]
        page = self.env.get_template(template).render(
            root=root,
            url=url,
            lang=lang,
            dir=direction(lang),
            t=lambda key, **kw: ui(self.lib.strings, lang, key, **kw),
            ui_in=lambda other, key, **kw: ui(self.lib.strings, other, key, **kw),
            brand=self.brand,
            site_langs=self.lib.languages,
            absolute=self.absolute,
            cat_label=lambda c: category_label(self.lib, c, lang),
            fmt_date=lambda d: _format_date(d, lang),
            fmt_number=lambda n: _format_number(n, lang),
            channel_label=self.channel_label,
            sessions=self.sessions(lang),
            x_default=x_default,
            **ctx,
        )
        _write(target, page)
        chars = "".join(sorted(set(page)))
        self.chars.update(chars)
        self.written[path] = [key, stamp(target), chars]
        self.rendered += 1

    def categories(self, lang: str) -> list[tuple[str, list[TutorialEntry]]]:
        groups: dict[str, list[TutorialEntry]] = {}
        for t in self.by_lang.get(lang, []):
            groups.setdefault(t.category, []).append(t)
        return sorted(groups.items(), key=lambda kv: category_label(self.lib, kv[0], lang).casefold())

    def build_pages(self) -> None:
        lib = self.lib
        self.render("root.html", "", lib.default_language, languages=lib.languages)
        for lang in lib.languages:
            cats = self.categories(lang)
            alternates = [(other, f"{other}/") for other in lib.languages]
            self.render("home.html", f"{lang}/", lang, categories=cats, alternates=alternates)
            self.render(
                "search.html",
                f"{lang}/search/",
                lang,
                alternates=[(other, f"{other}/search/") for other in lib.languages],
            )
            for cat, items in cats:
                self.render(
                    "category.html",
                    f"{lang}/c/{cat}/",
                    lang,
                    category=cat,
                    tutorials=items,
                    alternates=[(o, f"{o}/c/{cat}/") for o in lib.languages if self._has_cat(o, cat)],
                )
            for tut in self.by_lang.get(lang, []):
                self.render(
                    "tutorial.html",
                    tut.url,
                    lang,
                    tut=tut,
                    alternates=[(o, f"{o}/{tut.story}/") for o in tut.languages],
                )
            for session in self.sessions(lang):
                self.render(
                    "recap.html",
                    f"{lang}/qa/{session.slug}/",
                    lang,
                    session=session,
                    title=self.recap_title(session, lang),
                    alternates=[],
                )

    def sessions(self, lang: str) -> list[Session]:
        """The Q&A recaps in ``lang``, newest first."""
        return sorted((s for s in self.lib.sessions if s.lang == lang), key=lambda s: s.start, reverse=True)

    def recap_title(self, session: Session, lang: str) -> str:
        # The event's file (content kind "qa"), read through the content, not engage: siblings.
        event = self.project.content.extras.get("qa", {}).get(session.event)
        return (event.text(event.title, lang) if event else "") or session.event

    def build_redirects(self) -> None:
        """Short links on a static host: ``_redirects`` rules and ``go/<story>/`` refresh pages.

        A static host cannot count visits (no server code runs); its own logs can."""
        stories: dict[str, list[str]] = {}
        for t in self.lib.tutorials:
            stories.setdefault(t.story, []).append(t.lang)
        lines = ["# storycast kb build: the short links /go/<story>?l=<lang> (see docs/kb.md)"]
        for story, langs in sorted(stories.items()):
            default = self.lib.default_language if self.lib.default_language in langs else langs[0]
            # Netlify matches query parameters; hosts that do not (Cloudflare Pages) use the last rule.
            for lang in langs:
                lines.append(f"/go/{story} l={lang} /{lang}/{story}/ 302")
            lines.append(f"/go/{story} /{default}/{story}/ 302")
            self.render(
                "go.html",
                f"go/{story}/",
                default,
                story=story,
                langs=langs,
                default=default,
                alternates=[],
                count=False,
            )
        _write(self.out / "_redirects", "\n".join(lines) + "\n")

    def _has_cat(self, lang: str, cat: str) -> bool:
        return any(t.category == cat for t in self.by_lang.get(lang, []))

    def build_search(self) -> None:
        """One index per language; each tutorial's words are taken from the last build when its
        searchable text is unchanged (segmenting Thai loads a dictionary)."""
        known = self.state.search
        kept: dict[str, list[Any]] = {}
        indexes: dict[str, list[Any]] = {}
        for lang, items in self.by_lang.items():
            docs = [
                SearchDoc(
                    url=t.url,
                    title=t.title,
                    summary=t.summary,
                    category=category_label(self.lib, t.category, lang),
                    fields={
                        "title": t.title,
                        "summary": t.summary,
                        "step_title": " ".join(s.title for s in t.steps),
                        "text": " ".join(s.text for s in t.steps),
                        "tags": " ".join(t.tags),
                        "category": category_label(self.lib, t.category, lang),
                    },
                )
                for t in items
            ]
            terms = []
            keys = []
            for doc in docs:
                key = index_key(doc, lang)
                old = known.get(doc.url)
                words = old[1] if old is not None and old[0] == key else doc_terms(doc, lang)
                kept[doc.url] = [key, words]
                terms.append(words)
                keys.append([doc.url, doc.title, doc.summary, doc.category, key])
            # The index is its documents and their words (by the keys of their texts, which
            # hold the search code's stamp), in this order, and the folding table.
            whole = digest([INDEX_VERSION, unicodedata.unidata_version, keys])
            target = self.out / "search" / f"{lang}.json"
            held = self.state.indexes.get(lang)
            if not (held and held[0] == whole and held[1] == stamp(target)):
                index = build_index(docs, lang, terms)
                _write(target, json.dumps(index, ensure_ascii=False, separators=(",", ":")))
            indexes[lang] = [whole, stamp(target)]
        self.state.search = kept
        self.state.indexes = indexes
        for index_file in (self.out / "search").glob("*.json"):
            if index_file.stem not in self.by_lang:  # a language no tutorial has any more
                index_file.unlink()

    def build_assets(self) -> None:
        """CSS, scripts and the web fonts of the scripts on the pages; kept as they are when
        their inputs (the pages' characters, the static files, the fonts and the code that cuts
        them) and the files are those of the last build."""
        from .. import resources

        assets = self.out / "assets"
        key = digest(
            [
                "".join(sorted(self.chars)),
                tree_stamp([HERE / "static"]),
                tree_stamp([self.project.assets_dir, resources.assets_dir()]),
                code_stamp("kb", "render/text"),
                [version_of("fonttools"), version_of("brotli")],
            ]
        )
        held = self.state.assets
        if held and held[0] == key and held[1] == tree_stamp([assets]):
            return
        self._write_assets(assets)
        self.state.assets = [key, tree_stamp([assets])]

    def _write_assets(self, assets: Path) -> None:
        from ..render.text.webfonts import face_bytes, font_face_css, scripts_in, web_faces

        fonts = assets / "fonts"
        if fonts.is_dir():
            shutil.rmtree(fonts)  # faces of scripts an earlier build had
        fonts.mkdir(parents=True, exist_ok=True)
        for name in ("kb.css", "search.js", "helpful.js"):
            shutil.copyfile(HERE / "static" / name, assets / name)
        # Only the scripts the pages hold; each face loads in the browser only for its range.
        faces = web_faces(self.project.root, scripts_in("".join(self.chars)))
        cache = self.project.state_dir / "cache" / "webfonts"
        for face in faces:
            data, _ = face_bytes(face, cache_dir=cache)
            (fonts / face.file).write_bytes(data)
        _write(assets / "fonts.css", font_face_css(faces, lambda f: f"fonts/{f.file}?v={f.version}"))

    def build_sitemap(self) -> None:
        entries: list[Entry] = []
        for t in self.lib.tutorials:
            entries.append((t.url, t.updated, [(o, f"{o}/{t.story}/") for o in t.languages]))
        for lang in self.lib.languages:
            entries.append((f"{lang}/", None, [(o, f"{o}/") for o in self.lib.languages]))
            for cat, _ in self.categories(lang):
                entries.append((f"{lang}/c/{cat}/", None, []))
            for session in self.sessions(lang):
                entries.append((f"{lang}/qa/{session.slug}/", session.start.date(), []))
        _write(self.out / "sitemap.xml", sitemap_xml(entries, self.base_url or ""))
        robots = "User-agent: *\nAllow: /\n"
        if self.base_url:
            robots += f"Sitemap: {self.base_url}sitemap.xml\n"
        _write(self.out / "robots.txt", robots)


def default_out(project: Project) -> Path:
    """Where ``kb build`` writes by default: ``<project>/site``."""
    return project.root / "site"


def build_site(
    project: Project,
    out: Path | None = None,
    *,
    story_ids: list[str] | None = None,
    render: bool = True,
    base_url: str | None = None,
    jobs: int | None = None,
    build_dir: Path | None = None,
    ledger: bool = True,
) -> KbResult:
    """Build the knowledge base site into ``out`` (default ``<project>/site``) and describe it.

    Only what changed since the last build into ``out`` is redone: frame builds whose stamps
    are unchanged skip the render's check, pages whose inputs are unchanged are kept, web images
    are reused when present (named by the frame's hash), and the search index segments only
    changed texts (see ``state.py``). Pages and images of deleted tutorials are removed.
    ``ledger``: show where and when each story was published, its reach, votes and Q&A recaps
    (read from the ledger).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    mark = started

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[name] = now - mark
        mark = now

    target = Path(out) if out is not None else default_out(project)
    workers = jobs or min(8, os.cpu_count() or 1)
    from .shipped import Facts, read_facts

    facts = read_facts(project) if ledger else Facts()
    # A new folder gets every page and search word made again (see BuildState).
    state = BuildState(project, target, fresh=not _prepare_out(target))
    lib = collect(
        project, story_ids, render=render, build_dir=build_dir, jobs=workers, facts=facts, state=state
    )
    lap("collect")
    site = _Site(
        project,
        lib,
        target,
        base_url or project.config.kb.site_url(project.config.project.base_url),
        state,
    )

    def pages_and_the_rest() -> None:
        site.build_pages()
        site.build_redirects()
        _prune_pages(target, set(site.written))
        state.pages = site.written
        lap("pages")
        site.build_search()
        lap("search")
        site.build_assets()
        site.build_sitemap()
        lap("assets")

    # The pages name the images by their frames' hashes: they are written while workers encode.
    present: set[str] = set()
    encoded = encode_all(lib.images, target, workers, meanwhile=pages_and_the_rest, listing=present)
    _prune_images(target, {image_name(j) for j in lib.images}, present)
    state.save()
    lap("images")
    warnings = [f"{pair} has no rendered build and was left out" for pair in lib.missing]
    if not site.base_url:
        warnings.append(
            "sitemap.xml has site-relative URLs; set [project] base_url or pass --base-url for absolute ones"
        )
    return KbResult(
        out=target,
        pages=len(site.pages),
        tutorials=len({t.story for t in lib.tutorials}),
        languages=lib.languages,
        images=len({j.sha256 for j in lib.images}),
        images_encoded=encoded,
        seconds=time.perf_counter() - started,
        missing=lib.missing,
        warnings=warnings,
        timings=timings,
        read=sorted(state.read),
        builds=state.builds,
    )


MARKER = ".storycast-kb"


def _prepare_out(target: Path) -> bool:
    """Create the output folder; refuse a non-empty folder that is not an earlier site build.
    True when it holds an earlier build."""
    from ..errors import ConfigError

    earlier = (target / MARKER).is_file()
    if target.is_dir() and any(target.iterdir()) and not earlier:
        raise ConfigError(
            f"{target} is not empty and does not hold a knowledge base build",
            hint="pick an empty folder with --out (the build replaces the pages it finds there)",
        )
    target.mkdir(parents=True, exist_ok=True)
    _write(target / MARKER, "storycast kb build output; safe to delete\n")
    return earlier


def _prune_pages(target: Path, keep: set[str]) -> None:
    """Remove every page this build did not write (deleted tutorials, categories, languages,
    short links), and the folders that leaves empty; ``img/`` and ``assets/`` are not pages
    (nor looked into: they hold most of the site's files)."""

    def prune(folder: str, rel: str) -> bool:
        """Prune ``folder`` (``rel``: its path from the site root, '' or ending in '/');
        True when it is left empty."""
        empty = True
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:  # unreadable: left as it is (as os.walk skips it)
            return False
        for entry in listed:
            # Folders as os.walk sorts them (a link to a folder is one), entered unless links.
            if entry.is_dir():
                if (not rel and entry.name in (IMG_DIR, "assets")) or entry.is_symlink():
                    empty = False
                elif prune(entry.path, f"{rel}{entry.name}/"):
                    os.rmdir(entry.path)
                else:
                    empty = False
            elif entry.name == "index.html" and f"{rel}index.html" not in keep:
                os.unlink(entry.path)
            else:
                empty = False
        return empty

    prune(str(target), "")


def _prune_images(target: Path, keep: set[str], present: set[str]) -> None:
    """Remove web images no page of this build shows (their frames changed or went away).

    ``keep``: the file names of this build's images; ``present``: the names ``img/`` held
    before this build wrote any (the images it wrote are all kept)."""
    folder = target / IMG_DIR
    for name in present:
        if name.endswith(".jpg") and name not in keep:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(folder / name)
