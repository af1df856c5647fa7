"""The correction editor on the review page: one Streamlit custom component (components
v2: the plain HTML/CSS/JS in `assets/`, no build step, nothing fetched from elsewhere)
holding the listening copy's player and the transcript.

The browser keeps its own copy of the transcript and sends its corrections as batches of
operations (`changes.py`) through a trigger value; the callback applies them under the
job's lock and the answer (version, refused operations) goes back in the component's data
on the fragment's rerun. The whole transcript never rides the websocket: the data names where
the browser fetches it (`documents.py`, behind the same gate) and, on a full run of the
page, its stored version; the browser fetches it when it has none or an older one, and
after an answer saying someone else saved meanwhile.
The recording comes from the app's own route too (`documents.py`: read from the job's
folder at each request, never held in Streamlit's media store, gone with the job).
An open editor asks that route for the stored version every few seconds (a HEAD, no body):
a change saved from another tab is fetched and shown; a transcript deleted meanwhile is
taken off the screen at once, and the page runs again without it.

The editor's script is a few plain files by concern (`JS_FILES`), joined in this order into
the one module the component runs: no build step.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import streamlit as st

from .. import changes
from ..jobs import Job, JobStore
from . import documents, state, strings

ASSETS = Path(__file__).with_name("assets")
# Helpers first, then what the editor's class takes in (search, speakers, saving), then the
# class itself and the component's entry point.
JS_FILES = ("editor-text.js", "editor-search.js", "editor-speakers.js", "editor-saving.js",
            "editor-gaps.js", "editor.js")
logger = logging.getLogger(__name__)


@functools.cache
def _component():
    return st.components.v2.component(
        "transcribe_editor", css=(ASSETS / "editor.css").read_text(encoding="utf-8"),
        js="\n".join((ASSETS / name).read_text(encoding="utf-8") for name in JS_FILES),
        isolate_styles=False)


def handle_batch(store: JobStore, job_id: str, batch: Any) -> dict[str, Any] | None:
    """Apply a batch from the browser once (a batch sent again gets the same answer). The
    answer names the refused operations by their place in the batch (`refused`), so that
    the editor can show the person what they typed."""
    if not isinstance(batch, dict) or not isinstance(batch.get("ops"), list):
        return None
    answered = st.session_state.get(f"editor-ack-{job_id}")
    if answered and answered.get("id") == batch.get("id"):
        return answered
    base = batch.get("base")
    try:
        outcome = changes.apply(store, job_id, base if isinstance(base, int) else None,
                                batch["ops"])
    except KeyError:
        return {"id": batch.get("id"), "error": "gone", "conflicts": [], "refused": [],
                "stale": True}
    if outcome.conflicts:
        logger.info("job %s: %d edit(s) refused", job_id, len(outcome.conflicts))
    return {"id": batch.get("id"), "version": outcome.version, "stale": outcome.stale,
            "conflicts": [c["reason"] for c in outcome.conflicts],
            "refused": [c["index"] for c in outcome.conflicts]}


def show(store: JobStore, job: Job, language: str, base_path: str, playable: bool,
         version: int | None = None) -> None:
    """The editor for one finished job (call it inside an st.fragment); `playable`: the
    job has a recording to play. `version`: the stored transcript's, when the page's full
    run has just read it."""
    key, ack_key = f"editor-{job.id}", f"editor-ack-{job.id}"

    def on_changes() -> None:
        ack = handle_batch(store, job.id, getattr(st.session_state.get(key), "changes", None))
        if ack is not None:
            st.session_state[ack_key] = ack

    # A fragment's own rerun (after a save) knows no version: the page's full run does.
    full = st.session_state.pop(state.EDITOR_FULL_RUN, False)
    doc = {"url": documents.document_path(base_path, job.id),
           "version": version if full else None}
    data = {"lang": language, "strings": strings.editor_texts(language), "doc": doc,
            "ack": st.session_state.get(ack_key),
            "audio": documents.audio_path(base_path, job.id) if playable else None}
    # "gone": the editor found the transcript deleted and took it off the screen; this
    # fragment runs again and the page's check (`review.py`) draws the page without it.
    _component()(key=key, data=data, on_changes_change=on_changes,
                 on_gone_change=lambda: None)
