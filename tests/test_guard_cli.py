"""`storycast lint`: exit codes, text/JSON/SARIF output, options, and the rule documentation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from storycast.cli import main
from storycast.guard.config import GuardConfig
from storycast.guard.registry import all_rules

REPO = Path(__file__).resolve().parents[1]

TOML = """\
[project]
languages = ["en", "es", "th", "hi", "sr"]

[channels.feed]
type = "local"

[channels.agents]
type = "slack"

[guard]
public_channels = ["feed"]
"""

CLEAN = """\
id: clean
template: plain
category: connectivity
languages: [en, th]
title: {en: Restart the router, th: รีสตาร์ตเราเตอร์}
steps:
  - title: {en: Unplug it, th: ถอดปลั๊ก}
    text: {en: "Wait 30 seconds, then plug it back in.", th: รอ 30 วินาทีแล้วเสียบปลั๊กกลับ}
"""

BAD = """\
id: bad
template: plain
category: billing
languages: [en, es]
title: {en: Your refund, es: Tu reembolso}
steps:
  - title: {en: Call us, es: Llámanos}
    text:
      en: Call 612 34 56 78 or mail ana@example.com
      es: "contraseña: Gato2024"
"""

WORDY = """\
id: wordy
template: plain
category: connectivity
languages: [en]
title: {en: Restart}
steps:
  - title: {en: Step}
    text: {en: WORDS}
