"""Jinja templating: a sandboxed environment whose templates render to frame-spec YAML.

The one rule authors must know: every ``{{ value }}`` that is text is emitted as a quoted YAML
scalar (JSON string syntax, so quotes, colons, ``#`` and newlines in content can never break the
YAML); numbers, booleans and ``None`` are emitted as YAML numbers/booleans/null; lists and
mappings as JSON flow collections. Values marked safe (macro output, ``caller()``, ``{% set %}``
blocks, the ``raw`` filter) are inserted as-is. So write ``text: {{ step.title }}``, never
``text: "{{ step.title }}"``.

Search path: the project's ``templates/`` first, then the packaged defaults, which are also
reachable as ``default/...`` so a project template can ``{% extends "default/tutorial/step.j2" %}``.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.sandbox import SecurityError
from jinja2.utils import concat
from markupsafe import Markup

from .. import resources, yamlsrc
from ..errors import ContentError, StorycastError, TemplateError
from . import sandbox, yamlfast
from .paths import inside
from .sandbox import StoryEnvironment
from .strings import RTL_LANGS, text_direction  # noqa: F401  (re-exported: they used to live here)


class CompiledCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates; a damaged file means compiling again (Jinja
    itself raises on a file cut short, which would stop every render of the project)."""

    @classmethod
    def in_folder(cls, folder: Path) -> CompiledCache | None:
        """The cache in ``folder`` (created if needed); None when it cannot be created."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return cls(str(folder))

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # unpickling or unmarshalling a damaged file
            bucket.reset()


def yaml_scalar(value: Any) -> Markup:
    """The ``finalize`` hook: turn one ``{{ expression }}`` result into safe YAML text."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, bool) or value is None:
        return Markup(json.dumps(value))
    if isinstance(value, (int, float)):
        return Markup(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, str):
        return Markup(json.dumps(value, ensure_ascii=False))
    if isinstance(value, (Mapping, Sequence)):
        b = sandbox.budget()
        b.check_size(sandbox.weight(value, b.limit), "the printed list or mapping")
        return Markup(json.dumps(value, ensure_ascii=False, default=str))
    if sandbox.is_function(value):  # its text would be a Python repr: internals, and an address that changes
        raise sandbox.printed_callable(value)
    return Markup(json.dumps(str(value), ensure_ascii=False))


def raw_filter(value: Any) -> Markup:
    """``{{ value|raw }}``: insert text unquoted (the author takes responsibility for valid YAML)."""
    return value if isinstance(value, Markup) else Markup(str(value))


def yaml_filter(value: Any) -> Markup:
    """``{{ value|yaml }}``: explicit form of the default quoting (useful inside ``raw`` contexts)."""
    return yaml_scalar(value)


def _rgb(color: str) -> tuple[int, int, int]:
    text = str(color).strip().lstrip("#")
    if len(text) in (3, 4):
        text = "".join(ch * 2 for ch in text)
    if len(text) not in (6, 8):
        raise ValueError(f"{color!r} is not a #RRGGBB colour")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def alpha_filter(color: str, opacity: float) -> str:
    """``{{ brand.primary|alpha(0.2) }}`` -> ``#2454E633``: the colour at ``opacity`` (0..1)."""
    r, g, b = _rgb(color)
    a = max(0, min(255, round(float(opacity) * 255)))
    return f"#{r:02X}{g:02X}{b:02X}{a:02X}"


def mix_filter(color: str, other: str, amount: float) -> str:
    """``{{ brand.surface|mix(brand.primary, 0.1) }}``: ``amount`` (0..1) of ``other`` mixed in."""
    a, b = _rgb(color), _rgb(other)
    t = max(0.0, min(1.0, float(amount)))
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return f"#{r:02X}{g:02X}{bl:02X}"


