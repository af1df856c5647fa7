"""The job queue and the job store, on the data folder.

A job is one uploaded recording to transcribe. Everything about it lives in its own folder,
so that a refresh, a closed tab, a lost connection or a server restart loses nothing:

    <data>/jobs/<id>/
        job.json          the record: name, options, conventions, status, progress, error
        source.<ext>      the uploaded recording, under a name we choose (never the user's)
        listening.mp3     a small mono copy for playback in the browser (made while it runs)
        transcript.json   the result, then the reviewer's corrections

A file refused at upload (not audio, damaged, too large) keeps a folder with its job.json
alone: the job list goes on saying why until the user deletes it.

One worker thread runs the jobs in order, one at a time (they share one GPU). The web app
keeps one `JobQueue` per server process. Logs name jobs by id only: never a file name
(interviewees' names often are in it), never audio or transcript text.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO

from .allocator import release_memory
from .asr import AsrOptions
from .conventions import Conventions
from .i18n import UserFacingError
from .models import ModelNotFoundError, ModelStore
from .pipeline import Cancelled, PipelineOptions, overall_fraction, stages_for
from .speakers import SpeakerOptions
from .transcript import Transcript

log = logging.getLogger("transcribe.jobs")

DATA_DIR_ENV = "TRANSCRIBE_DATA_DIR"
JOBS_FOLDER = "jobs"
JOB_FILE = "job.json"
TRANSCRIPT_FILE = "transcript.json"
LISTENING_FILE = "listening.mp3"
SOURCE_STEM = "source"

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
UPLOADING = "uploading"  # copied, being checked: not yet in the queue
ACTIVE = (UPLOADING, QUEUED, RUNNING)
FINISHED = (DONE, FAILED, CANCELLED)

# A job that was running when the server stopped this many times is not started again:
# it may be what stops the server (out of memory, for instance).
MAX_ATTEMPTS = 3
# Progress is written to job.json at most this often (a stage change is always written).
PROGRESS_INTERVAL = 1.0
COPY_CHUNK = 8 << 20

_JOB_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$")

StageProgress = Callable[[str, float], None]
Runner = Callable[[Path, PipelineOptions, StageProgress, Callable[[], bool]], Transcript]


@dataclass
class Job:
    id: str
    name: str  # the uploaded file's name, shown to the user and used for export names
    media: str  # the recording's file name inside the job folder
    created: float
    options: dict[str, Any] = field(default_factory=dict)  # PipelineOptions.to_dict()
    conventions: dict[str, Any] = field(default_factory=dict)  # Conventions, as a dict
    size: int = 0
    duration: float | None = None  # seconds of audio, when known at upload
    status: str = QUEUED
    stage: str | None = None
    stage_fraction: float = 0.0  # progress of the current stage, 0..1
    fraction: float = 0.0  # overall progress, 0..1
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    cancel_requested: bool = False
    error: dict[str, Any] | None = None  # {"key": i18n key, "params": {...}}
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def stem(self) -> str:
        """The name exports get: the upload's name without its extension."""
        return Path(self.name).stem or "transcript"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        return _build(cls, data)


class JobDeleted(KeyError):
    """The job was deleted while it was being created (a "delete all" from another tab)."""


