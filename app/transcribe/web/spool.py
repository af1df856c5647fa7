"""Uploads streamed to the data folder, never held in memory.

Streamlit's own upload handler (`PUT /_stcore/upload_file/<session>/<file>`) reads the
whole file into memory and keeps it there for the session: a 2 GB recording costs
several GB of server memory. This ASGI middleware answers that request itself: it parses
the multipart body as it arrives and writes the file, chunk by chunk, to
`<data>/uploads/<token>`; Streamlit's upload record then holds a few bytes that name the
spooled file (`Spooled`), and the page hands that path to the job store, which moves it
into the job folder (no copy). The browser side is Streamlit's uploader, unchanged:
several files, the size limit checked before sending, the page's own words.

Space is checked before the body is written: an upload that would not fit in the data
volume (see storage.py) is read and dropped, and its record says why, so that the page
lists it as a failed job with a clear message like any other refused file. The same
happens when the disk fills up while it is written.

Orphans (a tab closed after uploading, before starting) are removed when the next upload
arrives and at server start.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

import anyio
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import storage
from ..i18n import Notice

log = logging.getLogger("transcribe.web")

SPOOL_FOLDER = "uploads"
MARKER = b"transcribe-spooled-upload/1\n"
_UPLOAD = re.compile(r"/_stcore/upload_file/(?P<session>[^/]+)/(?P<file>[^/]+)$")
_TOKEN = re.compile(r"[0-9a-f]{32}")  # whole tokens only: fullmatch
WRITE_CHUNK = 1 << 20  # written to disk in pieces of about this size, off the event loop
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file


@dataclass
class Spooled:
    """What an upload record holds in place of the file's bytes."""

    name: str
    size: int
    token: str | None = None  # the file under <data>/uploads; None when refused
    refused: str | None = None  # i18n key of the reason, e.g. "upload.no_space"

    def encode(self) -> bytes:
        return MARKER + json.dumps(asdict(self)).encode()

    def refusal(self, name: str) -> Notice | None:
        """Why it was refused, naming the file as the user named it; None if it was kept."""
        return Notice(self.refused, {"name": name}) if self.refused else None

    @classmethod
    def decode(cls, data: bytes) -> Spooled | None:
        """The record's marker, or None for bytes that are a file's own content."""
        if not data.startswith(MARKER) or len(data) > 4096:
            return None
        try:
            fields = json.loads(data[len(MARKER):])
            spooled = cls(name=str(fields["name"]), size=int(fields["size"]),
                          token=fields.get("token"), refused=fields.get("refused"))
        except (ValueError, KeyError, TypeError):
            return None
        if spooled.token is not None and not _TOKEN.fullmatch(str(spooled.token)):
            return None
        return spooled


def spool_folder(data_dir: Path) -> Path:
    return data_dir / SPOOL_FOLDER


def spooled_path(data_dir: Path, spooled: Spooled) -> Path | None:
    """The spooled file, when there is one and it is still there."""
    if spooled.token is None:
        return None
    path = spool_folder(data_dir) / spooled.token
    return path if path.is_file() else None


def clear(data_dir: Path) -> None:
    """At server start: no session survives a restart, nor do their uploads."""
    shutil.rmtree(spool_folder(data_dir), ignore_errors=True)


