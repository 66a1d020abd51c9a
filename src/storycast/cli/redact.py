"""storycast redact IMAGE... [--rules ...] [--out DIR]: copies of pictures with personal data covered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ._common import JSON_HELP, console, load_project, print_json
from ._paths import output_folder


def _pii_rules() -> list[str]:
    from ..guard.registry import all_rules

    return [rule.id for rule in all_rules() if rule.id.startswith("pii.")]


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def register(app: typer.Typer) -> None:
    @app.command("redact")
    def redact(
        ctx: typer.Context,
        images: Annotated[
            list[Path],
            typer.Argument(
                help="Pictures to redact (PNG, JPEG, WebP...).", metavar="IMAGE...", show_default=False
            ),
        ],
        rules: Annotated[
            list[str] | None,
            typer.Option(
                "--rules",
                "-r",
                help="Only these rule ids (repeatable or comma-separated, e.g. pii.phone,pii.email); "
                "default: every personal-data rule.",
                show_default=False,
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                callback=output_folder,
                help="Write the copies into this folder under their own names "
                "(default: NAME-redacted.EXT beside each picture).",
                show_default=False,
            ),
        ] = None,
        overwrite: Annotated[
            bool,
            typer.Option(
                "--overwrite",
                help="Replace a file already at a copy's name (an earlier copy, or one covered by hand); "
                "without it such a file is refused before any work.",
            ),
        ] = False,
        lang: Annotated[
            list[str] | None,
            typer.Option(
                "--lang",
                "-l",
                help="Read text in these languages (repeatable or comma-separated; default: the project's).",
                show_default=False,
            ),
        ] = None,
        style: Annotated[
            str, typer.Option("--style", help="How regions are covered: box (filled) or blur (pixelated).")
        ] = "box",
        as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    ) -> None:
        """Write a copy of each picture with the text and codes lint reports covered.

        The original is never written. Each copy is read again after covering (OCR and QR
        decoding, as lint does) and keeps no metadata. Exit status: 0 when every copy reads
        clean, 1 when something could still be read on one or a picture could not be read fully.
        """
        from ..guard import redact as core
        from ..guard.images import Scanner
        from ..guard.ocr import pass_packs

        if style not in core.STYLES:
            raise typer.BadParameter(
                f"{style!r} is not one of: {', '.join(core.STYLES)}", param_hint="--style"
            )
        project = load_project(ctx)
        chosen_rules = _split(rules)
        known = _pii_rules()
        for rule in chosen_rules:
            if rule not in known:
                raise typer.BadParameter(f"{rule!r} is not one of: {', '.join(known)}", param_hint="--rules")
        langs = [code for code in _split(lang) if code != "all"] or project.languages
        for code in langs:
            if code not in project.languages:
                raise typer.BadParameter(
                    f"{code!r} is not one of: {', '.join(project.languages)}", param_hint="--lang"
                )
        jobs = _plan(images, out.expanduser() if out is not None else None, overwrite=overwrite)
        scanner = Scanner(project)
        if scanner.engine is None and scanner.engine_problem is not None:
            from ..errors import GuardError

            problem = scanner.engine_problem
            raise GuardError(
                f"cannot redact without reading the pictures: {problem}",
                hint=f"install it: {problem.install}",
            )
        from concurrent.futures import ThreadPoolExecutor

        from ..guard.ocr import workers

        def one(job: tuple[Path, Path]) -> Any:
            return core.redact(
                scanner, job[0], job[1], pass_packs(langs), rules=set(chosen_rules) or None, style=style
            )

        # Each Tesseract runs single-threaded; pictures are read side by side, one per core.
        with ThreadPoolExecutor(max_workers=workers()) as pool:
            done = list(pool.map(one, jobs))
        _report(done, as_json)
        unclean = [r for r in done if r.remaining]
        if unclean:
            from ..errors import GuardError

            names = ", ".join(str(r.target) for r in unclean)
            raise GuardError(
                f"personal data can still be read on {names}",
                hint="cover it by hand in an image editor, or retake the picture with made-up data",
            )
        unread = [r for r in done if r.problems]
        if unread:  # a copy that was not fully read cannot be called clean
            from ..errors import GuardError

            names = ", ".join(str(r.target) for r in unread)
            raise GuardError(
                f"{names} could not be read fully, so text may be left uncovered: {unread[0].problems[0]}",
                hint="install what the message names and redact again",
            )


def _plan(images: list[Path], out: Path | None, *, overwrite: bool = False) -> list[tuple[Path, Path]]:
    """(source, target) pairs, refused before any work when a copy would land on a picture, or
    on any existing file without ``overwrite``."""
    from ..errors import ContentError
    from ..guard.redact import target_for

    jobs: list[tuple[Path, Path]] = []
    sources = set()
    for image in images:
        path = image.expanduser()
        if not path.exists():
            raise ContentError(f"{image} does not exist", hint="pass the path of a PNG, JPEG or WebP picture")
        if not path.is_file():
            raise ContentError(f"{image} is not a file", hint="pass pictures, not folders")
        _check_picture(path)
        sources.add(path.resolve())
    targets: dict[Path, Path] = {}
    for image in images:
        path = image.expanduser()
        target = target_for(path, out)
        resolved = target.resolve()
        if resolved in sources:
            where = f"--out {out}" if out is not None else "the default name"
            raise typer.BadParameter(
                f"{where} would write the copy of {image} over {target}, a picture being redacted; "
                "choose another --out folder (or none, to write NAME-redacted beside each picture)",
                param_hint="--out",
            )
        if resolved in targets:
            raise typer.BadParameter(
                f"{targets[resolved]} and {image} would both be written to {target}; "
                "redact them into different folders",
                param_hint="--out",
            )
        where = "--out" if out is not None else "IMAGE"
        if target.is_dir():
            raise typer.BadParameter(
                f"{target}, where the copy of {image} would go, is a folder; choose another --out folder",
                param_hint=where,
            )
        if not overwrite and (target.exists() or target.is_symlink()):
            raise typer.BadParameter(
                f"{target}, where the copy of {image} would go, already exists; pass --overwrite "
                "to replace it (a copy from an earlier run, or one covered by hand), "
                "or choose another --out folder",
                param_hint=where,
            )
        targets[resolved] = image
        jobs.append((path, target))
    return jobs


def _check_picture(path: Path) -> None:
    """Refuse, before any work, a file that is not a picture or is too large to be a screen."""
    from ..errors import ContentError
    from ..guard.images import Unreadable, picture_size

    try:
        picture_size(path)
    except Unreadable as exc:
        raise ContentError(str(exc), hint="pass a PNG, JPEG or WebP picture of a screen") from None


def _hit(hit: Any) -> dict[str, Any]:
    return {"rule": hit.rule, "kind": hit.kind, "region": list(hit.region), "via": hit.via}


def _report(done: list[Any], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "images": [
                    {
                        "source": str(r.source),
                        "target": str(r.target),
                        "covered": [_hit(h) for h in r.covered],
                        "remaining": [_hit(h) for h in r.remaining],
                        "problems": r.problems,
                    }
                    for r in done
                ]
            }
        )
        return
    out = console()
    for r in done:
        rules = sorted({h.rule for h in r.covered})
        what = f"{len(r.covered)} region{'s' if len(r.covered) != 1 else ''} covered"
        what += f" ({', '.join(rules)})" if rules else ""
        out.print(f"{r.source} -> {r.target}: {what}", markup=False, highlight=False)
        for problem in r.problems:
            out.print(f"  warning: {problem}", markup=False, highlight=False)
        for hit in r.remaining:
            out.print(
                f"  still readable: {hit.kind} ({hit.rule}) at x={hit.region[0]}, y={hit.region[1]}, "
                f"w={hit.region[2]}, h={hit.region[3]}",
                markup=False,
                highlight=False,
            )
