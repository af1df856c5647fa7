"""The job queue and store: order, persistence, restarts, cancelling, failures, deletion.

The runner is a stand-in for the pipeline (fast and deterministic), run in process; the
real pipeline through worker processes is tests/workers/.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from transcribe.asr import AsrOptions, ModelSettings
from transcribe.audio import AudioError
from transcribe.conventions import Conventions
from transcribe.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    MAX_ATTEMPTS,
    QUEUED,
    RUNNING,
    Job,
    JobDeleted,
    JobQueue,
    JobStore,
    estimate_remaining,
    valid_job_id,
)
from transcribe.models import ModelNotFoundError
from transcribe.pipeline import Cancelled, PipelineOptions
from transcribe.speakers import SpeakerOptions
from transcribe.transcript import Notice, Segment, Transcript


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def fake_transcript(path: Path, text: str = "bonjour") -> Transcript:
    return Transcript(language="fr", duration=2.0, source=path.name,
                      segments=[Segment(0.0, 2.0, text)])


class RecordingRunner:
    """Runs instantly, records the order and how many run at once."""

    def __init__(self, delay: float = 0.05):
        self.delay = delay
        self.order: list[str] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def __call__(self, path, options, progress, cancelled):
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            progress("decode", 0.0)
            time.sleep(self.delay)
            progress("asr", 0.5)
            self.order.append(path.read_bytes().decode())
            return fake_transcript(path)
        finally:
            with self._lock:
                self.active -= 1


def all_finished(store: JobStore, count: int):
    return lambda: len(store.list()) == count and all(not j.active for j in store.list())


@pytest.fixture
def store(tmp_path) -> JobStore:
    return JobStore(tmp_path / "data")


def options() -> PipelineOptions:
    return PipelineOptions(model=ModelSettings("base"), asr=AsrOptions(language="fr"))


def test_jobs_run_one_at_a_time_in_submission_order(store):
    runner = RecordingRunner()
    queue = JobQueue(store, runner, listening_copies=False)
    for name in ("first", "second", "third"):
        queue.submit(f"{name}.wav", name.encode(), options())
    queue.start()
    try:
        wait_for(all_finished(store, 3))
    finally:
        queue.stop()
    assert runner.order == ["first", "second", "third"]
    assert runner.max_active == 1
    assert [j.status for j in store.list()] == [DONE, DONE, DONE]


def test_jobs_and_results_survive_a_new_store_instance(store):
    queue = JobQueue(store, RecordingRunner(0), listening_copies=False).start()
    conventions = Conventions(flag_uncertain=True, pseudonyms={"Marie": "Anne"})
    job = queue.submit("entretien 1.m4a", b"audio", options(), conventions, duration=12.5)
    try:
        wait_for(all_finished(store, 1))
    finally:
        queue.stop()
    again = JobStore(store.data_dir)
    [loaded] = again.list()
    assert (loaded.id, loaded.name, loaded.status, loaded.duration) == (
        job.id, "entretien 1.m4a", DONE, 12.5)
    assert loaded.stem == "entretien 1" and loaded.media == "source.m4a"
    assert again.media_path(loaded).read_bytes() == b"audio"
    assert again.load_transcript(loaded).text == "bonjour"
    assert again.conventions(loaded).pseudonyms == {"Marie": "Anne"}
    assert again.conventions(loaded).flag_uncertain is True
    assert PipelineOptions.from_dict(loaded.options) == options()


def run_after_a_restart(store: JobStore, runner, finished: int) -> None:
    """A new queue over a new store on the same data folder, as after a restart, until
    `finished` jobs are finished."""
    queue = JobQueue(JobStore(store.data_dir), runner, listening_copies=False).start()
    try:
        wait_for(all_finished(store, finished))
    finally:
        queue.stop()


def test_a_restart_queues_running_jobs_again(store):
    job = store.create("a.wav", b"a", options())
    store.update(job.id, status=RUNNING, started=time.time(), stage="asr", fraction=0.4,
                 attempts=1)
    stuck = store.create("b.wav", b"b", options())
    store.update(stuck.id, status=RUNNING, attempts=MAX_ATTEMPTS)
    runner = RecordingRunner(0)
    run_after_a_restart(store, runner, 2)
    assert runner.order == ["a"]
    assert store.get(job.id).status == DONE and store.get(job.id).attempts == 2
    failed = store.get(stuck.id)
    assert failed.status == FAILED and failed.error.key == "job.interrupted"


def test_cancel_a_queued_job_and_a_running_one(store):
    started = threading.Event()

    def runner(path, options, progress, cancelled):
        started.set()
        while True:  # like the pipeline: report progress, which raises when cancelled
            if cancelled():
                raise Cancelled()
            progress("asr", 0.1)
            time.sleep(0.01)

    queue = JobQueue(store, runner, listening_copies=False).start()
    try:
        running = queue.submit("long.wav", b"x", options())
        waiting = queue.submit("next.wav", b"y", options())
        assert started.wait(5)
        assert queue.cancel(waiting.id).status == CANCELLED
        wait_for(lambda: store.get(running.id).status == RUNNING)
        queue.cancel(running.id)
        wait_for(lambda: store.get(running.id).status == CANCELLED)
    finally:
        queue.stop()
    assert store.get(waiting.id).started is None  # never ran


def test_a_failing_job_does_not_stop_the_next_and_keeps_no_text(store, caplog):
    def runner(path, options, progress, cancelled):
        kind = path.read_bytes()
        if kind == b"crash":
            raise RuntimeError("secret words from the interview")
        if kind == b"bad":  # the pipeline names the file as stored: source.mp3
            raise AudioError("audio.unreadable", name=path.name)
        return fake_transcript(path)

    queue = JobQueue(store, runner, listening_copies=False)
    crash = queue.submit("crash.wav", b"crash", options())
    bad = queue.submit("bad.mp3", b"bad", options())
    good = queue.submit("good.wav", b"good", options())
    with caplog.at_level(logging.INFO, logger="transcribe.jobs"):
        queue.start()
        try:
            wait_for(all_finished(store, 3))
        finally:
            queue.stop()
    assert store.get(crash.id).error == Notice("job.failed_unexpected",
                                               {"error": "RuntimeError"})
    assert store.get(bad.id).error == Notice("audio.unreadable", {"name": "bad.mp3"})
    assert store.load_transcript(store.get(good.id)).source == "good.wav"
    assert store.get(good.id).status == DONE
    record = (store.folder(crash.id) / "job.json").read_text()
    assert "secret words" not in record and "secret words" not in caplog.text
    assert "crash.wav" not in caplog.text  # file names may name interviewees
    assert crash.id in caplog.text


def test_notices_and_a_missing_model_name_the_upload_as_the_user_named_it(store, tmp_path):
    def runner(path, options, progress, cancelled):
        if path.read_bytes() == b"nomodel":
            raise ModelNotFoundError("whisper", "large-v3", ["base"], tmp_path)
        transcript = fake_transcript(path)
        transcript.notices = [Notice("audio.damaged", {"name": path.name})]
        return transcript

    queue = JobQueue(store, runner, listening_copies=False)
    damaged = queue.submit("entretien.mp3", b"audio", options())
    missing = queue.submit("other.wav", b"nomodel", options())
    queue.start()
    try:
        wait_for(all_finished(store, 2))
    finally:
        queue.stop()
    job = store.get(damaged.id)
    assert job.notices == [Notice("audio.damaged", {"name": "entretien.mp3"})]
    assert store.load_transcript(job).notices == [Notice("audio.damaged",
                                                         {"name": "entretien.mp3"})]
    assert store.get(missing.id).error == Notice("model.not_found", {
        "kind": "whisper", "name": "large-v3", "available": "base"})


def test_retry_queues_a_failed_job_again(store):
    calls = []

    def runner(path, options, progress, cancelled):
        calls.append(path)
        if len(calls) == 1:
            raise RuntimeError("first try fails")
        return fake_transcript(path)

    queue = JobQueue(store, runner, listening_copies=False).start()
    try:
        job = queue.submit("a.wav", b"a", options())
        wait_for(lambda: store.get(job.id).status == FAILED)
        assert queue.retry(job.id).status == QUEUED
        wait_for(lambda: store.get(job.id).status == DONE)
    finally:
        queue.stop()
    assert store.get(job.id).error is None


def test_delete_all_cancels_the_running_job_and_empties_the_data_folder(store):
    started = threading.Event()

    def runner(path, options, progress, cancelled):
        started.set()
        while not cancelled():
            time.sleep(0.01)
        raise Cancelled()

    queue = JobQueue(store, runner, listening_copies=False).start()
    try:
        queue.submit("a.wav", b"a", options())
        queue.submit("b.wav", b"b", options())
        assert started.wait(5)
        queue.delete_all(timeout=5)
        time.sleep(0.2)  # a late progress report must not bring a record back
    finally:
        queue.stop()
    assert store.data_dir.is_dir() and list(store.data_dir.iterdir()) == []
    assert store.list() == []


class DeletesEverythingWhileRead:
    """An upload being read while another tab presses "delete all"."""

    def __init__(self, queue: JobQueue, data: bytes):
        self.queue, self.data, self.done = queue, data, False

    def read(self, size: int = -1) -> bytes:
        if self.done:
            return b""
        self.queue.delete_all(timeout=5)
        self.done = True
        return self.data


def test_a_delete_all_during_an_upload_is_reported_and_leaves_nothing(store):
    queue = JobQueue(store, RecordingRunner(0), listening_copies=False)
    with pytest.raises(JobDeleted):
        queue.submit("a.wav", DeletesEverythingWhileRead(queue, b"audio"), options())
    assert store.list() == [] and not store.root.exists()
    job = queue.submit("b.wav", b"next", options())  # the next upload works
    assert [j.id for j in store.list()] == [job.id]


def test_a_delete_all_during_the_check_is_reported_as_such(store):
    queue = JobQueue(store, RecordingRunner(0), listening_copies=False)

    def check(path: Path) -> float:
        queue.delete_all(timeout=5)
        raise AudioError("audio.not_found", name=path.name)  # what a probe then says

    with pytest.raises(JobDeleted):
        queue.submit("a.wav", b"a", options(), check=check)
    assert store.list() == []


def test_a_refused_file_is_recorded_without_its_content_and_cannot_be_retried(store):
    error = Notice("audio.unreadable", {"name": "broken.mp3"})
    job = store.record_refused("broken.mp3", options(), Conventions(), error, size=1600)
    assert [p.name for p in store.folder(job.id).iterdir()] == ["job.json"]
    loaded = store.get(job.id)
    assert (loaded.status, loaded.error, loaded.size) == (FAILED, error, 1600)
    assert loaded.finished and not store.has_media(loaded)
    queue = JobQueue(store, RecordingRunner(0), listening_copies=False)
    assert queue.retry(job.id).status == FAILED  # nothing to run
    assert queue.delete(job.id) and store.list() == []


def test_delete_one_job(store):
    queue = JobQueue(store, RecordingRunner(0), listening_copies=False).start()
    try:
        keep = queue.submit("keep.wav", b"k", options())
        gone = queue.submit("gone.wav", b"g", options())
        wait_for(all_finished(store, 2))
        assert queue.delete(gone.id)
    finally:
        queue.stop()
    assert [j.id for j in store.list()] == [keep.id]
    assert not store.folder(gone.id).exists()
    assert store.update(gone.id, status=DONE) is None  # nothing comes back


def test_stored_files_say_which_job_each_belongs_to(store):
    job = store.create("entretien.wav", b"abc", {})
    (store.data_dir / "stray.txt").write_text("x")
    files = {str(f.relative): f for f in store.stored_files()}
    source = files[f"jobs/{job.id}/{job.media}"]
    assert (source.size, source.job_id) == (3, job.id)
    assert files[f"jobs/{job.id}/job.json"].job_id == job.id
    assert files["stray.txt"].job_id is None
    (store.root / "stray").write_text("x")
    (store.data_dir / "uploads" / "x").mkdir(parents=True)
    (store.data_dir / "uploads" / "x" / "y").write_text("y")
    files = {str(f.relative): f.job_id for f in store.stored_files()}
    assert files["jobs/stray"] is None and files["uploads/x/y"] is None
    assert sum(f.size for f in store.stored_files()) == sum(
        p.stat().st_size for p in store.data_dir.rglob("*") if p.is_file())


def test_progress_is_recorded_with_an_estimate(store):
    release = threading.Event()

    def runner(path, options, progress, cancelled):
        progress("decode", 1.0)
        progress("asr", 0.5)
        release.wait(5)
        return fake_transcript(path)

    queue = JobQueue(store, runner, listening_copies=False).start()
    try:
        job = queue.submit("a.wav", b"a", options())
        wait_for(lambda: store.get(job.id).stage == "asr")
        running = store.get(job.id)
        assert 0.3 < running.fraction < 0.7
        assert running.stage_fraction == 0.5  # the stage's own progress, for the stage list
        assert estimate_remaining(running, running.started + 10) == pytest.approx(
            10 * (1 - running.fraction) / running.fraction)
        assert estimate_remaining(running, running.started + 1) is None  # too early
        release.set()
        wait_for(lambda: store.get(job.id).status == DONE)
    finally:
        queue.stop()
    assert store.get(job.id).fraction == 1.0


def test_the_estimate_covers_the_stages_to_come_and_later_jobs_learn(store):
    """A one-hour recording with speakers: while it is transcribed, the time left includes
    alignment and speaker identification; the seconds each stage took stay in the record,
    and the next job of the same model expects them."""
    release = threading.Event()

    def runner(path, options, progress, cancelled):
        for stage in ("decode", "asr"):
            progress(stage, 0.0)
            time.sleep(0.3)
        progress("asr", 0.01)  # the first words: this machine's pace shows
        release.wait(5)
        for stage in ("align", "diarize", "assign"):
            progress(stage, 0.0)
        time.sleep(0.1)
        return fake_transcript(path)

    with_speakers = PipelineOptions(model=ModelSettings("base"), diarize=True)
    queue = JobQueue(store, runner, listening_copies=False).start()
    try:
        job = queue.submit("long.wav", b"a", with_speakers, duration=3600.0)
        wait_for(lambda: store.get(job.id).stage == "asr")
        # The first job here: planned on the defaults, "estimating" until its pace shows
        # (a busy machine runs many times slower than they say).
        loading = store.get(job.id)
        assert loading.expected_defaults and loading.stage_work_from is None
        assert estimate_remaining(loading, loading.stage_started + 0.1) is None
        wait_for(lambda: store.get(job.id).stage_work_from is not None)
        running = store.get(job.id)
        assert list(running.expected) == ["decode", "asr", "align", "diarize", "assign"]
        assert running.stage_seconds["decode"] >= 0.3
        still_to_come = sum(running.expected[s] for s in ("align", "diarize", "assign"))
        left = estimate_remaining(running, running.stage_started)
        # Decoding went faster than planned, which shortens the rest, within limits.
        assert left >= (running.expected["asr"] + still_to_come) * 0.5
        release.set()
        wait_for(lambda: store.get(job.id).status == DONE)
        seconds = store.get(job.id).stage_seconds
        assert set(seconds) == {"decode", "asr", "align", "diarize", "assign"}
        assert seconds["asr"] >= 0.3 and seconds["assign"] >= 0.1

        # This machine ran the stages far faster than the defaults: the next job says so.
        release.set()
        second = queue.submit("next.wav", b"b", with_speakers, duration=3600.0)
        wait_for(lambda: store.get(second.id).status == DONE)
        assert store.get(second.id).expected["diarize"] < running.expected["diarize"] / 10
        assert not store.get(second.id).expected_defaults
    finally:
        queue.stop()


def test_the_bar_never_goes_backwards_across_stages_and_reports(store, monkeypatch):
    """Reports that would move the bar back (a window decoded again, an earlier stage's
    report arriving late, a clock made again from the record as after a restart) leave
    it where it was; the first report with progress marks where the stage's work began."""
    from transcribe.jobs import queue as queue_module

    monkeypatch.setattr(queue_module, "PROGRESS_INTERVAL", 0.0)
    seen: list[tuple[str, float]] = []

    def runner(path, options, progress, cancelled):
        job_id = store.list()[0].id
        for stage, fraction in (("decode", 1.0), ("asr", 0.0), ("asr", 0.9), ("asr", 0.5),
                                ("align", 0.2), ("diarize", 0.3), ("align", 1.0),
                                ("diarize", 0.1)):
            progress(stage, fraction)
            record = store.get(job_id)
            seen.append((record.stage, record.fraction))
        again = queue_module.StageClock(queue, store.get(job_id))  # from the record
        again.report("diarize", 0.05)
        record = store.get(job_id)
        seen.append((record.stage, record.fraction))
        return fake_transcript(path)

    with_speakers = PipelineOptions(model=ModelSettings("base"), diarize=True)
    queue = JobQueue(store, runner, listening_copies=False).start()
    try:
        job = queue.submit("a.wav", b"a", with_speakers, duration=60.0)
        wait_for(lambda: store.get(job.id).status == DONE)
    finally:
        queue.stop()
    fractions = [fraction for _, fraction in seen]
    assert fractions == sorted(fractions) and fractions[-1] > fractions[2] > 0
    assert [stage for stage, _ in seen][-3:] == ["diarize"] * 3


