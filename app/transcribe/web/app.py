"""The web app's entry script (`transcribe-web` runs it): page setup, interface language,
the deletion countdown, then the page the visitor chose. The password is checked before
this script ever runs, at the HTTP layer (`gate.py`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import transcribe  # noqa: F401 - offline and telemetry-free environment, first
from transcribe.languages import UI_LANGUAGE_NAMES, UI_LANGUAGES
from transcribe.logs import quiet_libraries
from transcribe.web import accessibility, auth, display, language_choice, page_locale, state
from transcribe.web.state import t

VIEWS = Path(__file__).with_name("views")

quiet_libraries()
settings = state.settings()
if state.LANGUAGE_KEY not in st.session_state:
    remembered = language_choice.from_cookie(st.context.cookies, settings.ui_language)
    st.session_state[state.LANGUAGE_KEY] = st.session_state[state.REMEMBERED_LANGUAGE] = \
        remembered
# An emoji favicon is drawn from a data: URL; a :material/...: one would be fetched from
# fonts.gstatic.com on every visit, and an offline service makes no such request.
st.set_page_config(page_title=t("app.title"), page_icon="🎙️", layout="wide",
                   initial_sidebar_state="expanded")


def deadline_notice() -> None:
    """How long before the service, and every file in it, is deleted."""
    if settings.delete_at is None:
        return
    left, message = display.deadline_text(settings.delete_at, state.language())
    if left <= 0:
        st.error(message, icon=":material/timer_off:")
    elif left < 3600:
        st.warning(message, icon=":material/timer:")
    else:
        st.info(message, icon=":material/timer:")


with st.sidebar:
    st.segmented_control(t("app.language"), UI_LANGUAGES, key=state.LANGUAGE_KEY,
                         format_func=UI_LANGUAGE_NAMES.get, selection_mode="single",
                         required=True)
    if st.session_state[state.LANGUAGE_KEY] != st.session_state.get(state.REMEMBERED_LANGUAGE):
        st.session_state[state.REMEMBERED_LANGUAGE] = st.session_state[state.LANGUAGE_KEY]
        st.html(language_choice.remember_script(st.session_state[state.LANGUAGE_KEY],
                                                settings.base_path),
                unsafe_allow_javascript=True)
# Contrast and focus rings Streamlit's styling lacks, the focus kept across its redraws;
# the page's language for screen readers.
st.html(accessibility.PAGE_STYLE)
st.html(accessibility.FOCUS_KEEPER, unsafe_allow_javascript=True)
st.html(page_locale.locale_script(st.session_state[state.LANGUAGE_KEY]),
        unsafe_allow_javascript=True)

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
current = st.navigation(pages, position="sidebar")
with st.sidebar:  # RGAA: every page says how accessible the service is, and links to why
    st.page_link(pages[2], label=t("app.accessibility"), icon=":material/accessibility_new:")
current.run()