""".replace("WORDS", " ".join(["word"] * 45))


def make(tmp_path: Path, **stories: str) -> Path:
    (tmp_path / "stories").mkdir()
    (tmp_path / "storycast.toml").write_text(TOML, encoding="utf-8")
    for name, text in stories.items():
        (tmp_path / "stories" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_clean_project_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, clean=CLEAN)
    code, out, _ = run(capsys, "--project", str(root), "lint")
    assert code == 0
    assert out.strip() == "no problems in 1 story"


def test_errors_exit_1_with_locations_and_hints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, clean=CLEAN, bad=BAD)
    code, out, err = run(capsys, "--project", str(root), "lint")
    assert code == 1
    assert "stories/bad.yaml:9:11: error pii.phone:" in out
    assert "stories/bad.yaml:10:11: error pii.password:" in out
    assert "stories/bad.yaml:5:13: error suitability.off-channel:" in out
    assert "  hint: " in out
    assert out.strip().splitlines()[-1] == "5 errors, 0 warnings in 2 stories"
    assert "lint found 5 errors" in err
    assert "Gato2024" not in out + err and "ana@example.com" not in out + err


def test_story_lang_and_channel_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, clean=CLEAN, bad=BAD)
    assert run(capsys, "--project", str(root), "lint", "clean")[0] == 0
    code, out, _ = run(capsys, "--project", str(root), "lint", "bad", "--lang", "es", "--json")
    assert code == 1
    assert sorted(f["rule"] for f in json.loads(out)["findings"]) == [
        "pii.password",
        "suitability.off-channel",
    ]
    _, both, _ = run(capsys, "--project", str(root), "lint", "bad", "--lang", "es,en", "--json")
    _, every, _ = run(capsys, "--project", str(root), "lint", "bad", "--lang", "all", "--json")
    assert json.loads(both)["errors"] == json.loads(every)["errors"] == 5
    # The private channel may carry the refund topic; personal data stays an error everywhere.
    code, out, _ = run(capsys, "--project", str(root), "lint", "bad", "--channel", "agents", "--json")
    assert "suitability.off-channel" not in {f["rule"] for f in json.loads(out)["findings"]}
    assert code == 1


def test_warnings_only_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, wordy=WORDY)
    code, out, _ = run(capsys, "--project", str(root), "lint")
    assert code == 0
    assert "warning copy.max-words:" in out and out.strip().endswith("0 errors, 1 warning in 1 story")


def test_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, bad=BAD)
    code, out, _ = run(capsys, "--project", str(root), "lint", "--json")
    doc = json.loads(out)
    assert code == 1
    assert set(doc) == {"findings", "errors", "warnings", "stories"}
    assert doc["errors"] == 5 and doc["warnings"] == 0 and doc["stories"] == ["bad"]
    first = doc["findings"][0]
    assert list(first) == [
        "rule", "severity", "message", "hint", "file", "line", "column", "story", "lang", "frame", "layer",
    ]  # fmt: skip
    assert run(capsys, "--project", str(root), "lint", "--format", "json")[1] == out


def test_sarif_structure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, bad=BAD)
    code, out, _ = run(capsys, "--project", str(root), "lint", "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0" and "sarif-2.1.0" in log["$schema"]
    (the_run,) = log["runs"]
    driver = the_run["tool"]["driver"]
    assert driver["name"] == "storycast"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == [r.id for r in all_rules()]
    results = the_run["results"]
    assert len(results) == 5
    for result in results:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] == "error" and result["message"]["text"]
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"] == {"uri": "stories/bad.yaml", "uriBaseId": "%SRCROOT%"}
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"]["storycastFinding/v1"])
    phone = next(r for r in results if r["ruleId"] == "pii.phone")
    assert phone["locations"][0]["physicalLocation"]["region"] == {"startLine": 9, "startColumn": 11}
    assert phone["properties"] == {"story": "bad", "lang": "en", "frame": 2, "layer": "text"}


def test_rule_switch_in_toml_and_list_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, wordy=WORDY)
    toml = TOML + '\n[guard.rules]\n"copy.max-words" = "error"\n'
    (root / "storycast.toml").write_text(toml, encoding="utf-8")
    assert run(capsys, "--project", str(root), "lint")[0] == 1
    code, out, _ = run(capsys, "--project", str(root), "lint", "--list-rules", "--json")
    assert code == 0
    rows = {r["id"]: r["severity"] for r in json.loads(out)}
    assert (
        rows["copy.max-words"] == "error" and rows["pii.email"] == "error" and len(rows) == len(all_rules())
    )


def test_bad_guard_config_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, clean=CLEAN)
    (root / "storycast.toml").write_text(TOML + 'order_patterns = ["(unclosed"]\n', encoding="utf-8")
    code, _, err = run(capsys, "--project", str(root), "lint")
    assert code == 3 and "guard.order_patterns" in err


def test_unknown_story_is_a_content_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, clean=CLEAN)
    code, _, err = run(capsys, "--project", str(root), "lint", "clen")
    assert code == 4 and "clean" in err


def test_real_process_exit_codes(tmp_path: Path) -> None:
    root = make(tmp_path, bad=BAD)
    cmd = [sys.executable, "-c", "from storycast.cli import main; main()", "--project", str(root), "lint"]
    assert subprocess.run(cmd, capture_output=True, timeout=120).returncode == 1
    (root / "stories" / "bad.yaml").write_text(CLEAN, encoding="utf-8")
    assert subprocess.run(cmd, capture_output=True, timeout=120).returncode == 0


def test_every_rule_and_config_key_is_documented() -> None:
    doc = (REPO / "docs" / "lint.md").read_text(encoding="utf-8")
    for rule in all_rules():
        assert f"`{rule.id}`" in doc, rule.id
    for key in GuardConfig.model_fields:
        assert f"`{key}`" in doc, key
    for option in ("--json", "--format", "--lang", "--channel", "--rendered", "--list-rules"):
        assert option in doc, option


def test_unknown_lang_or_channel_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path, clean=CLEAN)
    code, _, err = run(capsys, "--project", str(root), "lint", "--lang", "xx")
    assert code == 2 and "'xx' is not one of: en, es, th, hi, sr" in err
    code, _, err = run(capsys, "--project", str(root), "lint", "--channel", "insta")
    assert code == 2 and "feed, agents" in err


def test_docs_examples_behave_as_documented(tmp_path: Path) -> None:
    from storycast.guard.check import lint_project
    from storycast.project import Project

    doc = (REPO / "docs" / "lint.md").read_text(encoding="utf-8")
    bad, good = re.findall(r"```yaml\n(.*?)```", doc, re.S)[:2]
    (tmp_path / "storycast.toml").write_text('[project]\nlanguages = ["en", "th"]\n', encoding="utf-8")
    (tmp_path / "stories").mkdir()
    for name, text in (("bad", bad), ("good", good)):
        (tmp_path / "stories" / f"{name}.yaml").write_text(text, encoding="utf-8")
        for image in re.findall(r"image: (\S+)", text):
            (tmp_path / image).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / image).write_bytes(b"")
    result = lint_project(Project.load(tmp_path, environ={}), rendered=False)
    comments = " ".join(re.findall(r"#.*", bad))
    promised = set(re.findall(r"\b(?:pii|suitability|copy|format)\.[a-z-]+", comments))
    assert len(promised) >= 4
    assert {f.rule for f in result.findings if f.file == "stories/bad.yaml"} == promised
    assert [f for f in result.findings if f.file == "stories/good.yaml"] == []
