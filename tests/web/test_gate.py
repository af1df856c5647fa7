"""The password gate against a live `transcribe-web` (real uvicorn, real HTTP, real
websocket): what a client that never logged in gets, what a session id alone gets, logout,
the cookie's attributes and its parser, same origin only (websocket, forms, framing, and no
connection out of the server), login limits that slow guessing and never lock the owner
out; then the login in a real Chromium. Then the gate alone in front of a stand-in for
Streamlit (real uvicorn in this process): every rule it enforces, each shown by a request
that would get through without it."""

from __future__ import annotations

import contextlib
import html
import http.client
import http.server
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from web_support import BEHIND, gate_server, live_server, seed_done
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from transcribe.jobs import JobStore
from transcribe.web import strings
from transcribe.web.deadline import Deadline
from transcribe.web.gate import COOKIE, FAILURE_DELAY
from transcribe.web.sessions import RateLimit

PASSWORD = "Gate-test-pass-42"
CHROMIUM = "/usr/bin/chromium"


def request(url: str, path: str, method: str = "GET", cookie: str | None = None,
            body: bytes | None = None, headers: dict[str, str] | None = None,
            source: str | None = None) -> tuple[int, dict[str, str], str]:
    """One request, redirects not followed: (status, headers (lower-case), body). `source`:
    the address it comes from (any of 127.0.0.0/8 reaches a server on 127.0.0.1)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60,
                                            source_address=(source, 0) if source else None)
    sent = dict(headers or {})
    if cookie:
        sent["Cookie"] = f"{COOKIE}={cookie}"
    if body is not None:
        sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
    connection.request(method, path, body=body, headers=sent)
    response = connection.getresponse()
    text = response.read().decode(errors="replace")
    found = {k.lower(): v for k, v in response.getheaders()}
    connection.close()
    return response.status, found, text


def login(url: str, password: str = PASSWORD, source: str | None = None,
          **headers: str) -> tuple[int, str | None, str]:
    """POST the login form; (status, the cookie set if any, the Set-Cookie header)."""
    status, found, _ = request(url, "/login", "POST", headers=headers, source=source,
                               body=urlencode({"password": password, "lang": "en"}).encode())
    raw = found.get("set-cookie", "")
    jar: SimpleCookie = SimpleCookie()
    jar.load(raw)
    return status, (jar[COOKIE].value if COOKIE in jar else None), raw


def websocket(url: str, cookie: str | None = None, session_id: str = "",
              origin: str | None = None, cookie_header: str | None = None):
    """Streamlit's websocket as its frontend opens it (subprotocol: name, XSRF token,
    the session to rejoin), from a page of `origin` when given."""
    protocols = ["streamlit", "xsrf-made-up"] + ([session_id] if session_id else [])
    headers = {"Cookie": cookie_header or f"{COOKIE}={cookie}"} if cookie or cookie_header \
        else {}
    return connect(url.replace("http", "ws") + "/_stcore/stream", origin=origin,
                   additional_headers=headers, subprotocols=protocols, open_timeout=20)


def session_id_of(socket_) -> str:
    """Start a script run and read the session id Streamlit hands its frontend."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    socket_.send(BackMsg(rerun_script=ClientState()).SerializeToString())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        message = ForwardMsg()
        message.ParseFromString(socket_.recv(timeout=60))
        if message.WhichOneof("type") == "new_session":
            return message.new_session.initialize.session_id
    raise AssertionError("no session id from Streamlit")


def refused_websocket(url: str, cookie: str | None = None, session_id: str = "",
                      origin: str | None = None) -> int:
    with pytest.raises(InvalidStatus) as refused:
        websocket(url, cookie, session_id, origin).close()
    return refused.value.response.status_code


