"""The password gate, at the HTTP layer, in front of every route of the Streamlit server.

When TRANSCRIBE_PASSWORD is set, a request gets through only with a valid session cookie:
the page, Streamlit's websocket, uploads, /media, components, metrics and static files.
Without one, pages are redirected to the login page, websockets are closed before they are
accepted and everything else gets 401, before any body is read. Only the kubelet's health
probe and the login page itself stay open. Streamlit's own session id grants nothing: a
client joins a session through the websocket, which needs the cookie.

The cookie is the server's: HttpOnly, SameSite=Strict, Secure behind https, signed, with an
expiry; it names a session in the table of `sessions.py`: logout removes the session (the
cookie is worthless from then on, open websockets included). Failed logins are slowed,
logged (address only, never what was typed) and limited per client address and overall.

The same middleware serves the deadline: once `deadline.Deadline` has passed, everything but
the health probe answers the "service deleted" page.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
from http.cookies import SimpleCookie
from importlib import resources
from string import Template
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from ..languages import UI_LANGUAGE_NAMES, UI_LANGUAGES
from . import accessibility, language_choice, strings
from .deadline import Deadline
from .sessions import RateLimit, Sessions, check_password
from .settings import Settings

log = logging.getLogger("transcribe.web.gate")

COOKIE = "transcribe_session"
FAILURE_DELAY = 1.0  # seconds every wrong password waits: slows guessing
MAX_FORM_BYTES = 4096  # a login form is a password and a language
LOGIN, LOGOUT = "/login", "/logout"
# Paths (under the base path) that are not pages: refused with 401, never redirected.
NOT_PAGES = ("/_stcore/", "/media/", "/component/", "/static/", "/app/static/",
             "/_transcribe/")
OPEN = ("/_stcore/health",)



# -- pages -----------------------------------------------------------------------------------

@functools.cache  # read once: the login page is drawn at every attempt
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
        other=other, other_name=html.escape(UI_LANGUAGE_NAMES[other]),
        other_href=html.escape(f"{base}{LOGIN}?lang={other}"),
        primary=accessibility.FOCUS_COLOUR)


def deleted_page() -> str:
    return _template("deleted.html").substitute()


# -- the middleware and the routes -----------------------------------------------------------

class Gate:
    """Everything the middleware and the login routes share, one per server process."""

    def __init__(self, settings: Settings, deadline: Deadline | None = None,
                 sessions: Sessions | None = None, limit: RateLimit | None = None):
        self.password = settings.password
        self.base = settings.url_prefix
        self.language = settings.ui_language
        self.deadline = deadline or Deadline(settings.delete_at, settings.data_dir)
        self.sessions = sessions or Sessions()
        self.limit = limit or RateLimit()

    # -- routes ----------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [Route(self.base + LOGIN, self.login, methods=["GET", "POST"]),
                Route(self.base + LOGOUT, self.logout, methods=["GET", "POST"])]

    def _language(self, request: Request, form: dict[str, list[str]] | None = None) -> str:
        """The language asked for, else the one this browser chose in the app, else the
        service's."""
        chosen = ((form or {}).get("lang") or [request.query_params.get("lang", "")])[0]
        if chosen in UI_LANGUAGES:
            return chosen
        return language_choice.from_cookie(request.cookies, self.language)

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