def test_a_stage_records_where_its_work_began(store):
    release = threading.Event()

    def runner(path, options, progress, cancelled):
        progress("decode", 1.0)
        progress("asr", 0.0)  # loading the model: no progress yet
        time.sleep(0.3)
        progress("asr", 0.2)
        release.wait(5)
        return fake_transcript(path)

    queue = JobQueue(store, runner, listening_copies=False).start()
    try:
        job = queue.submit("a.wav", b"a", options(), duration=60.0)
        wait_for(lambda: store.get(job.id).stage_work_from is not None)
        since, fraction = store.get(job.id).stage_work_from
        assert since >= 0.3 and fraction == 0.2
        release.set()
        wait_for(lambda: store.get(job.id).status == DONE)
    finally:
        queue.stop()


def test_records_are_written_atomically_and_ids_are_checked(store):
    job = store.create("../../etc/passwd.wav", b"x", options())
    assert job.name == "passwd.wav" and job.media == "source.wav"
    for index in range(20):
        store.update(job.id, fraction=index / 20)
    folder = store.folder(job.id)
    assert sorted(p.name for p in folder.iterdir()) == ["job.json", "source.wav"]
    assert json.loads((folder / "job.json").read_text())["fraction"] == 0.95
    assert valid_job_id(job.id)
    for bad in ("..", "../x", "", "20260101-000000-zzzzzzzz", f"{job.id}/.."):
        assert store.get(bad) is None
        assert not store.delete(bad)
    with pytest.raises(KeyError):
        store.folder("../escape")


