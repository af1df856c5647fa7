"""The queue: keeps the jobs' states and runs them through workers.

As served, the web app loads no model: while jobs are queued, its dispatcher
(`dispatch.py`) launches transcription workers (`workers/`: a child process, or a
Kubernetes Job on a GPU) that claim the jobs over HTTP, and this queue records what they
report. Unit tests may inject a `runner` instead: the jobs then run in process, one at a
time, on the queue's thread. Both paths end a job the same way (`_complete`, `_end`).
Failures are mapped to messages the user can read.
"""

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
from ..pipeline import Cancelled, PipelineOptions, StageProgress, stages_for
from ..transcript import Transcript
from .eta import (
    expected_seconds,
    history,
    measured_speeds,
    monotonic_progress,
    overall_progress,
)
from .listening import finish_listening_copy, start_listening_copy
from .record import ACTIVE, CANCELLED, DONE, FAILED, QUEUED, RUNNING, UPLOADING, Job, JobDeleted
from .store import JobStore, done_changes

log = logging.getLogger("transcribe.jobs")

# Progress is written to job.json at most this often (a stage change is always written).
PROGRESS_INTERVAL = 1.0

Runner = Callable[[Path, PipelineOptions, StageProgress, Callable[[], bool]], Transcript]


class StageClock:
    """A running job's progress as the record shows it: the stage, its fraction, the
    overall fraction weighed by the expected seconds, each finished stage's seconds, and
    where the running stage's work began (eta.py). The bar never goes backwards, whatever
    order the reports come in (eta.monotonic_progress)."""

    def __init__(self, queue: JobQueue, job: Job):
        self.queue, self.job = queue, job
        self.stages = list(job.expected) or stages_for(job.pipeline_options)
        self.stage = job.stage or self.stages[0]
        self.fraction = job.stage_fraction if job.stage else 0.0
        self.since = job.stage_started or job.started or time.time()
        self.seconds: dict[str, float] = dict(job.stage_seconds)
        self.work_from = job.stage_work_from
        self.written = 0.0

    def finish_stage(self, now: float) -> None:
        self.seconds[self.stage] = round(now - self.since, 2)

    def report(self, stage: str, fraction: float) -> None:
        shown = monotonic_progress(self.stages, self.stage, self.fraction, stage, fraction)
        if shown is None:  # an earlier stage, reported late
            return
        stage, fraction = shown
        now = time.monotonic()
        wall = time.time()
        changes: dict[str, Any] = {}
        if stage != self.stage:
            log.info("job %s: stage %s", self.job.id, stage)
            self.finish_stage(wall)
            self.stage, self.since, self.work_from = stage, wall, None
            changes = {"stage_started": wall, "stage_seconds": dict(self.seconds),
                       "stage_work_from": None}
        elif now - self.written < PROGRESS_INTERVAL and not (
                self.work_from is None and fraction > 0):
            self.fraction = fraction
            return
        if self.work_from is None and fraction > 0:
            self.work_from = [round(wall - self.since, 2), round(fraction, 4)]
            changes["stage_work_from"] = self.work_from
        self.fraction = fraction
        self.written = now
        try:
            self.queue.store.update(
                self.job.id, stage=stage, stage_fraction=round(fraction, 4),
                fraction=round(overall_progress(stage, fraction, self.stages,
                                                self.job.expected), 4), **changes)
        except OSError:  # a full disk: the work goes on, only the progress is not shown
            pass


