"""Image rules: personal data in the pictures a story shows, and metadata in its source images.

Every picture a story uses (step images, the brand logo, images its templates name) and, with
``--rendered``, every rendered frame is read by OCR (:mod:`.ocr`) in the story's languages and
searched for QR codes and barcodes (:mod:`.qr`); the text goes through the same detectors as
the story's YAML (:func:`.pii.scan`), so a finding carries the same rule id (``pii.phone``...)
plus the picture and the region (x, y, w, h) in its pixels. ``image.ocr`` and ``image.codes``
switch the reading off and report what could not be read; ``image.metadata`` warns about GPS
and camera EXIF in source images inside the project.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config.guard import GuardConfig, id_formats, phone_regions
from . import ocr, pii, qr
from .registry import Emitter, Finding, Rule
from .texts import Locator

if TYPE_CHECKING:
    from ..project import Project

Box = tuple[int, int, int, int]

IMAGE_RULES = [
    Rule(
        "image.ocr",
        "warning",
        "content",
        "A picture could not be read for personal data: no OCR engine, a missing language pack, "
        "or an unreadable image. Switching the rule off stops reading text in pictures.",
        "Install what the message names (apt-get install tesseract-ocr tesseract-ocr-<pack>), "
        "or replace the unreadable image.",
    ),
    Rule(
        "image.codes",
        "warning",
        "content",
        "QR codes and barcodes could not be decoded (zxing-cpp missing). Switching the rule off "
        "stops decoding codes in pictures.",
        "pip install zxing-cpp (storycast depends on it; reinstall storycast).",
    ),
    Rule(
        "image.metadata",
        "warning",
        "content",
        "A source image in the project carries GPS coordinates or camera details in its EXIF.",
        "Strip the metadata (exiftool -all= FILE), or use the copy `storycast redact FILE` writes, "
        "which keeps none.",
    ),
    Rule(
        "pii.link-token",
        "error",
        "content",
        "A link whose query, fragment or path parameters carry a token, session id, key or code.",
        "Remove the link or show it without its parameters; revoke the token, since anything "
        "published must be treated as leaked.",
    ),
]

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_CAMERA_TAGS = {0x010F: "Make", 0x0110: "Model"}
_CAMERA_EXIF_TAGS = {0xA431: "BodySerialNumber", 0xA434: "LensModel", 0xA435: "LensSerialNumber"}
_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")


@dataclass(frozen=True)
class ImageHit:
    """Personal data seen in a picture: rule, kind, region (x, y, w, h), the boxes to cover."""

    rule: str
    kind: str
    region: Box
    boxes: tuple[Box, ...]
    via: str  # "text" or the code format ("QRCode", "EAN13"...)


@dataclass
class ImageScan:
    """What reading one picture found, and what kept it from being read fully."""

    hits: list[ImageHit] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (rule, message, hint)
    packs: list[str] = field(default_factory=list)


def union(boxes: Iterable[Box]) -> Box:
    boxes = list(boxes)
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def region_text(box: Box) -> str:
    return f"region (x={box[0]}, y={box[1]}, w={box[2]}, h={box[3]})"


class Scanner:
    """Reads pictures for one project: OCR engine, caches, and the detectors' settings."""

    def __init__(
        self,
        project: Project,
        active: Callable[[str], bool] = lambda rule: True,
        *,
        ocr_on: bool = True,
        codes_on: bool = True,
    ) -> None:
        guard: GuardConfig = getattr(project.config, "guard", None) or GuardConfig()
        self.kw: dict[str, Any] = {
            "regions": phone_regions(guard, project.languages),
            "id_formats": id_formats(guard, project.languages),
            "account_formats": list(guard.account_numbers),
            "order_patterns": _compiled(tuple(guard.order_patterns)),
            "allow": _compiled(tuple(guard.allow)),
            "active": active,
        }
        self.ocr_on, self.codes_on = ocr_on, codes_on
        self.store = ocr.OcrCache(project.state_dir / "cache" / "ocr")
        self.engine: ocr.Engine | None = None
        self.engine_problem: ocr.OcrUnavailable | None = None
        if ocr_on:
            try:
                self.engine = ocr.engine(project.environ)
            except ocr.OcrUnavailable as exc:
                self.engine_problem = exc

    # --- one picture ---------------------------------------------------------------------

    def scan_file(self, path: Path, passes: list[tuple[str, ...]]) -> ImageScan:
        """Read the picture at ``path`` (cached by its bytes' hash)."""
        try:
            digest = ocr.file_sha256(path)
        except OSError as exc:
            return ImageScan(problems=[("image.ocr", f"{path.name} cannot be read ({exc.strerror})", "")])
        return self.scan(digest, lambda: open_picture(path), passes)

    def scan_image(self, image: Any, passes: list[tuple[str, ...]]) -> ImageScan:
        """Read an image in memory (the redaction loop's intermediate copies)."""
        digest = hashlib.sha256(f"{image.mode}{image.size}".encode() + image.tobytes()).hexdigest()
        return self.scan(digest, lambda: image, passes)

    def scan(self, digest: str, load: Callable[[], Any], passes: list[tuple[str, ...]]) -> ImageScan:
        out = ImageScan()
        loaded: list[Any] = []

        def image() -> Any:
            if not loaded:
                loaded.append(load())
            return loaded[0]

        try:
            if self.ocr_on:
                self._read_text(out, digest, image, passes)
            if self.codes_on:
                self._read_codes(out, digest, image)
        except Unreadable as exc:
            out.problems.append(("image.ocr", str(exc), "replace the file with a PNG or JPEG that opens"))
        out.hits = _merge(out.hits)
        return out

    def _read_text(
        self, out: ImageScan, digest: str, image: Callable[[], Any], passes: list[tuple[str, ...]]
    ) -> None:
        if self.engine is None:
            problem = self.engine_problem or ocr.OcrUnavailable("OCR is not available", "")
            out.problems.append(("image.ocr", str(problem), f"install it: {problem.install}"))
            return
        missing = self.engine.missing(p for packs in passes for p in packs)
        if missing:
            out.problems.append(
                (
                    "image.ocr",
                    f"Tesseract has no {', '.join(missing)} language pack, so text in that script "
                    "is not read",
                    f"install it: {ocr.install_hint(missing)}",
                )
            )
        for packs in passes:
            try:
                result = ocr.ocr_image(self.engine, self.store, digest, image, packs)
            except ocr.OcrUnavailable as exc:
                out.problems.append(("image.ocr", str(exc), f"install it: {exc.install}"))
                return
            out.packs.append(result.packs)
            for hit in pii.scan(result.text, **self.kw):
                boxes = result.boxes(hit.start, hit.end)
                if boxes:
                    out.hits.append(ImageHit(hit.rule, hit.kind, union(boxes), tuple(boxes), "text"))

    def _read_codes(self, out: ImageScan, digest: str, image: Callable[[], Any]) -> None:
        key = hashlib.sha256(f"{digest}|codes|{_zxing_version()}".encode()).hexdigest()
        cached = self.store.get_json(key)
        if not isinstance(cached, list):
            try:
                codes = qr.decode(image())
            except qr.DecoderMissing:
                out.problems.append(
                    ("image.codes", "zxing-cpp is not installed, so QR codes are not decoded", "")
                )
                return
            size = image().size
            cached = [
                {"format": c.format, "text": c.text, "box": list(qr.quiet_zone(c.box, size))} for c in codes
            ]
            self.store.put_json(key, cached)
        for code in cached:
            box = tuple(int(v) for v in code["box"])
            for hit in pii.scan(str(code["text"]), **self.kw):
                out.hits.append(ImageHit(hit.rule, hit.kind, box, (box,), str(code["format"])))  # type: ignore[arg-type]