def idle(socket_, quiet: float = 1.5, limit: float = 60) -> None:
    """Read what the server sends (a script run's messages) until it says nothing for
    `quiet` seconds: the tab is idle, as one left open is."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket_.recv(timeout=quiet)
        except TimeoutError:
            return
    raise AssertionError("the server never went quiet")


def closed_within(socket_, seconds: float) -> bool:
    """True when the server closes this websocket within `seconds`, nothing sent to it
    (what the server sends meanwhile, a script run's messages, is read and dropped)."""
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            socket_.recv(timeout=left)
    except ConnectionClosed:
        return True
    except TimeoutError:
        pass
    return False


def made_up_xsrf_token() -> str:
    """Streamlit's XSRF check only compares its cookie with its header: anyone can make a
    matching pair, as the issue's attacker did."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    return generate_xsrf_token_string()


def upload_answer(url: str, cookie: str | None, session_id: str, xsrf: str,
                  wait: float) -> bytes:
    """Announce a 1 GB upload with a valid XSRF pair, send none of it, and return what the
    server says within `wait` seconds (b"" when it waits for the body)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as sock:
        lines = [f"PUT /_stcore/upload_file/{session_id}/f1 HTTP/1.1",
                 f"Host: {parts.netloc}", "Content-Type: multipart/form-data; boundary=x",
                 f"Content-Length: {1 << 30}", f"X-Xsrftoken: {xsrf}",
                 f"Cookie: _streamlit_xsrf={xsrf}" + (f"; {COOKIE}={cookie}" if cookie else "")]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            return sock.recv(4096)
        except TimeoutError:
            return b""


@contextlib.contextmanager
def other_site(body: str, host: str = "localhost") -> Iterator[str]:
    """A page on another site (localhost is not the same site as 127.0.0.1), or with
    host="127.0.0.1" on the same site but another origin (another port)."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page) as site:
        threading.Thread(target=site.serve_forever, daemon=True).start()
        yield f"http://{host}:{site.server_address[1]}/"
        site.shutdown()


# Loaded by the server's Python at start (first on its path): every connection it tries
# and every name it looks up goes to a file, before anything is sent.
AUDIT_CONNECTIONS = """
import os, sys

def _audit(event, args, _log=os.environ["TEST_CONNECTIONS_LOG"]):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg"):
        with open(_log, "a", encoding="utf-8") as out:
            out.write(f"{event} {args[1] if event == 'socket.connect' else args[0]!r}\\n")

sys.addaudithook(_audit)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The module's server, its connections out audited (see connections_out)."""
    folder = tmp_path_factory.mktemp("gate")
    (folder / "audit").mkdir()
    (folder / "audit" / "sitecustomize.py").write_text(AUDIT_CONNECTIONS)
    audit = folder / "connections.log"
    with live_server(folder, TRANSCRIBE_PASSWORD=PASSWORD, TEST_CONNECTIONS_LOG=str(audit),
                     PYTHONPATH=os.pathsep.join(
                         [str(folder / "audit"), os.environ.get("PYTHONPATH", "")])) as running:
        running[2].with_name("connections.log").touch()
        yield running


def connections_out(server) -> list[str]:
    """What the module's server has tried to reach so far (connections, name look-ups)."""
    log = server[2].with_name("connections.log")
    return log.read_text().splitlines()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """A server behind a proxy the chart declares (TRANSCRIBE_BEHIND_PROXY): it believes
    X-Forwarded-For and X-Forwarded-Host."""
    with live_server(tmp_path_factory.mktemp("proxied"), TRANSCRIBE_PASSWORD=PASSWORD,
                     TRANSCRIBE_BEHIND_PROXY="true") as running:
        yield running


@pytest.mark.live
def test_a_client_that_never_logged_in_gets_nothing_but_health(server):
    url, _, _ = server
    assert request(url, "/_stcore/health")[0] == 200  # the kubelet's probe
    for page in ("/", "/review", "/privacy"):
        status, headers, _ = request(url, page)
        assert (status, headers["location"]) == (303, "/login"), page
    for path in ("/_stcore/metrics", "/media/0123abcd.mp3", "/_stcore/host-config",
                 "/component/x/index.html", "/_stcore/bidi-components/x/y.js",
                 "/static/js/index.js", "/_stcore/agent/openapi.json",
                 "/_transcribe/document/20260101-000000-0123abcd"):
        assert request(url, path)[0] == 401, path
    assert request(url, "/_stcore/upload_file/s/f", "DELETE")[0] == 401
    assert refused_websocket(url) == 403
    # A forged or stale cookie is no cookie.
    assert request(url, "/_stcore/metrics", cookie="abc.1999999999.00")[0] == 401
    assert refused_websocket(url, "abc.1999999999.00") == 403
    # Arriving from another site, the browser has not sent its SameSite=Strict cookie:
    # the page loads itself once more from here (then the cookie comes, or the redirect).
    status, _, page = request(url, "/", headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 200 and 'http-equiv="refresh"' in page
    status, _, page = request(url, "/login")  # the login page itself is open
    assert status == 200 and 'type="password"' in page and "Connexion" in page
    # In the language this browser chose in the app (its cookie), declared to screen readers.
    _, _, page = request(url, "/login",
                         headers={"Cookie": "prefs={x}; transcribe_ui_language=en"})
    assert '<html lang="en">' in page and "Log in" in page


@pytest.mark.live
def test_the_worker_routes_are_on_their_own_port_and_the_cookie_opens_none(server):
    """Workers talk to their own listener (workers/api.py), never to the user's port; the
    user's session cookie (or password) opens nothing there."""
    url, _, log = server
    _, cookie, _ = login(url)
    port = int(re.search(r"worker listener on port (\d+)", log.read_text()).group(1))
    assert port != urlsplit(url).port
    worker = f"http://127.0.0.1:{port}"
    job = "/worker/v1/jobs/20260101-000000-0123abcd"
    for headers in ({"Cookie": f"{COOKIE}={cookie}"}, {"Authorization": f"Bearer {cookie}"},
                    {"Authorization": f"Bearer {PASSWORD}"}, {}):
        for method, path in (("POST", "/worker/v1/claim"), ("GET", f"{job}/media"),
                             ("POST", f"{job}/result")):
            assert request(worker, path, method, headers=headers)[0] == 401, (path, headers)
    # On the user's port, with the cookie, a worker route is no route: never JSON or audio.
    for method, path in (("POST", "/worker/v1/claim"), ("GET", f"{job}/media")):
        status, headers, body = request(url, path, method, cookie=cookie)
        assert status != 200 or headers.get("content-type", "").startswith("text/html"), path
        assert '"job"' not in body


@pytest.mark.live
def test_an_upload_without_a_cookie_is_refused_before_its_body(server):
    url, _, _ = server
    status, cookie, _ = login(url)
    assert status == 303 and cookie
    with websocket(url, cookie) as owner:
        session_id = session_id_of(owner)
        xsrf = made_up_xsrf_token()
        # The gate answers at once, having read nothing of the announced gigabyte...
        assert upload_answer(url, None, session_id, xsrf, wait=5).startswith(b"HTTP/1.1 401")
        # ...where a logged-in client's upload is let through: the server waits for it.
        assert upload_answer(url, cookie, session_id, xsrf, wait=2) == b""


@pytest.mark.live
def test_the_owners_session_id_alone_gets_nothing(server):
    url, _, _ = server
    _, cookie, _ = login(url)
    with websocket(url, cookie) as owner:
        session_id = session_id_of(owner)
        assert session_id
        assert refused_websocket(url, None, session_id) == 403  # rejoining it: refused
        status, _, _ = request(url, f"/_stcore/upload_file/{session_id}/f1", "PUT",
                               body=b"--x--", headers={"Content-Type": "multipart/form-data"})
        assert status == 401


@pytest.mark.live
def test_logout_is_a_post_from_the_page_and_ends_the_session_at_once(server):
    url, _, _ = server
    _, cookie, _ = login(url)
    assert request(url, "/", cookie=cookie)[0] == 200
    assert request(url, "/_stcore/metrics", cookie=cookie)[0] == 200
    # A link or an image on another site (the browser sends the cookie with a top-level
    # GET only from the same site, but a sibling service is the same site): nothing ends.
    status, headers, _ = request(url, "/logout?lang=en", cookie=cookie,
                                 headers={"Sec-Fetch-Site": "same-site"})
    assert (status, headers["location"]) == (303, "/") and "set-cookie" not in headers
    # A form posted from another origin is refused before it reaches the route.
    assert request(url, "/logout", "POST", cookie=cookie,
                   headers={"Origin": "http://localhost:1"})[0] == 403
    assert request(url, "/", cookie=cookie)[0] == 200  # still logged in
    with websocket(url, cookie, origin=url) as other_tab:
        session_id_of(other_tab)
        idle(other_tab)
        status, headers, _ = request(url, "/logout?lang=en", "POST", cookie=cookie,
                                     headers={"Origin": url})
        assert (status, headers["location"]) == (303, "/login?lang=en")
        assert f"{COOKIE}=" in headers["set-cookie"] and "Max-Age=0" in headers["set-cookie"]
        # A tab still open, idle, is cut off at once, not at its next message.
        assert closed_within(other_tab, 5)
    # The same cookie, replayed: nothing.
    assert request(url, "/", cookie=cookie)[0] == 303
    assert request(url, "/_stcore/metrics", cookie=cookie)[0] == 401
    assert refused_websocket(url, cookie) == 403


@pytest.mark.live
def test_other_cookies_even_malformed_never_hide_ours(server):
    """On an Onyxia instance every service lives under one parent domain: the others may
    set cookies for it, in any shape, even one of our name."""
    url, _, _ = server
    _, cookie, _ = login(url)
    _, other, _ = login(url)
    request(url, "/logout", "POST", cookie=other, headers={"Origin": url})  # now worthless
    ours = f"{COOKIE}={cookie}"
    for header in (f'prefs={{"a":1}}; {ours}', f'{ours}; prefs={{"a":1}}',
                   f'x="unterminated; {ours}; =; ;;', f'{COOKIE}=junk; {ours}',
                   f'{ours}; {COOKIE}=junk', f"{COOKIE}={other}; {ours}",
                   f'{COOKIE}="{cookie}"'):
        # The page, the login route (already in: sent home) and the websocket agree.
        assert request(url, "/", headers={"Cookie": header})[0] == 200, header
        status, headers, _ = request(url, "/login", headers={"Cookie": header})
        assert (status, headers["location"]) == (303, "/"), header
        with websocket(url, cookie_header=header, origin=url) as tab:
            assert session_id_of(tab)
    # Of two cookies of our name, the one we signed and still hold wins, wherever it is;
    # none valid: none.
    for header in (f'prefs={{"a":1}}; {COOKIE}=junk', f"{COOKIE}=junk; {COOKIE}={other}"):
        assert request(url, "/", headers={"Cookie": header})[0] == 303, header


@pytest.mark.live
def test_only_the_pages_own_origin_gets_a_websocket_or_changes_anything(server):
    url, _, _ = server
    _, cookie, _ = login(url)
    port = urlsplit(url).port
    # A page served elsewhere on this machine, or by another site, with the cookie there.
    for origin in (f"http://localhost:{port + 1}", f"http://127.0.0.1:{port + 1}",
                   "http://localhost", "http://127.0.0.1", "null",
                   "https://user-other.lab.example.org"):
        assert refused_websocket(url, cookie, origin=origin) == 403, origin
        for method, path in (("POST", "/login"), ("POST", "/logout"),
                             ("PUT", "/_stcore/upload_file/s/f"), ("GET", "/")):
            status, _, _ = request(url, path, method, cookie=cookie, body=b"",
                                   headers={"Origin": origin})
            assert status == 403, (origin, method, path)
    assert request(url, "/", cookie=cookie)[0] == 200  # still logged in
    with websocket(url, cookie, origin=url) as own:  # the page's own origin
        assert session_id_of(own)
    with websocket(url.replace("127.0.0.1", "localhost"), cookie,
                   origin=url.replace("127.0.0.1", "localhost")) as own:  # its other name
        assert session_id_of(own)


@pytest.mark.live
def test_a_refused_origin_opens_no_connection_out_of_the_server(server):
    """Streamlit looks the machine's public address up over the network when an Origin
    is not its own (net_util): none of that, with or without the gate in front."""
    url, _, _ = server
    _, cookie, _ = login(url)
    before = len(connections_out(server))
    for origin in ("http://example.invalid", "https://203.0.113.9:8443"):
        assert refused_websocket(url, cookie, origin=origin) == 403
        assert refused_websocket(url, None, origin=origin) == 403
    assert request(url, "/_stcore/health")[0] == 200  # the server is still answering
    assert connections_out(server)[before:] == []


@pytest.mark.live
def test_no_page_can_be_framed(server):
    url, data, _ = server
    _, cookie, _ = login(url)
    job = seed_done(JobStore(data))
    for path, who in (("/", cookie), ("/login", None), ("/review", cookie), ("/", None),
                      ("/_stcore/health", None), (f"/_transcribe/document/{job.id}", cookie),
                      ("/static/js/index.js", cookie), ("/_stcore/metrics", None)):
        _, headers, _ = request(url, path, cookie=who)
        assert headers.get("x-frame-options") == "DENY", path
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), path


@pytest.mark.live
def test_the_cookie_is_the_servers_signed_and_short_lived(server):
    url, _, _ = server
    status, cookie, raw = login(url)
    attributes = raw.lower()
    assert "httponly" in attributes and "samesite=strict" in attributes
    assert "max-age=43200" in attributes and "path=/" in attributes
    assert "secure" not in attributes  # plain http on localhost: the browser would drop it
    assert "secure" in login(url, **{"X-Forwarded-Proto": "https"})[2].lower()
    session_id, expires, signature = cookie.split(".")
    longer = f"{session_id}.{int(expires) + 3600}.{signature}"
    assert request(url, "/_stcore/metrics", cookie=longer)[0] == 401
    assert request(url, "/_stcore/metrics", cookie=cookie)[0] == 200
    # A wrong password sets nothing and says so in the chosen language.
    status, none, _ = login(url, "wrong")
    assert status == 401 and none is None


@pytest.mark.live
def test_a_forwarded_address_is_not_believed_without_a_declared_proxy(server):
    """The server reached directly: X-Forwarded-For is whatever the client wrote. Five
    failures from one address block its sixth attempt, whatever the header says."""
    url, _, log = server
    outsider = "127.0.0.9"

    def attempt(number: int, password: str = "guess-123") -> int:
        return login(url, password, outsider, **{"X-Forwarded-For": f"10.0.0.{number}"})[0]

    with ThreadPoolExecutor(5) as pool:
        assert list(pool.map(attempt, range(5))) == [401] * 5
    assert attempt(5) == 429 and attempt(6, PASSWORD) == 429  # even the right password
    assert login(url)[0] == 303  # another address is not blocked
    assert f"login failed (from {outsider})" in Path(log).read_text()


@pytest.mark.live
def test_the_owner_logs_in_while_an_outsider_guesses_from_rotating_addresses(proxied):
    """Behind the ingress, every guess from a new address (a botnet, an IPv6 range): the
    guesses are slowed to one a second in all, the owner's login waits its turn and gets
    in; one address alone is blocked after five failures."""
    url, _, log = proxied
    stop = threading.Event()
    guesses: list[int] = []

    def guess(worker: int) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            address = f"10.{worker}.{number // 250}.{number % 250 + 1}"
            guesses.append(login(url, f"guess-{number}", **{"X-Forwarded-For": address})[0])

    with ThreadPoolExecutor(8) as pool:
        started = time.monotonic()
        workers = [pool.submit(guess, n) for n in range(8)]
        try:
            time.sleep(6)  # the old limit (30 failures in all) locked everyone by now
            status, cookie, _ = login(url, **{"X-Forwarded-For": "192.0.2.7"})
            waited = time.monotonic() - started - 6
            assert status == 303 and cookie, status
            assert waited < 30
        finally:
            stop.set()
            for worker in workers:
                worker.result()
        elapsed = time.monotonic() - started
    failures = Path(log).read_text().count("login failed")
    assert set(guesses) == {401}  # never refused for what other addresses did...
    assert failures <= elapsed + 2  # ...but never more than one guess a second in all
    # One address alone: blocked after five failures; the owner (another address) not.
    with ThreadPoolExecutor(5) as pool:
        assert set(pool.map(lambda n: login(url, f"x{n}", **{"X-Forwarded-For": "10.9.9.9"})[0],
                            range(5))) == {401}
    assert login(url, PASSWORD, **{"X-Forwarded-For": "10.9.9.9"})[0] == 429
    status, _, page = request(url, "/login", "POST", headers={"X-Forwarded-For": "10.9.9.9"},
                              body=b"password=x&lang=fr")
    assert status == 429 and "Trop de tentatives" in page
    assert login(url, PASSWORD, **{"X-Forwarded-For": "192.0.2.7"})[0] == 303
    text = Path(log).read_text()
    assert "guess-1" not in text and PASSWORD not in text  # nothing typed is logged


@pytest.mark.browser
@pytest.mark.live
def test_login_in_the_browser_survives_a_reload_and_logs_out(server):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)  # a loaded machine renders slowly
    url, data, _ = server
    job = seed_done(JobStore(data))  # a transcript with its recording, for the player
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                            "--disable-dev-shm-usage"])
        page = browser.new_page()
        page.set_default_timeout(30_000)
        page.goto(url + "/review")
        expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        page.get_by_label("Mot de passe").fill("faux")
        page.get_by_role("button", name="Se connecter").click()
        expect(page.get_by_role("alert")).to_have_text("Mot de passe incorrect.")
        page.get_by_role("link", name="English").click()
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Transcrire des enregistrements")
               ).to_be_visible()
        cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
        page.reload()
        expect(page.get_by_role("heading", name="Transcrire des enregistrements")
               ).to_be_visible()

        # A link from another site (Onyxia's "open" button) comes without the SameSite=Strict
        # cookie; the gate's reload from its own origin brings it: no second login.
        with other_site(f'<a href="{url}/">Ouvrir</a>') as elsewhere:
            page.goto(elsewhere)
            page.get_by_role("link", name="Ouvrir").click()
        expect(page.get_by_role("heading", name="Transcrire des enregistrements")
               ).to_be_visible()

        # Another origin of the same site (the browser sends the cookie there) framing the
        # app: the browser refuses to draw it.
        with other_site(f'<iframe src="{url}/review" title="app"></iframe>',
                        "127.0.0.1") as elsewhere:
            page.goto(elsewhere)
            page.wait_for_timeout(1_000)
            [framed] = [frame for frame in page.frames if frame != page.main_frame]
            assert not framed.url.startswith(url), framed.url
            assert not framed.get_by_role("heading").count()

        # The audio player's URL: the browser gets it; nobody else does.
        page.goto(f"{url}/review?job={job.id}")
        player = page.locator(".te-audio")  # the correction editor's player
        expect(player).to_have_attribute("src", re.compile("/_transcribe/audio/"))
        media = urlsplit(player.evaluate("a => a.src")).path
        assert media == f"/_transcribe/audio/{job.id}"
        assert request(url, media, cookie=cookie["value"])[0] == 200
        assert request(url, media)[0] == 401
        # The transcript the editor fetches: the same.
        document = f"/_transcribe/document/{job.id}"
        assert request(url, document, cookie=cookie["value"])[0] == 200
        assert request(url, document)[0] == 401

        page.get_by_role("button", name=re.compile("Se déconnecter")).click()
        expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        assert request(url, media, cookie=cookie["value"])[0] == 401  # not after logout
        assert request(url, document, cookie=cookie["value"])[0] == 401
        page.goto(url + "/")
        expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        browser.close()


