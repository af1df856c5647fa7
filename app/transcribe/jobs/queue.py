"""The queue: one worker thread runs the jobs in order, one at a time (they share one GPU),
and maps failures to messages the user can read."""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from .. import storage
from ..allocator import release_memory
from ..conventions import Conventions
from ..i18n import Notice, UserFacingError
from ..models import ModelStore
from ..pipeline import Cancelled, PipelineOptions, StageProgress, stages_for
from ..transcript import Transcript
from .eta import expected_seconds, measured_speeds, overall_progress
from .listening import finish_listening_copy, start_listening_copy
from .record import ACTIVE, CANCELLED, DONE, FAILED, QUEUED, RUNNING, UPLOADING, Job, JobDeleted
from .store import JobStore, done_changes

log = logging.getLogger("transcribe.jobs")

# Progress is written to job.json at most this often (a stage change is always written).
PROGRESS_INTERVAL = 1.0

Runner = Callable[[Path, PipelineOptions, StageProgress, Callable[[], bool]], Transcript]


def default_runner(model_store: ModelStore | None = None) -> Runner:
    store = model_store or ModelStore()

    def run_pipeline(path: Path, options: PipelineOptions, progress: StageProgress,
                     cancelled: Callable[[], bool]) -> Transcript:
        from ..pipeline import check_options, run

        check_options(options, store)
        return run(path, options, store, progress, cancelled)

    return run_pipeline