def test_a_worker_survives_a_broken_record(store):
    (store.root / "20260101-000000-00000000").mkdir(parents=True)
    (store.root / "20260101-000000-00000000" / "job.json").write_text("{not json")
    queue = JobQueue(store, RecordingRunner(0), listening_copies=False).start()
    try:
        job = queue.submit("a.wav", b"a", options())
        wait_for(lambda: store.get(job.id).status == DONE)
    finally:
        queue.stop()
    assert [j.id for j in store.list()] == [job.id]


def test_options_round_trip_through_the_record():
    original = PipelineOptions(engine="faster-whisper", align=False, diarize=True,
                               speakers=SpeakerOptions(preset="group"),
                               model=ModelSettings("small", device="cpu"), guard=False,
                               asr=AsrOptions(language=None, initial_prompt="Montreuil"))
    data = json.loads(json.dumps(original.to_dict()))
    assert PipelineOptions.from_dict(data) == original
    assert PipelineOptions.from_dict({**data, "from_the_future": 1}) == original
    # A record written before load-time and decoding settings were apart still runs.
    older = {**data, "asr": {**data["asr"], "model": "small", "device": "cpu", "guard": False}}
    del older["model"], older["guard"]
    assert PipelineOptions.from_dict(older) == original


def test_job_record_ignores_unknown_fields():
    job = Job.from_dict({"id": "x", "name": "a.wav", "media": "source.wav", "created": 1.0,
                         "added_later": True})
    assert job.status == QUEUED and job.stem == "a"


