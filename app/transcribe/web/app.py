"""The web app's entry script (`transcribe-web` runs it): page setup, interface language,
the deletion countdown, then the page the visitor chose. The password is checked before
this script ever runs, at the HTTP layer (`gate.py`)."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path

import streamlit as st

import transcribe  # noqa: F401 - offline and telemetry-free environment, first
from transcribe.logs import quiet_libraries
from transcribe.web import auth, state
from transcribe.web.reviewing import hours_minutes, time_left
from transcribe.web.state import t
from transcribe.web.strings import LANGUAGE_NAMES, LANGUAGES

VIEWS = Path(__file__).with_name("views")

quiet_libraries()
settings = state.settings()
st.session_state.setdefault(state.LANGUAGE_KEY, settings.ui_language)
# An emoji favicon is drawn from a data: URL; a :material/...: one would be fetched from
# fonts.gstatic.com on every visit, and an offline service makes no such request.
st.set_page_config(page_title=t("app.title"), page_icon="🎙️", layout="wide",
                   initial_sidebar_state="expanded")


def deadline_notice() -> None:
    """How long before the service, and every file in it, is deleted."""
    if settings.delete_at is None:
        return
    left = time_left(settings.delete_at)
    when = settings.delete_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if left <= 0:
        st.error(t("deadline.passed"), icon=":material/timer_off:")
        return
    hours, minutes = hours_minutes(left)
    message = t("deadline.left", hours=hours, minutes=minutes, when=when)
    if left < 3600:
        st.warning(message, icon=":material/timer:")
    else:
        st.info(message, icon=":material/timer:")


with st.sidebar:
    st.segmented_control(t("app.language"), LANGUAGES, key=state.LANGUAGE_KEY,
                         format_func=LANGUAGE_NAMES.get, selection_mode="single",
                         required=True)

# The worker is started by transcribe-web; this restarts it should it ever have stopped.
state.queue()

with st.sidebar:
    deadline_notice()
    auth.logout_button(settings)

pages = [
    st.Page(VIEWS / "upload.py", title=t("nav.upload"), icon=":material/upload_file:",
            url_path="transcribe", default=True),
    st.Page(VIEWS / "review.py", title=t("nav.review"), icon=":material/edit_note:",
            url_path="review"),
    st.Page(VIEWS / "privacy.py", title=t("nav.privacy"), icon=":material/shield_lock:",
            url_path="privacy"),
]
st.navigation(pages, position="sidebar").run()
