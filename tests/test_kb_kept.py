"""``storycast kb build`` run as users run it: before the command-line framework, answered from
what the last build kept when nothing changed (``cli/_kbfast.py``, ``cli/_kbkept.py``).

A kept answer must be the build's own answer: every change of what the site is made from (a
story, a template, the configuration, a picture, the site or the frame builds) runs the build,
and the site it leaves is the one a cold build of the same project gives.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from storycast.cli import _kbfast
from tests.conftest import MINIMAL_STORY, MINIMAL_TOML, build_file_tree
from tests.test_kb_incremental import library


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return library(tmp_path / "proj")


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The output folders of the builds that ran (a kept answer runs none)."""
    import storycast.kb

    ran: list[str] = []
    real = storycast.kb.build_site

    def counted(project: Any, out: Any = None, **kw: Any) -> Any:
        ran.append(str(out))
        return real(project, out, **kw)

    monkeypatch.setattr(storycast.kb, "build_site", counted)
    return ran


def _kb(
    run_cli: Any, root: Path, site: Path, *more: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    return run_cli("--project", str(root), "kb", "build", "--out", str(site), *more, env=env)  # type: ignore[no-any-return]


def _cold(run_cli: Any, root: Path, tmp: Path) -> dict[str, bytes]:
    cold = tmp / f"cold-{len(list(tmp.glob('cold-*')))}"
    code, _, err = _kb(run_cli, root, cold, "--no-ledger")  # another command: never a kept answer
    assert code == 0, err
    return _files(cold)


def test_nothing_changed_is_answered_from_what_the_build_kept(
    project: Path, tmp_path: Path, run_cli: Any, builds: list[str]
) -> None:
    site = tmp_path / "site"
    code, out, err = _kb(run_cli, project, site, "--json")
    assert code == 0, err
    assert builds == [str(site)]
    before = {p: p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}
    code, kept, _ = _kb(run_cli, project, site, "--json")
    assert code == 0 and builds == [str(site)]  # no build ran
    assert {p: p.stat().st_mtime_ns for p in before} == before
    # What the build said (a build that finds nothing to do encodes no image), in its own time.
    want, got = json.loads(out), json.loads(kept)
    assert {k: v for k, v in got.items() if k not in ("seconds", "timings")} == {
        **{k: v for k, v in want.items() if k not in ("seconds", "timings")},
        "images_encoded": 0,
    }
    assert set(got["timings"]) == set(want["timings"])

    code, text, err = _kb(run_cli, project, site)  # printed as text: the same answer
    assert code == 0 and builds == [str(site)]
    assert "sitemap.xml has site-relative URLs" in err
    assert text.startswith(
        f"{want['pages']} pages, 3 tutorials in 4 languages ({', '.join(want['languages'])}), "
        f"{want['images']} images (0 encoded) in "
    )
    assert text.endswith(f" s -> {site}\n")


@pytest.mark.parametrize(
    "change",
    ["story", "deleted story", "template", "config", "picture", "site page", "site image", "frame"],
)
def test_any_change_runs_the_build_and_gives_the_cold_site(
    project: Path, tmp_path: Path, run_cli: Any, builds: list[str], change: str
) -> None:
    from PIL import Image

    site = tmp_path / "site"
    (project / "assets").mkdir()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(project / "assets" / "modem.png")
    story = project / "stories" / "sample.yaml"
    with_picture = "    image: assets/modem.png\n    text:\n      en: Wait ten"
    story.write_text(MINIMAL_STORY.replace("    text:\n      en: Wait ten", with_picture), encoding="utf-8")
    for _ in range(2):
        assert _kb(run_cli, project, site)[0] == 0
    assert len(builds) == 1
    if change == "story":
        text = story.read_text(encoding="utf-8")
        story.write_text(text.replace("Wait ten seconds.", "Wait a minute."), encoding="utf-8")
    elif change == "deleted story":
        (project / "stories" / "second.yaml").unlink()
    elif change == "template":  # the project's interface catalogue, which every page reads
        build_file_tree(project, {"templates/strings.yaml": "help_centre:\n  en: Support desk\n"})
    elif change == "config":
        config = MINIMAL_TOML + '\n[brand]\nname = "Other"\n'
        (project / "storycast.toml").write_text(config, encoding="utf-8")
    elif change == "picture":
        Image.new("RGB", (64, 48), (30, 30, 200)).save(project / "assets" / "modem.png")
    elif change == "site page":
        (site / "en" / "index.html").write_text("edited", encoding="utf-8")
    elif change == "site image":
        next((site / "img").glob("*.jpg")).unlink()
    elif change == "frame":
        frame = next((project / "build" / "sample" / "en").glob("0*.jpg"))
        os.utime(frame, ns=(0, 0))
    assert _kb(run_cli, project, site)[0] == 0
    assert len(builds) == 2, change  # the build ran
    got, want = _files(site), _cold(run_cli, project, tmp_path)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == []
    if change == "deleted story":
        assert not (site / "en" / "second").exists()
    if change == "story":
        assert "Wait a minute." in got["en/sample/index.html"].decode()
    if change == "template":
        assert "Support desk" in got["en/index.html"].decode()
    assert _kb(run_cli, project, site)[0] == 0
    assert len(builds) == 3  # (the cold build's); this one was kept
    assert builds[-1] != str(site)


def test_unusual_command_lines_are_left_to_the_framework() -> None:
    plain = _kbfast.read_args(["--project", "p", "kb", "build", "a", "-o", "s", "--no-render", "-j", "2"])
    assert plain is not None
    opts, project, traceback = plain
    assert (opts["stories"], opts["out"], opts["render"], opts["jobs"], project, traceback) == (
        ["a"],
        Path("s"),
        False,
        2,
        "p",
        False,
    )
    for args in (
        ["kb", "build", "--help"],
        ["kb", "serve"],
        ["kb", "build", "--jobs", "two"],
        ["kb", "build", "--json", "--json"],
        ["kb", "build", "--out"],
        ["kb", "build", "--", "a"],
        ["kb", "build", "--bogus"],
        ["kb"],
    ):
        assert _kbfast.read_args(args) is None, args


def test_an_out_that_is_a_file_is_the_frameworks_error(project: Path, tmp_path: Path, run_cli: Any) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, _, err = _kb(run_cli, project, blocker / "site")
    assert code == 2 and "is a file, not a folder" in err


def test_the_stamp_covers_the_packaged_templates_and_assets(project: Path) -> None:
    """In a checkout they are outside the package (``resources.data_root``): walked too."""
    from storycast import resources
    from storycast.cli._kbkept import before
    from storycast.project import Project

    mark = before(Project.load(project), {"ledger": True})
    assert mark is not None
    walked = [os.path.realpath(p) for p in mark["inputs"]["walk"]]
    for folder in (resources.templates_dir(), resources.assets_dir()):
        real = os.path.realpath(folder)
        assert any(real == w or real.startswith(w + os.sep) for w in walked), folder


def test_a_ledger_write_runs_the_build(
    project: Path, tmp_path: Path, run_cli: Any, builds: list[str]
) -> None:
    from datetime import UTC, datetime

    from storycast.ledger import open_ledger
    from storycast.project import Project

    site = tmp_path / "site"

    def vote(voter: str) -> None:
        led = open_ledger(Project.load(project))
        try:
            led.put_article_vote(
                ref="sample", helpful=True, voter=voter * 32, lang="en", now=datetime(2026, 12, 2, tzinfo=UTC)
            )
        finally:
            led.close()

    for _ in range(2):
        assert _kb(run_cli, project, site)[0] == 0
    assert len(builds) == 1
    vote("a")  # the ledger appears
    for _ in range(2):
        assert _kb(run_cli, project, site)[0] == 0
    assert len(builds) == 2
    vote("b")  # and changes
    assert _kb(run_cli, project, site)[0] == 0
    assert len(builds) == 3
    cold = tmp_path / "cold"
    assert run_cli("--project", str(project), "kb", "build", "--out", str(cold), "--ledger")[0] == 0
    assert _files(site) == _files(cold)


def test_a_terminals_variables_do_not_matter_and_old_answers_go(
    project: Path, tmp_path: Path, run_cli: Any, builds: list[str]
) -> None:
    site = tmp_path / "site"
    folder = project / ".storycast" / "cache" / "kb-kept"
    folder.mkdir(parents=True)
    for n in range(12):
        (folder / f"old{n:02d}.json").write_text("{}", encoding="utf-8")
        os.utime(folder / f"old{n:02d}.json", ns=(n, n))
    assert _kb(run_cli, project, site, env={"TERM_SESSION_ID": "one"})[0] == 0
    assert _kb(run_cli, project, site, env={"TERM_SESSION_ID": "two"})[0] == 0
    assert len(builds) == 1
    left = sorted(p.name for p in folder.iterdir())
    assert len(left) == 8 and "old11.json" in left and "old00.json" not in left
    assert _kb(run_cli, project, site, env={"STORYCAST_DB": f"sqlite:///{tmp_path / 'other.db'}"})[0] == 0
    assert len(builds) == 2  # another ledger: the build runs
