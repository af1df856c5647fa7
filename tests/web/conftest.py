"""Fixtures for the web app's tests: a data folder and environment per test, the app's
worker running a stand-in for the pipeline (or no worker at all)."""

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
