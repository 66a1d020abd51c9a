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
