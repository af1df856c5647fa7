"""For the correction editor's browser tests (test_correction*.py): opening the editor in
a page, waiting for its saves, reading what is stored and what the downloads give. The
server, its jobs and Chromium are fixtures in conftest.py (one server for them all)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from test_browser import CHROMIUM_ARGS, wait_until

from transcribe.jobs import JobStore

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "editor"
ARGS = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]
EDITOR = "window.transcribeEditor"


def open_editor(browser, url: str, job_id: str, context=None):
    context = context or browser.new_context(viewport={"width": 1300, "height": 1000},
                                             accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{url}/review?job={job_id}")
    page.wait_for_selector(".te-seg")
    wait_until(lambda: page.evaluate("window.transcribeEditor.audio.readyState >= 1"), 20,
               "the recording to load")
    page.errors = errors
    return page


def stored(data: Path, job_id: str):
    store = JobStore(data)
    job = store.get(job_id)
    return store.load_transcript(job), store.conventions(job)


def saved(page) -> None:
    wait_until(lambda: page.locator(".te-status").get_attribute("data-state") == "saved"
               and page.evaluate("!window.transcribeEditor.inflight"), 20, "the save")


def settle(page) -> None:
    """No Streamlit run in progress (a click during one can be lost)."""
    from playwright.sync_api import expect

    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)


def audio(page, expression: str):
    return page.evaluate(f"(a => {expression})(window.transcribeEditor.audio)")


def caret_in(page, segment: int, offset: int) -> None:
    """Put the caret `offset` characters into the `segment`-th segment."""
    page.evaluate("([i, offset]) => { const e = window.transcribeEditor; "
                  "e.placeCaret(e.elements.get(e.segs[i].u), offset); }", [segment, offset])


def downloaded(page, label: str, folder: Path) -> Path:
    """The file the page's Download tab gives with the button `label`, saved in `folder`."""
    page.get_by_role("tab", name="Download").click()
    with page.expect_download() as download:
        page.get_by_role("button", name=label).click()
    target = folder / download.value.suggested_filename
    download.value.save_as(target)
    return target


def downloaded_text(page, folder: Path) -> str:
    """The transcript as the page's Download tab gives it in .txt."""
    return downloaded(page, "Text (.txt)", folder).read_text(encoding="utf-8")



def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, \
                answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