def new_job_id(now: float | None = None) -> str:
    """Sortable by creation time, unguessable enough to name a folder."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now if now is not None else time.time()))
    return f"{stamp}-{secrets.token_hex(4)}"


def valid_job_id(job_id: str) -> bool:
    """Ids come back from URLs: only ours may name a folder."""
    return bool(_JOB_ID.match(job_id or ""))


def default_data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or "data").resolve()


# -- options stored with a job ---------------------------------------------------------------

def pipeline_options_from_dict(data: dict[str, Any]) -> PipelineOptions:
    """The inverse of PipelineOptions.to_dict(); unknown keys (from an older or newer
    version) are ignored rather than fatal."""
    data = dict(data or {})
    asr_data = dict(data.pop("asr", {}) or {})
    if "temperatures" in asr_data:
        asr_data["temperatures"] = tuple(asr_data["temperatures"])
    speakers = _build(SpeakerOptions, dict(data.pop("speakers", {}) or {}))
    return _build(PipelineOptions, {**data, "asr": _build(AsrOptions, asr_data),
                                    "speakers": speakers})


def conventions_from_dict(data: dict[str, Any]) -> Conventions:
    conventions = _build(Conventions, dict(data or {}))
    conventions.pseudonyms = {str(k): str(v) for k, v in (conventions.pseudonyms or {}).items()}
    return conventions


def _build(cls, data: dict[str, Any]):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


# -- the store -----------------------------------------------------------------------------

class JobStore:
    """Job records and files on disk. Safe to share between threads (one lock); not meant
    for two server processes on one data folder."""

    def __init__(self, data_dir: str | Path | None = None):
        self.data_dir = Path(data_dir).resolve() if data_dir else default_data_dir()
        self.root = self.data_dir / JOBS_FOLDER
        self.lock = threading.RLock()

    # -- paths ---------------------------------------------------------------------------

    def folder(self, job_id: str) -> Path:
        if not valid_job_id(job_id):
            raise KeyError(job_id)
        return self.root / job_id

    def media_path(self, job: Job) -> Path:
        return self.folder(job.id) / job.media

    def transcript_path(self, job: Job) -> Path:
        return self.folder(job.id) / TRANSCRIPT_FILE

    def listening_path(self, job: Job) -> Path:
        return self.folder(job.id) / LISTENING_FILE

    def has_media(self, job: Job) -> bool:
        """False for a file refused at upload: there is nothing to run again."""
        return self.media_path(job).is_file()

    # -- records -------------------------------------------------------------------------

    def create(self, name: str, source: BinaryIO | bytes | Path, options: PipelineOptions | dict,
               conventions: Conventions | dict | None = None,
               duration: float | None = None, status: str = QUEUED) -> Job:
        """Copy the recording into a new job folder, with the given status."""
        job = _new_job(name, options, conventions, duration=duration, status=status)
        return self._add(job, source)

    def record_refused(self, name: str, options: PipelineOptions | dict,
                       conventions: Conventions | dict | None, error: dict[str, Any],
                       size: int = 0) -> Job:
        """A failed job without its recording, for a file refused at upload: the list
        keeps saying why (in the reader's language) until the user deletes it."""
        job = _new_job(name, options, conventions, size=size, status=FAILED, error=error)
        job.finished = job.created
        return self._add(job)

    def _add(self, job: Job, source: BinaryIO | bytes | Path | None = None) -> Job:
        """A new job folder with its record (and its recording, if any); nothing is left
        behind when that fails."""
        folder = self.root / job.id
        folder.mkdir(parents=True)
        try:
            if source is not None:
                job.size = _copy_into(source, folder / job.media)
            with self.lock:
                self._write(job)
        except OSError as error:
            vanished = not folder.is_dir()
            shutil.rmtree(folder, ignore_errors=True)
            if vanished:  # deleted under us: say so, rather than a puzzling OSError
                raise JobDeleted(job.id) from error
            raise
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return job

    def get(self, job_id: str) -> Job | None:
        if not valid_job_id(job_id):
            return None
        path = self.root / job_id / JOB_FILE
        with self.lock:
            try:
                return Job.from_dict(json.loads(path.read_text(encoding="utf-8")))
            except (FileNotFoundError, NotADirectoryError):
                return None
            except (ValueError, TypeError):
                log.warning("job %s: unreadable record, ignored", job_id)
                return None

    def list(self) -> list[Job]:
        """Every job, oldest first (the queue's order)."""
        if not self.root.is_dir():
            return []
        jobs = [job for p in sorted(self.root.iterdir()) if (job := self.get(p.name))]
        return sorted(jobs, key=lambda j: (j.created, j.id))

    def save(self, job: Job) -> bool:
        """Write the record atomically; False when the job was deleted meanwhile (a
        deleted job must never come back because a late progress report saved it)."""
        with self.lock:
            if not (self.root / job.id).is_dir():
                return False
            self._write(job)
            return True

    def update(self, job_id: str, **changes: Any) -> Job | None:
        """Read, change some fields, write: other fields keep what others wrote."""
        with self.lock:
            job = self.get(job_id)
            if job is None:
                return None
            for name, value in changes.items():
                setattr(job, name, value)
            return job if self.save(job) else None

    def _write(self, job: Job) -> None:
        path = self.root / job.id / JOB_FILE
        temporary = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps(job.to_dict(), ensure_ascii=False, indent=1),
                             encoding="utf-8")
        temporary.replace(path)

    # -- transcripts ---------------------------------------------------------------------

    def load_transcript(self, job: Job) -> Transcript:
        return Transcript.load(self.transcript_path(job))

    def save_transcript(self, job: Job, transcript: Transcript) -> bool:
        with self.lock:
            if not self.folder(job.id).is_dir():
                return False
            transcript.save(self.transcript_path(job))
            return True

    def conventions(self, job: Job) -> Conventions:
        return conventions_from_dict(job.conventions)

    def save_conventions(self, job_id: str, conventions: Conventions) -> Job | None:
        return self.update(job_id, conventions=asdict(conventions))

    # -- queue order ---------------------------------------------------------------------

    def next_queued(self) -> Job | None:
        return next((j for j in self.list() if j.status == QUEUED), None)

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next job to run, 2 for the one after..."""
        queued = [j.id for j in self.list() if j.status == QUEUED]
        return queued.index(job_id) + 1 if job_id in queued else None

    def requeue_unfinished(self) -> list[str]:
        """At server start: jobs that were running are queued again (their progress is
        lost, their upload is not); a job the server stopped on too often fails."""
        requeued = []
        with self.lock:
            for job in self.list():
                if job.status == UPLOADING:  # the server stopped mid-upload: incomplete
                    self.delete(job.id)
                    continue
                if job.status != RUNNING:
                    continue
                if job.cancel_requested:
                    self.update(job.id, status=CANCELLED, finished=time.time(), stage=None)
                elif job.attempts >= MAX_ATTEMPTS:
                    self.update(job.id, status=FAILED, finished=time.time(), stage=None,
                                error={"key": "job.interrupted", "params": {}})
                else:
                    self.update(job.id, status=QUEUED, stage=None, fraction=0.0,
                                stage_fraction=0.0, started=None)
                    requeued.append(job.id)
        for job_id in requeued:
            log.info("job %s: queued again after a restart", job_id)
        return requeued

    # -- deletion ------------------------------------------------------------------------

    def delete(self, job_id: str) -> bool:
        with self.lock:
            folder = self.root / job_id
            if not valid_job_id(job_id) or not folder.exists():
                return False
            _remove_tree(folder)
        log.info("job %s: deleted", job_id)
        return True

    def delete_all(self) -> None:
        """Remove every job folder, then the jobs folder itself: the data folder is left
        as we found it (empty, in a fresh pod)."""
        with self.lock:
            if self.root.exists():
                _remove_tree(self.root)
        log.info("all jobs deleted")

    def stored_files(self) -> list[tuple[Path, int]]:
        """Every file under the data folder with its size (the privacy panel lists them)."""
        if not self.data_dir.is_dir():
            return []
        return [(p, p.stat().st_size) for p in sorted(self.data_dir.rglob("*")) if p.is_file()]


def _new_job(name: str, options: PipelineOptions | dict, conventions: Conventions | dict | None,
             **fields: Any) -> Job:
    now = time.time()
    return Job(
        id=new_job_id(now),
        name=Path(name).name or "recording",
        media=SOURCE_STEM + safe_extension(name),
        created=now,
        options=options.to_dict() if isinstance(options, PipelineOptions) else dict(options),
        conventions=asdict(conventions) if isinstance(conventions, Conventions)
        else dict(conventions or asdict(Conventions())),
        **fields,
    )


def safe_extension(name: str) -> str:
    """The upload's extension, reduced to what may safely end a file name we make."""
    suffix = Path(name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,10}", suffix) else ""


