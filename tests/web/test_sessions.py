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


def test_rate_limit_window_per_client():
    limit = RateLimit(per_client=2, window=60)
    limit.begin("a")
    limit.end("a", failed=True, now=0)
    assert limit.wait("a", now=1) == 0
    limit.begin("a")
    limit.end("a", failed=True, now=1)
    assert limit.wait("a", now=2) == pytest.approx(58) and limit.wait("b", now=2) == 0
    assert limit.wait("a", now=30) == pytest.approx(30)
    assert limit.wait("a", now=60) == 0  # the oldest failure left the window
    # Attempts still waiting for their turn count: one address cannot queue a hundred.
    limit.begin("c")
    limit.begin("c")
    assert limit.wait("c", now=62) > 0
    limit.end("c", failed=False, now=62)  # a right password is no failure
    limit.end("c", failed=True, now=62)
    assert limit.wait("c", now=63) == 0