class Unreadable(Exception):
    """A picture that cannot be read: not an image, damaged, or too large to be a screen."""


# An 8K screen is 33 megapixels; anything larger is not a screenshot, and decoding it would
# take memory and time lint should not spend (Pillow's own bomb check starts at 89).
MAX_PIXELS = 50_000_000


def picture_size(path: Path) -> tuple[int, int]:
    """The size of the picture at ``path``, read from its header without decoding it;
    :class:`Unreadable` when it is not an image or is larger than :data:`MAX_PIXELS`."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                size = im.size
    except Image.DecompressionBombError:
        raise Unreadable(
            f"{path} has more than {2 * (Image.MAX_IMAGE_PIXELS or 0) // 1_000_000} megapixels; "
            f"storycast reads pictures up to {MAX_PIXELS // 1_000_000} megapixels"
        ) from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise Unreadable(f"{path} is not an image storycast can open ({type(exc).__name__})") from None
    if size[0] * size[1] > MAX_PIXELS:
        raise Unreadable(
            f"{path} is {size[0]} x {size[1]} pixels ({size[0] * size[1] // 1_000_000} megapixels); "
            f"storycast reads pictures up to {MAX_PIXELS // 1_000_000} megapixels"
        )
    return size


def open_picture(path: Path) -> Any:
    """The decoded picture at ``path`` as an RGB or greyscale PIL image, or :class:`Unreadable`."""
    from PIL import Image, UnidentifiedImageError

    picture_size(path)
    try:
        with Image.open(path) as im:
            im.load()
            return im.convert("RGB") if im.mode not in ("RGB", "L") else im.copy()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise Unreadable(
            f"{path} is damaged or not an image storycast can open ({type(exc).__name__})"
        ) from None


def _merge(hits: list[ImageHit]) -> list[ImageHit]:
    """One hit per rule and place: the passes of different scripts often read the same number."""
    out: list[ImageHit] = []
    for hit in hits:
        for i, seen in enumerate(out):
            if seen.rule == hit.rule and _overlap(seen.region, hit.region):
                boxes = tuple(dict.fromkeys([*seen.boxes, *hit.boxes]))
                out[i] = ImageHit(seen.rule, seen.kind, union(boxes), boxes, seen.via)
                break
        else:
            out.append(hit)
    return sorted(out, key=lambda h: (h.region[1], h.region[0], h.rule))


@cache
def _compiled(patterns: tuple[str, ...]) -> list[Any]:
    import re

    return [re.compile(p) for p in patterns]


@cache
def _zxing_version() -> str:
    try:
        from importlib.metadata import version

        return version("zxing-cpp")
    except Exception:
        return "?"


def frame_packs(lang: str) -> list[tuple[str, ...]]:
    """One pass for a rendered frame: its language's script, with English."""
    return ocr.pass_packs([lang])[-1:]


