"""The translation workflow on a copy of the example project (docs/translation.md).

Export then import with no edit writes nothing; a PO file edited with polib or with Babel
comes back as exactly the edited values; XLIFF 2.0 files validate against the OASIS core schema;
one changed English step is stale in every other language (lint, status, fuzzy on the next
export) and nowhere else; import refuses a file made from older source texts; status counts are
checked against a count made here from the YAML; the pseudo-locales render; hostile files are
refused with their file and line, and nothing is written.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import REPO

XSD = REPO / "tests" / "data" / "xliff" / "xliff_core_2.0.xsd"
XLIFF_NS = "urn:oasis:names:tc:xliff:document:2.0"
TARGETS = ["es", "th", "hi", "sr", "ar"]  # storycast.toml: languages less the source, en
STEP = "reset-router:steps.2.title"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example project (the repository root)."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("stories", "schedules", "assets", "templates"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copy2(REPO / "storycast.toml", root / "storycast.toml")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_unchanged(root: Path, before: dict[str, bytes]) -> None:
    """Every file that was there is byte for byte the same; new files are only the caches."""
    after = snapshot(root)
    changed = [name for name, data in before.items() if after.get(name) != data and not _cache(name)]
    assert changed == []
    assert [name for name in after if name not in before and not _cache(name)] == []


def _cache(name: str) -> bool:
    """A file of the caches (parsed stories, compiled templates): not the project's content."""
    return name.startswith(".storycast/cache/")


def po_of(path: Path) -> Any:
    import polib

    return polib.pofile(str(path))


def node_at(root: yaml.Node, *path: str | int) -> yaml.Node:
    node = root
    for part in path:
        if isinstance(part, int):
            assert isinstance(node, yaml.SequenceNode)
            node = node.value[part]
        else:
            assert isinstance(node, yaml.MappingNode)
            node = next(v for k, v in node.value if k.value == part)
    return node


def line_of(file: Path, *path: str | int) -> int:
    """The 1-based line of a value, read here with PyYAML's marks."""
    return node_at(yaml.compose(file.read_text(encoding="utf-8")), *path).start_mark.line + 1


def set_english(file: Path, path: tuple[str | int, ...], new: str) -> str:
    """Change the English text at ``path`` in place (one line) and return the old text."""
    text = file.read_text(encoding="utf-8")
    node = node_at(yaml.compose(text), *path, "en")
    assert isinstance(node, yaml.ScalarNode) and node.style is None
    old = node.value
    file.write_text(text[: node.start_mark.index] + new + text[node.end_mark.index :], encoding="utf-8")
    return old


# --- round trip --------------------------------------------------------------------------------


def test_export_then_import_without_edits_changes_no_byte(project: Path, tmp_path: Path, run_cli) -> None:
    before = snapshot(project)
    out = tmp_path / "out"
    code, stdout, err = run_cli("--project", str(project), "i18n", "export", "--out", str(out / "po"))
    assert code == 0, err
    code, _, err = run_cli(
        "--project", str(project), "i18n", "export", "--format", "xliff", "--out", str(out / "xliff")
    )
    assert code == 0, err
    files = sorted(out.rglob("*.po")) + sorted(out.rglob("*.xlf"))
    assert [f.name for f in files] == [f"{lang}.po" for lang in sorted(TARGETS)] + [
        f"{lang}.xlf" for lang in sorted(TARGETS)
    ]
    # Every language's file carries the stories, the poll, the Q&A event and the interface strings.
    items = {e.msgctxt.split(":")[0] for e in po_of(out / "po" / "es.po")}
    assert {"reset-router", "csat-weekly", "weekly-qa", "ui"} <= items
    code, stdout, err = run_cli("--project", str(project), "i18n", "import", *map(str, files))
    assert code == 0, err
    assert stdout.count("0 written, 0 confirmed, 0 file(s) changed") == 10
    assert_unchanged(project, before)


# --- a PO file edited in a standard tool -------------------------------------------------------

EDITS = {
    "reset-router:steps.2.title": " (revisado)",  # plain scalar in a block mapping
    "weekly-qa:topics.2": " (revisado)",  # an item of a flow list
    "csat-weekly:question": " (revisado)",  # a poll
    "ui:step_of": " (revisado)",  # double-quoted, in templates/strings.yaml
}