class _ContainedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that refuses files resolving outside ``within`` (a link out of the
    project) and files too large to be templates."""

    def __init__(self, searchpath: Path, within: Path) -> None:
        super().__init__(str(searchpath), encoding="utf-8")
        self.within = within

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        shown = Path(filename)
        if shown.is_relative_to(self.within):
            shown = shown.relative_to(self.within)
        if not inside(Path(filename), [self.within]):
            raise TemplateError(
                f"the template {template} is a link to a file outside the project",
                hint="copy the file into the project's templates/ folder instead of linking to it",
                file=shown,
            )
        if len(source) > sandbox.MAX_TEMPLATE_CHARS:
            raise TemplateError(
                f"the template {template} is {len(source):,} characters long, more than the "
                f"{sandbox.MAX_TEMPLATE_CHARS:,} a template may have",
                hint="split it into smaller templates with {% include %} or macros",
                file=shown,
            )
        return source, filename, uptodate


def _loader(project_templates: Path | None, defaults: Path, root: Path | None) -> jinja2.BaseLoader:
    default_loader = _ContainedLoader(defaults, resources.data_root())
    choices: list[jinja2.BaseLoader] = []
    if project_templates is not None:  # even when absent yet: engines are cached per project
        choices.append(_ContainedLoader(project_templates, root or project_templates.parent))
    choices.append(default_loader)
    return jinja2.ChoiceLoader([jinja2.PrefixLoader({"default": default_loader}), *choices])


def _short(text: str, limit: int = 300) -> str:
    """An error message part that a template controls, cut to a readable length."""
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} characters)"


@dataclass
class Rendered:
    """One template rendered to YAML text (and the data parsed from it)."""

    name: str
    filename: str | None
    text: str
    data: Any


class TemplateEngine:
    """Loads and renders frame templates for one project.

    ``render_text`` gives the YAML text (this is what the build cache hashes), ``render_spec``
    the validated FrameSpec.
    """

    def __init__(
        self,
        project_templates: Path | None,
        defaults: Path | None = None,
        *,
        root: Path | None = None,
        bytecode_dir: Path | None = None,
        timeout: float = sandbox.DEFAULT_TIMEOUT,
        max_output: int = sandbox.DEFAULT_MAX_OUTPUT,
    ) -> None:
        self.project_templates = project_templates
        self.defaults = defaults or resources.templates_dir()
        self.root = root
        self.timeout = timeout
        self.max_output = max_output
        bcc = None
        if bytecode_dir is not None:
            # Compiled templates survive the process: a warm `storycast render` skips compiling.
            name = f"jinja-{jinja2.__version__}-{sandbox.codegen_version()}"
            bcc = CompiledCache.in_folder(bytecode_dir / name)
        self.env = StoryEnvironment(
            bytecode_cache=bcc,
            loader=_loader(project_templates, self.defaults, root),
            undefined=jinja2.StrictUndefined,
            autoescape=True,  # makes macro output Markup; finalize does the actual quoting
            finalize=yaml_scalar,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=True,
        )
        self.env.filters["raw"] = raw_filter
        self.env.filters["yaml"] = yaml_filter
        self.env.filters["alpha"] = alpha_filter
        self.env.filters["mix"] = mix_filter
        self.env.guard_filters()
        self._dirs = [str(self.defaults.resolve())]
        if project_templates is not None:
            self._dirs.insert(0, str(project_templates.resolve()))

    # -- errors ------------------------------------------------------------------------------

    def _display(self, filename: str | None, name: str) -> Path:
        if filename is None:
            return Path(name)
        path = Path(filename)
        if self.root is not None:
            try:
                return path.resolve().relative_to(self.root.resolve())
            except ValueError:
                pass
        return path

    def _template_frame(self, exc: BaseException) -> tuple[str | None, int | None]:
        """The innermost traceback frame that is a template line (Jinja rewrites them so)."""
        found: tuple[str | None, int | None] = (None, None)
        for fs in traceback.extract_tb(exc.__traceback__):
            if fs.filename.endswith((".j2", ".jinja", ".yaml.j2")) or any(
                fs.filename.startswith(d) for d in self._dirs
            ):
                found = (fs.filename, fs.lineno)
        return found

    def _wrap(self, exc: BaseException, name: str) -> TemplateError:
        if isinstance(exc, jinja2.TemplateSyntaxError):
            file = exc.filename or name
            return TemplateError(
                f"template syntax error: {exc.message}",
                hint="check the {% %} / {{ }} tags on that line and that every block is closed",
                file=self._display(file, exc.name or name),
                line=exc.lineno,
            )
        if isinstance(exc, jinja2.TemplateNotFound):
            filename, line = self._template_frame(exc)
            return TemplateError(
                f"template not found: {exc.name}",
                hint=f"create it, or fix the story's `template:` (searched {', '.join(self._dirs)}; the "
                "packaged defaults are also reachable as default/...)",
                file=self._display(filename, name) if filename else None,
                line=line,
            )
        filename, line = self._template_frame(exc)
        where = self._display(filename, name)
        if isinstance(exc, SecurityError):
            return TemplateError(
                f"the template tried something the sandbox forbids: {_short(str(exc))}",
                hint="templates may only read the documented variables; remove the attribute access",
                file=where,
                line=line,
            )
        if isinstance(exc, jinja2.UndefinedError):
            return TemplateError(
                f"unknown template variable: {_short(exc.message or '')}",
                hint="check the spelling against docs/templates.md, or guard it with {% if x is defined %}",
                file=where,
                line=line,
            )
        if isinstance(exc, StorycastError):
            return TemplateError(_short(exc.message), hint=exc.hint, file=where, line=line)
        if isinstance(exc, RecursionError):
            return TemplateError(
                "the template calls itself without end (a macro, include or extends that never stops)",
                hint="give the recursion a condition that ends it, or remove the self-reference",
                file=where,
                line=line,
            )
        if isinstance(exc, MemoryError):
            return TemplateError(
                "the template ran out of memory",
                hint="check loops and repeated values on that line",
                file=where,
                line=line,
            )
        return TemplateError(
            f"the template failed: {type(exc).__name__}: {_short(str(exc))}",
            hint="check the expression on that line",
            file=where,
            line=line,
        )

    # -- rendering ---------------------------------------------------------------------------

    def filename(self, name: str) -> str | None:
        """The file a template name resolves to (None when it does not exist)."""
        try:
            return self.env.get_template(name).filename
        except jinja2.TemplateNotFound:
            return None

    def exists(self, name: str) -> bool:
        """Whether ``name`` is on the search path."""
        return self.filename(name) is not None

    def render_text(self, name: str, context: Mapping[str, Any]) -> tuple[str, str | None]:
        """Render ``name`` with ``context``; return (YAML text, template filename).

        The template runs under a :class:`~storycast.render.sandbox.Budget`: past its time or
        output limit it stops with a TemplateError naming its file and line.
        """
        try:
            template = self.env.get_template(name)
            budget = sandbox.Budget(self.timeout, self.max_output)
            with sandbox.activate(budget):
                parts: list[str] = []
                try:
                    for chunk in template.root_render_func(template.new_context(dict(context))):
                        parts.append(chunk)
                except Exception:
                    self.env.handle_exception()  # re-raises with the template's lines in the traceback
            return concat(parts), template.filename
        except TemplateError as exc:
            if exc.file is not None:
                raise
            raise self._wrap(exc, name) from None
        except Exception as exc:  # Jinja raises many types; all become one TemplateError
            raise self._wrap(exc, name) from None

    def render_data(self, name: str, context: Mapping[str, Any]) -> Rendered:
        """Render and parse the YAML; YAML errors name the template and the generated line."""
        text, filename = self.render_text(name, context)
        return self.parse_yaml(text, name, filename)

    def parse_yaml(self, text: str, name: str, filename: str | None) -> Rendered:
        """Parse generated YAML with libyaml (fast); on an error, re-parse to locate it.

        Long output, or output with anchors, goes through the position-keeping loader, which
        refuses deep nesting and alias bombs before building anything.
        """
        where = self._display(filename, name)
        if yamlfast.fast_ok(text):
            try:
                data = yamlfast.fast_load(text)
                return Rendered(name=name, filename=filename, text=text, data=data)
            except yaml.YAMLError:
                pass
        try:
            data = yamlsrc.loads(text, source=f"<{name}>")
        except ContentError as exc:
            lines = text.splitlines()
            shown = ""
            if exc.line is not None and 0 < exc.line <= len(lines):
                shown = f" (generated line {exc.line}: {lines[exc.line - 1].strip()[:120]!r})"
            problem = exc.message.removeprefix("YAML syntax error: ")
            hint = (
                "{{ value }} is quoted for you; do not wrap it in quotes yourself, and check "
                "indentation and any |raw output"
            )
            raise TemplateError(
                f"the template produced invalid YAML: {problem}{shown}",
                hint=hint if exc.message.startswith("YAML syntax error") or not exc.hint else exc.hint,
                file=where,
            ) from None
        return Rendered(name=name, filename=filename, text=text, data=data)

    def render_spec(
        self, name: str, context: Mapping[str, Any], palette: Mapping[str, str] | None = None
    ) -> tuple[Any, Rendered]:
        """Render ``name`` and validate it as a FrameSpec; return (spec, rendered)."""
        rendered = self.render_data(name, context)
        return parse_rendered(rendered, self._display(rendered.filename, name), palette), rendered


def parse_rendered(rendered: Rendered, where: Path | str, palette: Mapping[str, str] | None = None) -> Any:
    """Validate rendered YAML data as a FrameSpec; errors name the template."""
    from .spec import parse_spec

    try:
        return parse_spec(rendered.data, str(where), palette=palette)
    except StorycastError as first:
        exc = first
    # Rare path: parse again keeping positions, so each problem names its generated YAML line.
    try:
        parse_spec(yamlsrc.loads(rendered.text, source=f"<{rendered.name}>"), str(where), palette=palette)
    except StorycastError as located:
        exc = located
    lines = rendered.text.splitlines()

    def shown(p: StorycastError) -> str:
        if p.line is not None and 0 < p.line <= len(lines):
            return f" (generated line {p.line}: {lines[p.line - 1].strip()[:100]!r})"
        return ""

    problems = getattr(exc, "problems", None) or [exc]
    detail = "; ".join(p.message.removeprefix(f"{where}: ") + shown(p) for p in problems[:5])
    hint = next((p.hint for p in problems if p.hint), None) or "see docs/layers.md for every layer and option"
    raise TemplateError(
        f"the template produced an invalid frame spec: {detail}", hint=hint, file=where
    ) from None


def engine_for(
    project_templates: Path | None,
    root: Path | None = None,
    *,
    timeout: float = sandbox.DEFAULT_TIMEOUT,
    max_output: int = sandbox.DEFAULT_MAX_OUTPUT,
) -> TemplateEngine:
    """A cached TemplateEngine per project templates folder (compiled templates are reused).

    The cache key includes the folder's file list, so a template added to the project (which
    would now shadow a packaged default Jinja already compiled) gets a fresh environment.
    ``timeout`` and ``max_output`` bound each template's run (``[render] template_timeout``,
    ``template_max_output``).
    """
    listing: tuple[str, ...] = ()
    if project_templates is not None and project_templates.is_dir():
        listing = tuple(sorted(str(p.relative_to(project_templates)) for p in project_templates.rglob("*")))
    return _engine_for(project_templates, root, listing, timeout, max_output)


@lru_cache(maxsize=8)
def _engine_for(
    project_templates: Path | None,
    root: Path | None,
    listing: tuple[str, ...],
    timeout: float,
    max_output: int,
) -> TemplateEngine:
    bytecode = root / ".storycast" / "cache" if root is not None else None
    return TemplateEngine(
        project_templates, root=root, bytecode_dir=bytecode, timeout=timeout, max_output=max_output
    )