# -- the gate alone, in this process ---------------------------------------------------------

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
       "frame-ancestors 'none'")


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    """The gate behind a declared proxy (X-Forwarded-For names the client), a wrong password
    holding the turn 0.05 s instead of a second (the delay itself: the limit's own test)."""
    from transcribe.web import gate

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gate, "FAILURE_DELAY", 0.05)
        with gate_server(tmp_path_factory.mktemp("gated"), {
                "TRANSCRIBE_PASSWORD": PASSWORD, "TRANSCRIBE_BEHIND_PROXY": "true"}
                         ) as running:
            yield running


def logout(url: str, cookie: str | None = None, path: str = "/logout", **headers: str
           ) -> tuple[int, dict[str, str], str]:
    """The page's logout button: a POST."""
    return request(url, path, "POST", cookie=cookie, body=b"", headers=headers)


def plain_socket(url: str, cookie: str | None = None, path: str = "/_stcore/stream"):
    return connect(url.replace("http", "ws") + path, open_timeout=10,
                   additional_headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})


def refused_socket(url: str, cookie: str | None = None, path: str = "/_stcore/stream") -> int:
    with pytest.raises(InvalidStatus) as refused:
        plain_socket(url, cookie, path).close()
    return refused.value.response.status_code


def test_static_files_and_every_other_non_page_need_a_login(gated):
    url = gated.url
    for path in ("/app/static/logo.png", "/static/js/index.js", "/_stcore/metrics",
                 "/_stcore/upload_file/s/f", "/media/0123abcd.mp3", "/component/x/index.html",
                 "/_transcribe/document/20260101-000000-0123abcd"):
        for method in ("GET", "HEAD"):
            status, headers, _ = request(url, path, method)
            assert status == 401, (method, path)
            assert headers["connection"] == "close"
        assert request(url, path)[2] == "Login required"
    _, cookie, _ = login(url)
    for path in ("/app/static/logo.png", "/_stcore/metrics"):
        assert reached(url, path, cookie) == (200, f"{BEHIND}: GET {path}")


