"""Who is logged in, and who may try: the gate's session table and its limit on failed
logins (`gate.py` uses them; no HTTP here).

A cookie names a server-side session and carries an HMAC of it made with a key drawn at
start-up: forged or altered cookies are refused without a look-up, logged-out or expired
ones because their session is gone from the table. A restart draws a new key and starts an
empty table: everyone logs in again.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

SESSION_LIFETIME = 12 * 3600  # seconds: a working day, then log in again
MAX_SESSIONS = 1000  # the table never grows past this (oldest dropped first)
MAX_CLIENTS = 10_000  # addresses with recent failures kept before stale ones are dropped


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
    """Failed logins per client address, in a sliding window. A client with `per_client`
    failures is refused (a right password too) until the oldest leaves the window; the
    attempts it has waiting count as failures to come, so that one address cannot queue
    more guesses than that. There is no overall limit that refuses: the gate checks one
    password at a time instead (a wrong one holds the turn a second), which caps guesses
    from every address together without ever locking the owner out."""

    per_client: int = 5
    window: float = 300.0
    _clients: dict[str, deque[float]] = field(default_factory=dict)
    _waiting: dict[str, int] = field(default_factory=dict)

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._clients.get(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            self._clients.pop(client, None)
        return times

    def wait(self, client: str, now: float | None = None) -> float:
        """Seconds before `client` may try again; 0 when it may now."""
        now = time.monotonic() if now is None else now
        recent = self._recent(client, now)
        over = len(recent) + self._waiting.get(client, 0) - self.per_client + 1
        if over <= 0:
            return 0.0
        if over > len(recent):  # its own attempts still waiting: until they are answered
            return 1.0
        return recent[over - 1] + self.window - now

    def begin(self, client: str) -> None:
        """An attempt of `client` waits for its turn."""
        self._waiting[client] = self._waiting.get(client, 0) + 1

    def end(self, client: str, failed: bool, now: float | None = None) -> None:
        """The attempt begun is answered (`failed`: it was a wrong password)."""
        left = self._waiting.get(client, 0) - 1
        if left > 0:
            self._waiting[client] = left
        else:
            self._waiting.pop(client, None)
        if not failed:
            return
        now = time.monotonic() if now is None else now
        if len(self._clients) > MAX_CLIENTS:  # many addresses: forget the stale
            for stale in list(self._clients):
                self._recent(stale, now)
        self._clients.setdefault(client, deque()).append(now)
