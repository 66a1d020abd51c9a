"""Every built-in channel type against the Channel contract (channels/base.py, channels/inbound.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storycast import plugins
from storycast.channels.base import Capabilities, Channel
from storycast.channels.inbound import BadSignature, Inbound, InboundVote, WebhookRequest
from storycast.channels.registry import channel_types
from storycast.hookspecs import hookimpl

BUILTIN = sorted(n for n, r in channel_types().items() if r.origin == "built-in")


def _overrides(cls: type[Channel], name: str) -> bool:
    """True when ``cls`` or one of its bases other than Channel (a mixin too) defines ``name``."""
    return any(name in vars(k) for k in cls.__mro__ if k not in (Channel, object))


def test_builtins_are_the_seven_modules_types() -> None:
    assert BUILTIN == [
        "discord",
        "facebook",
        "handoff",
        "instagram",
        "local",
        "slack",
        "telegram",
        "webhook",
        "whatsapp",
    ]


@pytest.mark.parametrize("name", BUILTIN)
def test_declares_the_contract(name: str) -> None:
    cls = channel_types()[name].cls
    assert cls.type_name == name
    assert isinstance(cls.capabilities, Capabilities)
    assert issubclass(cls.Options, Channel.Options)
    assert cls.description


@pytest.mark.parametrize("name", BUILTIN)
def test_inbound_methods_where_webhooks_are_declared(name: str) -> None:
    cls = channel_types()[name].cls
    if cls.webhook_secret_key is None:
        assert cls.webhook_handshake_key is None
        return
    assert cls.webhook_secret_key in cls.Options.model_fields
    assert _overrides(cls, "verify_webhook") and _overrides(cls, "parse_webhook")
    if cls.webhook_handshake_key is not None:
        assert cls.webhook_handshake_key in cls.Options.model_fields
        assert _overrides(cls, "webhook_handshake")


def test_defaults_take_no_webhooks() -> None:
    class Bare(Channel):
        type_name = "bare"

        def publish(self, request):  # type: ignore[no-untyped-def]
            raise NotImplementedError

    assert Bare.webhook_secret_key is None and Bare.webhook_handshake_key is None
    assert Bare.webhook_handshake({"hub.challenge": "1"}, "t") is None
    with pytest.raises(BadSignature):
        Bare.verify_webhook(WebhookRequest({}, {}, b"{}"), "secret")
    got = Bare.parse_webhook({}, None, channel="bare", project=None)  # type: ignore[arg-type]
    assert got == Inbound()


class AcmeChannel(Channel):
    """A plugin type that takes webhooks: a delivery {"poll": ID, "option": N, "voter": V} is a vote."""

    type_name = "acme"
    description = "acme test type"
    webhook_secret_key = "hook_secret"

    class Options(Channel.Options):
        hook_secret: str = ""

    def publish(self, request):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    @classmethod
    def verify_webhook(cls, request: WebhookRequest, secret: str) -> None:
        if request.headers.get("x-acme-token") != secret:
            raise BadSignature("the acme token does not match")

    @classmethod
    def parse_webhook(cls, payload, now, *, channel, project):  # type: ignore[no-untyped-def]
        return Inbound(
            [InboundVote(str(payload["poll"]), int(payload["option"]), str(payload["voter"]), now)]
        )


REPO = Path(__file__).resolve().parent.parent


class AcmePlugin:
    @hookimpl
    def register_channel_types(self) -> list[type]:
        return [AcmeChannel]


@pytest.fixture
def acme_plugin() -> Any:
    plugins.add(AcmePlugin(), "acme-tests", origin="plugin acme (tests)")
    yield
    plugins.remove("acme-tests")


@pytest.mark.usefixtures("acme_plugin")
def test_plugin_type_gets_hooks_route(make_project: Any) -> None:
    """A registered type with a webhook_secret_key gets /hooks/TYPE[/NAME]; web names no platform."""
    from starlette.testclient import TestClient

    import storycast.engage  # noqa: F401 - registers the poll kind
    from storycast.engage.polls import tally
    from storycast.project import Project
    from storycast.web.app import create_app

    toml = (
        '[project]\nname = "T"\nlanguages = ["en", "es", "th", "hi", "sr", "ar"]\n\n'
        '[channels.shop]\ntype = "acme"\nhook_secret = "env:ACME_SECRET"\n'
    )
    poll = (REPO / "stories" / "csat-weekly.yaml").read_text(encoding="utf-8")
    root = make_project({"stories/csat-weekly.yaml": poll}, toml=toml)
    project = Project.load(root, environ={"ACME_SECRET": "s3"})
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    client = TestClient(create_app(project, now=lambda: now, watch=False), base_url="http://127.0.0.1:8000")
    vote = {"poll": "csat-weekly", "option": 2, "voter": "v1"}
    assert client.post("/hooks/acme", json=vote).status_code == 403
    res = client.post("/hooks/acme/shop", json=vote, headers={"X-Acme-Token": "s3"})
    assert res.status_code == 200 and res.json()["votes"] == 1, res.text
    assert client.get("/hooks/acme").status_code == 405  # no handshake declared
    assert client.post("/hooks/nope", json=vote).status_code == 404
    assert tally(project, "csat-weekly").by_channel == {"shop": [0, 1, 0, 0, 0]}


def test_no_platform_names_in_engage_inbound_or_web_hooks() -> None:
    """The inbound path names no platform: engage and web call the contract only."""
    import re

    import storycast

    src = Path(storycast.__file__).parent
    names = re.compile(r"""["'](instagram|facebook|telegram|whatsapp|discord|slack)\b""", re.I)
    for rel in ("engage/inbound.py", "engage/insights.py", "engage/replies.py", "web/hooks.py"):
        code = (src / rel).read_text(encoding="utf-8")
        body = code.split('"""', 2)[-1]  # the module docstring may name platforms
        assert not names.search(body), rel