def _copy_into(source: BinaryIO | bytes | Path, target: Path) -> int:
    if isinstance(source, bytes):
        target.write_bytes(source)
        return len(source)
    if isinstance(source, Path):
        try:  # an upload spooled into the data folder: a second name, no copy, no room
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        return target.stat().st_size
    if hasattr(source, "seek"):
        source.seek(0)
    size = 0
    with open(target, "wb") as handle:
        while chunk := source.read(COPY_CHUNK):
            handle.write(chunk)
            size += len(chunk)
    return size


def _remove_tree(path: Path) -> None:
    # A file being written while we delete (a listening copy) can make one pass fail.
    for attempt in range(3):
        try:
            shutil.rmtree(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if attempt == 2:
                raise
            time.sleep(0.2)


# -- listening copy --------------------------------------------------------------------------

def listening_copy_command(source: Path, target: Path) -> list[str]:
    """Mono MP3 at 48 kb/s: about 20 MB per hour, light to stream and seek in any browser
    (Safari included), and clear enough for speech."""
    return ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-map", "0:a:0",
            "-vn", "-ac", "1", "-ar", "22050", "-c:a", "libmp3lame", "-b:a", "48k",
            "-f", "mp3", str(target)]


def start_listening_copy(source: Path, target: Path) -> subprocess.Popen | None:
    if shutil.which("ffmpeg") is None:
        return None
    partial = target.with_name(f".{target.name}.partial")

    def lower_priority() -> None:  # transcription comes first on a busy CPU
        with contextlib.suppress(OSError):
            os.nice(10)

    return subprocess.Popen(listening_copy_command(source, partial), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lower_priority)