def reached(url: str, path: str, cookie: str | None = None) -> tuple[int, str]:
    status, _, body = request(url, path, cookie=cookie)
    return status, body


def test_pages_without_a_login_go_to_the_login_page(gated):
    url = gated.url
    for method in ("GET", "HEAD"):
        for page in ("/", "/review", "/privacy"):
            status, headers, _ = request(url, page, method)
            assert (status, headers["location"], headers["connection"]) == (
                303, "/login", "close"), (method, page)
    # Another method on a page is not a page visit: refused, not redirected.
    for method in ("POST", "PUT", "DELETE"):
        assert request(url, "/", method, body=b"x")[0] == 401, method
    # Only the health probe gets through without a login; its neighbours do not.
    assert reached(url, "/_stcore/health") == (200, f"{BEHIND}: GET /_stcore/health")
    assert request(url, "/_stcore/health/x")[0] == 401
    assert request(url, "/_stcore/healthz")[0] == 401


def test_a_link_from_another_site_reloads_once_then_asks_for_the_password(gated):
    url = gated.url
    status, headers, page = request(url, "/review", headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 200 and page == '<!doctype html><meta http-equiv="refresh" content="0">'
    assert headers["content-security-policy"] == CSP and headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY" and headers["connection"] == "close"
    for site in ("same-origin", "same-site", "none"):
        assert request(url, "/review", headers={"Sec-Fetch-Site": site})[0] == 303, site
    # A request that is not a page is refused even from another site.
    assert request(url, "/_stcore/metrics", headers={"Sec-Fetch-Site": "cross-site"}
                   )[0] == 401


def test_a_cookie_is_accepted_only_as_the_server_signed_it(gated):
    url = gated.url
    _, cookie, _ = login(url)
    session_id, expires, signature = cookie.split(".")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    assert request(url, "/x", cookie=cookie)[0] == 200
    for forged in (f"{session_id}.{expires}.{flipped}", f"{session_id}.{int(expires) - 1}."
                   f"{signature}", f"{session_id}x.{expires}.{signature}", "abc.1999999999.00"):
        assert request(url, "/x", cookie=forged)[0] == 303, forged
        assert request(url, "/_stcore/metrics", cookie=forged)[0] == 401, forged
        assert refused_socket(url, forged) == 403
    # Among other cookies, and only under its own name.
    assert request(url, "/x", headers={"Cookie": f"a=b; {COOKIE}={cookie}; c=d"})[0] == 200
    assert request(url, "/x", headers={"Cookie": f"other={cookie}"})[0] == 303
    assert request(url, "/x", headers={"Cookie": '"unbalanced; =;'})[0] == 303


def test_only_deployments_on_onyxia_say_the_password_comes_from_there(tmp_path):
    """The chart always sets a deadline (TRANSCRIBE_DELETE_AT): that is how the app knows
    it runs there; a local run with a password says where its password came from. (Not
    "chart" in this test's name: mutation testing leaves out the tests so named.)"""
    from transcribe.web.accessibility import FOCUS_COLOUR
    from transcribe.web.gate import Gate, login_page
    from transcribe.web.settings import load_settings

    local = load_settings({"TRANSCRIBE_PASSWORD": "x", "TRANSCRIBE_DATA_DIR": str(tmp_path)})
    deployed = load_settings({"TRANSCRIBE_PASSWORD": "x", "TRANSCRIBE_DATA_DIR": str(tmp_path),
                              "TRANSCRIBE_DELETE_AT": "2099-01-01T00:00:00Z"})
    assert Gate(deployed).deployed and not Gate(local).deployed
    for language in ("fr", "en"):
        assert "Onyxia" in login_page(language, "", deployed=True)
        assert "Onyxia" not in login_page(language, "", "error", deployed=False)
        assert "TRANSCRIBE_PASSWORD" in login_page(language, "")
        assert "Onyxia" not in login_page(language, "")  # local unless told
        assert f"outline: 2px solid {FOCUS_COLOUR};" in login_page(language, "")
    # A deployed gate's pages say so: the form, and the form again after a wrong password.
    from transcribe.web import gate

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gate, "FAILURE_DELAY", 0.05)
        with gate_server(tmp_path, {"TRANSCRIBE_PASSWORD": PASSWORD,
                                    "TRANSCRIBE_DELETE_AT": "2099-01-01T00:00:00Z"}) as running:
            assert "Onyxia" in request(running.url, "/login")[2]
            status, _, page = request(running.url, "/login", "POST", body=b"password=x")
            assert status == 401 and "Onyxia" in page


