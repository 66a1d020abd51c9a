"""Fake platform APIs on 127.0.0.1, one module per platform.

Each fake is an ``http.server`` in a daemon thread implementing the documented contract of its
platform closely enough to exercise the adapters, plus scripted faults:

- ``fake.script(route, *faults)``: the next calls of ``route`` (a name the fake documents, like
  ``"publish"``) answer with these faults in order, then behave normally. Faults: ``"429"``,
  ``"503"``, ``"500"`` (the action is *not* performed), ``"500-after"`` (performed, then 500),
  ``"hang"`` (performed, then no answer for ``hang_seconds``), or any dict/tuple the platform
  module understands (an error body).
- ``fake.problems``: contract violations seen (a duplicate publish of the same media, a call
  with a wrong token, ...). ``fake.assert_clean()`` fails the test if there are any; the
  ``fake_*`` fixtures call it at teardown.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        """Form fields, JSON fields or multipart text fields of the body, merged with the query."""
        out = dict(self.query)
        ctype = self.headers.get("content-type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            out.update({k: v[0] for k, v in parse_qs(self.body.decode()).items()})
        elif ctype.startswith("application/json") and self.body:
            data = json.loads(self.body)
            if isinstance(data, dict):
                out.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()})
        elif ctype.startswith("multipart/form-data"):
            out.update({k: v.decode("utf-8", "replace") for k, v in self.files().items() if len(v) < 4096})
        return out

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def files(self) -> dict[str, bytes]:
        """Parts of a multipart body, by field name."""
        ctype = self.headers.get("content-type", "")
        if "boundary=" not in ctype:
            return {}
        boundary = ctype.split("boundary=", 1)[1].strip('"').encode()
        parts: dict[str, bytes] = {}
        for chunk in self.body.split(b"--" + boundary):
            head, sep, data = chunk.partition(b"\r\n\r\n")
            if not sep or b"name=" not in head:
                continue
            name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
            parts[name] = data.removesuffix(b"\r\n")
        return parts


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """Base: routing by ``handle()``, fault scripts, request log, problems, the thread."""

    hang_seconds = 1.5

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.problems: list[str] = []
        self._scripts: dict[str, deque[Any]] = defaultdict(deque)
        self.lock = threading.RLock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _do(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    self.command,
                    parts.path,
                    {k: v[0] for k, v in parse_qs(parts.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with fake.lock:
                    fake.requests.append(req)
                try:
                    reply = fake.dispatch(req)
                except Exception as exc:  # a bug in the fake: answer 599 so the test sees it
                    fake.problems.append(f"fake crashed on {req.method} {req.path}: {exc!r}")
                    reply = Reply(599, {"error": repr(exc)})
                if reply.status == -1:  # hang: hold the connection, then drop it
                    time.sleep(fake.hang_seconds)
                    self.close_connection = True
                    return
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                ctype = "application/octet-stream" if isinstance(reply.body, bytes) else "application/json"
                self.send_header("Content-Type", reply.headers.pop("Content-Type", ctype))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _do

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    # -- life ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults -------------------------------------------------------------------------------

    def script(self, route: str, *faults: Any) -> None:
        """Queue faults for the next calls of ``route``."""
        with self.lock:
            self._scripts[route].extend(faults)

    def next_fault(self, route: str) -> Any:
        with self.lock:
            queue = self._scripts.get(route)
            return queue.popleft() if queue else None

    def generic_fault(self, fault: Any) -> Reply | None:
        """The reply for a transport-level fault performed *before* the action, or None."""
        if fault == "429":
            return Reply(429, {"error": "too many requests"}, {"Retry-After": "7"})
        if fault == "503":
            return Reply(503, {"error": "unavailable"})
        if fault == "500":
            return Reply(500, {"error": "internal"})
        return None

    def after_fault(self, fault: Any, reply: Reply) -> Reply:
        """Apply a fault that happens *after* the action was performed."""
        if fault == "hang":
            return Reply(-1)
        if fault == "500-after":
            return Reply(500, {"error": "internal"})
        return reply

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    def assert_clean(self) -> None:
        """Fail the test when the adapter broke the platform's contract (duplicates first)."""
        assert not self.problems, "fake server saw contract violations:\n" + "\n".join(self.problems)

    def calls(self, method: str | None = None, contains: str = "") -> list[Request]:
        """Requests seen, optionally filtered by method and a substring of the path."""
        return [r for r in self.requests if (method is None or r.method == method) and contains in r.path]

    def dispatch(self, req: Request) -> Reply:  # pragma: no cover - overridden
        raise NotImplementedError
