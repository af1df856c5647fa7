"""The password gate, at the HTTP layer, in front of every route of the Streamlit server.

When TRANSCRIBE_PASSWORD is set, a request gets through only with a valid session cookie:
the page, Streamlit's websocket, uploads, /media, components, metrics and static files.
Without one, pages are redirected to the login page, websockets are closed before they are
accepted and everything else gets 401, before any body is read. Only the kubelet's health
probe and the login page itself stay open. Streamlit's own session id grants nothing: a
client joins a session through the websocket, which needs the cookie.

The cookie is the server's: HttpOnly, SameSite=Strict, Secure behind https, signed with a
key drawn at start-up, with an expiry. Sessions live in a table in this process: logout
removes the session (the cookie is worthless from then on, open websockets included), and
a restart logs everyone out. Failed logins are slowed, logged (address only, never what was
typed) and limited per client address and overall.

The same middleware serves the deadline: once `deadline.Deadline` has passed, everything but
the health probe answers the "service deleted" page.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocketDisconnect

from . import strings
from .deadline import Deadline
from .settings import Settings

log = logging.getLogger("transcribe.web.gate")

COOKIE = "transcribe_session"
SESSION_LIFETIME = 12 * 3600  # seconds: a working day, then log in again
MAX_SESSIONS = 1000  # the table never grows past this (oldest dropped first)
MAX_CLIENTS = 10_000  # addresses with recent failures kept before stale ones are dropped
FAILURE_DELAY = 1.0  # seconds every wrong password waits: slows guessing
MAX_FORM_BYTES = 4096  # a login form is a password and a language
LOGIN, LOGOUT = "/login", "/logout"
# Paths (under the base path) that are not pages: refused with 401, never redirected.
NOT_PAGES = ("/_stcore/", "/media/", "/component/", "/static/", "/app/static/")
OPEN = ("/_stcore/health",)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# -- sessions --------------------------------------------------------------------------------

class Sessions:
    """Server-side session table; the cookie names a session and proves it came from us."""

    def __init__(self, lifetime: float = SESSION_LIFETIME, key: bytes | None = None):
        self.lifetime = lifetime
        self._key = key or secrets.token_bytes(32)
        self._expiry: dict[str, float] = {}  # session id -> expiry (epoch seconds)

    def _sign(self, session_id: str, expires: int) -> str:
        return hmac.new(self._key, f"{session_id}.{expires}".encode(), hashlib.sha256).hexdigest()

    def open(self, now: float | None = None) -> str:
        """A new session; returns the cookie value."""
        now = time.time() if now is None else now
        for session_id in [s for s, expiry in self._expiry.items() if expiry <= now]:
            del self._expiry[session_id]
        while len(self._expiry) >= MAX_SESSIONS:
            del self._expiry[min(self._expiry, key=self._expiry.__getitem__)]
        session_id = secrets.token_urlsafe(32)
        expires = int(now + self.lifetime)
        self._expiry[session_id] = expires
        return f"{session_id}.{expires}.{self._sign(session_id, expires)}"

    def session(self, cookie: str | None, now: float | None = None) -> str | None:
        """The session id of a valid cookie (signed by us, not expired, not logged out)."""
        if not cookie or cookie.count(".") != 2:
            return None
        session_id, expires, signature = cookie.split(".")
        if not expires.isdigit() or not hmac.compare_digest(
                signature, self._sign(session_id, int(expires))):
            return None
        now = time.time() if now is None else now
        if self._expiry.get(session_id) != int(expires) or int(expires) <= now:
            return None
        return session_id

    def revoke(self, cookie: str | None) -> bool:
        session_id = self.session(cookie)
        return session_id is not None and self._expiry.pop(session_id, None) is not None

    def valid_id(self, session_id: str, now: float | None = None) -> bool:
        expiry = self._expiry.get(session_id)
        return expiry is not None and expiry > (time.time() if now is None else now)


def check_password(given: str, expected: str) -> bool:
    """Constant-time comparison (of digests, so that the length leaks nothing either)."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(),
                               hashlib.sha256(expected.encode()).digest())


