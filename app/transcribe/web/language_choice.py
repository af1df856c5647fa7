"""The interface language a browser chose, remembered across reloads in a cookie.

A cookie rather than a query parameter (lost when the sidebar changes page) or the
browser's localStorage (read only by a script, after a first render in the wrong
language): Streamlit hands the server the request's cookies when the page opens, so the
first render is already in the chosen language. It holds "fr" or "en", nothing else.
"""

from __future__ import annotations

from ..languages import UI_LANGUAGES, ui_language

COOKIE = "transcribe_ui_language"
LIFETIME = 365 * 24 * 3600  # seconds


def from_cookie(cookies: object, default: str) -> str:
    """The language the browser chose last time, else the service's default."""
    try:
        chosen = cookies.get(COOKIE)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - no request context (tests): nothing remembered
        chosen = None
    return ui_language(chosen, default)


def remember_script(language: str, base_path: str) -> str:
    """Sets the cookie from the page (Streamlit cannot set cookies from Python)."""
    if language not in UI_LANGUAGES:
        raise ValueError(language)
    path = "/" + base_path.strip("/")
    return ("<script>document.cookie = "
            f"'{COOKIE}={language}; Path={path}; Max-Age={LIFETIME}; SameSite=Strict' + "
            "(location.protocol === 'https:' ? '; Secure' : '');</script>")
