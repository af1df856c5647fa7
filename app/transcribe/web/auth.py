"""The logout button. The login itself is not here: the password gate (`gate.py`) checks
every request at the HTTP layer, before any script runs; the button posts a form to the
gate's logout route (a POST from this page's own origin: a link from elsewhere cannot log
anyone out), which ends the session on the server and closes its websockets."""

from __future__ import annotations

import json

import streamlit as st

from .gate import LOGOUT
from .settings import Settings
from .state import language, t


def logout_button(settings: Settings) -> None:
    if not settings.password:
        return
    if st.button(t("app.logout"), icon=":material/logout:", key="logout"):
        base = settings.url_prefix
        target = json.dumps(f"{base}{LOGOUT}?lang={language()}")
        # A script is the one way a Streamlit button navigates the page itself.
        st.html("<script>{const form = document.createElement('form'); form.method = 'post'; "
                f"form.action = {target}; document.body.appendChild(form); form.submit();}}"
                "</script>", unsafe_allow_javascript=True)