class JobQueue:
    """Keeps the jobs' states; runs them through workers (or an injected runner)."""

    def __init__(self, store: JobStore, runner: Runner | None = None,
                 listening_copies: bool = True, poll_interval: float = 1.0,
                 workers: Any = None):
        from .dispatch import Dispatcher

        self.store = store
        self.runner = runner
        self.listening_copies = listening_copies
        self.poll_interval = poll_interval
        # No runner: jobs go to workers (the app as served).
        self.dispatcher = None if runner is not None else Dispatcher(self, workers)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cancel: set[str] = set()
        self._running: set[str] = set()
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None
        self._copies: dict[str, Any] = {}  # job id -> its listening copy being made
        self._clocks: dict[str, StageClock] = {}
        # Final states that could not be written (a full disk): written by the queue
        # once there is room, so that no job stays "running" for ever.
        self._unsaved: dict[str, dict[str, Any]] = {}

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> JobQueue:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            still_running = self.dispatcher.start() if self.dispatcher else set()
            self.store.requeue_unfinished(self._unsaved, keep=still_running)
            self._thread = threading.Thread(target=self._loop, name="transcribe-queue",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Stop taking jobs; a running one stops (at its next progress report, or with its
        worker) and is queued again (a server restart resumes it)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.dispatcher is not None:
            self.dispatcher.close()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wake(self) -> None:
        self._wake.set()

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
        report (the pipeline checks between steps), or with its worker."""
        with self.store.lock:
            job = self.store.get(job_id)
            if job is None or job.status not in ACTIVE:
                return job
            if job.status == QUEUED:
                job = self.store.update(job_id, status=CANCELLED, finished=time.time())
            else:
                self._cancel.add(job_id)
                job = self.store.update(job_id, cancel_requested=True,
                                        cancel_asked=time.time())
        log.info("job %s: cancel requested", job_id)
        self._wake.set()
        return job

    def retry(self, job_id: str) -> Job | None:
        job = self.store.get(job_id)
        if job is None or job.status not in (FAILED, CANCELLED) or not self.store.has_media(job):
            return job
        job = self.store.update(job_id, status=QUEUED, error=None, stage=None, fraction=0.0,
                                stage_fraction=0.0, started=None, finished=None,
                                cancel_requested=False, attempts=0, created=time.time(),
                                worker=None, placement=None)
        self._wake.set()
        return job

    def delete(self, job_id: str, timeout: float = 30) -> bool:
        self.cancel(job_id)
        self.wait_until_not_running(job_id, timeout)
        return self.store.delete(job_id)

    def delete_all(self, timeout: float = 30) -> None:
        """Cancel everything, stop the workers, wait for the running jobs to stop, delete
        every file."""
        with self.store.lock:
            for job in self.store.list():
                if job.active:
                    self.cancel(job.id)
        if self.dispatcher is not None:
            self.dispatcher.stop_all()
        deadline = time.monotonic() + timeout
        for job_id in self.running_ids():
            self.wait_until_not_running(job_id, max(deadline - time.monotonic(), 0.1))
        self.store.delete_all()
        if self.dispatcher is not None:
            self.dispatcher.forget()

    def running_ids(self) -> list[str]:
        with self._idle:
            return list(self._running)

    def wait_until_not_running(self, job_id: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._idle:
            while job_id in self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.5))
        return True

    # -- the loop ------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self._save_unsaved():  # the disk is still full: start nothing
                    self._stop.wait(self.poll_interval)
                    continue
                if self.dispatcher is not None:
                    self.dispatcher.tick()
                    self._wake.wait(self.poll_interval)
                    self._wake.clear()
                    continue
                job = self.store.next_queued()
                if job is None:
                    self._wake.wait(self.poll_interval)
                    self._wake.clear()
                    continue
                self._process(job)
            except Exception:  # noqa: BLE001 - the queue must outlive any one failure
                log.error("queue: unexpected error (%s); going on", _where())
                self._stop.wait(self.poll_interval)

    def _finish(self, job_id: str, **changes: Any) -> None:
        """Write a job's final state; when that fails (a full disk), keep it for the
        queue to write once there is room."""
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

    @property
    def saving_blocked(self) -> bool:
        """A final state waits for room on the disk: no job starts meanwhile."""
        return bool(self._unsaved)

    # -- a job's life, whoever runs it -----------------------------------------------------

    def _begin(self, job_id: str, **extra: Any) -> Job | None:
        """Queued -> running (None when it was deleted or cancelled meanwhile)."""
        with self.store.lock:
            current = self.store.get(job_id)
            if current is None or current.status != QUEUED:
                return None
            options = current.pipeline_options
            if extra.get("options"):
                options = PipelineOptions.from_dict(extra["options"])
            stages = stages_for(options)
            started = time.time()
            jobs = self.store.list()
            expected = expected_seconds(stages, current.duration,
                                        measured_speeds(jobs, options))
            job = self.store.update(job_id, status=RUNNING, started=started,
                                    stage=stages[0], stage_fraction=0.0, fraction=0.0,
                                    expected=expected, stage_started=started,
                                    expected_defaults=not history(jobs, options),
                                    stage_seconds={}, stage_work_from=None,
                                    attempts=current.attempts + 1, **extra)
            if job is None:
                return None
            with self._idle:
                self._running.add(job.id)
        log.info("job %s: started", job.id)
        self._clocks[job.id] = StageClock(self, job)
        if self.listening_copies:
            self._copies[job.id] = start_listening_copy(self.store.media_path(job),
                                                        self.store.listening_path(job))
        return job

    def clock(self, job: Job) -> StageClock:
        """The job's progress clock (made again from its record after a restart)."""
        clock = self._clocks.get(job.id)
        if clock is None:
            clock = self._clocks[job.id] = StageClock(self, job)
            with self._idle:
                self._running.add(job.id)
        return clock

    def _complete(self, job: Job, transcript: Transcript) -> bool:
        """Save a finished job's transcript and mark it done; False when the job is gone
        or the transcript could not be saved (the job is then failed)."""
        # The pipeline saw our file name (source.<ext>); the user knows theirs.
        transcript.source = job.name
        transcript.notices = [user_named(n, job) for n in transcript.notices]
        copy = self._copies.pop(job.id, None)
        finish_listening_copy(copy, self.store.listening_path(job), keep=True)
        try:
            if not self.store.save_transcript(job, transcript):
                self._end(job, None)
                return False
        except Exception as error:  # noqa: BLE001 - a full disk, reported to the user
            self._end(job, FAILED, error=describe_error(error))
            return False
        clock = self._clocks.get(job.id)
        seconds = {}
        if clock is not None:
            clock.finish_stage(time.time())
            seconds = dict(clock.seconds)
        self._finish(job.id, **done_changes(transcript), stage_seconds=seconds)
        self._end(job, DONE)
        return True

    def _end(self, job: Job, outcome: str | None, error: Notice | None = None) -> None:
        """A running job's end other than done: failed (with its error), cancelled, or
        queued again (the server is stopping). None: only forget it (already final)."""
        if outcome == FAILED:
            self._finish(job.id, status=FAILED, stage=None, finished=time.time(),
                         error=user_named(error, job) if error else None)
        elif outcome == CANCELLED:
            self._finish(job.id, status=CANCELLED, stage=None, finished=time.time())
        elif outcome == QUEUED:
            self._finish(job.id, status=QUEUED, stage=None, fraction=0.0, stage_fraction=0.0,
                         started=None, worker=None)
        finish_listening_copy(self._copies.pop(job.id, None), self.store.listening_path(job),
                              keep=False)
        self._clocks.pop(job.id, None)
        self._cancel.discard(job.id)
        with self._idle:
            self._running.discard(job.id)
            self._idle.notify_all()
        if outcome is not None:
            log.info("job %s: %s after %.1f s", job.id, outcome,
                     time.time() - (job.started or time.time()))

    def cancel_wanted(self, job_id: str) -> bool:
        return job_id in self._cancel

    # -- in process (a runner given: unit tests) -------------------------------------------

    def _process(self, job: Job) -> None:
        job = self._begin(job.id)
        if job is None:
            return
        clock = self._clocks[job.id]

        def cancelled() -> bool:
            return job.id in self._cancel or self._stop.is_set()

        try:
            transcript = self.runner(self.store.media_path(job), job.pipeline_options,
                                     clock.report, cancelled)
            if cancelled():
                raise Cancelled()
            self._complete(job, transcript)
        except Cancelled:
            if job.id not in self._cancel and self._stop.is_set():
                # The server is stopping, not the user: run it again at the next start.
                self._end(job, QUEUED)
            else:
                self._end(job, CANCELLED)
        except Exception as error:  # noqa: BLE001 - one bad file must not stop the queue
            self._end(job, FAILED, describe_error(error))
            if not isinstance(error, UserFacingError):
                log.error("job %s: failed with %s at %s", job.id, type(error).__name__,
                          _where())
        finally:
            if job.id in self._running:  # an error while ending it: never left "running"
                self._end(job, None)
            release_memory()  # an idle service keeps none of a long recording's peak


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
