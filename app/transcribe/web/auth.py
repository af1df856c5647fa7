"""The login gate: when TRANSCRIBE_PASSWORD is set, nothing but the login form shows until
the password is given; without it (a local `make run`) there is no login.

A successful login is remembered for the browser session, and in a signed cookie so that a
refresh does not ask again. The cookie's key is random per server process and bound to the
password: a restart or a new password logs everyone out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import streamlit as st

from .settings import Settings
from .state import t

SESSION_KEY = "authenticated"
COOKIE = "transcribe_login"
COOKIE_LIFETIME = 12 * 3600
FAILURE_DELAY = 1.0  # seconds: slows down guessing


def check_password(given: str, expected: str) -> bool:
    """Constant-time comparison (of digests, so that the length leaks nothing either)."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(),
                               hashlib.sha256(expected.encode()).digest())


@st.cache_resource(show_spinner=False)
def _process_secret() -> bytes:
    return secrets.token_bytes(32)


def _signature(expires: int, password: str) -> str:
    key = hashlib.sha256(_process_secret() + password.encode()).digest()
    return hmac.new(key, str(expires).encode(), hashlib.sha256).hexdigest()


def make_token(password: str, now: float | None = None) -> str:
    expires = int((now if now is not None else time.time()) + COOKIE_LIFETIME)
    return f"{expires}.{_signature(expires, password)}"


def valid_token(token: str | None, password: str, now: float | None = None) -> bool:
    if not token or "." not in token:
        return False
    expires_text, signature = token.split(".", 1)
    if not expires_text.isdigit() or int(expires_text) < (now or time.time()):
        return False
    return hmac.compare_digest(signature, _signature(int(expires_text), password))


def _cookie_script(value: str, max_age: int, base_path: str) -> str:
    path = "/" + base_path.strip("/")
    # Set from the page (Streamlit cannot set cookies from Python); only this app's path.
    return ("<script>document.cookie = " f"'{COOKIE}={value}; Path={path}; Max-Age={max_age}; "
            "SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');</script>")


def gate(settings: Settings) -> bool:
    """True when the visitor may use the app; otherwise shows the login form."""
    if not settings.password or st.session_state.get(SESSION_KEY):
        return True
    cookie = _request_cookie()
    if (not st.session_state.get("logged_out") and cookie not in _revoked()
            and valid_token(cookie, settings.password)):
        st.session_state[SESSION_KEY] = True
        return True
    forget_login(settings)

    st.title(t("login.title"))
    st.write(t("login.intro"))
    with st.form("login", enter_to_submit=True):
        given = st.text_input(t("login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("login.submit"), type="primary")
    if submitted:
        if check_password(given or "", settings.password):
            st.session_state[SESSION_KEY] = True
            st.session_state["logged_out"] = False
            st.session_state["set_login_cookie"] = True
            st.session_state.pop("login_password", None)
            st.rerun()
        time.sleep(FAILURE_DELAY)
        st.error(t("login.wrong"))
    return False


def remember_login(settings: Settings) -> None:
    """After a login, store the signed cookie in the browser (once)."""
    if settings.password and st.session_state.pop("set_login_cookie", False):
        st.html(_cookie_script(make_token(settings.password), COOKIE_LIFETIME,
                               settings.base_path), unsafe_allow_javascript=True)


@st.cache_resource(show_spinner=False)
def _revoked() -> set[str]:
    """Tokens of sessions that logged out (until the server restarts, which voids all)."""
    return set()


def logout() -> None:
    cookie = _request_cookie()
    if cookie:
        _revoked().add(cookie)
    st.session_state[SESSION_KEY] = False
    st.session_state["logged_out"] = True
    st.session_state["clear_login_cookie"] = True


def forget_login(settings: Settings) -> None:
    if st.session_state.pop("clear_login_cookie", False):
        st.html(_cookie_script("", 0, settings.base_path), unsafe_allow_javascript=True)


def _request_cookie() -> str | None:
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (tests): no cookie
        return None