VIDEO_TYPES = {"instagram": "story.mp4", "facebook": "story.mp4", "telegram": "story.telegram.mp4"}


@pytest.mark.parametrize("name", BUILTIN)
def test_declares_its_video_variant_and_media_limits(name: str) -> None:
    """Each type says what story video it takes and which file render writes for it (or None for both)."""
    from storycast.media import MediaLimits, VideoVariant

    cls = channel_types()[name].cls
    if name not in VIDEO_TYPES:
        assert cls.video_variant is None and cls.media_limits is None
        return
    assert isinstance(cls.media_limits, MediaLimits) and cls.media_limits.name == name
    assert isinstance(cls.video_variant, VideoVariant)
    assert cls.video_variant.limits is cls.media_limits
    assert cls.video_variant.filename == VIDEO_TYPES[name]


def test_video_variants_render_and_media_check_see() -> None:
    """render --video's default files and media check's choices come from the types, in today's order."""
    from storycast.channels.media import limits_for, media_limits, variant_for, video_variants
    from storycast.errors import RenderError

    assert [v.name for v in video_variants()] == ["instagram", "facebook", "telegram"]
    assert [(v.name, v.filename) for v in video_variants() if v.default] == [
        ("instagram", "story.mp4"),
        ("telegram", "story.telegram.mp4"),
    ]
    assert list(media_limits()) == ["instagram", "facebook", "telegram"]
    assert variant_for("telegram").limits.encode_codec == "hevc"
    assert (limits_for("telegram").width, limits_for("telegram").height) == (720, 1280)
    assert (limits_for("facebook").encode_codec, limits_for("facebook").width) == ("h264", 1080)
    with pytest.raises(RenderError, match="unknown video target 'myspace'") as info:
        limits_for("myspace")
    assert info.value.hint == "use one of: instagram, facebook, telegram"


def test_a_plugin_type_inheriting_a_variant_adds_no_second_one() -> None:
    from storycast.channels.media import video_variants

    insta = channel_types()["instagram"].cls

    class Reels(insta):  # type: ignore[misc,valid-type]
        type_name = "reels"

    class ReelsPlugin:
        @hookimpl
        def register_channel_types(self) -> list[type]:
            return [Reels]

    plugins.add(ReelsPlugin(), "reels-tests")
    try:
        assert "reels" in channel_types()
        assert [v.name for v in video_variants()] == ["instagram", "facebook", "telegram"]
    finally:
        plugins.remove("reels-tests")