def edit_with_polib(src: Path, dst: Path) -> dict[str, str]:
    catalog = po_of(src)
    done = {}
    for entry in catalog:
        if entry.msgctxt in EDITS:
            entry.msgstr += EDITS[entry.msgctxt]
            done[entry.msgctxt] = entry.msgstr
    catalog.save(str(dst))
    return done


def edit_with_babel(src: Path, dst: Path) -> dict[str, str]:
    from babel.messages.pofile import read_po, write_po

    with src.open("rb") as f:
        catalog = read_po(f)
    done = {}
    for message in catalog:
        if message.context in EDITS:
            message.string = f"{message.string}{EDITS[message.context]}"
            done[message.context] = message.string
    buf = io.BytesIO()
    write_po(buf, catalog)
    dst.write_bytes(buf.getvalue())
    return done


WHERE = {  # key -> (file, path to the {lang: text} mapping, list index)
    "reset-router:steps.2.title": ("stories/reset-router.yaml", ("steps", 1, "title"), None),
    "weekly-qa:topics.2": ("stories/weekly-qa.yaml", ("topics",), 1),
    "csat-weekly:question": ("stories/csat-weekly.yaml", ("question",), None),
    "ui:step_of": ("templates/strings.yaml", ("step_of",), None),
}


@pytest.mark.parametrize("editor", [edit_with_polib, edit_with_babel], ids=["polib", "babel"])
def test_po_edited_in_a_standard_tool_imports_only_the_edited_values(
    project: Path, tmp_path: Path, run_cli, editor
) -> None:
    out = tmp_path / "out"
    assert run_cli("--project", str(project), "i18n", "export", "--lang", "es", "--out", str(out))[0] == 0
    edited = out / "es-edited.po"
    values = editor(out / "es.po", edited)
    assert sorted(values) == sorted(EDITS)
    before = snapshot(project)
    data_before = {rel: yaml.safe_load(before[rel].decode("utf-8")) for rel in {w[0] for w in WHERE.values()}}

    code, stdout, err = run_cli("--project", str(project), "i18n", "import", str(edited))
    assert code == 0, err
    assert "4 written, 0 confirmed, 4 file(s) changed" in stdout

    after = snapshot(project)
    changed = sorted(name for name in before if after.get(name) != before[name])
    assert changed == sorted({w[0] for w in WHERE.values()})
    for key, (rel, path, index) in WHERE.items():
        old_lines = before[rel].decode("utf-8").splitlines(keepends=True)
        new_lines = after[rel].decode("utf-8").splitlines(keepends=True)
        # One line changed: the Spanish text; comments, order, quoting and the rest stay.
        assert len(old_lines) == len(new_lines)
        differ = [n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), 1) if a != b]
        assert differ == [line_of(project / rel, *path, "es")]
        # And the YAML means what it meant, but for that one value.
        expected = data_before[rel]
        mapping = expected
        for part in path:
            mapping = mapping[part]
        if index is None:
            mapping["es"] = values[key]
        else:
            mapping["es"][index] = values[key]
        assert yaml.safe_load(after[rel].decode("utf-8")) == expected
    # The lock records what each new translation was made from.
    lock = (project / "translations.lock").read_text(encoding="utf-8").splitlines()
    assert sorted(line.split("\t")[0] for line in lock if not line.startswith("#")) == sorted(EDITS)

    # A second import of the same file writes nothing more.
    now = snapshot(project)
    code, stdout, _ = run_cli("--project", str(project), "i18n", "import", str(edited))
    assert code == 0 and "0 written" in stdout
    assert_unchanged(project, now)