@dataclass
class RateLimit:
    """Failed logins in a sliding window, per client address and overall. Past either
    limit, every attempt is refused (a right password too) until the window moves on."""

    per_client: int = 5
    overall: int = 30
    window: float = 300.0
    _clients: dict[str, deque[float]] = field(default_factory=dict)
    _all: deque[float] = field(default_factory=deque)

    def _trim(self, times: deque[float], now: float) -> deque[float]:
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def wait(self, client: str, now: float | None = None) -> float:
        """Seconds before `client` may try again; 0 when it may now."""
        now = time.monotonic() if now is None else now
        mine = self._trim(self._clients.get(client, deque()), now)
        if not mine:
            self._clients.pop(client, None)
        overall = self._trim(self._all, now)
        waits = [times[0] + self.window - now for times, limit in
                 ((mine, self.per_client), (overall, self.overall)) if len(times) >= limit]
        return max(waits, default=0.0)

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if len(self._clients) > MAX_CLIENTS:  # many addresses (made up): forget the stale
            for stale in [c for c, times in self._clients.items()
                          if not self._trim(times, now)]:
                del self._clients[stale]
        self._clients.setdefault(client, deque()).append(now)
        self._all.append(now)


# -- pages -----------------------------------------------------------------------------------

def _template(name: str) -> Template:
    return Template(resources.files("transcribe.web").joinpath("static", name)
                    .read_text(encoding="utf-8"))


def login_page(language: str, base: str, error: str | None = None) -> str:
    """The login form in `language`, with a link to the other language."""
    other = "en" if language == "fr" else "fr"

    def text(key: str) -> str:
        return html.escape(strings.text(key, language))

    return _template("login.html").substitute(
        lang=language, title=text("login.title"), app=text("app.title"),
        intro=text("login.intro"), password=text("login.password"),
        submit=text("login.submit"), action=html.escape(base + LOGIN),
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        other=other, other_name=html.escape(strings.LANGUAGE_NAMES[other]),
        other_href=html.escape(f"{base}{LOGIN}?lang={other}"))


def deleted_page() -> str:
    return _template("deleted.html").substitute()


# -- the middleware and the routes -----------------------------------------------------------

