"""A job's record (job.json), its id and its statuses; see the package's docstring for the
folder layout."""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..conventions import Conventions
from ..i18n import Notice, notices_from
from ..options import PipelineOptions
from ..plain import from_known_fields

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

_JOB_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{8}")  # whole ids only: fullmatch


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
    # For the time left (eta.py): seconds each stage should take, when the current one
    # started, and the seconds each finished stage took (kept: later jobs learn from them).
    expected: dict[str, float] = field(default_factory=dict)
    stage_started: float | None = None
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # [seconds into the running stage, its fraction] at its first report with progress:
    # its rate of work from there, the time spent loading a model left out.
    stage_work_from: list[float] | None = None
    # `expected` is the built-in defaults: no finished job on this machine to learn from.
    expected_defaults: bool = False
    started: float | None = None
    finished: float | None = None
    attempts: int = 0
    cancel_requested: bool = False
    cancel_asked: float | None = None  # when: a worker that ignores it is stopped
    worker: str | None = None  # the launch (workers/launches.py) running it
    placement: str | None = None  # "here": this machine's CPU rather than a GPU worker
    error: Notice | None = None  # why it failed
    notices: list[Notice] = field(default_factory=list)  # to read with its transcript

    def __post_init__(self) -> None:
        # Typed whatever gave them (JSON, or a caller's plain dicts).
        self.error = Notice.from_dict(self.error) if self.error else None
        self.notices = notices_from(self.notices)

    @property
    def stem(self) -> str:
        """The name exports get: the upload's name without its extension."""
        return Path(self.name).stem or "transcript"

    @cached_property
    def pipeline_options(self) -> PipelineOptions:
        """`options` parsed, once per record read (the pages ask for it on every render)."""
        return PipelineOptions.from_dict(self.options)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        data = dict(data)
        if "notices" not in data:  # records before notices: "warnings"
            data["notices"] = data.pop("warnings", None) or []
        return from_known_fields(cls, data)


class JobDeleted(KeyError):
    """The job was deleted while it was being created (a "delete all" from another tab)."""


def new_job_id(now: float | None = None) -> str:
    """Sortable by creation time, unguessable enough to name a folder."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now if now is not None else time.time()))
    return f"{stamp}-{secrets.token_hex(4)}"


def valid_job_id(job_id: str) -> bool:
    """Ids come back from URLs: only ours may name a folder."""
    return bool(_JOB_ID.fullmatch(job_id or ""))


def default_data_dir() -> Path:
    return Path(os.environ.get(DATA_DIR_ENV) or "data").resolve()


def conventions_from_dict(data: dict[str, Any]) -> Conventions:
    conventions = from_known_fields(Conventions, dict(data or {}))
    conventions.pseudonyms = {str(k): str(v) for k, v in (conventions.pseudonyms or {}).items()}
    return conventions


def new_job(name: str, options: PipelineOptions | dict, conventions: Conventions | dict | None,
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