def test_a_record_of_an_older_version_loads_with_typed_notices(store):
    """job.json as versions before the one message type wrote it: warnings and error as
    plain dicts. They load as Notices (warnings become the notices) and are written
    back in the same {"key", "params"} shape."""
    old = {"id": "20261201-100000-0123abcd", "name": "a.wav", "media": "source.wav",
           "created": 1.0, "status": "done",
           "options": {"asr": {"language": "fr"}, "model": {"name": "base"}},
           "error": {"key": "job.interrupted", "params": {}},
           "warnings": [{"key": "audio.damaged", "params": {"name": "a.wav"}}]}
    folder = store.root / old["id"]
    folder.mkdir(parents=True)
    (folder / "job.json").write_text(json.dumps(old))
    job = store.get(old["id"])
    assert job.notices == [Notice("audio.damaged", {"name": "a.wav"})]
    assert job.error == Notice("job.interrupted")
    assert job.pipeline_options.asr.language == "fr"
    store.update(job.id, fraction=1.0)
    saved = json.loads((folder / "job.json").read_text())
    assert saved["notices"] == old["warnings"] and saved["error"] == old["error"]
    assert "warnings" not in saved


def test_listening_copy_is_a_small_mp3(store, tmp_path):
    source = tmp_path / "tone.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=3",
                    "-ac", "2", "-ar", "44100", str(source)], check=True)
    queue = JobQueue(store, lambda path, o, p, c: fake_transcript(path)).start()
    try:
        job = queue.submit("tone.wav", source, options())
        wait_for(lambda: store.get(job.id).status == DONE)
    finally:
        queue.stop()
    copy = store.listening_path(job)
    assert copy.is_file() and 0 < copy.stat().st_size < source.stat().st_size / 5
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,channels",
                            "-of", "csv=p=0", str(copy)], capture_output=True, text=True)
    assert probe.stdout.strip() == "mp3,1"
    assert not list(store.folder(job.id).glob(".*partial"))


