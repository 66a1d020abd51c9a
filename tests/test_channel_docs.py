"""docs/channels stays true: every channel type has a page naming each of its option keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from storycast.channels import channel_types
from storycast.channels.base import Channel

DOCS = Path(__file__).resolve().parent.parent / "docs" / "channels"
PAGES = {
    "instagram": "instagram.md",
    "facebook": "facebook.md",
    "telegram": "telegram.md",
    "whatsapp": "whatsapp.md",
    "webhook": "webhook.md",
    "slack": "slack.md",
    "discord": "discord.md",
    "handoff": "handoff.md",
}
BASE_KEYS = set(Channel.Options.model_fields)


@pytest.mark.parametrize("type_name", sorted(PAGES))
def test_every_option_is_documented(type_name):
    cls = channel_types()[type_name].cls
    text = (DOCS / PAGES[type_name]).read_text(encoding="utf-8") + (DOCS / "index.md").read_text(
        encoding="utf-8"
    )
    missing = [k for k in cls.Options.model_fields if k not in BASE_KEYS and f"`{k}`" not in text]
    assert not missing, f"{PAGES[type_name]} does not document {missing}"
    for section in ("Not possible", "## Keys"):
        assert section in text


def test_index_links_every_page():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in {*PAGES.values(), "snapchat.md"}:
        assert f"({page})" in index, page
        assert (DOCS / page).is_file()
