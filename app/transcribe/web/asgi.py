"""The ASGI application `transcribe-web` serves: Streamlit's app (app.py) with our own
HTTP layer in front of it.

`streamlit run` finds `app` below and serves it with uvicorn. What runs before
Streamlit sees a request is a plain list, outermost first, so that each concern (the
upload spool here) stays one entry. Imported by file path, not as part of the package:
absolute imports only.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from transcribe import storage
from transcribe.web.settings import load_settings
from transcribe.web.spool import SpoolUploads

settings = load_settings()

MIDDLEWARE = [
    # Uploads go to the data folder as they arrive, never into memory.
    Middleware(SpoolUploads, data_dir=settings.data_dir, max_upload_mb=settings.max_upload_mb,
               limit=storage.data_limit()),
]
ROUTES: list = []

app = st.App(Path(__file__).with_name("app.py"), routes=ROUTES, middleware=MIDDLEWARE)
