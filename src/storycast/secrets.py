"""Secret references: ``env:VAR``, ``file:PATH``, ``keyring:SERVICE/NAME``.

Config files never hold secrets, only references to them. Channel options that hold a secret
are typed :data:`SecretRef`, so a literal secret in storycast.toml is refused when the file is
loaded, by every command. A resolved secret is wrapped in :class:`Secret`, whose ``repr``/``str``
are redacted, so it cannot leak into output, logs or error messages by accident; no error
raised here quotes a secret or any byte of a secret file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from .errors import ConfigError
from .files import read_text

_REF = re.compile(r"^(env|file|keyring):(.*)$", re.DOTALL)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DOTENV_LINE = re.compile(r"^(export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=")
REDACTED = "••••••"
REFERENCE_HINT = "write env:VARIABLE, file:PATH or keyring:SERVICE/NAME instead of the secret itself"


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


def reference_problem(ref: str) -> str | None:
    """Why ``ref`` is not a usable secret reference (never quoting it), or None when it is."""
    m = _REF.match(ref)
    if not m:
        return "a secret must be a reference (env:, file: or keyring:), not the secret itself"
    kind, target = m.group(1), m.group(2)
    if kind == "env" and not _ENV_NAME.match(target):
        return "env: must be followed by a variable name (letters, digits and _), such as env:TG_TOKEN"
    if kind == "file" and not target.strip():
        return "file: must be followed by the path of the file that holds the secret"
    if kind == "keyring":
        service, _, name = target.partition("/")
        if not service or not name:
            return "keyring: must name a service and an entry, as keyring:SERVICE/NAME"
    return None


def _check_reference(value: str) -> str:
    # "" means "not set": the channel says it needs the key when it is used.
    problem = reference_problem(value) if value else None
    if problem:
        # A custom error type lets config.py's hint say how to move the secret out of the file;
        # the message never quotes the value (pydantic keeps it as "input", which is not shown).
        raise PydanticCustomError("secret_literal", problem)
    return value


#: A channel option that holds a secret reference ("" when unset); a literal is a config error.
SecretRef = Annotated[str, AfterValidator(_check_reference)]


def resolve(ref: str, *, base: Path | None = None, environ: dict[str, str] | None = None) -> Secret:
    """Resolve a secret reference, or raise ConfigError naming the reference (not the value)."""
    problem = reference_problem(ref)
    if problem:
        raise ConfigError(problem, hint=REFERENCE_HINT)
    kind, _, target = ref.partition(":")
    env = os.environ if environ is None else environ
    if kind == "env":
        if target not in env or not env[target]:
            raise ConfigError(
                f"the environment variable {target} is {'empty' if target in env else 'not set'}",
                hint=f"export {target}=... before running storycast",
            )
        return Secret(env[target])
    if kind == "file":
        return Secret(_read_secret_file(target, base))
    return Secret(_keyring_value(target))


def _read_secret_file(target: str, base: Path | None) -> str:
    path = Path(target).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        text = read_text(path, error=ConfigError, what="secret file", secret=True, max_bytes=64 * 1024)
    except ConfigError as exc:
        if str(path) in exc.message:
            raise
        # Callers quote only the message (a channel check, a webhook): it must name the file.
        raise ConfigError(
            f"{exc.message} (in {exc.location})", hint=exc.hint, file=path, line=exc.line, column=exc.column
        ) from None
    value = text.strip()
    if not value:
        raise ConfigError(
            f"the secret file {path} is empty",
            hint="write the secret into it (alone, on one line)",
            file=path,
        )
    lines = [ln for ln in value.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if (len(lines) > 1 and all(_DOTENV_LINE.match(ln) for ln in lines)) or value.startswith("export "):
        # A .env file: reading it whole would send "NAME=value" lines to the platform as a token.
        raise ConfigError(
            f"the secret file {path} holds NAME=value lines (a .env file), not one secret",
            hint="put only the secret's value in the file, or load the .env into the environment "
            "and reference the variable with env:NAME",
            file=path,
        )
    return value


def _keyring_value(target: str) -> str:
    service, _, name = target.partition("/")
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        raise ConfigError(
            "keyring: references need the keyring package",
            hint="pip install 'storycast[keyring]', or use an env: or file: reference",
        ) from None
    try:
        value = keyring.get_password(service, name)
    except KeyringError as exc:  # no backend (a server without a desktop session), locked...
        raise ConfigError(
            f"the keyring cannot be read ({type(exc).__name__})",
            hint="install and unlock a keyring backend (pip install keyrings.alt on a server), "
            "or use an env: or file: reference",
        ) from None
    if not value:
        raise ConfigError(
            f"no keyring entry for service {service!r}, name {name!r}",
            hint=f"store it with: keyring set {service} {name}",
        )
    return value


def redact(text: str, secrets: list[Secret]) -> str:
    """Replace every occurrence of the given secrets' values in ``text``."""
    for s in secrets:
        v = s.reveal()
        if v and len(v) >= 4:
            text = text.replace(v, REDACTED)
    return text
