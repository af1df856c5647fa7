"""The correction editor on the review page: one Streamlit custom component (components
v2: the plain HTML/CSS/JS in `assets/`, no build step, nothing fetched from elsewhere)
holding the listening copy's player and the transcript.

The browser keeps its own copy of the transcript and sends its corrections as batches of
operations (`changes.py`) through a trigger value; the callback applies them under the
job's lock and the answer (version, refused operations) goes back in the component's data
on the fragment's rerun. The whole transcript never rides the websocket: the data names where
to fetch it (`documents.py`, behind the same gate) on a full run of the page, when the
browser asks (mounted again), or when someone else saved meanwhile.
The audio goes through Streamlit's own media route, like st.audio, so whatever guards the
app's routes guards it too.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import streamlit as st

from .. import changes
from ..jobs import Job, JobStore
from ..transcript import Transcript
from . import documents, state, strings

ASSETS = Path(__file__).with_name("assets")
logger = logging.getLogger(__name__)


@functools.cache
def _component():
    return st.components.v2.component(
        "transcribe_editor", css=(ASSETS / "editor.css").read_text(encoding="utf-8"),
        js=(ASSETS / "editor.js").read_text(encoding="utf-8"), isolate_styles=False)


def audio_url(path: Path | None, media_type: str, job_id: str, base_path: str) -> str | None:
    """A /media URL for the recording, kept for as long as the page shows it."""
    from streamlit.runtime import Runtime

    if path is None or not path.is_file() or not Runtime.exists():
        return None
    url = Runtime.instance().media_file_mgr.add(str(path), media_type,
                                                f"transcribe-editor-{job_id}")
    return f"/{base_path}{url}" if base_path else url


def handle_batch(store: JobStore, job_id: str, batch: Any) -> dict[str, Any] | None:
    """Apply a batch from the browser once (a batch sent again gets the same answer)."""
    if not isinstance(batch, dict) or not isinstance(batch.get("ops"), list):
        return None
    answered = st.session_state.get(f"editor-ack-{job_id}")
    if answered and answered.get("id") == batch.get("id"):
        return answered
    base = batch.get("base")
    try:
        outcome = changes.apply(store, job_id, base if isinstance(base, int) else None,
                                [op for op in batch["ops"] if isinstance(op, dict)])
    except KeyError:
        return {"id": batch.get("id"), "error": "gone", "conflicts": [], "stale": True}
    if outcome.conflicts:
        logger.info("job %s: %d edit(s) refused as stale", job_id, len(outcome.conflicts))
    return {"id": batch.get("id"), "version": outcome.version, "stale": outcome.stale,
            "conflicts": [c["reason"] for c in outcome.conflicts]}


def show(store: JobStore, job: Job, language: str, threshold: float, base_path: str,
         media: Path | None, media_type: str = "audio/mpeg",
         loaded: Transcript | None = None) -> None:
    """The editor for one finished job (call it inside an st.fragment). `loaded`: the
    transcript the page's full run has just read (not parsed twice on opening)."""
    key = f"editor-{job.id}"
    ack_key, need_key = f"editor-ack-{job.id}", f"editor-need-{job.id}"

    def on_changes() -> None:
        ack = handle_batch(store, job.id, getattr(st.session_state.get(key), "changes", None))
        if ack is not None:
            st.session_state[ack_key] = ack
            if ack.get("stale") or ack.get("conflicts"):
                st.session_state[need_key] = True

    def on_need() -> None:
        st.session_state[need_key] = True

    full = st.session_state.pop(state.EDITOR_FULL_RUN, False)
    need = st.session_state.pop(need_key, False)
    doc = None
    if full or need:
        # Where to fetch the stored transcript, and which version that is when the page
        # knows it: a tab that has that version already fetches nothing.
        version = loaded.version if full and not need and loaded is not None else None
        doc = {"url": documents.document_path(base_path, job.id), "version": version}
    data = {"lang": language, "strings": strings.editor_texts(language), "doc": doc,
            "ack": st.session_state.get(ack_key),
            "audio": audio_url(media, media_type, job.id, base_path)}
    _component()(key=key, data=data, on_changes_change=on_changes, on_need_change=on_need)
