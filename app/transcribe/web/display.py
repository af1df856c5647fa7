"""Labels the pages show, from records and settings (no Streamlit: tested directly)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ..export import FORMATS
from ..i18n import Notice, format_duration
from ..jobs import ACTIVE, Job, estimate_remaining
from ..jobs.dispatch import Waiting
from ..languages import SPOKEN_LANGUAGES
from ..models import WHISPER_HINTS
from ..pipeline import stages_for
from ..workers.launches import REFUSED, Usage
from .settings import LOCAL_ADDRESS, Settings
from .strings import STRINGS, text

# What Markdown (and Streamlit's own syntax: `:red[...]`, `:material/...:`, `$...$`) reads
# anywhere in a line, and what it reads where a line starts (a list, a heading, a quote).
_MARKDOWN_INLINE = re.compile(r"([\\`*_{}\[\]()<>!|~$:&])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)(?:([-+=#])|(\d+)([.)]))")


def escape_markdown(value: str) -> str:
    """User text (file and speaker names, pseudonyms, the vocabulary hint) shown literally
    where Streamlit renders Markdown (st.write, alerts, captions, progress texts, widget
    labels): no image fetched, link, colour or emphasis made of it."""
    text = _MARKDOWN_INLINE.sub(r"\\\1", " ".join(value.splitlines()))  # one line
    return _MARKDOWN_LINE_START.sub(
        lambda m: m[1] + ("\\" + m[2] if m[2] else m[3] + "\\" + m[4]), text)


def language_label(code: str, language: str) -> str:
    if code == "auto":
        return text("opt.language_auto", language)
    names = SPOKEN_LANGUAGES.get(code)
    return f"{names[0 if language == 'fr' else 1]} ({code})" if names else code


def model_label(name: str, language: str) -> str:
    key = f"hint.{name}"
    hint = text(key, language) if key in STRINGS else WHISPER_HINTS.get(name, "")
    return f"{name} — {hint}" if hint else name


def error_text(error: Notice | None, language: str) -> str:
    """Why a job or an upload failed, in the user's language, for a page; an unknown key
    (a newer version's) falls back to the generic message."""
    return notice_text(error, language) or text("status.failed_unknown", language)


def notice_texts(notices: list[Notice], language: str) -> list[str]:
    """A job's notices in the user's language, for a page; those this version cannot word
    are left out rather than shown as a failure."""
    return [shown for notice in notices if (shown := notice_text(notice, language))]


def notice_text(notice: Notice | None, language: str) -> str | None:
    """A notice in the user's language, for a page (Markdown): its texts (file names,
    speaker names) escaped, shown as they are."""
    if notice is None:
        return None
    return Notice(notice.key, {name: escape_markdown(value) if isinstance(value, str)
                               else value for name, value in notice.params.items()}
                  ).text(language)


def remaining_label(job: Job, language: str, now: float | None = None) -> str:
    """The time left, worded for a person: under a minute, about N minutes, about N h MM
    (eta.py's estimate, which counts every stage still to come)."""
    left = estimate_remaining(job, now)
    if left is None:
        return text("eta.estimating", language)
    if left < 60:
        return text("eta.seconds", language)
    minutes = round(left / 60)
    if minutes == 1:
        return text("eta.minute", language)
    if minutes < 60:
        return text("eta.minutes", language, minutes=minutes)
    return text("eta.hours", language, hours=minutes // 60, minutes=minutes % 60)


def stage_states(job: Job) -> list[tuple[str, str, int]]:
    """A running job's stages in order, each (stage, "done" | "current" | "todo", percent
    of that stage). A stage the pipeline skipped (no alignment model for the language)
    counts as done once a later one has started."""
    stages = stages_for(job.pipeline_options)
    current = stages.index(job.stage) if job.stage in stages else -1
    percent = int(min(max(job.stage_fraction, 0.0), 1.0) * 100)
    return [(stage, "done" if index < current else "current" if index == current else "todo",
             percent if index == current else (100 if index < current else 0))
            for index, stage in enumerate(stages)]


def stages_text(job: Job, language: str) -> str:
    """One line (markdown): ✓ Reading the file → **Transcribing: 40%** → Aligning words
    (to come)..."""
    return " → ".join(text(f"stage.state.{state}", language,
                           stage=text(f"stage.{stage}", language), percent=percent)
                      for stage, state, percent in stage_states(job))


def elapsed_label(job: Job) -> str:
    if job.started is None or job.finished is None:
        return "-"
    return format_duration(max(0.0, job.finished - job.started))


def span_label(seconds: float, language: str) -> str:
    """A length people read: 40 s, 3 min, 2 h 10 min."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return text("span.seconds", language, seconds=seconds)
    minutes = round(seconds / 60)
    if minutes < 60:
        return text("span.minutes", language, minutes=minutes)
    return text("span.hours", language, hours=minutes // 60, minutes=minutes % 60)


def waiting_text(waiting: Waiting, language: str, zone: str | None,
                 now: float | None = None) -> str:
    """Jobs waiting for a GPU, why and since when, in the user's words (Kubernetes' own
    messages would alarm: "0/3 nodes are available...")."""
    now = time.time() if now is None else now
    key = "jobs.waiting_quota" if waiting.reason == REFUSED else "jobs.waiting_gpu"
    since = local_time(waiting.since, zone)[-5:]  # HH:MM, today
    return text(key, language, since=since, waited=span_label(now - waiting.since, language))


def cpu_offer_text(seconds: float | None, count: int, language: str) -> str:
    if seconds is None:
        return text("jobs.cpu_offer_unknown", language, count=count)
    return text("jobs.cpu_offer", language, count=count, duration=span_label(seconds, language))


def usage_text(usage: Usage, language: str, key: str = "jobs.gpu_used") -> str:
    """"GPU used 3 min for 2 h 10 min of audio"."""
    return text(key, language, gpu=span_label(usage.held_seconds, language),
                audio=span_label(usage.audio_seconds, language))


def local_time(timestamp: float, zone: str | None) -> str:
    try:
        tz = ZoneInfo(zone) if zone else UTC
    except (KeyError, ValueError):
        tz = UTC
    return datetime.fromtimestamp(timestamp, tz).strftime("%Y-%m-%d %H:%M")


def distinct_labels(labels: dict[str, str]) -> dict[str, str]:
    """The same labels, each one different: a choice list sends back the label chosen,
    so two alike ("Recording.m4a — 2026-12-01 10:02" twice) would open the wrong one.
    The second and later of a kind get " (2)", " (3)"..."""
    taken = set(labels.values())
    seen: set[str] = set()
    distinct = {}
    for key, label in labels.items():
        chosen, number = label, 1
        while chosen in seen or (chosen != label and chosen in taken):
            number += 1
            chosen = f"{label} ({number})"
        seen.add(chosen)
        distinct[key] = chosen
    return distinct


def size_label(size: int, language: str) -> str:
    """A file's size, the one way the app writes sizes (the uploader's chips, the queue,
    the privacy page): decimal units (as file managers), in the reader's language."""
    if size < 1_000_000:
        return text("unit.kb", language, value=max(1, round(size / 1000)) if size else 0)
    unit, scale = ("unit.mb", 1e6) if size < 1e9 else ("unit.gb", 1e9)
    value = f"{size / scale:.1f}"
    return text(unit, language, value=value.replace(".", ",") if language == "fr" else value)


