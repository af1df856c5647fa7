"""Speech with no text in the editor (issue 21), in a real headless Chromium against a real
`transcribe-web` (the server and Chromium: conftest.py): the guard took Dominique's
second answer away, and its stretch shows as a mark between the sentences around it,
reached with Tab, named for what it is, that plays that stretch and stops at its end;
Delete takes the mark away (saved as a change), Ctrl+Z puts it back; the txt download
marks it at its place; typing on the mark writes what is said, a sentence of its own in
the mark's place, saved, and undone back to the mark."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from a11y_support import axe
from editor_browser import (
    ARTIFACTS,
    EDITOR,
    audio,
    caret_in,
    downloaded_text,
    open_editor,
    saved,
    stored,
)
from editor_support import seed_job
from test_browser import wait_until

from transcribe.transcript import Gap

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def removed(editor_app):
    """The interview with its fourth line ("I like helping people...") gone, a gap of the
    guard's in its place."""
    url, data, recording, transcript = editor_app
    transcript = copy.deepcopy(transcript)
    line = transcript.segments.pop(3)
    transcript.gaps = [Gap(line.start, line.end, "guard", line.speaker)]
    return url, data, seed_job(data, recording, transcript, "interview.wav"), line


def test_a_gap_is_marked_between_its_sentences_and_plays_its_stretch(removed, browser,
                                                                       tmp_path):
    url, data, job_id, line = removed
    page = open_editor(browser, url, job_id)
    mark = page.locator(".te-gap")
    shown = f"[inaudible 00:{int(line.start):02d}-00:{int(line.end) + 1:02d}]"
    # Dominique's, drawn inside Camille's turn: it says whose it is.
    assert mark.count() == 1 and mark.is_visible()
    assert mark.inner_text() == f"Dominique: {shown}"
    # Between "What do you like most about your job?" and "Thank you very much...".
    order = page.evaluate("""() => [...document.querySelectorAll('.te-seg, .te-gap')]
        .map(e => e.classList.contains('te-gap') ? 'gap' : e.textContent.split(' ')[0])""")
    assert order == ["Good", "Of", "What", "gap", "Thank"]
    name = mark.get_attribute("aria-label")
    assert name.startswith(f"Dominique: {shown}") and "no text" in name
    at_mark = [v["id"] for v in axe(page, {}) if any("te-gap" in n["html"] for n in v["nodes"])]
    assert at_mark == []  # WCAG A/AA (axe-core): contrast, name, nesting
    page.screenshot(path=str(ARTIFACTS / "editor-en-gap.png"))

    # Tab from the sentence before it reaches it; Enter plays the stretch, to its end.
    caret_in(page, 2, 0)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('te-gap')")
    page.keyboard.press("Enter")
    wait_until(lambda: not audio(page, "a.paused"), 10, "the gap to play")
    assert audio(page, "a.currentTime") >= line.start - 0.05
    wait_until(lambda: audio(page, "a.paused"), 20, "playback to stop at the gap's end")
    assert audio(page, "a.currentTime") == pytest.approx(line.end, abs=0.5)

    # Delete: the mark goes, and with it the stored gap; Ctrl+Z: both come back.
    page.keyboard.press("Delete")
    assert mark.count() == 0
    saved(page)
    assert stored(data, job_id)[0].gaps == []
    assert page.evaluate(f"{EDITOR}.segIndexOf({EDITOR}.focusedSeg())") == 3  # "Thank you..."
    page.keyboard.press("Control+z")
    assert mark.count() == 1
    saved(page)
    assert stored(data, job_id)[0].gaps == [Gap(line.start, line.end, "guard", line.speaker)]

    paragraphs = downloaded_text(page, tmp_path).strip().split("\n\n")
    assert f"Dominique: {shown}" in paragraphs
    assert paragraphs.index(f"Dominique: {shown}") == 3

    # Typing on the mark: Dominique's sentence in its place, the caret going on in it.
    page.get_by_role("tab", name="Transcript").click()
    mark.focus()
    page.keyboard.type("I like people.")
    assert mark.count() == 0
    assert page.evaluate("document.activeElement.textContent") == "I like people."
    page.locator(".te-doc").click(position={"x": 5, "y": 5})  # the text is committed
    saved(page)
    transcript = stored(data, job_id)[0]
    assert transcript.gaps == []
    assert [(s.text, s.speaker) for s in transcript.segments][3] == ("I like people.",
                                                                      line.speaker)
    assert transcript.segments[3].start == pytest.approx(line.start, abs=1e-3)
    page.keyboard.press("Control+z")  # the words typed after the first letter
    page.keyboard.press("Control+z")  # the sentence: the mark is back
    assert mark.count() == 1
    saved(page)
    transcript = stored(data, job_id)[0]
    assert len(transcript.segments) == 4 and len(transcript.gaps) == 1
    assert page.errors == []
