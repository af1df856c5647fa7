"""What the hosting platform (Onyxia) asks the app to say, from the environment the chart
sets: the data-rules notice above the uploader, a project namespace's shared access, the
spoken language a lab preselects, and that deleting the service frees its GPU."""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..export import export_stem
from ..jobs import DONE, JobStore
from ..languages import UI_LANGUAGES
from . import reviewing, strings
from .settings import Settings

NOTICE_OFF = "off"
STORAGE_KEY = "transcribe.notice.dismissed"  # localStorage: the dismissed notice's key


@dataclass(frozen=True)
class Platform:
    notice: dict[str, str] = field(default_factory=dict)  # per language; empty: no notice
    project_namespace: str | None = None  # an Onyxia project (group) namespace
    default_language: str = "auto"  # spoken language preselected on the upload page


def load_platform(env: Mapping[str, str] | None = None) -> Platform:
    env = os.environ if env is None else env
    language = (env.get("TRANSCRIBE_DEFAULT_LANGUAGE") or "auto").strip().lower()
    return Platform(notice=parse_notice(env.get("TRANSCRIBE_PRIVACY_NOTICE")),
                    project_namespace=(env.get("TRANSCRIBE_PROJECT_NAMESPACE") or "").strip()
                    or None,
                    default_language=language)


def default_notice() -> dict[str, str]:
    return {language: strings.text("notice.default", language)
            for language in UI_LANGUAGES}


def parse_notice(value: str | None) -> dict[str, str]:
    """Unset: our default (SSP Cloud's rules). "off": none. JSON {"fr": ..., "en": ...}
    (what the chart sends), or plain text for every language."""
    if value is None or not value.strip():
        return default_notice()
    text = value.strip()
    if text.lower() == NOTICE_OFF:
        return {}
    try:
        given = json.loads(text)
    except ValueError:
        given = text
    if isinstance(given, str):
        return {language: given for language in UI_LANGUAGES}
    if not isinstance(given, dict):
        return default_notice()
    texts = {k: str(v).strip() for k, v in given.items() if isinstance(v, str) and v.strip()}
    if not texts:
        return {}
    fallback = texts.get("en") or next(iter(texts.values()))
    return {language: texts.get(language, fallback) for language in UI_LANGUAGES}


def notice_key(notice: Mapping[str, str]) -> str:
    """Changes with the text: an admin's new rules are shown again to those who closed the
    old ones; the same in both languages, so closing it once is enough."""
    payload = json.dumps(dict(sorted(notice.items())), ensure_ascii=False).encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def notice_html(platform: Platform, language: str) -> str | None:
    """The notice with a close button; the script hides it in a browser that closed it.
    Nothing leaves the browser: the choice stays in its localStorage."""
    if not platform.notice:
        return None
    text = platform.notice.get(language) or next(iter(platform.notice.values()))
    key = notice_key(platform.notice)
    close = strings.text("notice.close", language)
    return f"""<div class="transcribe-notice" data-notice-key="{key}" role="note"
  style="display:flex;gap:0.75rem;align-items:flex-start;padding:0.75rem 1rem;
  border-radius:0.5rem;background:rgba(255,189,69,0.15);color:inherit;line-height:1.5">
  <div style="flex:1">{html.escape(text)}</div>
  <button type="button" class="transcribe-notice-close" title="{html.escape(close)}"
    style="border:1px solid rgba(49,51,63,0.3);border-radius:0.4rem;background:transparent;
    color:inherit;padding:0.2rem 0.6rem;cursor:pointer;white-space:nowrap"
    >{html.escape(close)}</button>
</div>
<script>
(() => {{
  const storageKey = {json.dumps(STORAGE_KEY)};
  const read = () => {{ try {{ return localStorage.getItem(storageKey); }}
                       catch (e) {{ return null; }} }};
  const apply = () => {{
    for (const box of document.querySelectorAll('.transcribe-notice')) {{
      const key = box.dataset.noticeKey;
      if (read() === key) {{ box.style.display = 'none'; continue; }}
      const button = box.querySelector('.transcribe-notice-close');
      if (button && !button.dataset.bound) {{
        button.dataset.bound = '1';
        button.addEventListener('click', () => {{
          try {{ localStorage.setItem(storageKey, key); }} catch (e) {{}}
          box.style.display = 'none';
        }});
      }}
    }}
  }};
  apply();
  if (!window.transcribeNoticeWatch) {{
    window.transcribeNoticeWatch = new MutationObserver(apply);
    window.transcribeNoticeWatch.observe(document.body, {{childList: true, subtree: true}});
  }}
}})();
</script>"""


def deployed_on_gpu(settings: Settings) -> bool:
    """A service the chart deployed (it has a deadline) that holds a GPU for its whole
    life (with the kubernetes launcher, only its workers hold one, while they run)."""
    return (settings.delete_at is not None and settings.device != "cpu"
            and settings.launcher != "kubernetes")


def project_warning(platform: Platform, language: str) -> str | None:
    if not platform.project_namespace:
        return None
    return strings.text("privacy.project", language, namespace=platform.project_namespace)


def default_language_index(choices: tuple[str, ...], platform: Platform) -> int:
    return choices.index(platform.default_language) \
        if platform.default_language in choices else 0


def everything_zip(store: JobStore, ui_language: str | None = None) -> bytes:
    """Every finished transcript in every format, pseudonyms applied (to the folders' and
    files' names too): one folder per recording (two with one name get `name`, `name-2`);
    the docx labels in `ui_language`, as the review page's downloads."""
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for job in sorted(store.list(), key=lambda j: j.created):
            transcript = store.finished_transcript(job) if job.status == DONE else None
            if transcript is None:
                continue
            conventions = store.conventions(job)
            stem = export_stem(job.stem, conventions)  # pseudonyms applied
            folder, number = stem, 2
            while folder in used:
                folder, number = f"{stem}-{number}", number + 1
            used.add(folder)
            reviewing.write_formats(archive, f"{folder}/", transcript, job.stem,
                                    conventions, ui_language)
    return buffer.getvalue()
