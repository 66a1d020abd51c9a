"""`storycast render --video` reports each segment it encodes: a bar on a terminal, lines with
--progress elsewhere, nothing in --json mode unless asked."""

from __future__ import annotations

import json

from tests.conftest import MINIMAL_STORY


def test_progress_lines_name_story_language_target_and_segment(make_project, run_cli):
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    args = ("-P", str(root), "render", "sample", "--lang", "en", "--video", "--video-target", "instagram")
    code, out, err = run_cli(*args, "--progress")
    assert code == 0, err
    lines = err.splitlines()
    assert any(line.startswith("rendering sample [en] ") for line in lines)
    segments = [line for line in lines if line.startswith("encoding sample [en] instagram: segment ")]
    assert segments and segments[-1].endswith(f"({len(segments)}/{len(segments) + 1})")
    assert lines[-1] == f"encoding sample [en] instagram: part 1/1 ({len(segments) + 1}/{len(segments) + 1})"

    # warm: nothing to encode, only the part is joined; --json keeps stderr quiet by default
    code, out, err = run_cli(*args, "--json")
    assert code == 0 and err == ""
    assert json.loads(out)["results"][0]["videos"]["instagram"]
    code, out, err = run_cli(*args, "--json", "--progress")
    assert code == 0 and err.splitlines()[-1] == "encoding sample [en] instagram: part 1/1 (1/1)"
    json.loads(out)  # stdout stays one JSON document


def test_no_progress_off_a_terminal_by_default(make_project, run_cli):
    root = make_project({"stories/sample.yaml": MINIMAL_STORY})
    code, _, err = run_cli("-P", str(root), "render", "sample", "--lang", "en")
    assert code == 0 and "rendering" not in err