# -- a full disk -----------------------------------------------------------------------------

class FullDisk:
    """While `full` is set, files opened for writing under `folder` whose name contains
    one of `names` take a few bytes, then fail with ENOSPC, as on a full disk. Patched at
    Path.open, which every record and transcript write goes through."""

    def __init__(self, monkeypatch, folder: Path, names: tuple[str, ...]):
        self.full = False
        real_open = Path.open
        disk = self

        class Failing:
            def __init__(self, handle):
                self.handle = handle

            def write(self, data):
                self.handle.write(data[:16])
                raise OSError(errno.ENOSPC, "No space left on device")

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.handle.close()

        def open_(path, mode="r", *args, **kwargs):
            handle = real_open(path, mode, *args, **kwargs)
            if (disk.full and set(mode) & set("wax") and path.is_relative_to(folder)
                    and any(name in path.name for name in names)):
                return Failing(handle)
            return handle

        monkeypatch.setattr(Path, "open", open_)


class GatedRunner:
    """Finishes when let go, so that the disk can fill up meanwhile."""

    def __init__(self):
        self.go = threading.Event()
        self.calls = 0

    def __call__(self, path, options, progress, cancelled):
        self.calls += 1
        progress("asr", 0.5)
        assert self.go.wait(10)
        progress("asr", 0.9)  # fails to be written: the work goes on
        return fake_transcript(path)