def finish_listening_copy(process: subprocess.Popen | None, target: Path, keep: bool,
                          timeout: float = 600) -> bool:
    if process is None:
        return False
    partial = target.with_name(f".{target.name}.partial")
    try:
        if keep:
            process.wait(timeout=timeout)
        else:
            process.kill()
            process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        keep = False
    if keep and process.returncode == 0 and partial.is_file():
        with contextlib.suppress(OSError):
            partial.replace(target)
            return True
    with contextlib.suppress(OSError):
        partial.unlink()
    return False


# -- progress --------------------------------------------------------------------------------

def estimate_remaining(job: Job, now: float | None = None) -> float | None:
    """Seconds left for a running job, from its pace so far; None while too early to say."""
    if job.status != RUNNING or job.started is None:
        return None
    elapsed = (now if now is not None else time.time()) - job.started
    if job.fraction < 0.02 or elapsed < 3:
        return None
    return max(0.0, elapsed * (1.0 - job.fraction) / job.fraction)


# -- the queue -------------------------------------------------------------------------------

def default_runner(model_store: ModelStore | None = None) -> Runner:
    store = model_store or ModelStore()

    def run_pipeline(path: Path, options: PipelineOptions, progress: StageProgress,
                     cancelled: Callable[[], bool]) -> Transcript:
        from .pipeline import check_options, run

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

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> JobQueue:
        if self._thread is None or not self._thread.is_alive():
            self.store.requeue_unfinished()
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

    @property
    def running_id(self) -> str | None:
        return self._running_id

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
                error.params = user_named({"params": error.params}, job)["params"]
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
                job = self.store.next_queued()
                if job is None:
                    self._wake.wait(self.poll_interval)
                    self._wake.clear()
                    continue
                self._process(job)
            except Exception:  # noqa: BLE001 - the worker must outlive any one failure
                log.error("worker: unexpected error (%s); going on", _where())
                self._stop.wait(self.poll_interval)

    def _process(self, job: Job) -> None:
        options = pipeline_options_from_dict(job.options)
        stages = stages_for(options)
        started = time.time()
        with self._idle:
            self._running_id = job.id
        try:
            with self.store.lock:
                current = self.store.get(job.id)
                if current is None or current.status != QUEUED:  # deleted or cancelled since
                    return
                job = self.store.update(job.id, status=RUNNING, started=started,
                                        stage=stages[0], stage_fraction=0.0, fraction=0.0,
                                        attempts=current.attempts + 1)
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
        last = {"stage": None, "written": 0.0}

        def progress(stage: str, fraction: float) -> None:
            now = time.monotonic()
            if stage == last["stage"] and now - last["written"] < PROGRESS_INTERVAL:
                return
            if stage != last["stage"]:
                log.info("job %s: stage %s", job.id, stage)
            last["stage"], last["written"] = stage, now
            self.store.update(job.id, stage=stage, stage_fraction=round(fraction, 4),
                              fraction=round(overall_fraction(stage, fraction, stages), 4))

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
            transcript.options["warnings"] = [
                user_named(w, job) for w in transcript.options.get("warnings") or []]
            finish_listening_copy(copy, self.store.listening_path(job), keep=True)
            copy = None
            if not self.store.save_transcript(job, transcript):
                return
            self.store.update(job.id, status=DONE, stage=None, fraction=1.0,
                              finished=time.time(), cancel_requested=False,
                              warnings=list(transcript.options.get("warnings") or []))
            outcome = DONE
        except Cancelled:
            if job.id not in self._cancel and self._stop.is_set():
                # The server is stopping, not the user: run it again at the next start.
                outcome = QUEUED
                self.store.update(job.id, status=QUEUED, stage=None, fraction=0.0,
                                  stage_fraction=0.0, started=None)
            else:
                outcome = CANCELLED
                self.store.update(job.id, status=CANCELLED, stage=None,
                                  finished=time.time())
        except Exception as error:  # noqa: BLE001 - one bad file must not stop the queue
            self.store.update(job.id, status=FAILED, stage=None, finished=time.time(),
                              error=user_named(describe_error(error), job))
            if not isinstance(error, (UserFacingError, ModelNotFoundError)):
                log.error("job %s: failed with %s at %s", job.id, type(error).__name__,
                          _where())
        finally:
            finish_listening_copy(copy, self.store.listening_path(job), keep=False)
            release_memory()  # an idle service keeps none of a long recording's peak
            log.info("job %s: %s after %.1f s", job.id, outcome, time.time() - started)


def describe_error(error: BaseException) -> dict[str, Any]:
    """What the job record keeps about a failure: an i18n key and its parameters. Never
    the exception's message (it may quote the recording or the transcript)."""
    if isinstance(error, UserFacingError):
        return {"key": error.key, "params": _plain(error.params)}
    if isinstance(error, ModelNotFoundError):
        return {"key": "model.not_found",
                "params": {"kind": error.kind, "name": error.name,
                           "available": ", ".join(error.available) or "-"}}
    if isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError":
        return {"key": "job.out_of_memory", "params": {}}
    return {"key": "job.failed_unexpected", "params": {"error": type(error).__name__}}


def user_named(record: dict[str, Any], job: Job) -> dict[str, Any]:
    """An error or warning record whose parameters name the upload as the user named it,
    not as it is stored."""
    params = {k: job.name if v == job.media else v
              for k, v in (record.get("params") or {}).items()}
    return {**record, "params": params}


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (int, float, str)) else str(v) for k, v in params.items()}


def _where() -> str:
    """Where the current exception came from, as file:line frames: enough to debug, and
    free of the exception's message and variables."""
    frames: Iterable[traceback.FrameSummary] = traceback.extract_tb(sys.exc_info()[2])
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(list(frames)))
