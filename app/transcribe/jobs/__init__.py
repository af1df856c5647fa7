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

The web app keeps one `JobQueue` per server process; it loads no model: its dispatcher
(`dispatch.py`) launches transcription workers (`workers/`) while jobs are queued.
Logs name jobs by id only: never a file name
(interviewees' names often are in it), never audio or transcript text.
"""

from .eta import estimate_remaining
from .listening import finish_listening_copy, listening_copy_command, start_listening_copy
from .queue import JobQueue, Runner, StageProgress, describe_error, user_named
from .record import (
    ACTIVE,
    CANCELLED,
    DATA_DIR_ENV,
    DONE,
    FAILED,
    FINISHED,
    MAX_ATTEMPTS,
    QUEUED,
    RUNNING,
    UPLOADING,
    Job,
    JobDeleted,
    conventions_from_dict,
    default_data_dir,
    new_job_id,
    safe_extension,
    valid_job_id,
)
from .store import JobStore

__all__ = [
    "ACTIVE",
    "CANCELLED",
    "DATA_DIR_ENV",
    "DONE",
    "FAILED",
    "FINISHED",
    "MAX_ATTEMPTS",
    "QUEUED",
    "RUNNING",
    "UPLOADING",
    "Job",
    "JobDeleted",
    "JobQueue",
    "JobStore",
    "Runner",
    "StageProgress",
    "conventions_from_dict",
    "default_data_dir",
    "describe_error",
    "estimate_remaining",
    "finish_listening_copy",
    "listening_copy_command",
    "new_job_id",
    "safe_extension",
    "start_listening_copy",
    "user_named",
    "valid_job_id",
]