# --- metadata ----------------------------------------------------------------------------------


def metadata_problems(path: Path) -> list[str]:
    """What identifying EXIF ``path`` carries: 'GPS position', 'camera (Make, Model)'."""
    from PIL import Image

    if path.suffix.lower() == ".png" and not _png_has_exif(path):
        return []  # Pillow would decode the whole picture to find a chunk that is not there
    try:
        with Image.open(path) as im:
            exif = im.getexif()
    except Exception:
        return []
    found = []
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except Exception:
        gps = {}
    if gps:
        found.append("GPS position")
    camera = [name for tag, name in _CAMERA_TAGS.items() if str(exif.get(tag) or "").strip()]
    try:
        inner = exif.get_ifd(_EXIF_IFD)
    except Exception:
        inner = {}
    camera += [name for tag, name in _CAMERA_EXIF_TAGS.items() if str(inner.get(tag) or "").strip()]
    if camera:
        found.append(f"camera details ({', '.join(camera)})")
    return found


def _png_has_exif(path: Path) -> bool:
    """Whether a PNG has an eXIf chunk (or ImageMagick's EXIF text chunk), read chunk by chunk."""
    try:
        with path.open("rb") as fh:
            if fh.read(8) != b"\x89PNG\r\n\x1a\n":
                return True  # not a PNG after all: let Pillow decide
            while True:
                head = fh.read(8)
                if len(head) < 8:
                    return False
                length, kind = int.from_bytes(head[:4], "big"), head[4:]
                if kind == b"eXIf":
                    return True
                if kind in (b"tEXt", b"zTXt", b"iTXt") and length < 1 << 20:
                    if b"exif" in fh.read(length).lower():
                        return True
                    fh.seek(4, 1)
                    continue
                if kind == b"IEND":
                    return False
                fh.seek(length + 4, 1)
    except OSError:
        return False


