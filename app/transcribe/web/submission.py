"""From the upload form to queued jobs: file checks, options, conventions. No Streamlit
here, so that it can be tested directly."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from .. import storage
from ..asr import model_kind
from ..audio import probe
from ..conventions import Conventions
from ..i18n import Notice, UserFacingError
from ..jobs import Job, JobDeleted, JobQueue, JobStore, describe_error
from ..languages import DEFAULT_LANGUAGE
from ..models import ModelStore
from ..options import (
    AUTO,
    DEFAULT_ENGINE,
    AsrOptions,
    ModelSettings,
    PipelineOptions,
    SpeakerOptions,
    spoken_language,
)
from .spool import Spooled, spooled_path

# What people record interviews with: phones, dictaphones, video calls, messaging apps.
AUDIO_EXTENSIONS = ("mp3", "m4a", "wav", "ogg", "oga", "opus", "flac", "wma", "aac", "amr",
                    "aif", "aiff", "caf", "3ga", "dss", "ac3", "mka", "weba")
VIDEO_EXTENSIONS = ("mp4", "m4v", "mov", "mkv", "webm", "avi", "wmv", "mpeg", "mpg", "3gp",
                    "ts", "mts", "m2ts", "flv")
MEDIA_EXTENSIONS = AUDIO_EXTENSIONS + VIDEO_EXTENSIONS

log = logging.getLogger("transcribe.web")


class UploadError(UserFacingError):
    """A file refused before it is queued."""


@dataclass
class FormChoices:
    """What the upload form asks, with its defaults."""

    preset: str = "interview"
    language: str = AUTO
    model: str = ModelSettings.name
    engine: str = DEFAULT_ENGINE
    align: bool = True
    prompt: str = ""
    device: str = AUTO
    ui_language: str = DEFAULT_LANGUAGE
    interviewer_name: str = ""
    interviewee_name: str = ""
    mark_pauses: bool = False
    mark_overlaps: bool = True
    flag_uncertain: bool = False
    uncertainty_threshold: float = 0.5
    remove_fillers: bool = False
    timestamps: bool = False
    speaker_names: bool = True


@dataclass
class UploadOutcome:
    """What became of one uploaded file."""

    name: str
    job: Job | None = None  # queued, or (refused) a failed job that says why
    refused: bool = False
    error: Notice | None = None  # to show now, nothing recorded

    @property
    def queued(self) -> bool:
        return self.job is not None and not self.refused


def pipeline_options(choices: FormChoices) -> PipelineOptions:
    """The options a form's choices mean. The spoken language is checked here, on the
    server: one the form does not offer is refused (UserFacingError), never run."""
    speakers = SpeakerOptions(preset=choices.preset)
    speakers.names = speakers.role_names({"interviewer": choices.interviewer_name,
                                          "interviewee": choices.interviewee_name})
    return PipelineOptions(
        engine=choices.engine,
        model=ModelSettings(name=choices.model, device=choices.device),
        asr=AsrOptions(language=spoken_language(choices.language),
                       initial_prompt=" ".join(choices.prompt.split()) or None),
        align=choices.align,
        diarize=speakers.diarize,
        speakers=speakers,
        ui_language=choices.ui_language,
    )


# What a file's own choice says when it keeps the batch's.
BATCH = "batch"


def for_file(choices: FormChoices, preset: str = BATCH, language: str = BATCH) -> FormChoices:
    """One file's choices: the batch's, with that file's own preset and spoken language
    where it has one (checked with the rest, in `pipeline_options`)."""
    return replace(choices, preset=choices.preset if preset == BATCH else preset,
                   language=choices.language if language == BATCH else language)


def conventions(choices: FormChoices) -> Conventions:
    return Conventions(mark_pauses=choices.mark_pauses, mark_overlaps=choices.mark_overlaps,
                       flag_uncertain=choices.flag_uncertain,
                       uncertainty_threshold=choices.uncertainty_threshold,
                       remove_fillers=choices.remove_fillers, timestamps=choices.timestamps,
                       speaker_names=choices.speaker_names)


def model_choices(store: ModelStore, engine: str) -> list[str]:
    return store.models(model_kind(engine))


def check_file(name: str, size: int, max_upload_mb: int, data_dir: Path,
               stored: bool = False) -> None:
    """Refuse, with a reason, what cannot be a recording or cannot fit (`stored`: the
    file is in the data folder already, spooled as it arrived: it takes no more room)."""
    extension = Path(name).suffix.lower().lstrip(".")
    if extension not in MEDIA_EXTENSIONS:
        raise UploadError("upload.unsupported", name=name,
                          extensions=", ".join(MEDIA_EXTENSIONS))
    if size == 0:
        raise UploadError("audio.empty_file", name=name)
    if size > max_upload_mb * 1024 * 1024:
        raise UploadError("upload.too_large", name=name, limit=max_upload_mb)
    if not stored and not storage.fits(data_dir, size, storage.data_limit()):
        raise UploadError("upload.no_space", name=name)


def readable_duration(path: Path) -> float | None:
    """ffprobe's verdict before queueing: a damaged or audio-less file fails now, with
    its reason, rather than minutes later in the queue."""
    return probe(path).duration


# Browsers escape these three in a multipart upload's file name (HTML's form-data encoding
# rule); Streamlit passes the name on as sent.
_BROWSER_ESCAPES = {"%22": '"', "%0A": " ", "%0D": " "}


def browser_file_name(name: str) -> str:
    """The file name as the user named it, from the name the browser sent."""
    for escaped, character in _BROWSER_ESCAPES.items():
        name = name.replace(escaped, character).replace(escaped.lower(), character)
    return name


def save_upload(queue: JobQueue, name: str, data: BinaryIO | bytes | Path, size: int,
                choices: FormChoices, max_upload_mb: int) -> UploadOutcome:
    """Check, copy and queue one file of a batch: whatever goes wrong is this file's
    outcome, never an exception, so that the other files go on. A file refused for what
    it is stays in the job list with its reason; a choice the form does not offer, or a
    failure of the server (disk full, files deleted meanwhile from another tab), is only
    reported."""
    name = browser_file_name(name)
    try:
        options = pipeline_options(choices)
    except UserFacingError as error:
        return UploadOutcome(name, error=error.notice)
    try:
        check_file(name, size, max_upload_mb, queue.store.data_dir,
                   stored=isinstance(data, Path))
        return UploadOutcome(name, job=queue.submit(name, data, options,
                                                    conventions(choices),
                                                    check=readable_duration))
    except UserFacingError as error:
        return refusal(queue.store, name, size, options, choices, describe_error(error))
    except JobDeleted:
        return UploadOutcome(name, error=Notice("upload.deleted_meanwhile", {"name": name}))
    except OSError as error:
        log.warning("upload not saved: %s (errno %s)", type(error).__name__, error.errno)
        key = "upload.no_space" if storage.disk_full(error) else "upload.save_failed"
        return UploadOutcome(name, error=Notice(key, {"name": name}))
    except Exception as error:  # noqa: BLE001 - one file must not stop the batch
        log.error("upload not saved: unexpected %s", type(error).__name__)
        return UploadOutcome(name, error=Notice("upload.save_failed", {"name": name}))


def spooled(upload: BinaryIO, size: int) -> Spooled | None:
    """What the HTTP layer (spool.py) left in place of an uploaded file's bytes; None for
    a file held in memory (where no such layer runs: Streamlit's AppTest)."""
    if size > 4096 or not hasattr(upload, "getvalue"):
        return None
    return Spooled.decode(upload.getvalue())


def uploaded_size(upload: BinaryIO) -> int:
    """An uploaded file's size in bytes, spooled (spool.py) or held in memory."""
    size = int(getattr(upload, "size", 0))
    record = spooled(upload, size)
    return record.size if record is not None else size


def save_uploaded(queue: JobQueue, name: str, upload: BinaryIO, size: int,
                  choices: FormChoices, max_upload_mb: int) -> UploadOutcome:
    """One file from the uploader: a spooled file is linked into its job folder (no copy)
    and its spooled name removed; a file held in memory is copied."""
    name = browser_file_name(name)
    record = spooled(upload, size)
    if record is None:
        return save_upload(queue, name, upload, size, choices, max_upload_mb)
    if record.refused:
        try:
            options = pipeline_options(choices)
        except UserFacingError as error:
            return UploadOutcome(name, error=error.notice)
        return refusal(queue.store, name, record.size, options, choices,
                       record.refusal(name))
    path = spooled_path(queue.store.data_dir, record)
    if path is None:  # "delete all" from another tab removed it meanwhile
        return UploadOutcome(name, error=Notice("upload.deleted_meanwhile", {"name": name}))
    try:
        return save_upload(queue, name, path, record.size, choices, max_upload_mb)
    finally:
        path.unlink(missing_ok=True)


def refusal(store: JobStore, name: str, size: int, options: PipelineOptions,
            choices: FormChoices, error: Notice) -> UploadOutcome:
    """A refused file as a failed job in the list; when even that cannot be written (a
    full disk), the reason is only shown."""
    try:
        job = store.record_refused(name, options, conventions(choices), error, size)
    except (OSError, JobDeleted):  # a full disk, or "delete all" racing the upload
        return UploadOutcome(name, error=error)
    return UploadOutcome(name, job=job, refused=True)
