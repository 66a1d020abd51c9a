"""storycast render [STORY...] [--lang L|all] [--out DIR] [--format jpg|png] [--video] [--jobs N]."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._common import JSON_HELP, LANGS_HELP, console, err_console, language_list, load_project, print_json
from ._paths import output_folder

if TYPE_CHECKING:
    from ..project import Project


class ImageFormat(StrEnum):
    jpg = "jpg"
    png = "png"


def _languages(project: Project, values: list[str] | None) -> list[str] | None:
    """``all`` or nothing -> None (each story's own languages); else a checked list."""
    langs = language_list(values)
    if langs is None:
        if values and not any(v.strip(", ") for v in values):
            raise typer.BadParameter(
                "name a language, several (th,en or -l th -l en), or all", param_hint="--lang"
            )
        return None
    from ..content.pseudo import is_pseudo

    unknown = [lang for lang in langs if lang not in project.languages and not is_pseudo(lang)]
    if unknown:
        raise typer.BadParameter(
            f"unknown language {', '.join(unknown)}; "
            f"the project has {', '.join(project.languages)} (or use all, or a pseudo-locale: en-XA, ar-XB)",
            param_hint="--lang",
        )
    return langs


def _pairs(project: Project, story_ids: list[str], langs: list[str] | None) -> list[tuple[str, str]]:
    from ..errors import ContentError

    content = project.content
    stories = [content.story(s) for s in story_ids] if story_ids else list(content.stories.values())
    if not stories:
        raise ContentError("the project has no stories to render", hint="add a story file under stories/")
    from ..content.pseudo import is_pseudo

    pairs = [
        (s.id, lang)
        for s in stories
        for lang in (langs if langs is not None else s.languages)
        if lang in s.languages or is_pseudo(lang)  # a pseudo-locale is made from any story
    ]
    if not pairs:
        raise ContentError(
            f"none of the chosen stories is written in {', '.join(langs or [])}",
            hint="pick another --lang, or add the translation to the stories",
        )
    return pairs


def _story(project: Project, story_id: str, lang: str) -> Any:
    """The story to render in ``lang``: a pseudo-locale's is derived from the source texts."""
    from ..content.pseudo import is_pseudo, pseudo_item
    from ..i18n.units import source_language

    story = project.content.story(story_id)
    return pseudo_item(story, lang, source_language(project)) if is_pseudo(lang) else story


def register(app: typer.Typer) -> None:
    @app.command("render")
    def render(
        ctx: typer.Context,
        stories: Annotated[
            list[str] | None,
            typer.Argument(help="Story ids to render (default: every story).", show_default=False),
        ] = None,
        lang: Annotated[
            list[str] | None,
            typer.Option(
                "--lang",
                "-l",
                help=f"Language code(s): {LANGS_HELP}; or 'all' (default: each story's own).",
                show_default=False,
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out", "-o", help="Output folder (default: [render] out, build/).", callback=output_folder
            ),
        ] = None,
        fmt: Annotated[
            ImageFormat | None,
            typer.Option("--format", help="Frame image format (default: [render] format)."),
        ] = None,
        video: Annotated[
            bool,
            typer.Option(
                "--video", help="Also encode videos per story/language: story.mp4 and story.telegram.mp4."
            ),
        ] = False,
        video_target: Annotated[
            list[str] | None,
            typer.Option(
                "--video-target",
                help="Video variant to encode with --video: instagram (also fits facebook) or telegram. "
                "Repeatable; default: both.",
            ),
        ] = None,
        jobs: Annotated[
            int | None, typer.Option("--jobs", "-j", min=1, max=64, help="Parallel drawing processes.")
        ] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Redraw every frame.")] = False,
        progress: Annotated[
            bool | None,
            typer.Option(
                "--progress/--no-progress",
                help="Report each frame and video segment on stderr (default: when stderr is a "
                "terminal and --json is not given).",
                show_default=False,
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    ) -> None:
        """Render story frames, manifest.json and a contact sheet per story and language."""
        import time

        from ..render.pipeline import default_out, render_pairs

        project = load_project(ctx)
        langs = _languages(project, lang)
        pairs = _pairs(project, stories or [], langs)
        n_jobs = jobs or project.config.render.jobs
        started = time.perf_counter()
        targets = [(_story(project, sid, lg), lg, default_out(project, out, sid, lg)) for sid, lg in pairs]
        terminal = err_console().is_terminal
        show = progress if progress is not None else (terminal and not as_json)
        with _progress(show, bar=terminal) as advance:
            results = render_pairs(
                project,
                targets,
                fmt=fmt.value if fmt else None,
                cache=not no_cache,
                jobs=n_jobs,
                progress=advance,
            )
        videos: dict[tuple[str, str], dict[str, Any]] = {}
        if video:
            from ..channels.media import video_variants
            from ..render.videos import render_result_video

            variants = {v.name: v for v in video_variants()}
            chosen = video_target or [n for n, v in variants.items() if v.default]
            for t in chosen:
                if t not in variants:
                    *rest, last = variants
                    raise typer.BadParameter(
                        f"{t!r} is not a video target; use {', '.join(rest)} or {last}",
                        param_hint="--video-target",
                    )
            with _progress(show, bar=terminal, label="encoding") as step:
                for r in results:
                    videos[(r.story, r.lang)] = {
                        t: render_result_video(r, target=variants[t], progress=_video_step(step, r, t))
                        for t in chosen
                    }
        elapsed = time.perf_counter() - started
        if not video:
            from ..render import uptodate

            # The next identical command, with nothing changed, is answered from this stamp.
            uptodate.record(
                project,
                results,
                stories=stories or [],
                lang=lang,
                out=str(out) if out is not None else None,
                fmt=fmt.value if fmt else None,
                jobs=jobs,
                as_json=as_json,
            )
        from ..render.prune import auto_prune

        pruned = auto_prune(project)  # [cache] limits, at most once a day; never fails the render
        if pruned is not None and (pruned.removed or pruned.temps_removed) and not as_json:
            err_console().print(f"cache: {pruned.summary()}", markup=False)
        if as_json:
            rows = []
            for r in results:
                row = r.to_dict()
                v = videos.get((r.story, r.lang))
                if v is not None:
                    row["video"] = [str(p) for res in v.values() for p in res.parts]
                    row["videos"] = {t: [str(p) for p in res.parts] for t, res in v.items()}
                rows.append(row)
            print_json(
                {
                    "results": rows,
                    "frames": sum(len(r.frames) for r in results),
                    "rendered": sum(r.rendered for r in results),
                    "cached": sum(r.cached for r in results),
                    "seconds": round(elapsed, 3),
                }
            )
            return
        _summary(results, videos, elapsed)


def _video_step(step: Any, result: Any, target: str) -> Any:
    """The encoder's progress callback for one story/language/variant (None when progress is off)."""
    if step is None:
        return None
    from ..render.results import ProgressEvent

    def report(ev: Any) -> None:
        # The encoder counts segments then parts; shown as "story [lang] target: segment 3/12".
        step(
            ProgressEvent(
                f"{result.story} [{result.lang}] {target}: {ev.step}", "", 0, False, ev.done, ev.total
            )
        )

    return report


class _progress:
    """Progress on stderr: a rich bar on a terminal, one plain line per step elsewhere (--progress),
    or nothing (a no-op callback: None)."""

    def __init__(self, enabled: bool, *, bar: bool = True, label: str = "rendering") -> None:
        self.enabled = enabled
        self.use_bar = bar
        self.label = label
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        if not self.use_bar:
            out = err_console()

            def line(ev: Any) -> None:
                what = f"{ev.story} [{ev.lang}] {ev.frame:02d}" if ev.lang else ev.story
                out.print(f"{self.label} {what} ({ev.done}/{ev.total})", markup=False, highlight=False)

            return line
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn(self.label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}", markup=False),  # "[en]" is a language, not a style
            TimeElapsedColumn(),
            console=err_console(),
            transient=True,
        )
        self.bar.__enter__()
        self.task = self.bar.add_task("", total=None)

        def advance(ev: Any) -> None:
            self.bar.update(
                self.task,
                total=ev.total,
                completed=ev.done,
                description=f"{ev.story} [{ev.lang}] {ev.frame:02d}" if ev.lang else ev.story,
            )

        return advance

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _summary(results: list[Any], videos: dict[tuple[str, str], Any], elapsed: float) -> None:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, header_style="bold")
    for col, justify in (
        ("story", "left"),
        ("lang", "left"),
        ("frames", "right"),
        ("rendered", "right"),
        ("cached", "right"),
        ("warnings", "right"),
        ("seconds", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in results:
        table.add_row(
            r.story,
            r.lang,
            str(len(r.frames)),
            str(r.rendered),
            str(r.cached),
            str(len(r.warnings)),
            f"{r.seconds:.2f}",
        )
    con = console()
    con.print(table)
    for r in results:
        for w in r.warnings:
            con.print(f"warning: {r.story} [{r.lang}] {w}", markup=False)
        for target, res in videos.get((r.story, r.lang), {}).items():
            for part in res.parts:
                con.print(f"video ({target}): {part}", markup=False)
    frames = sum(len(r.frames) for r in results)
    drawn = sum(r.rendered for r in results)
    out_dirs = sorted({str(r.out_dir.parent.parent) for r in results})
    con.print(
        f"{frames} frames ({drawn} drawn, {frames - drawn} cached) in {elapsed:.1f} s"
        f" -> {', '.join(out_dirs)}",
        markup=False,
    )
