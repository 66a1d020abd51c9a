"""Secret references: ``env:VAR``, ``file:PATH``, ``keyring:SERVICE/NAME``.

Config files never hold secrets, only references to them. A resolved secret is wrapped
in :class:`Secret`, whose ``repr``/``str`` are redacted, so it cannot leak into output,
logs or error messages by accident.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import ConfigError

_REF = re.compile(r"^(env|file|keyring):(.+)$")
REDACTED = "••••••"


class Secret:
    """A secret value that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that sends it to a platform."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def is_reference(value: str) -> bool:
    return bool(_REF.match(value))


def resolve(ref: str, *, base: Path | None = None, environ: dict[str, str] | None = None) -> Secret:
    """Resolve a secret reference, or raise ConfigError naming the reference (not the value)."""
    m = _REF.match(ref)
    if not m:
        raise ConfigError(
            "a secret must be a reference, not a literal value",
            hint="write env:VARIABLE, file:PATH or keyring:SERVICE/NAME instead of the secret itself",
        )
    kind, target = m.group(1), m.group(2)
    env = os.environ if environ is None else environ
    if kind == "env":
        if target not in env or not env[target]:
            raise ConfigError(
                f"the environment variable {target} is not set",
                hint=f"export {target}=... before running storycast",
            )
        return Secret(env[target])
    if kind == "file":
        path = Path(target).expanduser()
        if base is not None and not path.is_absolute():
            path = base / path
        try:
            return Secret(path.read_text(encoding="utf-8").strip())
        except OSError:
            raise ConfigError(
                f"cannot read the secret file {path}", hint="check the path and its permissions"
            ) from None
    service, _, name = target.partition("/")
    try:
        import keyring
    except ImportError:
        raise ConfigError(
            "keyring: references need the keyring package", hint="pip install 'storycast[keyring]'"
        ) from None
    value = keyring.get_password(service, name)
    if not value:
        raise ConfigError(
            f"no keyring entry for service {service!r}, name {name!r}",
            hint=f"store it with: keyring set {service} {name}",
        )
    return Secret(value)


def redact(text: str, secrets: list[Secret]) -> str:
    """Replace every occurrence of the given secrets' values in ``text``."""
    for s in secrets:
        v = s.reveal()
        if v and len(v) >= 4:
            text = text.replace(v, REDACTED)
    return text
