"""Secret references: every way one can fail is a ConfigError that never quotes the secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from storycast.errors import ConfigError
from storycast.secrets import resolve

SECRET = "tok-5ecret-value-1234"


def _fails(ref: str, tmp_path: Path, environ: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        resolve(ref, base=tmp_path, environ=environ or {})
    err = info.value
    assert err.hint, f"{ref}: no hint"
    assert SECRET not in str(err)
    return err


def test_file_reference_reads_one_secret(tmp_path):
    (tmp_path / "token").write_bytes(b"\xef\xbb\xbf" + SECRET.encode() + b"\r\n")
    assert resolve("file:token", base=tmp_path).reveal() == SECRET


def test_file_reference_failures(tmp_path):
    assert "does not exist" in _fails("file:missing", tmp_path).message
    (tmp_path / "folder").mkdir()
    assert "is a folder" in _fails("file:folder", tmp_path).message
    (tmp_path / "empty").write_text("\n")
    assert "is empty" in _fails("file:empty", tmp_path).message
    (tmp_path / ".env").write_text(f"TG_TOKEN={SECRET}\nOTHER=1\n")
    assert ".env" in _fails("file:.env", tmp_path).message
    (tmp_path / "exported").write_text(f"export TOKEN={SECRET}\n")
    assert ".env" in _fails("file:exported", tmp_path).message


def test_undecodable_secret_file_names_no_byte(tmp_path):
    (tmp_path / "latin1").write_bytes(SECRET.encode() + b"\xe9")
    err = _fails("file:latin1", tmp_path)
    assert "not valid UTF-8" in err.message and "0xE9" not in err.message
    (tmp_path / "nul").write_bytes(SECRET.encode() + b"\x00")
    assert "NUL" in _fails("file:nul", tmp_path).message


def test_env_reference_failures(tmp_path):
    assert "is not set" in _fails("env:NOPE", tmp_path).message
    assert "is empty" in _fails("env:EMPTY", tmp_path, {"EMPTY": ""}).message
    assert "variable name" in _fails("env:", tmp_path).message
    assert "not the secret itself" in _fails(SECRET, tmp_path).message


def test_keyring_without_a_backend_is_a_config_error(tmp_path):
    keyring = pytest.importorskip("keyring")
    from keyring.backends import fail

    # keyring's own "fail" backend: what a server without a desktop session has.
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        err = _fails("keyring:storycast/telegram", tmp_path)
    finally:
        keyring.set_keyring(previous)
    assert "keyring cannot be read" in err.message and "keyrings.alt" in err.hint
    assert "keyring:SERVICE/NAME" in _fails("keyring:storycast", tmp_path).message
