"""The gate's session table and login limit on their own, with a clock."""

from __future__ import annotations

import pytest

from transcribe.web.sessions import RateLimit, Sessions, check_password


def test_sessions_expire_and_are_revoked():
    sessions = Sessions(lifetime=100)
    cookie = sessions.open(now=1000.0)
    assert sessions.session(cookie, now=1050.0)
    assert sessions.session(cookie, now=1100.0) is None  # expired
    other = Sessions(lifetime=100).open(now=1000.0)
    assert sessions.session(other, now=1001.0) is None  # signed with another key
    assert sessions.revoke(cookie) is False  # long expired by now: nothing to revoke
    fresh = sessions.open()
    assert sessions.session(fresh) and sessions.revoke(fresh)
    assert sessions.session(fresh) is None and not sessions.revoke(fresh)
    for bad in ("", "x", "a.b.c", "a.1.2.3", fresh + "0"):
        assert sessions.session(bad) is None
    assert check_password("secret", "secret") and not check_password("Secret", "secret")


def test_rate_limit_window():
    limit = RateLimit(per_client=2, overall=3, window=60)
    limit.failed("a", now=0)
    assert limit.wait("a", now=1) == 0
    limit.failed("a", now=1)
    assert limit.wait("a", now=2) == pytest.approx(58) and limit.wait("b", now=2) == 0
    limit.failed("b", now=2)
    assert limit.wait("c", now=3) == pytest.approx(57)  # three failures overall
    assert limit.wait("a", now=61) == 0 and limit.wait("c", now=63) == 0


def test_a_live_session_with_a_wrong_signature_is_refused():
    """The signature alone refuses a cookie: the session is in the table, unexpired, and
    only the HMAC differs (or is missing, or names another expiry)."""
    sessions = Sessions(lifetime=100)
    cookie = sessions.open(now=1000.0)
    session_id, expires, signature = cookie.split(".")
    assert sessions.session(cookie, now=1001.0) == session_id
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    for forged in (f"{session_id}.{expires}.{flipped}", f"{session_id}.{expires}.",
                   f"{session_id}.{expires}.{signature.upper()}"):
        assert sessions.session(forged, now=1001.0) is None, forged
        assert sessions.revoke(forged) is False  # nor can it log the owner out
    assert sessions.session(cookie, now=1001.0) == session_id  # the owner's still works