def deadline_text(delete_at: datetime, language: str,
                  now: datetime | None = None) -> tuple[float, str]:
    """Seconds left before the service deletes itself (negative once past) and the one
    message that says so, in the sidebar and on the privacy page alike."""
    left = (delete_at - (now or datetime.now(UTC))).total_seconds()
    if left <= 0:
        return left, text("deadline.passed", language)
    hours, minutes = divmod(int(left // 60), 60)
    when = delete_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return left, text("deadline.left", language, hours=hours, minutes=minutes, when=when)


def access_text(settings: Settings, language: str) -> str:
    """Who can open the service, truthfully for this run."""
    if settings.password:
        return text("privacy.access_password", language)
    if settings.address == LOCAL_ADDRESS:
        return text("privacy.access_local", language)
    return text("privacy.access_open", language, address=settings.address or "*")


def lifetime_text(settings: Settings, language: str) -> str:
    key = "privacy.lifetime_deadline" if settings.delete_at else "privacy.lifetime_local"
    return text(key, language)


def job_summary(job: Job, language: str, zone: str | None = None) -> str:
    """One line under the file name: when, how big, how long, and the main options."""
    options = job.pipeline_options
    parts = [local_time(job.created, zone), size_label(job.size, language)]
    if job.duration:
        parts.append(format_duration(job.duration))
    parts.append(text(f"preset.{options.speakers.preset}", language))
    parts.append(language_label(options.asr.language or "auto", language))
    parts.append(options.model.name)
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

