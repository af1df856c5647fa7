"""The job store's own edges (jobs/store.py): what a job's record says once its saved
transcript makes it done, and a folder whose removal fails once or for good."""

from __future__ import annotations

import errno
import io
import logging
import shutil
import time
from pathlib import Path

import pytest

from transcribe.asr import AsrOptions, ModelSettings
from transcribe.conventions import Conventions
from transcribe.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    UPLOADING,
    JobDeleted,
    JobStore,
    valid_job_id,
)
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


def test_a_restart_sorts_every_job_by_what_it_was_doing(store, caplog):
    """Each job is looked at, whatever came before it in the list: an upload cut short is
    deleted, a job already over stays as it is, a job whose worker still runs (a Kubernetes
    Job found again) stays running, one whose worker is gone is queued again, one whose
    cancel was asked is cancelled."""
    caplog.set_level(logging.INFO, logger="transcribe.jobs")
    made = {}
    for name, status, changes in [
            ("cut", UPLOADING, {}),
            ("over", FAILED, {"worker": "launch-old", "finished": 1.0}),
            ("kept", RUNNING, {"worker": "launch-alive", "stage": "asr"}),
            ("lost", RUNNING, {"worker": "launch-gone", "stage": "asr", "attempts": 1,
                               "fraction": 0.6, "stage_fraction": 0.5, "started": 5.0}),
            ("plain", RUNNING, {"stage": "asr", "attempts": 1, "fraction": 0.3,
                                "stage_fraction": 0.2, "started": 6.0}),
            ("cancelled", RUNNING, {"stage": "asr", "cancel_requested": True}),
            ("saved", RUNNING, {"stage": "assign", "attempts": 1})]:
        job = store.create(f"{name}.wav", b"x", options(), status=status)
        made[name] = store.update(job.id, **changes) if changes else job
    store.save_transcript(made["saved"], Transcript(language="fr", duration=1.0,
                                                    source="saved.wav", segments=[]))
    before = time.time()
    requeued = store.requeue_unfinished(keep={"launch-alive"})
    assert requeued == [made["lost"].id, made["plain"].id]
    assert store.get(made["cut"].id) is None and not store.folder(made["cut"].id).exists()
    assert store.get(made["over"].id) == made["over"]
    assert store.get(made["kept"].id) == made["kept"]
    for name in ("lost", "plain"):
        job = store.get(made[name].id)
        assert (job.status, job.stage, job.worker, job.fraction, job.stage_fraction,
                job.started) == (QUEUED, None, None, 0.0, 0.0, None)
    cancelled = store.get(made["cancelled"].id)
    assert (cancelled.status, cancelled.stage) == (CANCELLED, None)
    assert before <= cancelled.finished <= time.time()
    assert store.get(made["saved"].id).status == DONE
    assert f"job {made['saved'].id}: its transcript was saved: done" in caplog.messages
    assert f"job {made['lost'].id}: queued again after a restart" in caplog.messages


def test_a_jobs_conventions_are_saved_in_its_record(store):
    job = store.create("a.wav", b"a", options())
    chosen = Conventions(mark_pauses=True, min_pause=2.5, pseudonyms={"Marie": "P1"})
    saved = store.save_conventions(job.id, chosen)
    assert saved is not None and store.conventions(saved) == chosen
    assert store.conventions(store.get(job.id)) == chosen
    assert store.save_conventions("20260101-000000-00000000", chosen) is None


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


def test_the_data_folder_is_the_one_named_or_the_environments(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSCRIBE_DATA_DIR", str(tmp_path / "from-env"))
    assert JobStore().data_dir == (tmp_path / "from-env").resolve()
    assert JobStore(tmp_path / "named").root == (tmp_path / "named" / "jobs").resolve()


def test_a_name_that_is_no_job_id_has_no_folder(store):
    with pytest.raises(KeyError) as refused:
        store.folder("../escape")
    assert refused.value.args == ("../escape",)


class FailingSource(io.BytesIO):
    """An upload whose reading fails after its first chunk (the sizes read are kept)."""

    def __init__(self, error: BaseException, vanish: Path | None = None):
        super().__init__(b"x" * (3 * store_module.COPY_CHUNK))
        self.error, self.vanish, self.sizes = error, vanish, []

    def read(self, size=-1):
        self.sizes.append(size)
        if len(self.sizes) > 1:
            if self.vanish is not None:
                shutil.rmtree(self.vanish)  # a "delete all" from another tab, meanwhile
            raise self.error
        return super().read(size)


@pytest.mark.parametrize("error", [OSError(errno.EIO, "read failed"), RuntimeError("stop")])
def test_an_upload_that_fails_midway_leaves_no_folder(store, error):
    source = FailingSource(error)
    with pytest.raises(type(error)):
        store.create("a.wav", source, options())
    assert list(store.root.iterdir()) == []
    assert source.sizes == [store_module.COPY_CHUNK] * 2  # read chunk by chunk, never whole


def test_an_upload_whose_folder_is_deleted_meanwhile_names_its_job(store):
    store.root.mkdir(parents=True)
    source = FailingSource(OSError(errno.ENOENT, "gone"), vanish=store.root)
    with pytest.raises(JobDeleted) as deleted:
        store.create("a.wav", source, options())
    (job_id,) = deleted.value.args
    assert valid_job_id(job_id) and not store.root.exists()


def test_with_nothing_queued_there_is_no_next_job(store):
    assert store.next_queued() is None
    job = store.create("a.wav", b"a", options(), status=RUNNING)
    assert store.next_queued() is None and store.queue_position(job.id) is None
