"""Docs stay true: every config key is documented."""

from pathlib import Path

from pydantic import BaseModel

from storycast.config import Config

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        ann = field.annotation
        if name == "channels":
            out.append("channels.NAME.type")
            out.append("channels.NAME.enabled")
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            out.append(key) if prefix else None
            out.extend(_keys(ann, key + "."))
        else:
            out.append(key)
    return out


def test_every_config_key_is_documented():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [k for k in _keys(Config) if f"`{k}`" not in text]
    assert not missing, f"undocumented storycast.toml keys: {missing}"


def test_cli_reference_is_current():
    from storycast.cli._docgen import generate

    expected = generate() + "\n"
    actual = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/cli.md is stale: run `python -m storycast.cli._docgen > docs/cli.md`"


def test_every_command_is_in_the_readme_or_docs():
    import typer

    from storycast.cli import app

    root = typer.main.get_command(app)
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md") if p.name != "cli.md")
    text += (DOCS.parent / "README.md").read_text(encoding="utf-8")
    missing = [name for name in root.commands if f"storycast {name}" not in text]
    assert not missing, f"commands with no guide outside the generated reference: {missing}"