class Gate:
    """Everything the middleware and the login routes share, one per server process."""

    def __init__(self, settings: Settings, deadline: Deadline | None = None,
                 sessions: Sessions | None = None, limit: RateLimit | None = None):
        self.password = settings.password
        self.base = "/" + settings.base_path if settings.base_path else ""
        self.language = settings.ui_language
        self.deadline = deadline or Deadline(settings.delete_at, settings.data_dir)
        self.sessions = sessions or Sessions()
        self.limit = limit or RateLimit()

    # -- routes ----------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [Route(self.base + LOGIN, self.login, methods=["GET", "POST"]),
                Route(self.base + LOGOUT, self.logout, methods=["GET", "POST"])]

    def _language(self, request: Request, form: dict[str, list[str]] | None = None) -> str:
        chosen = ((form or {}).get("lang") or [request.query_params.get("lang", "")])[0]
        return chosen if chosen in strings.LANGUAGES else self.language

    async def login(self, request: Request) -> Response:
        if not self.password or self.sessions.session(request.cookies.get(COOKIE)):
            return RedirectResponse(self.base + "/", status_code=303)
        if request.method == "GET":
            return _page(login_page(self._language(request), self.base))
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            return PlainTextResponse("Bad request", status_code=400)
        body = await request.body()
        form = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        language = self._language(request, form)
        client = client_address(request.scope)
        wait = self.limit.wait(client)
        if wait > 0:
            log.warning("login refused: too many failed attempts (from %s)", client)
            minutes = max(1, round(wait / 60))
            return _page(login_page(language, self.base, strings.text(
                "login.too_many", language, minutes=minutes)), 429,
                headers={"Retry-After": str(int(wait) + 1)})
        if not check_password((form.get("password") or [""])[0], self.password):
            self.limit.failed(client)
            log.warning("login failed (from %s)", client)
            await asyncio.sleep(FAILURE_DELAY)
            return _page(login_page(language, self.base, strings.text("login.wrong", language)),
                         401)
        response = RedirectResponse(self.base + "/", status_code=303)
        response.set_cookie(COOKIE, self.sessions.open(), max_age=self.sessions.lifetime,
                            path=self.base or "/", secure=is_https(request.scope),
                            httponly=True, samesite="strict")
        log.info("login (from %s)", client)
        return response

    async def logout(self, request: Request) -> Response:
        self.sessions.revoke(request.cookies.get(COOKIE))
        response = RedirectResponse(
            f"{self.base}{LOGIN}?lang={self._language(request)}", status_code=303)
        response.delete_cookie(COOKIE, path=self.base or "/", secure=is_https(request.scope),
                               httponly=True, samesite="strict")
        return response

    # -- the middleware --------------------------------------------------------------------

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """The ASGI middleware (Starlette's `Middleware(gate.middleware)` form)."""

        async def gated(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] not in ("http", "websocket"):
                return await app(scope, receive, send)
            path = scope["path"]
            relative = path[len(self.base):] if path.startswith(self.base) else path
            if relative in OPEN:
                return await app(scope, receive, send)
            if self.deadline.passed():
                return await self._deleted(scope, send)
            if not self.password or relative in (LOGIN, LOGOUT):
                return await app(scope, receive, send)
            session_id = self.sessions.session(_cookie(scope))
            if session_id is None:
                return await self._refuse(scope, relative, send)
            if scope["type"] == "websocket":
                receive, send = self._guard_websocket(session_id, receive, send)
            return await app(scope, receive, send)

        return gated

    def _still_valid(self, session_id: str) -> bool:
        return self.sessions.valid_id(session_id) and not self.deadline.passed()

    def _guard_websocket(self, session_id: str, receive: Receive, send: Send
                         ) -> tuple[Receive, Send]:
        """An open websocket ends once its session does (logout, expiry, deadline)."""
        closed = False

        async def guarded_receive() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and not self._still_valid(session_id):
                await close()
                return {"type": "websocket.disconnect", "code": 1008}
            return message

        async def guarded_send(message: Message) -> None:
            if message["type"] == "websocket.send" and not self._still_valid(session_id):
                await close()
                raise WebSocketDisconnect(1008)  # Streamlit drops this client
            await send(message)

        async def close() -> None:
            nonlocal closed
            if not closed:
                closed = True
                await send({"type": "websocket.close", "code": 1008})

        return guarded_receive, guarded_send

    async def _refuse(self, scope: Scope, relative: str, send: Send) -> None:
        """No valid cookie: nothing is read from the request, not even its body."""
        if scope["type"] == "websocket":  # closed before accept: the handshake gets 403
            await send({"type": "websocket.close", "code": 1008})
            return
        method = scope.get("method", "GET")
        page = method in ("GET", "HEAD") and not relative.startswith(NOT_PAGES)
        if page and _header(scope, b"sec-fetch-site") == "cross-site":
            # A link from another site (Onyxia) does not carry a SameSite=Strict cookie:
            # load the page again from here, which does, before asking for the password.
            response: Response = _page('<!doctype html><meta http-equiv="refresh" '
                                       'content="0">', 200)
        elif page:
            response = RedirectResponse(f"{self.base}{LOGIN}", status_code=303)
        else:
            response = PlainTextResponse("Login required", status_code=401)
        response.headers["Connection"] = "close"  # an unread body is not waited for
        await response(scope, _no_body, send)

    async def _deleted(self, scope: Scope, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = _page(deleted_page(), 410)
        response.headers["Connection"] = "close"
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def _page(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    response = HTMLResponse(body, status_code=status, headers=headers)
    # Nothing from elsewhere, no framing, never cached (the page may carry an error).
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
        "frame-ancestors 'none'")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def _cookie(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed Cookie header is no cookie
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


def is_https(scope: Scope) -> bool:
    """Behind the ingress the app speaks plain HTTP; the proxy says what the browser used."""
    forwarded = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
    return forwarded == "https" or scope.get("scheme") in ("https", "wss")


def client_address(scope: Scope) -> str:
    """The last X-Forwarded-For hop (what the ingress saw), else the socket's peer."""
    forwarded = [part.strip() for part in _header(scope, b"x-forwarded-for").split(",")]
    if forwarded[-1]:
        return forwarded[-1]
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