# --- what a story shows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Picture:
    """A source picture of a story and where the story names it."""

    path: Path
    label: str  # project-relative when inside the project
    where: tuple[str | int, ...] | None  # data path of the story value naming it
    frame: int | None


def _label(project: Project, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project.root.resolve()))
    except ValueError:
        return str(path)


def _inside(project: Project, path: Path) -> bool:
    try:
        path.resolve().relative_to(project.root.resolve())
        return True
    except ValueError:
        return False


def story_pictures(project: Project, item: Any) -> list[Picture]:
    """Step images, the brand logo and images the item's templates name, once each."""
    from ..render.cache import files_for_tokens, path_tokens
    from ..render.prepare import asset_roots

    roots = asset_roots(project)
    out: dict[Path, Picture] = {}
    steps = getattr(item, "steps", None)
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        image = getattr(step, "image", None)
        if image:
            path = project.resolve_path(image)
            if path.is_file():
                out.setdefault(
                    path.resolve(), Picture(path, _label(project, path), ("steps", i, "image"), i + 2)
                )
    logo = getattr(getattr(project.config, "brand", None), "logo", None)
    named = [str(logo)] if logo else []
    named += _template_tokens(project, str(getattr(item, "template", "") or ""), path_tokens)
    for path in files_for_tokens(named, roots):
        if path.suffix.lower() in _SUFFIXES:
            out.setdefault(path.resolve(), Picture(path, _label(project, path), None, None))
    return list(out.values())


def _template_tokens(project: Project, template: str, path_tokens: Callable[[str], list[str]]) -> list[str]:
    """Image-like tokens written in the item's template set and the shared templates."""
    from .. import resources

    tokens: list[str] = []
    for folder in (project.templates_dir, resources.templates_dir()):
        files = [*folder.glob("*.j2")]
        if template and "/" not in template and ".." not in template:
            files += folder.joinpath(template).glob("*.j2")
        for file in files:
            try:
                stat = file.stat()
                key = (str(file), stat.st_mtime_ns, stat.st_size)
                if key not in _TOKENS:
                    _TOKENS[key] = path_tokens(file.read_text(encoding="utf-8", errors="replace"))
                tokens += _TOKENS[key]
            except OSError:
                continue
    return list(dict.fromkeys(tokens))


_TOKENS: dict[tuple[str, int, int], list[str]] = {}


def _frames(project: Project, item_id: str, lang: str) -> list[tuple[int, Path]]:
    manifest = project.build_dir / item_id / lang / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    frames = data.get("frames") if isinstance(data, dict) else data
    out = []
    for i, frame in enumerate(frames if isinstance(frames, list) else [], start=1):
        if isinstance(frame, dict) and isinstance(frame.get("file"), str):
            path = manifest.parent / frame["file"]
            if path.is_file() and path.resolve().parent == manifest.parent.resolve():
                out.append((int(frame.get("index") or i), path))
    return out


def _article(kind: str) -> str:
    return "an" if kind[:1].lower() in "aeiou" else "a"


def redacted_name(path: Path) -> Path:
    """Where ``storycast redact`` writes a copy by default: NAME-redacted.EXT beside it."""
    return path.with_name(f"{path.stem}-redacted{path.suffix}")