@contextlib.contextmanager
def running_on_a_disk_that_fills(store: JobStore, monkeypatch, names: tuple[str, ...]):
    """A queue whose first job, a.wav, is running behind a GatedRunner, with the disk not
    yet full; yields (disk, runner, queue, job) and stops the queue after."""
    disk = FullDisk(monkeypatch, store.data_dir, names)
    runner = GatedRunner()
    queue = JobQueue(store, runner, listening_copies=False, poll_interval=0.05)
    job = queue.submit("a.wav", b"a", options())
    queue.start()
    try:
        wait_for(lambda: runner.calls == 1)
        yield disk, runner, queue, job
    finally:
        queue.stop()


def leftovers(store: JobStore) -> list[str]:
    return [p.name for p in store.root.rglob("*") if p.name.endswith(".tmp")]


def test_a_full_disk_fails_the_job_once_space_is_back_and_starts_nothing_meanwhile(
        store, monkeypatch):
    with running_on_a_disk_that_fills(store, monkeypatch, ("job.json", "transcript.json")) \
            as (disk, runner, queue, job):
        later = queue.submit("b.wav", b"b", options())
        disk.full = True
        runner.go.set()
        time.sleep(0.5)
        assert store.get(job.id).status == RUNNING  # nothing can be written yet
        assert store.get(later.id).status == QUEUED and runner.calls == 1
        assert queue.alive and not leftovers(store)
        disk.full = False
        wait_for(all_finished(store, 2))
    failed = store.get(job.id)
    assert failed.status == FAILED and failed.error == Notice("job.no_space")
    assert not store.transcript_path(failed).exists() and not leftovers(store)
    assert store.get(later.id).status == DONE  # started once there was room
    assert store.has_media(failed)  # it can be run again


def test_a_transcript_saved_before_the_disk_filled_makes_the_job_done(store, monkeypatch):
    with running_on_a_disk_that_fills(store, monkeypatch, ("job.json",)) \
            as (disk, runner, _, job):
        disk.full = True
        runner.go.set()
        wait_for(lambda: store.transcript_path(job).is_file())
        time.sleep(0.3)
        assert store.get(job.id).status == RUNNING
        disk.full = False
        wait_for(all_finished(store, 1))
    assert store.get(job.id).status == DONE and runner.calls == 1


def test_a_finished_transcript_is_never_transcribed_again_after_a_restart(store):
    """The server stopped (or the disk filled) between saving the transcript and the
    record: at the next start the job is done, with its transcript's warnings."""
    job = store.create("a.wav", b"a", options())
    store.update(job.id, status=RUNNING, started=time.time(), stage="assign", attempts=1)
    transcript = fake_transcript(Path("a.wav"))
    transcript.notices = [Notice("audio.damaged", {"name": "a.wav"})]
    store.save_transcript(job, transcript)
    runner = RecordingRunner(0)
    run_after_a_restart(store, runner, 1)
    assert runner.order == []
    done = store.get(job.id)
    assert done.status == DONE and done.fraction == 1.0
    assert done.notices == [Notice("audio.damaged", {"name": "a.wav"})]


