"""Labels the pages show, from records and settings (no Streamlit: tested directly)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ..export import FORMATS
from ..i18n import MESSAGES, format_duration, message
from ..jobs import ACTIVE, Job, estimate_remaining
from ..models import WHISPER_HINTS
from ..pipeline import stages_for
from .settings import LOCAL_ADDRESS, Settings
from .strings import SPOKEN_LANGUAGES, STRINGS, text

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
    hint = text(key, language) if key in STRINGS else WHISPER_HINTS.get(name, "")
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
    """An {"key", "params"} record of i18n.MESSAGES in the user's language."""
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


def uploader_style(browse: str, dropzone: str, too_large: str, failed: str) -> str:
    """CSS that puts the page's language into Streamlit's file uploader, whose own words
    are English whatever the language: its button, its drop zone, and the chip of a file
    it refuses before sending (beyond server.maxUploadSize, which is our limit). That
    chip's reason is normally only in a hover tooltip, in English: it is written out in the
    chip instead, and the tooltip hidden. `too_large` is the default reason (the only one
    the browser itself can give here); UPLOAD_CHIP_SCRIPT marks chips that failed
    otherwise (the network) so that they get `failed`."""
    chip = '[data-testid="stFileChip"][aria-invalid="true"]'
    return f"""<style>
[data-testid="stFileUploaderDropzone"] button p {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button p::after {{
  content: {css_string(browse)}; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] span::after {{
  content: {css_string(dropzone)}; font-size: 0.875rem; }}
{chip} {{ flex-wrap: wrap; }}
{chip} [role="alert"] {{
  position: static; width: 100%; height: auto; margin: 0; padding: 0 0.25rem 0.2rem;
  clip: auto; overflow: visible; white-space: normal; font-size: 0; }}
{chip} [role="alert"]::after {{
  content: {css_string(too_large)}; font-size: 0.8rem; line-height: 1.3; }}
{chip}[data-reason="failed"] [role="alert"]::after {{ content: {css_string(failed)}; }}
[data-testid="stTooltipErrorContent"] {{ display: none; }}
</style>"""


# Streamlit words the reason of a refused file in English only; this tells the "too large"
# chips (the usual case) from uploads that failed on the way, for uploader_style.
UPLOAD_CHIP_SCRIPT = """<script>
(() => {
  if (window.transcribeChipWatch) return;
  const tooLarge = /File must be .* or smaller/;
  const mark = () => {
    for (const chip of document.querySelectorAll(
        '[data-testid="stFileChip"][aria-invalid="true"]')) {
      const alert = chip.querySelector('[role="alert"]');
      const reason = tooLarge.test(alert ? alert.textContent : '') ? 'too-large' : 'failed';
      if (chip.dataset.reason !== reason) chip.dataset.reason = reason;
    }
  };
  window.transcribeChipWatch = new MutationObserver(mark);
  window.transcribeChipWatch.observe(document.body, {childList: true, subtree: true,
                                                     characterData: true});
  mark();
})();
</script>"""


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


__all__ = ["format_duration"]