class JobQueue:
    """Runs queued jobs one at a time, in order, on a daemon thread."""

    def __init__(self, store: JobStore, runner: Runner | None = None,
                 listening_copies: bool = True, poll_interval: float = 1.0):
        self.store = store
        self.runner = runner or default_runner()
        self.listening_copies = listening_copies
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cancel: set[str] = set()
        self._running_id: str | None = None
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        # Final states that could not be written (a full disk): written by the worker
        # once there is room, so that no job stays "running" for ever.
        self._unsaved: dict[str, dict[str, Any]] = {}

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> JobQueue:
        if self._thread is None or not self._thread.is_alive():
            self.store.requeue_unfinished(self._unsaved)
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="transcribe-worker",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Stop taking jobs; a running one stops at its next progress report and is queued
        again (a server restart resumes it)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- what the app asks -----------------------------------------------------------------

    def submit(self, name: str, source: BinaryIO | bytes | Path, options: PipelineOptions,
               conventions: Conventions | None = None, duration: float | None = None,
               check: Callable[[Path], float | None] | None = None) -> Job:
        """Copy the recording and queue it. `check` (given the copy's path, returning its
        duration) may refuse it first by raising: the job is then removed."""
        job = self.store.create(name, source, options, conventions, duration,
                                status=UPLOADING if check else QUEUED)
        if check is not None:
            try:
                duration = check(self.store.media_path(job))
            except UserFacingError as error:
                if not self.store.delete(job.id):  # gone already: not the file's fault
                    raise JobDeleted(job.id) from error
                error.params = user_named(error.notice, job).params
                raise
            except BaseException:
                self.store.delete(job.id)
                raise
            job = self.store.update(job.id, status=QUEUED,
                                    duration=duration if duration is not None else job.duration)
            if job is None:
                raise JobDeleted("job deleted while it was checked")
        log.info("job %s: queued", job.id)
        self._wake.set()
        return job

    def cancel(self, job_id: str) -> Job | None:
        """A queued job is cancelled at once; a running one stops at its next progress
        report (the pipeline checks between steps)."""
        with self.store.lock:
            job = self.store.get(job_id)
            if job is None or job.status not in ACTIVE:
                return job
            if job.status == QUEUED:
                job = self.store.update(job_id, status=CANCELLED, finished=time.time())
            else:
                self._cancel.add(job_id)
                job = self.store.update(job_id, cancel_requested=True)
        log.info("job %s: cancel requested", job_id)
        return job

    def retry(self, job_id: str) -> Job | None:
        job = self.store.get(job_id)
        if job is None or job.status not in (FAILED, CANCELLED) or not self.store.has_media(job):
            return job
        job = self.store.update(job_id, status=QUEUED, error=None, stage=None, fraction=0.0,
                                stage_fraction=0.0, started=None, finished=None,
                                cancel_requested=False, attempts=0, created=time.time())
        self._wake.set()
        return job

    def delete(self, job_id: str, timeout: float = 30) -> bool:
        self.cancel(job_id)
        self.wait_until_not_running(job_id, timeout)
        return self.store.delete(job_id)

    def delete_all(self, timeout: float = 30) -> None:
        """Cancel everything, wait for the running job to stop, delete every file."""
        with self.store.lock:
            for job in self.store.list():
                if job.active:
                    self.cancel(job.id)
        running = self._running_id
        if running:
            self.wait_until_not_running(running, timeout)
        self.store.delete_all()

    def wait_until_not_running(self, job_id: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._running_id == job_id:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.5))
        return True

    # -- the worker ----------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._save_unsaved():  # the disk is still full: start nothing
                    self._stop.wait(self.poll_interval)
                    continue
                job = self.store.next_queued()
                if job is None:
                    self._wake.wait(self.poll_interval)
                    self._wake.clear()
                    continue
                self._process(job)
            except Exception:  # noqa: BLE001 - the worker must outlive any one failure
                log.error("worker: unexpected error (%s); going on", _where())
                self._stop.wait(self.poll_interval)

    def _finish(self, job_id: str, **changes: Any) -> None:
        """Write a job's final state; when that fails (a full disk), keep it for the
        worker to write once there is room."""
        try:
            self.store.update(job_id, **changes)
        except OSError as error:
            log.warning("job %s: state not saved (errno %s), kept until it can be",
                        job_id, error.errno)
            self._unsaved[job_id] = changes

    def _save_unsaved(self) -> bool:
        """Write the final states kept back; True when none is left."""
        for job_id, changes in list(self._unsaved.items()):
            try:
                self.store.update(job_id, **changes)
            except OSError:
                return False
            del self._unsaved[job_id]
            log.info("job %s: state saved", job_id)
        return True

    def _process(self, job: Job) -> None:
        options = job.pipeline_options
        stages = stages_for(options)
        started = time.time()
        expected = expected_seconds(stages, job.duration,
                                    measured_speeds(self.store.list(), options))
        with self._idle:
            self._running_id = job.id
        try:
            with self.store.lock:
                current = self.store.get(job.id)
                if current is None or current.status != QUEUED:  # deleted or cancelled since
                    return
                job = self.store.update(job.id, status=RUNNING, started=started,
                                        stage=stages[0], stage_fraction=0.0, fraction=0.0,
                                        expected=expected, stage_started=started,
                                        stage_seconds={}, attempts=current.attempts + 1)
            if job is None:
                return
            log.info("job %s: started", job.id)
            self._run(job, options, stages, started)
        finally:
            self._cancel.discard(job.id)
            with self._idle:
                self._running_id = None
                self._idle.notify_all()

    def _run(self, job: Job, options: PipelineOptions, stages: list[str],
             started: float) -> None:
        last: dict[str, Any] = {"stage": stages[0], "written": 0.0, "since": started}
        seconds: dict[str, float] = {}  # each finished stage's wall time

        def finish_stage(now: float) -> None:
            seconds[last["stage"]] = round(now - last["since"], 2)

        def progress(stage: str, fraction: float) -> None:
            now = time.monotonic()
            changes: dict[str, Any] = {}
            if stage != last["stage"]:
                log.info("job %s: stage %s", job.id, stage)
                wall = time.time()
                finish_stage(wall)
                last["stage"], last["since"] = stage, wall
                changes = {"stage_started": wall, "stage_seconds": dict(seconds)}
            elif now - last["written"] < PROGRESS_INTERVAL:
                return
            last["written"] = now
            try:
                self.store.update(job.id, stage=stage, stage_fraction=round(fraction, 4),
                                  fraction=round(overall_progress(stage, fraction, stages,
                                                                  job.expected), 4),
                                  **changes)
            except OSError:  # a full disk: the work goes on, only the progress is not shown
                pass

        def cancelled() -> bool:
            return job.id in self._cancel or self._stop.is_set()

        copy = None
        if self.listening_copies:
            copy = start_listening_copy(self.store.media_path(job),
                                        self.store.listening_path(job))
        outcome = FAILED
        try:
            transcript = self.runner(self.store.media_path(job), options, progress, cancelled)
            if cancelled():
                raise Cancelled()
            # The pipeline saw our file name (source.<ext>); the user knows theirs.
            transcript.source = job.name
            transcript.notices = [user_named(n, job) for n in transcript.notices]
            finish_listening_copy(copy, self.store.listening_path(job), keep=True)
            copy = None
            if not self.store.save_transcript(job, transcript):
                return
            finish_stage(time.time())
            self._finish(job.id, **done_changes(transcript), stage_seconds=dict(seconds))
            outcome = DONE
        except Cancelled:
            if job.id not in self._cancel and self._stop.is_set():
                # The server is stopping, not the user: run it again at the next start.
                outcome = QUEUED
                self._finish(job.id, status=QUEUED, stage=None, fraction=0.0,
                             stage_fraction=0.0, started=None)
            else:
                outcome = CANCELLED
                self._finish(job.id, status=CANCELLED, stage=None, finished=time.time())
        except Exception as error:  # noqa: BLE001 - one bad file must not stop the queue
            self._finish(job.id, status=FAILED, stage=None, finished=time.time(),
                         error=user_named(describe_error(error), job))
            if not isinstance(error, UserFacingError):
                log.error("job %s: failed with %s at %s", job.id, type(error).__name__,
                          _where())
        finally:
            finish_listening_copy(copy, self.store.listening_path(job), keep=False)
            release_memory()  # an idle service keeps none of a long recording's peak
            log.info("job %s: %s after %.1f s", job.id, outcome, time.time() - started)


def describe_error(error: BaseException) -> Notice:
    """What the job record keeps about a failure. Never the exception's message (it may
    quote the recording or the transcript)."""
    if isinstance(error, UserFacingError):
        return error.notice
    if isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError":
        return Notice("job.out_of_memory")
    if storage.disk_full(error):
        return Notice("job.no_space")
    return Notice("job.failed_unexpected", {"error": type(error).__name__})


def user_named(notice: Notice, job: Job) -> Notice:
    """The notice naming the upload as the user named it, not as it is stored (the
    pipeline saw our file name, source.<ext>)."""
    return Notice(notice.key, {k: job.name if v == job.media else v
                               for k, v in notice.params.items()})


def _where() -> str:
    """Where the current exception came from, as file:line frames: enough to debug, and
    free of the exception's message and variables."""
    frames: Iterable[traceback.FrameSummary] = traceback.extract_tb(sys.exc_info()[2])
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(list(frames)))
