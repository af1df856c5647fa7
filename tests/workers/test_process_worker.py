"""Worker processes through the `process` launcher, with real HTTP: a queued batch
transcribed by one worker (the embedded tiny.en model, loaded once), a worker killed with
SIGKILL mid-job (its job fails with a reason, the next one runs), cancel, a queue stopped
and started again mid-batch (as a web app restarting)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from transcribe.asr import AsrOptions, ModelSettings
from transcribe.i18n import Notice
from transcribe.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobQueue, JobStore
from transcribe.pipeline import PipelineOptions
from transcribe.web import display
from transcribe.workers.config import WorkerConfig
from transcribe.workers.launches import ENDED, Launches

pytestmark = pytest.mark.slow



def wait_for(predicate, timeout: float = 120.0, what: str = "a condition"):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def tiny() -> PipelineOptions:
    return PipelineOptions(engine="faster-whisper", align=False,
                           model=ModelSettings("tiny.en", device="cpu"),
                           asr=AsrOptions(language="en"))


def duration(path: Path) -> float:
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                            "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    return float(probe.stdout)


def start_queue(data: Path, idle: float = 2.0) -> JobQueue:
    return JobQueue(JobStore(data), listening_copies=False, poll_interval=0.2,
                    workers=WorkerConfig(idle_seconds=idle)).start()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (ended, not yet reaped) counts as gone.
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_worker_process_transcribes_a_queued_batch(tmp_path, clips):
    queue = start_queue(tmp_path / "data")
    try:
        first = queue.submit("entretien 1.wav", clips["short"], tiny(),
                             duration=duration(clips["short"]))
        second = queue.submit("entretien 2.wav", clips["short"], tiny(),
                              duration=duration(clips["short"]))
        store = queue.store
        wait_for(lambda: not store.get(second.id).active, what="the batch")
        for job in (first, second):
            done = store.get(job.id)
            assert done.status == DONE, done.error
            transcript = store.load_transcript(done)
            assert "recording" in transcript.text.lower()
            assert transcript.source == job.name  # as the user named it
            assert done.stage_seconds.get("asr", 0) > 0
        launches = Launches(tmp_path / "data")
        wait_for(lambda: all(not w.live for w in launches.all()), 30, "the idle exit")
        [launch] = launches.all()  # one worker ran both: one model load
        assert launch.jobs == [first.id, second.id] and launch.end_reason is None
        assert launch.audio_seconds == pytest.approx(2 * duration(clips["short"]), abs=0.1)
        assert 0 < launch.held_seconds < 120 and launch.state == ENDED
        assert not alive(int(launch.handle))
        # The worker's scratch space (in the data folder) is gone with it.
        assert not any((tmp_path / "data" / "workers" / "scratch").glob("*/*"))
    finally:
        queue.stop()


def test_a_worker_killed_mid_job_fails_that_job_with_a_reason_and_the_next_runs(
        tmp_path, clips):
    queue = start_queue(tmp_path / "data")
    store = queue.store
    try:
        victim = queue.submit("long.wav", clips["long"], tiny())
        after = queue.submit("next.wav", clips["short"], tiny())
        wait_for(lambda: store.get(victim.id).stage == "asr", what="the transcription")
        launch = Launches(tmp_path / "data").get(store.get(victim.id).worker)
        os.kill(int(launch.handle), signal.SIGKILL)  # as the OOM killer does
        wait_for(lambda: store.get(victim.id).status == FAILED, 30, "the failure")
        failed = store.get(victim.id)
        assert failed.error == Notice("worker.killed")
        assert "mémoire" in display.error_text(failed.error, "fr")
        assert "memory" in display.error_text(failed.error, "en")
        wait_for(lambda: store.get(after.id).status == DONE, what="the next job")
        assert queue.alive
    finally:
        queue.stop()


def test_cancel_stops_the_worker(tmp_path, clips):
    queue = start_queue(tmp_path / "data", idle=60)
    store = queue.store
    try:
        job = queue.submit("long.wav", clips["long"], tiny())
        wait_for(lambda: store.get(job.id).stage == "asr", what="the transcription")
        worker = store.get(job.id).worker
        asked = time.monotonic()
        queue.cancel(job.id)
        wait_for(lambda: store.get(job.id).status == CANCELLED, 30, "the cancel")
        assert time.monotonic() - asked < 30  # by itself, or stopped after CANCEL_GRACE
        # Nothing else is queued: the worker would idle for a minute; it is told to stop
        # at once instead (no pod kept waiting on a GPU).
        launches = Launches(tmp_path / "data")
        wait_for(lambda: not launches.get(worker).live, 30, "the worker to stop")
    finally:
        queue.stop()


def test_a_queue_restarted_mid_batch_goes_on(tmp_path, clips):
    data = tmp_path / "data"
    queue = start_queue(data)
    store = queue.store
    first = queue.submit("medium.wav", clips["medium"], tiny())
    second = queue.submit("short.wav", clips["short"], tiny())
    try:
        wait_for(lambda: store.get(first.id).stage == "asr", what="the transcription")
        pid = int(Launches(data).get(store.get(first.id).worker).handle)
    finally:
        queue.stop()  # the web app stops: its worker goes, the job is queued again
    assert not alive(pid)
    assert store.get(first.id).status == QUEUED and store.get(second.id).status == QUEUED
    again = start_queue(data)
    try:
        wait_for(lambda: store.get(second.id).status == DONE, 300, "the batch")
        assert store.get(first.id).status == DONE and store.get(first.id).attempts == 2
    finally:
        again.stop()
    assert RUNNING not in {j.status for j in store.list()}


def test_a_web_app_process_restarted_mid_batch_goes_on(tmp_path, clips):
    """The same with a real `transcribe-web`: stopped while its worker transcribes, its
    worker goes with it (no orphan keeps the job), and the next start finishes the batch."""
    from webserver import web_server

    data = tmp_path / "data"
    store = JobStore(data)
    first = store.create("medium.wav", clips["medium"], tiny())
    second = store.create("short.wav", clips["short"], tiny())
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TRANSCRIBE_")
              or k == "TRANSCRIBE_MODELS_DIR"},
           "TRANSCRIBE_DATA_DIR": str(data), "HOME": str(tmp_path),
           "TRANSCRIBE_WORKER_IDLE_SECONDS": "2"}
    with web_server(env, tmp_path / "first.log", timeout=90):
        wait_for(lambda: store.get(first.id).stage == "asr", what="the transcription")
        pid = int(Launches(data).get(store.get(first.id).worker).handle)
    wait_for(lambda: not alive(pid), 10, "the worker to go with its web app")
    assert store.get(first.id).status == RUNNING  # as the stopped server left it
    with web_server(env, tmp_path / "second.log", timeout=90):
        wait_for(lambda: store.get(second.id).status == DONE, 300, "the batch")
    done = store.get(first.id)
    assert done.status == DONE and done.attempts == 2
    assert "recording" in store.load_transcript(done).text.lower()