class SpoolUploads:
    """ASGI middleware: Streamlit's upload PUT, streamed to disk; its DELETE also removes
    the spooled file. Everything else goes on to the app untouched."""

    def __init__(self, app: ASGIApp, data_dir: Path, max_upload_mb: int,
                 limit: int | None = None):
        self.app = app
        self.data_dir = data_dir
        self.max_bytes = max_upload_mb * storage.MB
        self.limit = limit
        self.writing: dict[str, int] = {}  # token -> bytes still to come (reserved)
        clear(data_dir)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _UPLOAD.search(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "PUT":
            response = await self.put(Request(scope, receive), match["session"], match["file"])
            await response(scope, receive, send)
            return
        if scope["method"] == "DELETE":
            self.forget(match["session"], match["file"])
        await self.app(scope, receive, send)

    # -- the upload ----------------------------------------------------------------------

    async def put(self, request: Request, session_id: str, file_id: str) -> Response:
        from streamlit.runtime import Runtime
        from streamlit.runtime.uploaded_file_manager import UploadedFileRec

        if not xsrf_ok(request):
            return upload_response(403)
        runtime = Runtime.instance()
        if not runtime.is_active_session(session_id):
            return upload_response(400)
        content_type, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if content_type != b"multipart/form-data" or not boundary:
            return upload_response(400)
        try:
            declared = int(request.headers.get("content-length") or 0)
        except ValueError:
            return upload_response(400)
        cap = self.max_bytes + MULTIPART_OVERHEAD
        if declared > cap:
            return upload_response(413)

        self.sweep(runtime)
        token = secrets.token_hex(16)
        target = spool_folder(self.data_dir) / token
        refused = None if self.room_for(declared) else "upload.no_space"
        writer = _PartWriter(target if refused is None else None)
        self.writing[token] = declared
        try:
            parser = MultipartParser(boundary, writer.callbacks())
            received = 0
            async for chunk in request.stream():
                received += len(chunk)
                if received > cap:
                    return upload_response(413)
                parser.write(chunk)
                if writer.pending >= WRITE_CHUNK:
                    refused = await writer.flush() or refused
                self.writing[token] = max(declared - received, 0)
            parser.finalize()
            refused = await writer.flush() or refused
            writer.close()
            if writer.files != 1 or (writer.size > self.max_bytes and refused is None):
                return upload_response(400 if writer.files != 1 else 413)
            if writer.size == 0 and refused is None:  # nothing written: say so, by name
                refused = "audio.empty_file"
            spooled = Spooled(name=writer.name, size=writer.size,
                              token=None if refused else token, refused=refused)
            if refused:
                log.warning("upload refused: %s (%d MB)", refused, writer.size // storage.MB)
            runtime.uploaded_file_mgr.add_file(session_id, UploadedFileRec(
                file_id=file_id, name=writer.name, type=writer.content_type,
                data=spooled.encode()))
            target = None  # kept: the record names it
            return upload_response(204)
        except Exception as error:  # noqa: BLE001 - a dropped connection, a bad body
            log.warning("upload not received: %s", type(error).__name__)
            return upload_response(400)
        finally:
            self.writing.pop(token, None)
            writer.close()
            if target is not None:
                target.unlink(missing_ok=True)

    def room_for(self, size: int) -> bool:
        folder = spool_folder(self.data_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return storage.fits(self.data_dir, size, self.limit,
                                reserved=sum(self.writing.values()))
        except OSError:
            return False

    # -- clean-up ------------------------------------------------------------------------

    def forget(self, session_id: str, file_id: str) -> None:
        """The user removed a file from the uploader: its spooled copy goes too."""
        from streamlit.runtime import Runtime

        manager = Runtime.instance().uploaded_file_mgr
        for record in manager.get_files(session_id, [file_id]):
            spooled = Spooled.decode(record.data)
            if spooled and (path := spooled_path(self.data_dir, spooled)):
                path.unlink(missing_ok=True)

    def sweep(self, runtime: Any) -> None:
        """Remove spooled files that no upload record names any more (their session
        ended) and that are not being written."""
        folder = spool_folder(self.data_dir)
        if not folder.is_dir():
            return
        manager = runtime.uploaded_file_mgr
        named = set(self.writing)
        with manager._lock:  # Streamlit's own lock around its records
            for records in manager.file_storage.values():
                for record in records.values():
                    if (spooled := Spooled.decode(record.data)) and spooled.token:
                        named.add(spooled.token)
        for path in folder.iterdir():
            if path.name not in named:
                path.unlink(missing_ok=True)


class _PartWriter:
    """The multipart parser's callbacks: the file part's bytes go to `target` (nowhere
    when refused), in pieces written off the event loop."""

    def __init__(self, target: Path | None):
        self.target = target
        self.handle: BinaryIO | None = None
        self.buffer = bytearray()
        self.name = ""
        self.content_type = "application/octet-stream"
        self.size = 0
        self.files = 0
        self._header = b""
        self._headers: dict[bytes, bytes] = {}
        self._in_file = False

    @property
    def pending(self) -> int:
        return len(self.buffer)

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self._begin, "on_header_field": self._field,
                "on_header_value": self._value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done, "on_part_data": self._data,
                "on_part_end": self._end}

    def _begin(self) -> None:
        self._headers, self._header, self._in_file = {}, b"", False

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        key = self._header.lower()
        self._headers[key] = self._headers.get(key, b"") + data[start:end]

    def _header_end(self) -> None:
        self._header = b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"filename" in options:
            self._in_file = True
            self.files += 1
            self.name = options[b"filename"].decode("utf-8", "replace")
            kind = self._headers.get(b"content-type", b"").decode("latin-1").strip()
            self.content_type = kind or self.content_type

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file and self.files == 1:
            self.size += end - start
            if self.target is not None:
                self.buffer += data[start:end]

    def _end(self) -> None:
        self._in_file = False

    async def flush(self) -> str | None:
        """Write what is buffered; "upload.no_space" when the disk is full (the rest of
        the body is then dropped), None otherwise."""
        if not self.buffer or self.target is None:
            self.buffer.clear()
            return None
        piece = bytes(self.buffer)
        self.buffer.clear()
        try:
            await anyio.to_thread.run_sync(self._write, piece)
        except OSError as error:
            log.warning("upload not saved: %s (errno %s)", type(error).__name__, error.errno)
            self.close()
            self.target.unlink(missing_ok=True)
            self.target = None
            return "upload.no_space" if storage.disk_full(error) else "upload.save_failed"
        return None

    def _write(self, piece: bytes) -> None:
        if self.handle is None:
            assert self.target is not None
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.handle = open(self.target, "xb")  # closed by close()
        self.handle.write(piece)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def xsrf_ok(request: Request) -> bool:
    """Streamlit's own check for its upload PUT, kept."""
    from streamlit.web.server.server_util import is_xsrf_enabled
    from streamlit.web.server.starlette.starlette_app_utils import validate_xsrf_token
    from streamlit.web.server.starlette.starlette_server_config import XSRF_COOKIE_NAME

    if not is_xsrf_enabled():
        return True
    return validate_xsrf_token(request.headers.get("X-Xsrftoken"),
                               request.cookies.get(XSRF_COOKIE_NAME))


def upload_response(status: int) -> Response:
    response = Response(status_code=status)
    response.headers["Access-Control-Allow-Methods"] = "PUT, OPTIONS, DELETE"
    response.headers["Access-Control-Allow-Headers"] = "X-Xsrftoken, Content-Type"
    return response