def test_the_login_form(gated):
    url = gated.url
    status, headers, page = request(url, "/login")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert headers["content-security-policy"] == CSP and headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert '<html lang="fr">' in page and 'action="/login"' in page

    def text(key: str, language: str = "fr") -> str:
        return html.escape(strings.text(key, language))

    assert f"<title>{text('login.title')} · {text('app.title')}</title>" in page
    assert f"<h1>{text('login.title')}</h1>" in page
    assert f'<label for="password">{text("login.password")}</label>' in page
    assert f'<button type="submit">{text("login.submit")}</button>' in page
    assert '<input type="hidden" name="lang" value="fr">' in page
    assert '<a href="/login?lang=en" hreflang="en" lang="en">English</a>' in page
    # No error yet: nothing between the introduction and the form. Run here, without the
    # chart's deadline: no word of Onyxia, which only the chart's deployments have.
    assert re.search(rf"<p>{re.escape(text('login.intro_local'))}</p>\s*<form", page)
    assert "Onyxia" not in page
    status, _, page = request(url, "/login?lang=en")
    assert status == 200 and '<html lang="en">' in page and "Log in" in page
    assert 'href="/login?lang=fr"' in page and ">Français<" in page
    assert '<html lang="fr">' in request(url, "/login?lang=de")[2]  # unknown: the default
    # None asked for: the one this browser chose in the app (its cookie; the first known).
    from transcribe.web.language_choice import COOKIE as LANGUAGE_COOKIE

    chose = {"Cookie": f"{LANGUAGE_COOKIE}=de; {LANGUAGE_COOKIE}=en; {LANGUAGE_COOKIE}=fr"}
    assert '<html lang="en">' in request(url, "/login", headers=chose)[2]
    assert '<html lang="fr">' in request(url, "/login?lang=fr", headers=chose)[2]
    # A wrong password: 401, the form again with the reason, in the form's language (or
    # the address's, when the form names none). Each waits a second: side by side.
    # A form of exactly the largest size is read (and is wrong).
    tries = [("/login", urlencode({"password": "wrong", "lang": "en"}).encode(), "en"),
             ("/login", urlencode({"password": "wrong", "lang": "fr"}).encode(), "fr"),
             ("/login?lang=en", urlencode({"password": "wrong"}).encode(), "en"),
             ("/login?lang=en", urlencode({"password": "wrong", "lang": "fr"}).encode(), "fr"),
             ("/login", b"lang=en&password=" + b"p" * 4079, "en"),
             ("/login", b"lang=en&password=caf\xe9", "en")]  # not UTF-8: wrong, not an error

    def attempt(number: int) -> tuple[int, dict[str, str], str]:  # one client each
        path, body, _ = tries[number]
        return request(url, path, "POST", body=body,
                       headers={"X-Forwarded-For": f"10.1.0.{number}"})

    with ThreadPoolExecutor(len(tries)) as pool:
        answers = list(pool.map(attempt, range(len(tries))))
    for (_, _, language), (status, headers, page) in zip(tries, answers, strict=True):
        reason = strings.text("login.wrong", language)
        assert status == 401 and "set-cookie" not in headers
        assert f'<p class="error" role="alert">{reason}</p>' in page
        assert f'<html lang="{language}">' in page
    # A form too large, or of no announced length, is not read.
    big = urlencode({"password": "x" * 5000}).encode()
    assert request(url, "/login", "POST", body=big)[::2] == (400, "Bad request")
    assert upload_answer_to(url, "POST /login HTTP/1.1", "Transfer-Encoding: chunked"
                            ).startswith(b"HTTP/1.1 400")


