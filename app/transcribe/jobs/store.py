"""Job records and files on disk: create, read, update, delete, and the queue's order."""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from ..conventions import Conventions
from ..i18n import Notice
from ..options import PipelineOptions
from ..storage import write_atomically
from ..transcript import Transcript
from .record import (
    CANCELLED,
    DONE,
    FAILED,
    JOB_FILE,
    JOBS_FOLDER,
    LISTENING_FILE,
    MAX_ATTEMPTS,
    QUEUED,
    RUNNING,
    TRANSCRIPT_FILE,
    UPLOADING,
    Job,
    JobDeleted,
    conventions_from_dict,
    default_data_dir,
    new_job,
    valid_job_id,
)

log = logging.getLogger("transcribe.jobs")

COPY_CHUNK = 8 << 20


@dataclass(frozen=True)
class StoredFile:
    """A file in the data folder, as the privacy page lists it."""

    relative: Path  # to the data folder
    size: int
    job_id: str | None  # the job whose folder holds it; None outside job folders


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
        job = new_job(name, options, conventions, duration=duration, status=status)
        return self._add(job, source)

    def record_refused(self, name: str, options: PipelineOptions | dict,
                       conventions: Conventions | dict | None, error: Notice,
                       size: int = 0) -> Job:
        """A failed job without its recording, for a file refused at upload: the list
        keeps saying why (in the reader's language) until the user deletes it."""
        job = new_job(name, options, conventions, size=size, status=FAILED, error=error)
        job.finished = job.created
        return self._add(job)

    def _add(self, job: Job, source: BinaryIO | bytes | Path | None = None) -> Job:
        """A new job folder with its record (and its recording, if any); nothing is left
        behind when that fails."""
        folder = self.root / job.id
        folder.mkdir(parents=True)
        try:
            if source is not None:
                job.size = copy_into(source, folder / job.media)
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
            job = replace(job, **changes)
            return job if self.save(job) else None

    def _write(self, job: Job) -> None:
        write_atomically(self.root / job.id / JOB_FILE,
                         json.dumps(job.to_dict(), ensure_ascii=False, indent=1))

    # -- transcripts ---------------------------------------------------------------------

    def load_transcript(self, job: Job) -> Transcript:
        return Transcript.load(self.transcript_path(job))

    def save_transcript(self, job: Job, transcript: Transcript) -> bool:
        with self.lock:
            if not self.folder(job.id).is_dir():
                return False
            transcript.save(self.transcript_path(job))
            return True

    def finished_transcript(self, job: Job) -> Transcript | None:
        """The transcript on disk, when there is a whole one (it is written atomically:
        one that reads is complete)."""
        try:
            return self.load_transcript(job)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None

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

    def requeue_unfinished(self, unsaved: dict[str, dict[str, Any]] | None = None,
                           keep: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """At server start: jobs that were running are queued again (their progress is
        lost, their upload is not), unless their transcript is on disk (the server
        stopped, or the disk was full, between saving it and saving the record): those
        are done, never transcribed again. A job the server stopped on too often fails.
        A record that cannot be written (a full disk) goes into `unsaved`, for the queue
        to write once there is room. A job whose worker (`keep`: launch ids) still runs,
        a Kubernetes Job found again, stays as it is."""
        requeued = []
        with self.lock:
            for job in self.list():
                if job.status == UPLOADING:  # the server stopped mid-upload: incomplete
                    self.delete(job.id)
                    continue
                if job.status != RUNNING or (job.worker and job.worker in keep):
                    continue
                if (transcript := self.finished_transcript(job)) is not None:
                    changes = done_changes(transcript)
                    log.info("job %s: its transcript was saved: done", job.id)
                elif job.cancel_requested:
                    changes = {"status": CANCELLED, "finished": time.time(), "stage": None}
                elif job.attempts >= MAX_ATTEMPTS:
                    changes = {"status": FAILED, "finished": time.time(), "stage": None,
                               "error": Notice("job.interrupted")}
                else:
                    changes = {"status": QUEUED, "stage": None, "fraction": 0.0,
                               "stage_fraction": 0.0, "started": None, "worker": None}
                    requeued.append(job.id)
                try:
                    self.update(job.id, **changes)
                except OSError:
                    if unsaved is None:
                        raise
                    unsaved[job.id] = changes
        for job_id in requeued:
            log.info("job %s: queued again after a restart", job_id)
        return requeued

    # -- deletion ------------------------------------------------------------------------

    def delete(self, job_id: str) -> bool:
        with self.lock:
            folder = self.root / job_id
            if not valid_job_id(job_id) or not folder.exists():
                return False
            remove_tree(folder)
        log.info("job %s: deleted", job_id)
        return True

    def delete_all(self) -> None:
        """Remove every job folder, then the jobs folder itself: the data folder is left
        as we found it (empty, in a fresh pod)."""
        with self.lock:
            if self.root.exists():
                remove_tree(self.root)
        log.info("all jobs deleted")

    def stored_files(self) -> list[StoredFile]:
        """Every file under the data folder, with its size and job (the privacy page)."""
        if not self.data_dir.is_dir():
            return []
        files = []
        for path in sorted(self.data_dir.rglob("*")):
            if path.is_file():
                relative = path.relative_to(self.data_dir)
                in_job = len(relative.parts) > 2 and relative.parts[0] == JOBS_FOLDER
                files.append(StoredFile(relative, path.stat().st_size,
                                        relative.parts[1] if in_job else None))
        return files


def done_changes(transcript: Transcript) -> dict[str, Any]:
    """A job record's fields once its transcript is saved."""
    return {"status": DONE, "stage": None, "fraction": 1.0, "finished": time.time(),
            "cancel_requested": False, "notices": list(transcript.notices)}


def copy_into(source: BinaryIO | bytes | Path, target: Path) -> int:
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


def remove_tree(path: Path) -> None:
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

