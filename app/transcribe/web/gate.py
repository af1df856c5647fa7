"""The password gate, at the HTTP layer, in front of every route of the Streamlit server.

When TRANSCRIBE_PASSWORD is set, a request gets through only with a valid session cookie:
the page, Streamlit's websocket, uploads, /media, components, metrics and static files.
Without one, pages are redirected to the login page, websockets are closed before they are
accepted and everything else gets 401, before any body is read. Only the kubelet's health
probe and the login page itself stay open. Streamlit's own session id grants nothing: a
client joins a session through the websocket, which needs the cookie.

The cookie is the server's: HttpOnly, SameSite=Strict, Secure behind https, signed, with an
expiry; it names a session in the table of `sessions.py`: logout (a POST) removes the session
and closes its websockets at once. Failed logins are slowed, logged (address only, never
what was typed) and limited per client address; passwords are checked one at a time.

Same origin only: a request or websocket whose Origin is not the page's own is refused
before anything else (other services of the same site, such as an Onyxia instance's, send
our SameSite cookie too), and no page may be framed.

The same middleware serves the deadline: once `deadline.Deadline` has passed, everything but
the health probe answers the "service deleted" page.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
from importlib import resources
from string import Template
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from ..languages import UI_LANGUAGE_NAMES, UI_LANGUAGES, ui_language
from . import accessibility, language_choice, strings
from .client import client_address, cookie_values, header, is_https, limit_key, same_origin
from .deadline import Deadline
from .sessions import RateLimit, Sessions, check_password
from .settings import Settings

log = logging.getLogger("transcribe.web.gate")

COOKIE = "transcribe_session"
FAILURE_DELAY = 1.0  # seconds a wrong password holds the turn: one guess a second, overall
MAX_FORM_BYTES = 4096  # a login form is a password and a language
LOGIN, LOGOUT = "/login", "/logout"
# Paths (under the base path) that are not pages: refused with 401, never redirected.
NOT_PAGES = ("/_stcore/", "/media/", "/component/", "/static/", "/app/static/",
             "/_transcribe/")
OPEN = ("/_stcore/health",)
# Every response says so: no page of the app inside another site's frame (clickjacking).
NO_FRAMING = ((b"x-frame-options", b"DENY"),
              (b"content-security-policy", b"frame-ancestors 'none'"))


# -- pages -----------------------------------------------------------------------------------

@functools.cache  # read once: the login page is drawn at every attempt
def _static(name: str) -> str:
    return resources.files("transcribe.web").joinpath("static", name).read_text(
        encoding="utf-8")


def _html_page(name: str, language: str, head_title: str, **values: str) -> str:
    """`static/<name>.html` (the page's content) and `<name>.css` (its own style) in the
    pages' one shell (`page.html`: the head, the favicon drawn locally, the common style)."""
    return Template(_static("page.html")).substitute(
        lang=language, title=head_title,
        style=Template(_static(f"{name}.css")).substitute(values),
        main=Template(_static(f"{name}.html")).substitute(lang=language, **values))


def login_page(language: str, base: str, error: str | None = None,
               deployed: bool = False) -> str:
    """The login form in `language`, with a link to the other language; `deployed` (by
    the chart, Settings.deployed): the password is the one Onyxia showed."""
    other = "en" if language == "fr" else "fr"

    def text(key: str) -> str:
        return html.escape(strings.text(key, language))

    return _html_page(
        "login", language, f"{text('login.title')} · {text('app.title')}",
        heading=text("login.title"), intro=text("login.intro" if deployed
                                                else "login.intro_local"),
        password=text("login.password"), submit=text("login.submit"),
        action=html.escape(base + LOGIN),
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        other=other, other_name=html.escape(UI_LANGUAGE_NAMES[other]),
        other_href=html.escape(f"{base}{LOGIN}?lang={other}"),
        primary=accessibility.FOCUS_COLOUR)


def deleted_page() -> str:
    return _html_page("deleted", "fr", "Service supprimé · Service deleted")


# -- the middleware and the routes -----------------------------------------------------------

class Gate:
    """Everything the middleware and the login routes share, one per server process."""

    def __init__(self, settings: Settings, deadline: Deadline | None = None,
                 sessions: Sessions | None = None, limit: RateLimit | None = None):
        self.password = settings.password
        self.base = settings.url_prefix
        self.language = settings.ui_language
        self.deployed = settings.deployed
        self.behind_proxy = settings.behind_proxy
        self.deadline = deadline or Deadline(settings.delete_at, settings.data_dir)
        self.sessions = sessions or Sessions()
        self.limit = limit or RateLimit()
        # One password checked at a time, first come first served: a wrong one holds the
        # turn for FAILURE_DELAY, so guesses from any number of addresses add up to one a
        # second, and the owner waits behind the attempts already there, never refused.
        self._turn = asyncio.Lock()
        # Session id -> an event per open websocket of that session (set: close it now).
        self._sockets: dict[str, set[asyncio.Event]] = {}

    # -- routes ----------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [Route(self.base + LOGIN, self.login, methods=["GET", "POST"]),
                Route(self.base + LOGOUT, self.logout, methods=["GET", "POST"])]

    def _language(self, request: Request, form: dict[str, list[str]] | None = None) -> str:
        """The language asked for, else the one this browser chose in the app, else the
        service's."""
        chosen = ((form or {}).get("lang") or [request.query_params.get("lang", "")])[0]
        remembered = [value for value in cookie_values(header(request.scope, b"cookie"),
                                                       language_choice.COOKIE)
                      if value in UI_LANGUAGES]
        return ui_language(chosen, remembered[0] if remembered else self.language)

    def _session(self, scope: Scope) -> tuple[str, str] | None:
        """(cookie, session id) of the request's valid session cookie, if any: the first of
        our name that we signed and that is still open, whatever else the header holds."""
        for value in cookie_values(header(scope, b"cookie"), COOKIE):
            if session_id := self.sessions.session(value):
                return value, session_id
        return None

    async def login(self, request: Request) -> Response:
        if not self.password or self._session(request.scope):
            return RedirectResponse(self.base + "/", status_code=303)
        if request.method == "GET":
            return _page(login_page(self._language(request), self.base,
                                    deployed=self.deployed))
        length = request.headers.get("content-length", "")
        if not length.isdigit() or int(length) > MAX_FORM_BYTES:
            return PlainTextResponse("Bad request", status_code=400)
        body = await request.body()
        form = parse_qs(body[:MAX_FORM_BYTES].decode("utf-8", "replace"))
        language = self._language(request, form)
        client = client_address(request.scope, self.behind_proxy)
        key = limit_key(client)
        wait = self.limit.wait(key)
        if wait > 0:
            log.warning("login refused: too many failed attempts (from %s)", client)
            minutes = max(1, round(wait / 60))
            return _page(login_page(language, self.base, strings.text(
                "login.too_many", language, minutes=minutes), self.deployed), 429,
                headers={"Retry-After": str(int(wait) + 1)})
        right: bool | None = None  # None: never checked (the client went away meanwhile)
        self.limit.begin(key)
        try:
            async with self._turn:
                right = check_password((form.get("password") or [""])[0], self.password)
                if not right:
                    log.warning("login failed (from %s)", client)
                    await asyncio.sleep(FAILURE_DELAY)
        finally:
            self.limit.end(key, failed=right is False)
        if not right:
            return _page(login_page(language, self.base, strings.text("login.wrong", language),
                                    self.deployed), 401)
        response = RedirectResponse(self.base + "/", status_code=303)
        response.set_cookie(COOKIE, self.sessions.open(), max_age=self.sessions.lifetime,
                            path=self.base or "/", secure=is_https(request.scope),
                            httponly=True, samesite="strict")
        log.info("login (from %s)", client)
        return response

    async def logout(self, request: Request) -> Response:
        """A POST ends the session on the server and closes its open websockets now (the
        middleware has checked that it came from our own page). A GET changes nothing: a
        link or an image from elsewhere must not log anyone out."""
        if request.method != "POST":
            return RedirectResponse(self.base + "/", status_code=303)
        if found := self._session(request.scope):
            self.sessions.revoke(found[0])
            self.disconnect(found[1])
        response = RedirectResponse(  # the body is never read: nothing in it is needed
            f"{self.base}{LOGIN}?lang={self._language(request)}", status_code=303)
        response.delete_cookie(COOKIE, path=self.base or "/", secure=is_https(request.scope),
                               httponly=True, samesite="strict")
        return response

    def disconnect(self, session_id: str | None = None) -> None:
        """Close the open websockets of `session_id` (of every session: None) at once."""
        for sid, events in list(self._sockets.items()):
            if session_id is None or sid == session_id:
                for event in events:
                    event.set()

    # -- the middleware --------------------------------------------------------------------

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """The ASGI middleware (Starlette's `Middleware(gate.middleware)` form)."""

        async def gated(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] not in ("http", "websocket"):
                return await app(scope, receive, send)
            if scope["type"] == "http":
                send = _not_framed(send)
            if not same_origin(scope, self.behind_proxy):
                return await self._cross_origin(scope, send)
            path = scope["path"]
            relative = self._under_base(path)
            if relative in OPEN:
                return await app(scope, receive, send)
            if self.deadline.passed():
                return await self._deleted(scope, send)
            if not self.password or relative in (LOGIN, LOGOUT):
                return await app(scope, receive, send)
            found = self._session(scope)
            if found is None:
                return await self._refuse(scope, path if relative is None else relative,
                                          send)
            if scope["type"] != "websocket":
                return await app(scope, receive, send)
            ended = asyncio.Event()
            self._sockets.setdefault(found[1], set()).add(ended)
            try:
                receive, send = self._guard_websocket(found[1], ended, receive, send)
                return await app(scope, receive, send)
            finally:
                events = self._sockets.get(found[1], set())
                events.discard(ended)
                if not events:
                    self._sockets.pop(found[1], None)

        return gated

    def _under_base(self, path: str) -> str | None:
        """`path` relative to the base path; None outside it, where nothing is open (the
        health check and the login form exist only under the base)."""
        if path == self.base or path.startswith(self.base + "/"):
            return path[len(self.base):]
        return None

    def _still_valid(self, session_id: str) -> bool:
        return self.sessions.valid_id(session_id) and not self.deadline.passed()

    def _guard_websocket(self, session_id: str, ended: asyncio.Event, receive: Receive,
                         send: Send) -> tuple[Receive, Send]:
        """An open websocket ends once its session does: at once on logout and at the
        deadline (`ended` is set), at its next message after an expiry."""
        closed = False
        pending: asyncio.Future[Message] | None = None  # a receive outlives a wait cut short

        async def guarded_receive() -> Message:
            nonlocal pending
            if pending is None:
                pending = asyncio.ensure_future(receive())
            stop = asyncio.ensure_future(ended.wait())
            try:
                await asyncio.wait({pending, stop}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop.cancel()
            if not pending.done():  # logged out, or the deadline: close it now
                await close()
                return {"type": "websocket.disconnect", "code": 1008}
            message, pending = pending.result(), None
            if message["type"] == "websocket.receive" and not self._still_valid(session_id):
                await close()
                return {"type": "websocket.disconnect", "code": 1008}
            return message

        async def guarded_send(message: Message) -> None:
            if message["type"] == "websocket.send" and (
                    closed or not self._still_valid(session_id)):
                await close()
                raise WebSocketDisconnect(1008)  # Streamlit drops this client
            await send(message)

        async def close() -> None:
            nonlocal closed
            if not closed:
                closed = True
                await send({"type": "websocket.close", "code": 1008})

        return guarded_receive, guarded_send

    async def _cross_origin(self, scope: Scope, send: Send) -> None:
        """Another site's page: refused before anything is read or looked up."""
        if scope["type"] == "websocket":  # closed before accept: the handshake gets 403
            await send({"type": "websocket.close", "code": 1008})
            return
        response = PlainTextResponse("Cross-origin request refused", status_code=403)
        response.headers["Connection"] = "close"
        await response(scope, _no_body, send)

    async def _refuse(self, scope: Scope, relative: str, send: Send) -> None:
        """No valid cookie: nothing is read from the request, not even its body."""
        if scope["type"] == "websocket":  # closed before accept: the handshake gets 403
            await send({"type": "websocket.close", "code": 1008})
            return
        method = scope.get("method", "GET")
        page = method in ("GET", "HEAD") and not relative.startswith(NOT_PAGES)
        if page and header(scope, b"sec-fetch-site") == "cross-site":
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


def _not_framed(send: Send) -> Send:
    """`send` with the no-framing headers added to every response that lacks them."""
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {key.lower() for key, _ in message.get("headers", [])}
            extra = [(key, value) for key, value in NO_FRAMING if key not in present]
            if extra:
                message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending
