"""The gate's session table and login limit on their own, with a clock."""

from __future__ import annotations

import pytest

from transcribe.web.sessions import (
    MAX_CLIENTS,
    MAX_SESSIONS,
    RateLimit,
    Sessions,
    check_password,
)


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


def test_a_session_ends_exactly_at_its_expiry():
    sessions = Sessions(lifetime=100)
    cookie = sessions.open(now=1000.0)
    session_id = cookie.split(".")[0]
    assert sessions.valid_id(session_id, now=1099.9) and sessions.session(cookie, now=1099.9)
    assert not sessions.valid_id(session_id, now=1100.0)
    assert sessions.session(cookie, now=1100.0) is None
    assert not sessions.valid_id("made-up", now=1000.0)
    # The expiry the cookie names must be the session's own, even an earlier one.
    session_id, expires, _ = cookie.split(".")
    assert sessions.session(f"{session_id}.{int(expires) - 1}.{cookie.split('.')[2]}",
                            now=1001.0) is None


def test_the_table_keeps_the_newest_sessions_and_forgets_expired_ones():
    sessions = Sessions(lifetime=10_000)
    oldest = sessions.open(now=0.0)
    rest = [sessions.open(now=float(n)) for n in range(1, MAX_SESSIONS)]
    assert sessions.session(oldest, now=5000.0)
    newest = sessions.open(now=MAX_SESSIONS)  # one more than the table holds
    assert sessions.session(oldest, now=5000.0) is None  # the oldest made room
    assert sessions.session(rest[0], now=5000.0) and sessions.session(newest, now=5000.0)
    # Once they have expired, opening a session drops them all: nothing else has to go.
    later = [sessions.open(now=20_000.0 + n) for n in range(3)]
    assert all(sessions.session(c, now=20_010.0) for c in later)


def test_a_revoked_session_is_gone_and_revoking_twice_is_harmless():
    sessions = Sessions(lifetime=100)
    first, second = sessions.open(), sessions.open()
    assert sessions.revoke(first) is True and sessions.revoke(first) is False
    assert sessions.session(first) is None and sessions.session(second)
    assert sessions.revoke(None) is False and sessions.revoke("") is False
    assert not sessions.valid_id(first.split(".")[0])


def test_sessions_signed_with_the_given_key_are_recognised():
    key = b"k" * 32
    cookie = Sessions(lifetime=100, key=key).open(now=0.0)
    again = Sessions(lifetime=100, key=key)
    assert again.session(cookie, now=1.0) is None  # same key, but not in this table
    assert Sessions().lifetime == 12 * 3600


def failed(limit: RateLimit, client: str, now: float) -> None:
    limit.begin(client)
    limit.end(client, failed=True, now=now)


def test_the_window_slides_one_failure_at_a_time():
    limit = RateLimit(per_client=2, window=60)
    failed(limit, "a", now=0)
    failed(limit, "a", now=30)
    assert limit.wait("a", now=59) == pytest.approx(1)
    assert limit.wait("a", now=60) == 0  # the first failure has left the window
    failed(limit, "a", now=60)
    assert limit.wait("a", now=60) == pytest.approx(30)  # the second one is still in it
    assert limit.wait("b", now=60) == 0


def test_a_signature_belongs_to_its_own_session():
    sessions = Sessions(lifetime=100)
    first, second = sessions.open(now=0.0), sessions.open(now=0.0)
    first_id, expires, _ = first.split(".")
    assert sessions.session(f"{first_id}.{expires}.{second.split('.')[2]}", now=1.0) is None


def test_many_made_up_addresses_do_not_make_the_limit_forget_a_real_one():
    limit = RateLimit(per_client=2, window=60)
    failed(limit, "real", now=0)
    failed(limit, "real", now=0)
    for n in range(MAX_CLIENTS + 1):  # an attacker's made-up addresses, all recent
        failed(limit, f"10.{n}", now=1)
    failed(limit, "one more", now=2)  # the table is past its size: stale entries go
    assert limit.wait("real", now=2) == pytest.approx(58)


def test_attempts_waiting_their_turn_hold_the_next_one_a_second():
    """Attempts of a client that still wait their turn count as failures to come: the
    next one waits the second a wrong password holds the turn, not the window."""
    limit = RateLimit(per_client=2, window=60)
    limit.begin("a")
    assert limit.wait("a", now=0) == 0  # one waiting: a second attempt may queue
    limit.begin("a")
    assert limit.wait("a", now=0) == 1.0
    limit.end("a", failed=False, now=0)  # one answered, the other still waits
    assert limit.wait("a", now=0) == 0
    limit.end("a", failed=False, now=0)
    assert limit.wait("a", now=0) == 0
    assert limit._waiting == {}  # nothing kept for an address once its attempts are answered


def test_a_failure_and_an_attempt_waiting_wait_for_the_failure_to_leave_the_window():
    limit = RateLimit(per_client=2, window=60)
    failed(limit, "a", now=0)
    limit.begin("a")  # one failure and one waiting: the limit is reached
    assert limit.wait("a", now=10) == pytest.approx(50)
    limit.begin("a")  # and past it: the attempts waiting are answered first
    assert limit.wait("a", now=10) == 1.0
    limit.end("a", failed=False, now=10)
    assert limit.wait("a", now=10) == pytest.approx(50)  # one is still waiting


def test_addresses_whose_failures_left_the_window_are_forgotten_once_there_are_many():
    limit = RateLimit(per_client=2, window=60)
    for n in range(MAX_CLIENTS + 1):
        failed(limit, f"10.{n}", now=0)
    failed(limit, "later", now=30)  # past the size, but every failure still recent
    assert len(limit._clients) == MAX_CLIENTS + 2
    failed(limit, "much later", now=61)  # past the size: the stale ones go
    assert len(limit._clients) == 2
