"""The job store's own edges (jobs/store.py): what a job's record says once its saved
transcript makes it done, and a folder whose removal fails once or for good."""

from __future__ import annotations

import errno
import shutil
import time
from pathlib import Path

import pytest

from transcribe.asr import AsrOptions, ModelSettings
from transcribe.jobs import DONE, RUNNING, JobStore
from transcribe.jobs import store as store_module
from transcribe.pipeline import PipelineOptions
from transcribe.transcript import Notice, Segment, Transcript


@pytest.fixture
def store(tmp_path) -> JobStore:
    return JobStore(tmp_path / "data")


def options() -> PipelineOptions:
    return PipelineOptions(model=ModelSettings("base"), asr=AsrOptions(language="fr"))


def test_a_saved_transcript_makes_a_running_job_done_whole(store):
    """After a restart, a job whose transcript is on disk is done: no stage, the bar full,
    its end time now, a cancel asked meanwhile forgotten (nothing is left to cancel)."""
    job = store.create("a.wav", b"a", options())
    store.update(job.id, status=RUNNING, stage="assign", fraction=0.7, cancel_requested=True,
                 attempts=1)
    transcript = Transcript(language="fr", duration=2.0, source="a.wav",
                            segments=[Segment(0.0, 2.0, "bonjour")],
                            notices=[Notice("audio.damaged", {"name": "a.wav"})])
    store.save_transcript(job, transcript)
    before = time.time()
    assert store.requeue_unfinished() == []
    done = store.get(job.id)
    assert (done.status, done.stage, done.fraction, done.cancel_requested) == (
        DONE, None, 1.0, False)
    assert before <= done.finished <= time.time()
    assert done.notices == [Notice("audio.damaged", {"name": "a.wav"})]
    assert set(store_module.done_changes(transcript)) == {
        "status", "stage", "fraction", "finished", "cancel_requested", "notices"}


class FlakyRemoval:
    """shutil.rmtree as a folder being written into makes it: it fails `failures` times
    (ENOTEMPTY), then removes for real; the pauses between tries are recorded, not slept."""

    def __init__(self, monkeypatch, failures: int):
        self.failures = failures
        self.calls = 0
        self.pauses: list[float] = []
        real = shutil.rmtree

        def rmtree(path, *args, **kwargs):
            self.calls += 1
            if self.calls <= self.failures:
                raise OSError(errno.ENOTEMPTY, "Directory not empty", str(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(store_module.shutil, "rmtree", rmtree)
        monkeypatch.setattr(store_module.time, "sleep", self.pauses.append)


def test_a_removal_that_fails_once_is_tried_again(store, monkeypatch):
    job = store.create("a.wav", b"a", options())
    flaky = FlakyRemoval(monkeypatch, failures=2)
    assert store.delete(job.id) is True
    assert not store.folder(job.id).exists()
    assert (flaky.calls, flaky.pauses) == (3, [0.2, 0.2])


def test_a_removal_that_keeps_failing_is_reported(store, monkeypatch):
    job = store.create("a.wav", b"a", options())
    flaky = FlakyRemoval(monkeypatch, failures=99)
    with pytest.raises(OSError):
        store.delete(job.id)
    assert (flaky.calls, flaky.pauses) == (3, [0.2, 0.2])
    assert Path(store.folder(job.id)).exists()  # nothing claimed deleted that is not
