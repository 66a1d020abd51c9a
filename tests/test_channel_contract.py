"""Every built-in channel type against the Channel contract (channels/base.py, channels/inbound.py)."""

from __future__ import annotations

import pytest

from storycast.channels.base import Capabilities, Channel
from storycast.channels.inbound import BadSignature, Inbound, WebhookRequest
from storycast.channels.registry import channel_types

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