def image_findings(
    project: Project,
    item: Any,
    langs: list[str] | None,
    *,
    rendered: bool,
    known: Iterable[Finding] = (),
) -> list[Finding]:
    """Findings of the image rules for one item (``storycast lint`` runs this per item).

    ``known``: findings already reported; a rendered frame does not repeat a rule the story's
    text or the picture on that frame already reported.
    """
    guard: GuardConfig = getattr(project.config, "guard", None) or GuardConfig()
    item_id = getattr(item, "id", None)
    out = Emitter(guard, {"story": item_id})
    ocr_on, codes_on = out.active("image.ocr"), out.active("image.codes")
    declared = list(getattr(item, "languages", []) or project.languages)
    chosen = [lang for lang in declared if langs is None or lang in langs]
    pictures = story_pictures(project, item)
    locator = _LazyLocator(getattr(item, "source", None), project.root)
    if out.active("image.metadata"):
        for pic in pictures:
            if _inside(project, pic.path):
                for carried in metadata_problems(pic.path):
                    out.emit(
                        "image.metadata",
                        f"{pic.label} carries its {carried} in EXIF metadata; frames drop it, "
                        "but the file in the project keeps it",
                        frame=pic.frame,
                        layer="image",
                        **_place(locator, pic),
                    )
    if not (ocr_on or codes_on) or not chosen:
        return out.findings
    scanner = Scanner(project, out.active, ocr_on=ocr_on, codes_on=codes_on)
    passes = ocr.pass_packs(chosen)
    jobs: list[tuple[Picture | tuple[str, int, Path], list[tuple[str, ...]]]] = [
        (p, passes) for p in pictures
    ]
    if rendered:
        for code in chosen:
            jobs += [
                ((code, index, path), frame_packs(code))
                for index, path in _frames(project, str(item_id), code)
            ]
    if not jobs:
        return out.findings

    def run(job: tuple[Any, list[tuple[str, ...]]]) -> ImageScan:
        what, job_passes = job
        return scanner.scan_file(what.path if isinstance(what, Picture) else what[2], job_passes)

    with ThreadPoolExecutor(max_workers=ocr.workers()) as pool:
        scans = list(pool.map(run, jobs))
    reported: set[tuple[str, str, str]] = set()
    seen: set[tuple[str, str | None, int | None]] = {
        (f.rule, f.lang, f.frame) for f in known if f.story == item_id
    }
    for (what, _), scan in zip(jobs, scans, strict=True):
        for rule, message, hint in scan.problems:
            if (rule, message, hint) not in reported:  # once per item, not once per picture
                reported.add((rule, message, hint))
                out.emit(rule, f"pictures of {item_id!r} are not fully checked: {message}", hint or None)
        if isinstance(what, Picture):
            for hit in scan.hits:
                seen.add((hit.rule, None, what.frame))
                out.emit(
                    hit.rule,
                    _message(what.label, hit),
                    f"Run `storycast redact {what.label}` and show the copy it writes "
                    f"({_label(project, redacted_name(what.path))}), "
                    "or retake the picture with made-up data.",
                    frame=what.frame,
                    layer="image",
                    **_place(locator, what),
                )
    for (what, _), scan in zip(jobs, scans, strict=True):
        if isinstance(what, Picture):
            continue
        frame_lang, index, frame_path = what
        for hit in scan.hits:
            if {(hit.rule, frame_lang, index), (hit.rule, None, index), (hit.rule, None, None)} & seen:
                continue
            seen.add((hit.rule, frame_lang, index))
            out.emit(
                hit.rule,
                _message(f"frame {index} ({_label(project, frame_path)})", hit),
                "Find what draws it on this frame (a template, a background, the logo) and remove "
                "the data there, then render again.",
                lang=frame_lang,
                frame=index,
                **locator.at(()),
            )
    return out.findings


class _LazyLocator:
    """A Locator that reads the story file again only when a finding needs its lines."""

    def __init__(self, source: Path | None, root: Path) -> None:
        self.source, self.root = source, root
        self.real: Locator | None = None

    def at(self, path: tuple[str | int, ...]) -> dict[str, Any]:
        if self.real is None:
            self.real = Locator(self.source, self.root)
        return self.real.at(path)


def _place(locator: _LazyLocator, pic: Picture) -> dict[str, Any]:
    if pic.where is not None:
        return locator.at(pic.where)
    return {"file": pic.label, "line": None, "column": None}


def _message(name: str, hit: ImageHit) -> str:
    how = "read by OCR" if hit.via == "text" else f"in a {hit.via} code"
    return f"{name} shows {_article(hit.kind)} {hit.kind} in {region_text(hit.region)} ({how})"
