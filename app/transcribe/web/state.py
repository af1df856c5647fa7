"""What lives across reruns: the job queue and model store (one per server process, in
st.cache_resource), the interface language (per browser session), and `t`, the one way
pages get their text."""

from __future__ import annotations

import threading

import streamlit as st

from ..jobs import JobQueue, JobStore, Runner
from ..languages import ui_language
from ..models import ModelStore
from . import documents, strings
from .settings import Settings, load_settings

# Session keys (one browser tab's state) that pages read or set outside their own widgets,
# named once so that a page clearing another's state names the same key.
LANGUAGE_KEY = "ui_language"  # the interface language chosen in the sidebar
REMEMBERED_LANGUAGE = "remembered_ui_language"  # the one the browser's cookie holds
FORM_CHOICE = "form-{}"  # the upload form's choices, kept across language switches
REVIEW_JOB = "review_job"  # the job the review page shows (also its selectbox)
REVIEW_TAB = "review_tab"  # the review page's open tab (its tabs widget)
REVIEW_FLASH = "review_flash"  # (level, text) shown once on the review page
TRANSCRIPT_CACHE = "transcript_cache"  # (file stamp, Transcript) of the reviewed job
EDITOR_FULL_RUN = "editor_full_run"  # the review page ran whole: its editor gets the transcript
PRIVACY_FLASH = "privacy_flash"  # shown once on the privacy page
CONFIRM_DELETE_ALL = "confirm-delete-all"  # the privacy page's confirmation box
CONFIRM_DELETE_SERVICE = "confirm-delete-service"  # ...and "delete the service now"'s


def settings() -> Settings:
    return load_settings()


@st.cache_resource(show_spinner=False)
def model_store() -> ModelStore:
    return ModelStore()


def make_runner() -> Runner | None:
    """None: jobs go to transcription workers (the web app loads no model). Tests replace
    this function to run jobs in process with a stand-in for the pipeline."""
    return None


_queues: dict[str, JobQueue] = {}
_queues_lock = threading.Lock()


def job_queue(data_dir: str) -> JobQueue:
    """One queue (and one dispatcher of workers) per server process and data folder,
    shared by every browser session. A plain module-level singleton rather than
    st.cache_resource: serve.py starts it before Streamlit's runtime exists, and two
    queues on one folder would run a job twice."""
    with _queues_lock:
        queue = _queues.get(data_dir)
        if queue is None:
            queue = _queues[data_dir] = JobQueue(JobStore(data_dir), make_runner()).start()
        return queue


def existing_queue(data_dir: str) -> JobQueue | None:
    """The queue of `data_dir` if one was started (the deadline stops it; never starts one)."""
    with _queues_lock:
        return _queues.get(data_dir)


def stop_queues() -> None:
    """Stop and forget every queue (tests)."""
    with _queues_lock:
        for queue in _queues.values():
            queue.stop()
        _queues.clear()


def queue() -> JobQueue:
    running = job_queue(str(settings().data_dir))
    if not running.alive:  # the queue's thread never dies on a job's error; be sure anyway
        running.start()
    return running


def store() -> JobStore:
    return queue().store


def language() -> str:
    return ui_language(st.session_state.get(LANGUAGE_KEY), settings().ui_language)


def forget_transcripts() -> None:
    """After everything is deleted: no page may still show a transcript or play audio."""
    for key in (TRANSCRIPT_CACHE, EDITOR_FULL_RUN):
        st.session_state.pop(key, None)
    documents.forget()  # the editor's prepared documents, kept in memory


def t(key: str, **params: object) -> str:
    return strings.text(key, language(), **params)


def page_title(page: str) -> None:
    """A page's title and its introduction (`<page>.title`, `<page>.intro`)."""
    st.title(t(f"{page}.title"))
    st.markdown(t(f"{page}.intro"))