def test_a_restart_on_a_full_disk_writes_the_records_once_there_is_room(store, monkeypatch):
    job = store.create("a.wav", b"a", options())
    store.update(job.id, status=RUNNING, attempts=MAX_ATTEMPTS)
    disk = FullDisk(monkeypatch, store.data_dir, ("job.json",))
    disk.full = True
    queue = JobQueue(JobStore(store.data_dir), RecordingRunner(0), listening_copies=False,
                     poll_interval=0.05).start()  # does not fail
    try:
        time.sleep(0.3)
        assert store.get(job.id).status == RUNNING
        disk.full = False
        wait_for(all_finished(store, 1))
    finally:
        queue.stop()
    assert store.get(job.id).error.key == "job.interrupted"


FULL_TMPFS_SCRIPT = '''
import json, os, sys, threading, time
from pathlib import Path
from transcribe.jobs import JobQueue, JobStore
from transcribe.pipeline import PipelineOptions
from transcribe.transcript import Segment, Transcript

data = Path(sys.argv[1])
filler = data / "filler"
store = JobStore(data)

def runner(path, options, progress, cancelled):
    # Something else fills the volume while the job runs.
    with open(filler, "wb") as handle:
        try:
            while True:
                handle.write(b"x" * 4096)
                handle.flush()
        except OSError:
            pass
    return Transcript(language="fr", duration=2.0, source=path.name,
                      segments=[Segment(0.0, 2.0, "bonjour " * 20000)])

queue = JobQueue(store, runner, listening_copies=False, poll_interval=0.05)
job = queue.submit("a.wav", b"a" * 1000, PipelineOptions())
queue.start()
while not filler.exists():
    time.sleep(0.05)
time.sleep(1.0)
during = store.get(job.id).status
tmp = [p.name for p in data.rglob("*.tmp")]
filler.unlink()
deadline = time.monotonic() + 10
while store.get(job.id).status == "running" and time.monotonic() < deadline:
    time.sleep(0.05)
after = store.get(job.id)
queue.stop()
print(json.dumps({"during": during, "tmp": tmp, "status": after.status,
                  "error": after.error and after.error.to_dict(),
                  "transcript": store.transcript_path(after).exists()}))
'''