HAND_TOML = """\
[project]
name = "Hand-written"
languages = ["en", "es", "th", "pt-br"]
timezone = "Europe/Madrid"

[channels.local]
type = "local"
"""
HAND_STORY = [
    "# A story written by hand",
    "id: sample",
    "template: tutorial",
    "category: connectivity",
    "languages: [en, es, th, pt-br]",
    "title: {en: Restart your modem, es: Reinicia tu módem}   # flow",
    "steps:",
    "  - title:",
    "      en: 'Unplug it'",
    "      es: 'Desconéctalo'     # single-quoted",
    "    text:",
    "      en: |",
    "        Wait ten seconds.",
    "        Then plug it in.",
    "      es: |  # a literal block",
    "        Espera diez segundos.",
    "        Luego conéctalo.",
    "",
    "      th: รอสิบวินาที",
    "  # the end",
    "  - title: {en: Done}",
    '    text: {en: "All good: enjoy"}',  # no line break at the end of the file
]


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_import_keeps_the_style_of_hand_written_yaml(make_project, tmp_path: Path, run_cli, nl: str) -> None:
    import polib

    root = make_project({"stories/sample.yaml": nl.join(HAND_STORY).encode("utf-8")}, toml=HAND_TOML)
    out = tmp_path / "out"
    code, _, err = run_cli("--project", str(root), "i18n", "export", "--no-ui", "--out", str(out))
    assert code == 0, err
    edits = {
        "es": {
            "sample:steps.1.title": "Desconéctalo ya, it's fine",
            "sample:steps.1.text": "Espera diez segundos.\nLuego conéctalo otra vez.\n",
            "sample:steps.2.title": "Hecho",
            "sample:steps.2.text": "Todo bien: disfruta",
        },
        "th": {"sample:title": "รีสตาร์ทโมเด็ม"},
        "pt-br": {"sample:title": "Reinicie seu modem"},
    }
    for lang, values in edits.items():
        catalog = polib.pofile(str(out / f"{lang}.po"))
        for entry in catalog:
            entry.msgstr = values.get(entry.msgctxt, entry.msgstr)
        if lang == "pt-br":
            catalog.metadata["Language"] = "pt_BR"  # as Poedit writes it
        catalog.save(str(out / f"{lang}.po"))
    code, stdout, err = run_cli(
        "--project", str(root), "i18n", "import", *(str(p) for p in sorted(out.iterdir()))
    )
    assert code == 0, err
    assert "(pt-br): 1 written" in stdout

    expected = list(HAND_STORY)
    expected[5] = (
        "title: {en: Restart your modem, es: Reinicia tu módem, "
        "pt-br: Reinicie seu modem, th: รีสตาร์ทโมเด็ม}   # flow"
    )
    expected[9] = "      es: 'Desconéctalo ya, it''s fine'     # single-quoted"
    expected[16] = "        Luego conéctalo otra vez."
    expected[20] = "  - title: {en: Done, es: Hecho}"
    expected[21] = '    text: {en: "All good: enjoy", es: "Todo bien: disfruta"}'
    assert (root / "stories/sample.yaml").read_bytes() == nl.join(expected).encode("utf-8")


