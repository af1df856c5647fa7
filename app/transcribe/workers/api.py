"""The worker listener: the routes workers call, on their own port (never the user's),
each behind the launch's bearer token.

    POST /worker/v1/claim               -> 200 {"job": {...}} | 204 nothing to do
    GET  /worker/v1/jobs/<id>/media     -> the recording, streamed
    POST /worker/v1/jobs/<id>/progress  {"stage", "fraction"} -> {"cancel": bool}
    POST /worker/v1/jobs/<id>/result    the transcript (Transcript.to_dict)
    POST /worker/v1/jobs/<id>/failure   {"error": {"key", "params"}} | {"cancelled": true}

A request without a live launch's token gets 401 before its body is read; a job its
launch did not claim, or no longer runs, gets 403. The user's password cookie opens
nothing here, and nothing of this listener is served on the user's port. Standard
library only: it runs on its own thread beside Streamlit's server.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

from .launches import Launch

log = logging.getLogger("transcribe.workers")

PREFIX = "/worker/v1"
MAX_BODY = 512 << 20  # a transcript of many hours is tens of MB
CHUNK = 1 << 20
_JOB_ROUTE = re.compile(rf"^{PREFIX}/jobs/([0-9a-f-]+)/(media|progress|result|failure)$")


class Backend(Protocol):
    """What the listener asks of the web app's queue."""

    def authenticate(self, token: str | None) -> Launch | None: ...
    def claim(self, launch: Launch) -> dict[str, Any] | None: ...
    def media_path(self, launch: Launch, job_id: str) -> Path | None: ...
    def progress(self, launch: Launch, job_id: str, stage: str, fraction: float
                 ) -> bool | None: ...
    def result(self, launch: Launch, job_id: str, transcript: dict[str, Any]) -> bool: ...
    def failure(self, launch: Launch, job_id: str, report: dict[str, Any]) -> bool: ...


class WorkerListener:
    # How often the serving loop looks whether it should stop: close() waits up to this
    # long (the tests, which start and close a listener each, shorten it).
    poll_seconds = 0.5

    def __init__(self, backend: Backend, address: str = "127.0.0.1", port: int = 0):
        handler = type("Handler", (_Handler,), {"backend": backend})
        self.server = ThreadingHTTPServer((address, port), handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        args=(self.poll_seconds,),
                                        name="transcribe-worker-listener", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WorkerListener:
        self._thread.start()
        log.info("worker listener on port %d", self.port)
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    backend: Backend
    protocol_version = "HTTP/1.1"
    server_version = "transcribe-worker-listener"
    sys_version = ""
    # Headers and body leave in two writes: without this, the body waits for the worker's
    # delayed acknowledgement of the headers (about 40 ms an answer, on a kept-alive line).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # no access log: paths name jobs, and the web app logs what matters

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED)

    do_DELETE = do_PATCH = do_HEAD = do_PUT

    def _route(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        if not path.startswith(PREFIX + "/"):
            return self._send(HTTPStatus.NOT_FOUND)
        launch = self.backend.authenticate(_bearer(self.headers.get("Authorization")))
        if launch is None:  # before any body is read
            return self._send(HTTPStatus.UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
        try:
            if path == f"{PREFIX}/claim" and method == "POST":
                self._body()
                job = self.backend.claim(launch)
                return self._json({"job": job}) if job else self._send(HTTPStatus.NO_CONTENT)
            match = _JOB_ROUTE.match(path)
            if not match:
                return self._send(HTTPStatus.NOT_FOUND)
            job_id, action = match.groups()
            if action == "media" and method == "GET":
                return self._media(launch, job_id)
            if action == "media" or method != "POST":  # a POST to media reports nothing
                return self._send(HTTPStatus.METHOD_NOT_ALLOWED)
            body = self._body()
            if body is None:
                return None
            if action == "progress":
                cancel = self.backend.progress(launch, job_id, str(body.get("stage", "")),
                                               float(body.get("fraction") or 0.0))
                return self._forbidden() if cancel is None else self._json({"cancel": cancel})
            done = (self.backend.result(launch, job_id, body) if action == "result"
                    else self.backend.failure(launch, job_id, body))
            return self._json({"ok": True}) if done else self._forbidden()
        except (ValueError, TypeError, KeyError):
            return self._send(HTTPStatus.BAD_REQUEST)

    def _media(self, launch: Launch, job_id: str) -> None:
        path = self.backend.media_path(launch, job_id)
        if path is None:
            return self._forbidden()
        try:
            handle = path.open("rb")
        except OSError:
            return self._send(HTTPStatus.GONE)
        with handle:
            size = path.stat().st_size
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            shutil.copyfileobj(handle, self.wfile, CHUNK)
        return None

    def _body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return None
        data = self.rfile.read(length) if length else b""
        value = json.loads(data) if data else {}
        if not isinstance(value, dict):
            raise ValueError("a JSON object is expected")
        return value

    def _forbidden(self) -> None:
        self._send(HTTPStatus.FORBIDDEN)

    def _json(self, value: dict[str, Any]) -> None:
        data = json.dumps(value, ensure_ascii=False).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, status: HTTPStatus, headers: dict[str, str] | None = None) -> None:
        if status >= 400:  # a body may be left unread: this connection ends here
            self.close_connection = True
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


def _bearer(header: str | None) -> str | None:
    if not header or not header.startswith("Bearer "):
        return None
    return header[len("Bearer "):].strip() or None