def test_a_real_full_disk_on_a_small_tmpfs(tmp_path):
    """The same on a real 1 MB tmpfs (a private mount namespace: unshare, no root
    needed): the volume fills up while the job runs; the record stays as it was (not
    "done", no half-written file), and once room is made the job is failed with its
    reason."""
    import shutil as shell

    mount = tmp_path / "volume"
    mount.mkdir()
    script = tmp_path / "fill.py"
    script.write_text(FULL_TMPFS_SCRIPT)
    if not shell.which("unshare"):
        pytest.skip("unshare not installed")
    run = subprocess.run(["unshare", "-rm", "sh", "-c",
                          f'mount -t tmpfs -o size=1m tmpfs "{mount}" && '
                          f'exec "{sys.executable}" "{script}" "{mount}"'],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0 and "mount" in run.stderr and "permission" in run.stderr.lower():
        pytest.skip("no private mount namespace here")
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["during"] == RUNNING and result["tmp"] == []
    assert result["status"] == FAILED and result["error"]["key"] == "job.no_space"
    assert not result["transcript"]


def test_a_record_names_only_what_it_may(tmp_path, monkeypatch):
    from transcribe.jobs.record import (
        conventions_from_dict,
        default_data_dir,
        new_job,
        new_job_id,
        safe_extension,
    )

    assert new_job_id(0).startswith("19700101-000000-") and valid_job_id(new_job_id())
    for bad in (None, "20260101-000000-0123ABCD", "20260101-000000-0123abcd\n",
                "x20260101-000000-0123abcd", "20260101-000000-0123abcd0"):
        assert not valid_job_id(bad), bad
    assert [safe_extension(n) for n in ("a.WAV", "b.tar.gz", "c.m<4a", "d", ".wav",
                                        "e.abcdefghij", "f.abcdefghijk")] == [
        ".wav", ".gz", "", "", "", ".abcdefghij", ""]
    job = new_job("/x/../entretien.M4A", {"engine": "whisperx"}, None)
    assert (job.name, job.media, job.stem) == ("entretien.M4A", "source.m4a", "entretien")
    assert job.options == {"engine": "whisperx"}
    assert conventions_from_dict(job.conventions) == Conventions()
    assert new_job("", {}, Conventions(mark_pauses=True)).name == "recording"
    assert new_job("a", {}, Conventions(mark_pauses=True)).conventions["mark_pauses"]
    assert Job("i", "", "m", 0.0).stem == "transcript"
    loaded = conventions_from_dict({"pseudonyms": {"Marie": 1}, "unknown": True})
    assert loaded.pseudonyms == {"Marie": "1"} and conventions_from_dict(None) == Conventions()
    monkeypatch.setenv("TRANSCRIBE_DATA_DIR", str(tmp_path / "d"))
    assert default_data_dir() == (tmp_path / "d").resolve()
    monkeypatch.delenv("TRANSCRIBE_DATA_DIR")
    monkeypatch.chdir(tmp_path)
    assert default_data_dir() == tmp_path.resolve() / "data"
    statuses = {status: Job("i", "a", "m", 0.0, status=status).active
                for status in ("uploading", QUEUED, RUNNING, DONE, FAILED, CANCELLED)}
    assert statuses == {"uploading": True, QUEUED: True, RUNNING: True, DONE: False,
                        FAILED: False, CANCELLED: False}


def test_deleting_a_job_removes_its_folder_and_says_so_by_id_only(store, caplog):
    caplog.set_level(logging.INFO, logger="transcribe.jobs")
    keep = store.create("garde.wav", b"k", options())
    gone = store.create("entretien secret.wav", b"g", options())
    (store.folder(gone.id) / "listening.mp3").write_bytes(b"mp3")
    assert store.delete(gone.id) is True
    assert not store.folder(gone.id).exists() and store.get(keep.id) is not None
    assert store.delete(gone.id) is False  # already gone
    assert store.delete("20260101-000000-0000000z") is False  # not an id of ours
    assert store.save(gone) is False and store.update(gone.id, status=DONE) is None
    assert not store.save_transcript(gone, fake_transcript(Path("x.wav")))
    assert not store.folder(gone.id).exists()  # nothing came back
    assert f"job {gone.id}: deleted" in caplog.messages
    store.delete_all()
    assert not store.root.exists() and store.data_dir.is_dir()
    assert "all jobs deleted" in caplog.messages
    store.delete_all()  # nothing left: harmless
    assert store.list() == [] and store.stored_files() == []
    assert not any("secret" in message or "garde" in message for message in caplog.messages)


def test_a_recording_is_copied_whole_from_any_source(store, tmp_path):
    spooled = tmp_path / "uploads" / "0123"
    spooled.parent.mkdir()
    spooled.write_bytes(b"spooled upload")
    linked = store.create("a.wav", spooled, options())
    media = store.media_path(linked)
    assert media.read_bytes() == b"spooled upload" and linked.size == 14
    assert media.stat().st_ino == spooled.stat().st_ino  # a second name, no copy
    big = io.BytesIO(b"0123456789" * 900_000)  # more than one chunk
    big.seek(500)  # read from the start whatever the position
    copied = store.create("b.wav", big, options())
    assert store.media_path(copied).read_bytes() == big.getvalue()
    assert copied.size == 9_000_000 == store.get(copied.id).size
    with pytest.raises(FileNotFoundError):
        store.create("c.wav", tmp_path / "missing.wav", options())
    assert [j.id for j in store.list()] == [linked.id, copied.id]  # nothing half made
    assert store.has_media(linked)


def test_the_queue_order_and_unreadable_records(store, caplog):
    first = store.create("1.wav", b"1", options())
    second = store.create("2.wav", b"2", options())
    third = store.create("3.wav", b"3", options())
    store.update(first.id, status=RUNNING)
    assert store.next_queued().id == second.id
    assert [store.queue_position(j.id) for j in (first, second, third)] == [None, 1, 2]
    # Created in the same second: the time, then the id, orders them.
    store.update(third.id, created=first.created - 1)
    assert [j.id for j in store.list()] == [third.id, first.id, second.id]
    store.folder(second.id).joinpath("job.json").write_text("{broken")
    caplog.set_level(logging.WARNING, logger="transcribe.jobs")
    assert store.get(second.id) is None
    assert caplog.messages == [f"job {second.id}: unreadable record, ignored"]
    (store.root / "20260101-000000-0000000f").write_text("a file, not a folder")
    assert store.get("20260101-000000-0000000f") is None
    refused = store.record_refused("gros.wav", options(), Conventions(mark_pauses=True),
                                   {"key": "upload.no_space", "params": {}}, size=5)
    assert store.conventions(refused).mark_pauses
    assert store.record_refused("b.wav", options(), None, {"key": "x", "params": {}}).size == 0
    assert (refused.status, refused.size, refused.finished) == (FAILED, 5, refused.created)
    assert not store.has_media(refused) and store.get(refused.id).error.key == (
        "upload.no_space")
    assert JobStore(store.root / "nowhere").list() == []