def test_a_fuzzy_entry_is_not_imported(project: Path, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "out"
    assert run_cli("--project", str(project), "i18n", "export", "--lang", "th", "--out", str(out))[0] == 0
    catalog = po_of(out / "th.po")
    entry = next(e for e in catalog if e.msgctxt == STEP)
    entry.msgstr = "ยังไม่แน่ใจ"
    entry.flags.append("fuzzy")
    catalog.save(str(out / "th.po"))
    before = snapshot(project)
    code, stdout, err = run_cli("--project", str(project), "i18n", "import", str(out / "th.po"))
    assert code == 0, err
    assert "0 written" in stdout and f"still marked fuzzy or not translated were left out: {STEP}" in stdout
    assert_unchanged(project, before)


# --- XLIFF 2.0 ---------------------------------------------------------------------------------


def test_xliff_export_is_valid_xliff_2_and_imports_an_edit(project: Path, tmp_path: Path, run_cli) -> None:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert run_cli("--project", str(project), "i18n", "lock")[0] == 0
    set_english(project / "stories/reset-router.yaml", ("steps", 1, "title"), "Unplug the power cable")
    out = tmp_path / "out"
    code, _, err = run_cli("--project", str(project), "i18n", "export", "-f", "xliff", "-o", str(out))
    assert code == 0, err
    units = 0
    for lang in TARGETS:
        doc = etree.parse(str(out / f"{lang}.xlf"))
        assert schema.validate(doc), (lang, schema.error_log)
        root = doc.getroot()
        assert (root.get("version"), root.get("srcLang"), root.get("trgLang")) == ("2.0", "en", lang)
        ns = {"x": XLIFF_NS}
        units += len(doc.findall(".//x:unit", ns))
        stale = doc.findall(".//x:segment[@subState='storycast:stale']/..", ns)
        assert [u.get("name") for u in stale] == [STEP]
        assert stale[0].find("x:segment", ns).get("state") == "initial"
    assert units > 1000

    # A translator's edit made with an XML library comes back.
    doc = etree.parse(str(out / "sr.xlf"))
    unit = doc.find(f".//{{{XLIFF_NS}}}unit[@name='reset-router:title']")
    target = unit.find(f"{{{XLIFF_NS}}}segment/{{{XLIFF_NS}}}target")
    target.text = "Поново покрените рутер"
    doc.write(str(out / "sr.xlf"), xml_declaration=True, encoding="UTF-8")
    code, stdout, err = run_cli("--project", str(project), "i18n", "import", str(out / "sr.xlf"))
    assert code == 0, err
    assert "1 written" in stdout
    story = yaml.safe_load((project / "stories/reset-router.yaml").read_text(encoding="utf-8"))
    assert story["title"]["sr"] == "Поново покрените рутер"


def without_ocr(project: Path) -> None:
    """Switch off the rules that read text and codes in pictures (Tesseract takes minutes on a
    fresh cache); every other rule, copy.stale-translation among them, runs as configured."""
    toml = project / "storycast.toml"
    text = toml.read_text(encoding="utf-8")
    if "[guard]" not in text:
        toml.write_text(
            text + '\n[guard]\nrules = { "image.ocr" = "off", "image.codes" = "off" }\n', encoding="utf-8"
        )


# --- stale translations ------------------------------------------------------------------------


def test_one_changed_english_step_is_stale_in_every_other_language_and_nowhere_else(
    project: Path, tmp_path: Path, run_cli
) -> None:
    without_ocr(project)
    code, stdout, err = run_cli("--project", str(project), "i18n", "lock")
    assert code == 0, err
    story = project / "stories/reset-router.yaml"
    old = set_english(story, ("steps", 1, "title"), "Unplug the power cable")
    assert old != "Unplug the power cable"

    # lint: one finding per other language, on that language's line of step 2's title.
    code, stdout, err = run_cli("--project", str(project), "lint", "--json", "--no-rendered")
    findings = [f for f in json.loads(stdout)["findings"] if f["rule"] == "copy.stale-translation"]
    assert sorted((f["story"], f["lang"], f["line"]) for f in findings) == sorted(
        ("reset-router", lang, line_of(story, "steps", 1, "title", lang)) for lang in TARGETS
    )
    assert all(STEP in f["message"] and f["severity"] == "warning" for f in findings)

    # status: one stale text per language, all in reset-router.
    code, stdout, err = run_cli("--project", str(project), "i18n", "status", "--json")
    assert code == 0, err
    rows = json.loads(stdout)["rows"]
    stale = {(r["item"], r["lang"]): r["stale"] for r in rows if r["stale"]}
    assert stale == {("reset-router", lang): 1 for lang in TARGETS}

    # the next export marks exactly that entry fuzzy, in every language.
    out = tmp_path / "out"
    assert run_cli("--project", str(project), "i18n", "export", "--out", str(out))[0] == 0
    for lang in TARGETS:
        fuzzy = [e for e in po_of(out / f"{lang}.po") if "fuzzy" in e.flags]
        assert [(e.msgctxt, e.msgid) for e in fuzzy] == [(STEP, "Unplug the power cable")]

    # A translator redoes Spanish; reviewers confirm Serbian and Thai; the others stay stale.
    catalog = po_of(out / "es.po")
    entry = catalog.find("Unplug the power cable", msgctxt=STEP)
    entry.msgstr = "Desenchufa el cable de corriente"
    entry.flags.remove("fuzzy")
    catalog.save(str(out / "es.po"))
    assert run_cli("--project", str(project), "i18n", "import", str(out / "es.po"))[0] == 0
    # A Serbian reviewer finds the old text still right and clears the flag in the tool.
    catalog = po_of(out / "sr.po")
    catalog.find("Unplug the power cable", msgctxt=STEP).flags.remove("fuzzy")
    catalog.save(str(out / "sr.po"))
    before = snapshot(project)
    code, stdout, err = run_cli("--project", str(project), "i18n", "import", str(out / "sr.po"))
    assert code == 0, err
    assert "0 written, 1 confirmed, 0 file(s) changed" in stdout
    changed = [n for n, data in snapshot(project).items() if before.get(n) != data and not _cache(n)]
    assert changed == ["translations.lock"]
    # A Thai reviewer says the same from the command line.
    assert run_cli("--project", str(project), "i18n", "lock", "reset-router", "--lang", "th")[0] == 0
    code, stdout, _ = run_cli("--project", str(project), "i18n", "status", "reset-router", "--json")
    assert {r["lang"]: r["stale"] for r in json.loads(stdout)["rows"]} == {
        "es": 0,
        "th": 0,
        "hi": 1,
        "sr": 0,
        "ar": 1,
    }


def set_text(file: Path, path: tuple[str | int, ...], new: str) -> None:
    """Change one plain text in place, as an author typing in the YAML would."""
    text = file.read_text(encoding="utf-8")
    node = node_at(yaml.compose(text), *path)
    assert isinstance(node, yaml.ScalarNode) and node.style is None
    file.write_text(text[: node.start_mark.index] + new + text[node.end_mark.index :], encoding="utf-8")


def test_a_translation_edited_by_hand_still_goes_stale(project: Path, run_cli) -> None:
    story = project / "stories/reset-router.yaml"
    assert run_cli("--project", str(project), "i18n", "lock", "reset-router")[0] == 0
    # A Spanish typo fixed by hand (the lock is not told), then the English changes.
    set_text(story, ("steps", 1, "title", "es"), "Desenchufa la corriente")
    set_english(story, ("steps", 1, "title"), "Unplug the power cable")
    code, stdout, err = run_cli("--project", str(project), "i18n", "status", "reset-router", "--json")
    assert code == 0, err
    assert {r["lang"]: r["stale"] for r in json.loads(stdout)["rows"]} == dict.fromkeys(TARGETS, 1)
    # Updating the Spanish by hand does not say it was checked against the new English; lock does.
    set_text(story, ("steps", 1, "title", "es"), "Desenchufa el cable de corriente")
    code, stdout, err = run_cli(
        "--project", str(project), "i18n", "status", "reset-router", "--lang", "es", "--json"
    )
    assert code == 0, err
    assert json.loads(stdout)["rows"][0]["stale"] == 1
    assert run_cli("--project", str(project), "i18n", "lock", "reset-router", "--lang", "es")[0] == 0
    code, stdout, err = run_cli("--project", str(project), "i18n", "status", "reset-router", "--json")
    assert code == 0, err
    assert {r["lang"]: r["stale"] for r in json.loads(stdout)["rows"]} == {
        **dict.fromkeys(TARGETS, 1),
        "es": 0,
    }


def test_stale_error_holds_lint_to_an_error(project: Path, run_cli) -> None:
    without_ocr(project)
    toml = project / "storycast.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[i18n]\nstale = "error"\n', encoding="utf-8")
    assert run_cli("--project", str(project), "i18n", "lock", "reset-router")[0] == 0
    set_english(project / "stories/reset-router.yaml", ("steps", 1, "title"), "Unplug the power cable")
    code, stdout, _ = run_cli("--project", str(project), "lint", "reset-router", "--json", "--no-rendered")
    findings = [f for f in json.loads(stdout)["findings"] if f["rule"] == "copy.stale-translation"]
    assert code == 1
    assert len(findings) == len(TARGETS) and {f["severity"] for f in findings} == {"error"}


def test_import_refuses_a_file_made_from_changed_sources_and_writes_nothing(
    project: Path, tmp_path: Path, run_cli
) -> None:
    out = tmp_path / "out"
    assert run_cli("--project", str(project), "i18n", "export", "--lang", "hi", "--out", str(out))[0] == 0
    catalog = po_of(out / "hi.po")
    for entry in catalog:
        entry.msgstr += " *"
    catalog.save(str(out / "hi.po"))
    set_english(project / "stories/reset-router.yaml", ("steps", 1, "title"), "Unplug the power cable")
    set_english(project / "stories/speed-test.yaml", ("title",), "Test your speed today")
    before = snapshot(project)
    code, _stdout, err = run_cli("--project", str(project), "i18n", "import", str(out / "hi.po"))
    assert code == 4
    assert "Traceback" not in err
    assert "hi.po does not match the project's source texts: 2 texts" in err
    assert "reset-router:steps.2.title" in err and "speed-test:title" in err
    assert "'Unplug the power cable'" in err and "'Test your speed today'" in err
    assert "nothing was imported" in err
    assert_unchanged(project, before)


# --- status ------------------------------------------------------------------------------------


def expected_counts(project: Path, stale_keys: set[tuple[str, str]]) -> dict[tuple[str, str], Counter[str]]:
    """translated / stale / missing per (item, language), counted here from the YAML files."""
    langs = {"en", *TARGETS}
    counts: dict[tuple[str, str], Counter[str]] = {}

    def walk(item: str, declared: list[str], value: Any, path: list[str]) -> None:
        if isinstance(value, dict) and path and value and set(value) <= langs and "en" in value:
            source = value["en"]
            texts = source if isinstance(source, list) else [source]
            for i, text in enumerate(texts):
                if not text.strip():
                    continue
                key = ".".join(path + ([str(i + 1)] if isinstance(source, list) else []))
                for lang in TARGETS:
                    if lang not in declared:
                        continue
                    have = value.get(lang)
                    if isinstance(source, list):
                        have = have[i] if isinstance(have, list) and i < len(have) else ""
                    state = "missing" if not (have or "").strip() else "translated"
                    if state == "translated" and (f"{item}:{key}", lang) in stale_keys:
                        state = "stale"
                    counts.setdefault((item, lang), Counter())[state] += 1
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(item, declared, v, [*path, str(k)])
        elif isinstance(value, list):
            for n, v in enumerate(value, 1):
                walk(item, declared, v, [*path, str(n)])

    for file in sorted((project / "stories").glob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        walk(data["id"], data.get("languages", []), data, [])
    return counts


def test_status_json_counts_match_the_yaml(project: Path, run_cli) -> None:
    assert run_cli("--project", str(project), "i18n", "lock")[0] == 0
    # Stale: step 2's title. Missing: Thai of step 3's text, Hindi of speed-test's step 1 title.
    set_english(project / "stories/reset-router.yaml", ("steps", 1, "title"), "Unplug the power cable")
    for rel, path, lang in [
        ("stories/reset-router.yaml", ("steps", 2, "text"), "th"),
        ("stories/speed-test.yaml", ("steps", 0, "title"), "hi"),
    ]:
        file = project / rel
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        n = line_of(file, *path, lang)
        assert lines[n - 1].lstrip().startswith(f"{lang}:")
        file.write_text("".join(lines[: n - 1] + lines[n:]), encoding="utf-8")
    expected = expected_counts(project, {(STEP, lang) for lang in TARGETS})

    code, stdout, err = run_cli("--project", str(project), "i18n", "status", "--json", "--no-ui")
    assert code == 0, err
    data = json.loads(stdout)
    assert data["source_language"] == "en"
    got = {
        (r["item"], r["lang"]): Counter({k: r[k] for k in ("translated", "stale", "missing") if r[k]})
        for r in data["rows"]
    }
    assert got == expected
    assert got[("reset-router", "th")]["missing"] == 1 and got[("speed-test", "hi")]["missing"] == 1
    assert sum(c["stale"] for c in got.values()) == len(TARGETS)

    # The interface strings' row agrees with what the export puts in the file.
    code, stdout, _ = run_cli("--project", str(project), "i18n", "status", "--json", "--lang", "es")
    ui = next(r for r in json.loads(stdout)["rows"] if r["item"] == "ui")
    out = project.parent / "out"
    assert run_cli("--project", str(project), "i18n", "export", "--lang", "es", "--out", str(out))[0] == 0
    entries = [e for e in po_of(out / "es.po") if e.msgctxt.startswith("ui:")]
    assert ui["translated"] + ui["stale"] + ui["missing"] == len(entries)
    assert ui["missing"] == sum(not e.msgstr for e in entries)

    # The table says the same.
    code, stdout, _ = run_cli("--project", str(project), "i18n", "status", "reset-router", "--lang", "th")
    row = next(line.split() for line in stdout.splitlines() if line.startswith("reset-router"))
    c = expected[("reset-router", "th")]
    assert row[1:5] == ["th", str(c["translated"]), str(c["stale"]), str(c["missing"])]


def test_status_reports_a_translation_over_its_budget(project: Path, tmp_path: Path, run_cli) -> None:
    long_title = "Reinicia tu router " + "muy " * 30 + "despacio"
    set_text(project / "stories/reset-router.yaml", ("title", "es"), long_title)
    out = tmp_path / "out"
    assert (
        run_cli("--project", str(project), "i18n", "export", "reset-router", "-l", "es", "-o", str(out))[0]
        == 0
    )
    entry = next(e for e in po_of(out / "es.po") if e.msgctxt == "reset-router:title")
    budget = int(entry.comment.split("Budget: about ")[1].split()[0])  # the translator's note
    assert budget < len(long_title)
    code, stdout, err = run_cli("--project", str(project), "i18n", "status", "reset-router", "--json")
    assert code == 0, err
    rows = {r["lang"]: r for r in json.loads(stdout)["rows"]}
    assert rows["es"]["over_budget"] == 1
    assert rows["es"]["overruns"] == [
        {"key": "reset-router:title", "budget": budget, "length": len(long_title)}
    ]
    code, stdout, _ = run_cli("--project", str(project), "i18n", "status", "reset-router", "--lang", "es")
    assert f"over budget: reset-router:title (es): {len(long_title)} characters, about {budget} fit" in stdout


# --- pseudo-locales ----------------------------------------------------------------------------


def test_pseudo_locales_render(project: Path, tmp_path: Path, run_cli) -> None:
    out = tmp_path / "build"
    code, _stdout, err = run_cli(
        "--project", str(project), "render", "reset-router", "--lang", "en,en-XA,ar-XB", "--out", str(out)
    )
    assert code == 0, err
    manifests = {
        lang: json.loads((out / "reset-router" / lang / "manifest.json").read_text(encoding="utf-8"))
        for lang in ("en", "en-XA", "ar-XB")
    }
    for lang, m in manifests.items():
        assert m["lang"] == lang and m["frame_count"] == len(manifests["en"]["frames"])
        for frame in m["frames"]:
            data = (out / "reset-router" / lang / frame["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == frame["sha256"]

    en, xa, xb = manifests["en"], manifests["en-XA"], manifests["ar-XB"]
    # en-XA: accented and about 40 % longer, left to right.
    assert xa["dir"] == "ltr"
    source_chars = pseudo_chars = 0
    for fe, fx in zip(en["frames"], xa["frames"], strict=True):
        layers = {t["id"]: t for t in fx["texts"]}
        for t in fe["texts"]:
            if not any(c.isalpha() for c in t["text"]) or t["text"] == "Lumen":
                continue  # the brand name and numbers are not translated
            pseudo = layers[t["id"]]["text"]
            assert pseudo != t["text"] and pseudo.startswith("[")
            source_chars += len(t["text"])
            pseudo_chars += len(pseudo)
    assert 1.3 <= pseudo_chars / source_chars <= 1.5
    title = xa["title"]
    body = title[1 : 1 + len(en["title"])]
    assert title.startswith("[") and title.endswith("]")
    assert not any("a" <= c.lower() <= "z" for c in body)  # every letter accented
    assert [c == " " for c in body] == [c == " " for c in en["title"]]

    # ar-XB: right to left, and the layout mirrored.
    assert xb["dir"] == "rtl"
    width = xb["width"]
    mirrored = 0
    for fe, fb in zip(en["frames"], xb["frames"], strict=True):
        layers = {t["id"]: t for t in fb["texts"]}
        for t in fe["texts"]:
            b = layers[t["id"]]
            assert b["direction"] == "rtl"
            if any(c.isalpha() for c in t["text"]) and t["text"] != "Lumen":
                assert "\u202e" in b["text"]
            x, _, w, _ = t["box"]
            if b["box"][2] == w:
                assert b["box"][0] == width - x - w
                mirrored += x != width - x - w  # a box that actually moved
    assert mirrored >= len(en["frames"])


# --- hostile files -----------------------------------------------------------------------------

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="es">
 <file id="f1"><unit id="u1" name="reset-router:title"><segment state="translated">
  <source>Reset your router</source><target>&lol4;</target>
 </segment></unit></file>
</xliff>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE xliff [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="es">
 <file id="f1"><unit id="u1" name="reset-router:title"><segment state="translated">
  <source>Reset your router</source><target>&secret;</target>
 </segment></unit></file>
</xliff>
"""
NOT_WELL_FORMED = """<?xml version="1.0"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="en" trgLang="es">
 <file id="f1"><unit id="u1" name="reset-router:title"><segment state="translated">
  <source>Reset your router</source><target>Reinicia</source>
 </segment></unit></file>
</xliff>
"""
MALFORMED_PO = """msgid ""
msgstr ""
"Language: es\\n"

msgctxt "reset-router:title"
msgid "Reset your router"
msgstr "Reinicia tu router"
this line is not PO at all
"""


def _renamed(project: Path, tmp_path: Path, run_cli, old: str, new: str) -> tuple[Path, int]:
    """An exported es.po with the msgctxt ``old`` renamed ``new``, and that msgctxt's line."""
    out = tmp_path / "out"
    assert run_cli("--project", str(project), "i18n", "export", "--lang", "es", "--out", str(out))[0] == 0
    text = (out / "es.po").read_text(encoding="utf-8").replace(f'msgctxt "{old}"', f'msgctxt "{new}"')
    (out / "es.po").write_text(text, encoding="utf-8")
    line = text.splitlines().index(f'msgctxt "{new}"') + 1
    return out / "es.po", line


HOSTILE = {
    "malformed-po": ("bad.po", MALFORMED_PO, ["bad.po:8:", "not a readable PO file", "this line is not PO"]),
    "entity-bomb": ("bomb.xlf", BOMB, ["bomb.xlf", "declares a document type or entities"]),
    "external-entity": ("ext.xlf", EXTERNAL, ["ext.xlf", "declares a document type or entities"]),
    "not-well-formed": ("broken.xlf", NOT_WELL_FORMED, ["broken.xlf:4:", "not well-formed XML"]),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_with_file_and_line(
    project: Path, tmp_path: Path, run_cli, case: str
) -> None:
    name, content, says = HOSTILE[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    before = snapshot(project)
    code, stdout, err = run_cli("--project", str(project), "i18n", "import", str(path))
    assert code == 4
    assert "Traceback" not in err + stdout and "passwd" not in err + stdout and "lollol" not in err
    for text in says:
        assert text in err
    assert_unchanged(project, before)


@pytest.mark.parametrize(
    ("new", "says"),
    [
        ("no-such-story:title", "the project has no story, poll or event 'no-such-story'"),
        ("reset-router:steps.2.heading", "reset-router has no text 'steps.2.heading' translated into es"),
        ("reset-router:steps.40.title", "reset-router has no text 'steps.40.title' translated into es"),
    ],
    ids=["unknown-story", "unknown-field", "unknown-step"],
)
def test_a_po_naming_an_unknown_story_or_field_is_refused(
    project: Path, tmp_path: Path, run_cli, new: str, says: str
) -> None:
    old = "reset-router:title" if new.startswith("no-such") else "reset-router:steps.2.title"
    po, line = _renamed(project, tmp_path, run_cli, old, new)
    before = snapshot(project)
    code, _stdout, err = run_cli("--project", str(project), "i18n", "import", str(po))
    assert code == 4
    assert "Traceback" not in err
    assert f"{po}:{line}: {new}: {says}" in err
    assert f"es.po does not match the project's source texts: 1 text ({new}); nothing was imported" in err
    assert_unchanged(project, before)


def test_an_xliff_naming_an_unknown_story_is_refused_at_its_unit(
    project: Path, tmp_path: Path, run_cli
) -> None:
    out = tmp_path / "out"
    assert (
        run_cli("--project", str(project), "i18n", "export", "-l", "ar", "-f", "xliff", "-o", str(out))[0]
        == 0
    )
    path = out / "ar.xlf"
    text = path.read_text(encoding="utf-8")
    old = '<unit id="reset-router:title" name="reset-router:title">'
    assert text.count(old) == 1
    text = text.replace(old, '<unit id="gone:title" name="gone:title">')
    path.write_text(text, encoding="utf-8")
    line = text[: text.index('<unit id="gone:title"')].count("\n") + 1
    before = snapshot(project)
    code, stdout, err = run_cli("--project", str(project), "i18n", "import", str(path))
    assert code == 4 and "Traceback" not in err + stdout
    assert f"{path}:{line}: gone:title: the project has no story, poll or event 'gone'" in err
    assert_unchanged(project, before)


def test_en_xa_pads_with_whole_words() -> None:
    """The padding never ends in a cut word ("thr"), which would look like the truncation
    en-XA exists to show; the text still grows by at least the expansion."""
    from storycast.content.pseudo import EXPANSION, pseudo_text

    words = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
    for n in range(1, 120):
        source = ("Restart the router and wait " * 5)[:n].strip() or "x"
        got = pseudo_text(source, "en-XA")
        assert got.startswith("[") and got.endswith("]")
        padding = got[1 + len(source) : -1].split()
        assert all(w in words for w in padding), got
        assert len(got) >= len(source) * (1 + EXPANSION), got