def upload_answer_to(url: str, request_line: str, *headers: str) -> bytes:
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        lines = [request_line, f"Host: {parts.netloc}", *headers]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return sock.recv(4096)


def test_login_sets_the_servers_cookie_and_logout_ends_the_session(gated):
    url = gated.url
    gated.clear()
    status, headers, _ = request(url, "/login", "POST", body=urlencode(
        {"password": PASSWORD, "lang": "en"}).encode())
    assert (status, headers["location"]) == (303, "/")
    jar: SimpleCookie = SimpleCookie()
    jar.load(headers["set-cookie"])
    morsel = jar[COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "strict" and morsel["path"] == "/"
    assert morsel["max-age"] == "43200" and not morsel["secure"]
    cookie = morsel.value
    # Logged in, the login page sends the browser on to the app.
    for method in ("GET", "POST"):
        status, headers, _ = request(url, "/login", method, cookie=cookie, body=b"")
        assert (status, headers["location"]) == (303, "/"), method
    with plain_socket(url, cookie) as tab:
        tab.send("hello")
        assert tab.recv(timeout=10) == "hello"
        # A GET (a link, an image from elsewhere) logs nobody out.
        status, headers, _ = request(url, "/logout?lang=en", cookie=cookie)
        assert (status, headers["location"]) == (303, "/") and "set-cookie" not in headers
        assert request(url, "/x", cookie=cookie)[0] == 200
        status, headers, _ = logout(url, cookie, "/logout?lang=en")
        assert (status, headers["location"]) == (303, "/login?lang=en")
        jar = SimpleCookie()
        jar.load(headers["set-cookie"])
        gone = jar[COOKIE]
        assert gone.value == "" and gone["max-age"] == "0" and gone["path"] == "/"
        assert gone["httponly"] and gone["samesite"] == "strict"
        with pytest.raises(ConnectionClosed) as closed:  # the tab's socket closes at once
            tab.recv(timeout=10)
        assert closed.value.rcvd.code == 1008
    # Streamlit learns that its client left.
    assert gated.wait_for_endings(1) == ["receive: disconnect 1008"]
    assert gated.received == ["hello"]
    assert request(url, "/x", cookie=cookie)[0] == 303
    assert refused_socket(url, cookie) == 403
    status, headers, _ = logout(url, cookie)  # again: harmless
    assert (status, headers["location"]) == (303, "/login?lang=fr")


def test_a_socket_is_closed_when_the_server_speaks_after_logout(gated):
    url = gated.url
    _, cookie, _ = login(url)
    gated.clear()
    with plain_socket(url, cookie) as tab:
        tab.send("later")  # the stand-in answers once released
        logout(url, cookie)
        gated.release.set()
        with pytest.raises(ConnectionClosed) as closed:
            tab.recv(timeout=10)
        assert closed.value.rcvd.code == 1008
    assert "send: disconnect 1008" in gated.wait_for_endings(2)


def test_a_socket_closed_on_both_sides_is_closed_once(gated):
    """Logout closes the socket; Streamlit then speaking into it is told the client left,
    as the first time (a second close would be an error)."""
    url = gated.url
    _, cookie, _ = login(url)
    gated.clear()
    with plain_socket(url, cookie) as tab:
        tab.send("later")
        logout(url, cookie)
        with pytest.raises(ConnectionClosed) as closed:
            tab.recv(timeout=10)
        assert closed.value.rcvd.code == 1008
        assert gated.wait_for_endings(1) == ["receive: disconnect 1008"]
        gated.release.set()
        assert gated.wait_for_endings(2) == ["receive: disconnect 1008",
                                             "send: disconnect 1008"]
    assert gated.received == ["later"]


def test_behind_https_the_cookie_is_secure(gated):
    url = gated.url
    for proto in ("https", "HTTPS", "https, http"):
        assert "secure" in login(url, **{"X-Forwarded-Proto": proto})[2].lower(), proto
    for proto in ("http", "http, https"):
        assert "secure" not in login(url, **{"X-Forwarded-Proto": proto})[2].lower(), proto
    headers = logout(url, **{"X-Forwarded-Proto": "https"})[1]
    assert "secure" in headers["set-cookie"].lower()


def test_under_a_base_path(tmp_path):
    with gate_server(tmp_path, {"TRANSCRIBE_PASSWORD": PASSWORD,
                                "TRANSCRIBE_BASE_PATH": "/user/svc/"}) as running:
        url, base = running.url, "/user/svc"
        assert request(url, f"{base}/_stcore/health")[0] == 200
        status, headers, _ = request(url, f"{base}/review")
        assert (status, headers["location"]) == (303, f"{base}/login")
        assert request(url, f"{base}/app/static/x.png")[0] == 401
        page = request(url, f"{base}/login")[2]
        assert f'action="{base}/login"' in page and f'href="{base}/login?lang=en"' in page
        status, headers, _ = request(url, f"{base}/login", "POST",
                                     body=f"password={PASSWORD}".encode())
        assert (status, headers["location"]) == (303, f"{base}/")
        jar: SimpleCookie = SimpleCookie()
        jar.load(headers["set-cookie"])
        assert jar[COOKIE]["path"] == base
        cookie = jar[COOKIE].value
        assert request(url, f"{base}/x", cookie=cookie)[0] == 200
        status, headers, _ = logout(url, cookie, f"{base}/logout?lang=en")
        assert (status, headers["location"]) == (303, f"{base}/login?lang=en")
        assert f"Path={base}" in headers["set-cookie"]
        assert request(url, f"{base}/x", cookie=cookie)[0] == 303
        # A GET of the logout page (a link) logs no one out: back to the app.
        status, headers, _ = request(url, f"{base}/logout")
        assert (status, headers["location"]) == (303, f"{base}/")
        # Outside the base nothing is open: not the health check, nor the login form's
        # path, nor a look-alike of the base.
        assert request(url, "/_stcore/health")[0] == 401
        for path in ("/login", "/logout", f"{base}x/_stcore/health", "/"):
            status, headers, _ = request(url, path)
            assert (status, headers["location"]) == (303, f"{base}/login"), path


def test_without_a_password_nothing_is_asked(tmp_path):
    with gate_server(tmp_path, {"TRANSCRIBE_UI_LANGUAGE": "en"}) as running:
        url = running.url
        assert request(url, "/_stcore/metrics")[0] == 200
        assert request(url, "/")[0] == 200
        status, headers, _ = request(url, "/login")
        assert (status, headers["location"]) == (303, "/")
        with plain_socket(url) as tab:
            tab.send("hello")
            assert tab.recv(timeout=10) == "hello"
        status, headers, _ = logout(url)
        assert (status, headers["location"]) == (303, "/login?lang=en")  # the default


def test_the_deadline_comes_from_the_settings(tmp_path):
    with gate_server(tmp_path, {"TRANSCRIBE_DELETE_AT": "2020-01-01T00:00:00Z"}) as running:
        assert request(running.url, "/")[0] == 410
        assert request(running.url, "/_stcore/health")[0] == 200


def test_at_the_deadline_everything_but_health_says_deleted(tmp_path):
    now = [1000.0]
    deadline = Deadline(datetime.fromtimestamp(2000.0, UTC), tmp_path, clock=lambda: now[0])
    with gate_server(tmp_path, {"TRANSCRIBE_PASSWORD": PASSWORD}, deadline=deadline
                     ) as running:
        url = running.url
        _, cookie, _ = login(url)
        running.release.clear()
        with plain_socket(url, cookie) as reading, plain_socket(url, cookie) as waiting:
            reading.send("before")
            assert reading.recv(timeout=10) == "before"
            waiting.send("later")
            now[0] = 2000.0  # the deadline
            for who, path, method in ((cookie, "/", "GET"), (None, "/", "GET"),
                                      (cookie, "/_stcore/metrics", "GET"),
                                      (None, "/login", "GET"), (None, "/login", "POST"),
                                      (cookie, "/logout", "POST"), (cookie, "/x", "PUT")):
                status, headers, page = request(url, path, method, cookie=who, body=b"")
                assert status == 410, (path, method)
                assert '<html lang="fr">' in page
                assert "<title>Service supprimé · Service deleted</title>" in page
                assert "Ce service a été supprimé" in page
                assert "This service has been deleted" in page
                assert headers["connection"] == "close"
                assert headers["content-security-policy"] == CSP
            assert request(url, "/_stcore/health")[0] == 200
            assert refused_socket(url, cookie) == 403
            reading.send("after")  # open sockets close at their next message
            with pytest.raises(ConnectionClosed) as closed:
                reading.recv(timeout=10)
            assert closed.value.rcvd.code == 1008
            running.release.set()  # and when the server speaks
            with pytest.raises(ConnectionClosed) as closed:
                waiting.recv(timeout=10)
            assert closed.value.rcvd.code == 1008


def test_wrong_passwords_are_slowed_one_at_a_time_and_limited_per_client(tmp_path, caplog,
                                                                          monkeypatch):
    from transcribe.web import gate

    monkeypatch.setattr(gate, "FAILURE_DELAY", FAILURE_DELAY)  # the real one, here
    caplog.set_level("INFO", logger="transcribe.web.gate")
    with gate_server(tmp_path, {"TRANSCRIBE_PASSWORD": PASSWORD,
                                "TRANSCRIBE_BEHIND_PROXY": "true"},
                     limit=RateLimit(per_client=2)) as running:
        url = running.url

        def attempt(client: str, password: str = "guess-123") -> tuple[int, dict, str]:
            return request(url, "/login", "POST", headers={"X-Forwarded-For": client},
                           body=urlencode({"password": password, "lang": "en"}).encode())

        # The last hop is the client (what the ingress saw); earlier ones are made up.
        # Two wrong passwords side by side wait their turn: a second each, one after the other;
        # a third sent with them is refused at once (those waiting count as failures to come).
        started = time.monotonic()
        with ThreadPoolExecutor(3) as pool:
            assert sorted(r[0] for r in pool.map(
                attempt, ["1.1.1.1, 10.0.0.1", "10.0.0.1", "10.0.0.1"])) == [401, 401, 429]
        assert time.monotonic() - started >= 2 * FAILURE_DELAY
        status, headers, page = attempt("10.0.0.1", PASSWORD)
        assert status == 429 and "set-cookie" not in headers  # even the right password
        assert 1 <= int(headers["retry-after"]) <= 301
        assert strings.text("login.too_many", "en", minutes=5) in page
        assert attempt("10.0.0.1, 10.0.0.2", PASSWORD)[0] == 303  # another client may
        assert request(url, "/login", "POST", body=b"password=x")[0] == 401  # no header
    logged = [r.getMessage() for r in caplog.records if r.name == "transcribe.web.gate"]
    assert logged.count("login failed (from 10.0.0.1)") == 2
    assert "login refused: too many failed attempts (from 10.0.0.1)" in logged
    assert "login (from 10.0.0.2)" in logged
    # Without a proxy's header, the connection's own address.
    assert "login failed (from 127.0.0.1)" in logged
    assert not any("guess" in line or PASSWORD in line for line in logged)


class Waiting(RateLimit):
    """A limit that says how long to wait, whatever the clock."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def wait(self, client: str, now: float | None = None) -> float:
        return self.seconds


@pytest.mark.parametrize(("seconds", "retry_after", "minutes"),
                         [(0.5, "1", 1), (90.0, "91", 2), (299.5, "300", 5)])
def test_a_refusal_says_when_to_try_again(tmp_path, seconds, retry_after, minutes):
    with gate_server(tmp_path, {"TRANSCRIBE_PASSWORD": PASSWORD,  # deployed (a deadline)
                                "TRANSCRIBE_DELETE_AT": "2099-01-01T00:00:00Z"},
                     limit=Waiting(seconds)) as running:
        status, headers, page = request(running.url, "/login", "POST", body=urlencode(
            {"password": PASSWORD, "lang": "en"}).encode())
    assert (status, headers["retry-after"]) == (429, retry_after)
    assert '<html lang="en">' in page and "set-cookie" not in headers
    reason = html.escape(strings.text("login.too_many", "en", minutes=minutes))
    assert f'<p class="error" role="alert">{reason}</p>' in page
    assert 'action="/login"' in page and "Onyxia" in page  # the form again, as deployed


def test_another_sites_page_gets_nothing_not_even_a_login(gated):
    url = gated.url
    _, cookie, _ = login(url)
    elsewhere = {"Origin": "https://other.example.org"}
    for method, path in (("GET", "/"), ("POST", "/login"), ("POST", "/logout"),
                         ("GET", "/_stcore/health"), ("PUT", "/_stcore/upload_file/s/f")):
        status, headers, body = request(url, path, method, cookie=cookie, body=b"",
                                        headers=elsewhere)
        assert (status, body) == (403, "Cross-origin request refused"), (method, path)
        assert headers["connection"] == "close" and headers["x-frame-options"] == "DENY"
    assert refused_socket_from(url, cookie, "https://other.example.org") == 403
    # The page's own origin is welcome, and the session survived the attempts.
    assert request(url, "/x", cookie=cookie, headers={"Origin": url})[0] == 200
    with plain_socket(url, cookie) as tab:
        tab.send("still here")
        assert tab.recv(timeout=10) == "still here"


def refused_socket_from(url: str, cookie: str, origin: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        connect(url.replace("http", "ws") + "/_stcore/stream", open_timeout=10, origin=origin,
                additional_headers={"Cookie": f"{COOKIE}={cookie}"}).close()
    return refused.value.response.status_code


def test_logging_out_closes_that_sessions_sockets_only(gated):
    url = gated.url
    _, mine, _ = login(url)
    _, theirs, _ = login(url)
    with plain_socket(url, mine) as my_tab, plain_socket(url, theirs) as their_tab:
        logout(url, mine)
        with pytest.raises(ConnectionClosed):
            my_tab.recv(timeout=10)
        their_tab.send("still here")
        assert their_tab.recv(timeout=10) == "still here"


def test_after_the_deadline_nothing_more_reaches_the_app_or_the_tab(tmp_path):
    """Sockets opened before the deadline: the tab's next message never reaches Streamlit
    (the socket closes instead), and Streamlit speaking is told that its client left."""
    now = [1000.0]
    deadline = Deadline(datetime.fromtimestamp(2000.0, UTC), tmp_path, clock=lambda: now[0])
    with gate_server(tmp_path, {"TRANSCRIBE_PASSWORD": PASSWORD}, deadline=deadline
                     ) as running:
        url = running.url
        _, cookie, _ = login(url)
        with plain_socket(url, cookie) as tab:
            tab.send("before")
            assert tab.recv(timeout=10) == "before"
            now[0] = 2000.0
            tab.send("after")
            with pytest.raises(ConnectionClosed) as closed:
                tab.recv(timeout=10)
            assert closed.value.rcvd.code == 1008
        assert running.wait_for_endings(1) == ["receive: disconnect 1008"]
        assert running.received == ["before"]
        now[0], _ = 1000.0, running.clear()
        with plain_socket(url, cookie) as tab:
            tab.send("later")  # answered once released
            # Bounded: a mutant that loses the message must fail here, not hang the run.
            assert running.wait_for_received(1) == ["later"]
            now[0] = 2000.0
            running.release.set()
            with pytest.raises(ConnectionClosed) as closed:
                tab.recv(timeout=10)
            assert closed.value.rcvd.code == 1008
        assert "send: disconnect 1008" in running.wait_for_endings(2)


def test_behind_the_proxy_the_public_origin_is_the_pages_own_and_nothing_is_framed(tmp_path):
    """Its own server (the module's shared one is built inside one test only: mutation
    testing would run the middleware's mutants against that test alone)."""
    with gate_server(tmp_path, {"TRANSCRIBE_PASSWORD": PASSWORD,
                                "TRANSCRIBE_BEHIND_PROXY": "true"}) as running:
        url = running.url
        _, cookie, _ = login(url)
        public = {"Origin": "https://svc.example.org", "X-Forwarded-Host": "svc.example.org",
                  "X-Forwarded-Proto": "https"}
        status, headers, body = request(url, "/x", "POST", cookie=cookie, body=b"a=b",
                                        headers=public)
        assert (status, body) == (200, f"{BEHIND}: POST /x (3 bytes)")  # the body read
        # What the app behind answers carries the no-framing headers too.
        assert headers["x-frame-options"] == "DENY"
        assert headers["content-security-policy"] == "frame-ancestors 'none'"
        assert request(url, "/x", "POST", cookie=cookie, body=b"", headers={
            **public, "X-Forwarded-Host": "other.example.org"})[0] == 403


def test_logout_closes_each_socket_of_the_session_and_closed_ones_are_forgotten(tmp_path):
    """Two tabs of one session, one closed before the logout: the other still closes at
    once; the other session's tab stays; once every socket is closed the gate keeps no
    trace of them (its own server: see above)."""
    with gate_server(tmp_path, {"TRANSCRIBE_PASSWORD": PASSWORD}) as running:
        url = running.url
        _, mine, _ = login(url)
        _, theirs, _ = login(url)
        with plain_socket(url, theirs) as their_tab, plain_socket(url, mine) as second:
            with plain_socket(url, mine) as first:
                for tab in (their_tab, second, first):
                    tab.send("hello")
                    assert tab.recv(timeout=10) == "hello"
            assert running.wait_for_endings(1) == ["receive: disconnect 1000"]
            logout(url, mine)
            with pytest.raises(ConnectionClosed) as closed:
                second.recv(timeout=10)
            assert closed.value.rcvd.code == 1008
            their_tab.send("still here")
            assert their_tab.recv(timeout=10) == "still here"
        running.wait_for_endings(3)
        deadline = time.monotonic() + 5
        while running.gate._sockets and time.monotonic() < deadline:
            time.sleep(0.01)
        assert running.gate._sockets == {}
