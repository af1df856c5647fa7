"""Fixtures for the web app's tests: a data folder and environment per test, the app's
worker running a stand-in for the pipeline (or no worker at all); for the correction
editor's browser tests, one real server for them all, a fresh finished job per test and a
headless Chromium."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import streamlit as st

sys.path.insert(0, str(Path(__file__).parent))  # web_support, for the test modules

from web_support import ENVIRONMENT, FakeRunner

from transcribe.jobs import JobQueue, JobStore


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "data"
    monkeypatch.setenv("TRANSCRIBE_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def runner(monkeypatch, data_dir) -> FakeRunner:
    """The app's worker runs jobs with a FakeRunner; the queue is stopped afterwards."""
    from transcribe.web import state

    fake = FakeRunner()
    monkeypatch.setattr(state, "make_runner", lambda: fake)
    state.stop_queues()
    st.cache_resource.clear()
    yield fake
    state.stop_queues()
    st.cache_resource.clear()


@pytest.fixture
def idle_worker(monkeypatch, runner):
    """No worker thread: jobs stay as the test seeds them."""
    monkeypatch.setattr(JobQueue, "start", lambda self: self)


@pytest.fixture
def store(data_dir) -> JobStore:
    return JobStore(data_dir)


# -- the correction editor in a browser (test_correction*.py) ------------------------------

@pytest.fixture(scope="session")
def editor_app(tmp_path_factory):
    """A real `transcribe-web` (English) and a spoken recording with its transcript."""
    from editor_support import spoken_interview
    from test_browser import serve

    folder = tmp_path_factory.mktemp("editor")
    recording, transcript = spoken_interview(folder)
    with serve(folder, "editor", TRANSCRIBE_UI_LANGUAGE="en") as (url, data, _):
        yield url, data, recording, transcript


@pytest.fixture
def job(editor_app):
    """A fresh finished job per test, in the running app's data folder."""
    from editor_support import seed_job

    url, data, recording, transcript = editor_app
    job_id = seed_job(data, recording, transcript, "interview.wav")
    return url, data, job_id


@pytest.fixture
def browser():
    from editor_browser import ARGS, ARTIFACTS
    from playwright.sync_api import sync_playwright
    from test_browser import CHROMIUM

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
