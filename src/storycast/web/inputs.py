"""Reading request bodies strictly: a malformed body is a 400 that says what is wrong, never a 500.

JSON is parsed without ``NaN``/``Infinity`` and without numbers that overflow to infinity
(``1e400``); nesting deeper than Python's recursion limit is a 400 too. Fields are checked for
their type and size before any handler uses them.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request

from ..errors import StorycastError

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MAX_ID = 2**63 - 1  # the ledger's integer column


class WebError(StorycastError):
    """A request the web app refuses; ``status`` is the HTTP answer, the message its ``error``."""

    def __init__(self, status: int, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


def media_type(request: Request) -> str:
    """The Content-Type without its parameters, lower case ('' when there is none)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def require_type(request: Request, *allowed: str) -> str:
    """The request's media type when it is one of ``allowed``; else 415."""
    given = media_type(request)
    if given not in allowed:
        raise WebError(
            415,
            f"send the body as {' or '.join(allowed)}, not {given or 'without a Content-Type'}",
        )
    return given


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("a number too large for a float")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(body: bytes) -> Any:
    """Strictly parsed JSON, or a 400 :class:`WebError`."""
    try:
        return json.loads(body.decode("utf-8"), parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise WebError(400, "the JSON body is nested too deeply") from None
    except ValueError as exc:  # also UnicodeDecodeError and json.JSONDecodeError
        reason = str(exc).split(":", 1)[0] if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise WebError(400, f"the body is not valid JSON ({reason})") from None


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (the caller checked the content type)."""
    data = parse_json(await request.body())
    if not isinstance(data, dict):
        raise WebError(400, f"the body must be a JSON object, not {_kind(data)}")
    return data


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def text_field(data: dict[str, Any], key: str, *, limit: int, required: bool = True) -> str:
    """``data[key]`` as a string of at most ``limit`` characters ('' when absent and optional)."""
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise WebError(400, f"send {key} as a non-empty string" if required else f"{key} must be a string")
    if len(value) > limit:
        raise WebError(400, f"{key} is longer than {limit} characters")
    return value


def int_field(data: dict[str, Any], key: str, *, low: int, high: int) -> int:
    """``data[key]`` as a whole number from ``low`` to ``high`` (true/false and 2.0 are not)."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise WebError(400, f"send {key} as a whole number from {low} to {high}")
    return value


def row_ids(values: Any) -> list[int]:
    """Ledger row ids from a JSON list or form values; 400 for anything but 1 to 1000 of them."""
    if not isinstance(values, list) or not values:
        raise WebError(400, "send the ids of the rows to confirm")
    if len(values) > 1000:
        raise WebError(400, "send at most 1000 row ids at a time")
    out = []
    for value in values:
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise WebError(400, "row ids are whole numbers (the ids storycast status shows)")
        out.append(value)
    return out
