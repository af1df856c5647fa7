"""Labels the pages show, from records and settings (no Streamlit: tested directly)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ..export import FORMATS
from ..i18n import MESSAGES, format_duration, message
from ..jobs import ACTIVE, Job, estimate_remaining, pipeline_options_from_dict
from ..models import WHISPER_HINTS
from .strings import SPOKEN_LANGUAGES, text

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


def escape_markdown(value: str) -> str:
    """User text (file and speaker names) shown as markdown, literally."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


def language_label(code: str, language: str) -> str:
    if code == "auto":
        return text("opt.language_auto", language)
    names = SPOKEN_LANGUAGES.get(code)
    return f"{names[0 if language == 'fr' else 1]} ({code})" if names else code


def model_label(name: str, language: str) -> str:
    key = f"hint.{name}"
    hint = text(key, language) if _has_text(key) else WHISPER_HINTS.get(name, "")
    return f"{name} — {hint}" if hint else name


def error_text(error: dict | None, language: str) -> str:
    """A job's error record in the user's language; unknown keys (a newer version's) fall
    back to the generic message."""
    return record_text(error, language) or text("status.failed_unknown", language)


def warning_texts(warnings: list[dict], language: str) -> list[str]:
    """A job's warnings in the user's language; those this version cannot word are left
    out rather than shown as a failure."""
    return [shown for record in warnings if (shown := record_text(record, language))]


def record_text(record: dict | None, language: str) -> str | None:
    if not record:
        return None
    key, params = record.get("key", ""), dict(record.get("params") or {})
    if key not in MESSAGES:
        return None
    try:
        return message(key, language, **params)
    except (KeyError, IndexError, ValueError):
        return None


def remaining_label(job: Job, language: str, now: float | None = None) -> str:
    left = estimate_remaining(job, now)
    if left is None:
        return text("eta.estimating", language)
    if left < 60:
        return text("eta.seconds", language)
    return text("eta.minutes", language, minutes=round(left / 60))


def elapsed_label(job: Job) -> str:
    if job.started is None or job.finished is None:
        return "-"
    return format_duration(max(0.0, job.finished - job.started))


def local_time(timestamp: float, zone: str | None) -> str:
    try:
        tz = ZoneInfo(zone) if zone else timezone.utc
    except (KeyError, ValueError):
        tz = timezone.utc
    return datetime.fromtimestamp(timestamp, tz).strftime("%Y-%m-%d %H:%M")


def size_label(size: int, language: str) -> str:
    if size < 1_000_000:
        return text("unit.kb", language, value=max(1, round(size / 1000)) if size else 0)
    value = f"{size / 1e6:.1f}"
    return text("unit.mb", language, value=value.replace(".", ",") if language == "fr" else value)


def css_string(value: str) -> str:
    """A CSS string literal (for `content:`), whatever the text holds."""
    return '"' + "".join(c if c.isalnum() or c in " .,·:;()-'" else f"\\{ord(c):x} "
                         for c in value) + '"'


def job_summary(job: Job, language: str, zone: str | None = None) -> str:
    """One line under the file name: when, how big, how long, and the main options."""
    options = pipeline_options_from_dict(job.options)
    parts = [local_time(job.created, zone), size_label(job.size, language)]
    if job.duration:
        parts.append(format_duration(job.duration))
    parts.append(text(f"preset.{options.speakers.preset}", language))
    parts.append(language_label(options.asr.language or "auto", language))
    parts.append(options.asr.model)
    return " · ".join(parts)


def queue_order(jobs: list[Job]) -> list[Job]:
    """Waiting and running jobs first, in queue order; then finished ones, newest first."""
    active = [j for j in jobs if j.status in ACTIVE]
    finished = sorted((j for j in jobs if j.status not in ACTIVE),
                      key=lambda j: j.finished or j.created, reverse=True)
    return active + finished


def export_labels(language: str) -> dict[str, str]:
    """Button labels per export format: what it is, and the file's extension."""
    return {name: f"{text(f'export.format.{name}', language)} ({fmt.extension})"
            for name, fmt in FORMATS.items()}


__all__ = ["format_duration"]


def _has_text(key: str) -> bool:
    from .strings import STRINGS

    return key in STRINGS
