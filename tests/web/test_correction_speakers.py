"""Who speaks, sentence by sentence (issue 21), in a real headless Chromium against a real
`transcribe-web` (the server and Chromium: conftest.py): one sentence's speaker changed
inside a turn and back (F8 / Shift+F8), undone and redone; the txt and docx downloads
(the docx read back with python-docx) giving each sentence its speaker; the whole turn
(Ctrl+F8, a click on the name) and back to exactly where it started, never to the merged
turn it was drawn into; the sentences a selection dragged across them touches; Enter
at a sentence's start for a new turn, or said when a turn already starts there; undo
history lost at a reload, said."""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from editor_browser import (
    ARTIFACTS,
    EDITOR,
    caret_in,
    downloaded,
    downloaded_text,
    open_editor,
    saved,
    stored,
)
from editor_support import seed_job

from transcribe.editing import split_at_token

pytestmark = [pytest.mark.slow, pytest.mark.browser]

S0, S1 = "SPEAKER_00", "SPEAKER_01"  # Camille, Dominique
# Dominique's answer in three sentences (segments 1-3), one turn between two of Camille's.
ORIGINAL = [S0, S1, S1, S1, S0, S1, S0]
NURSE = [S0, S1, S0, S1, S0, S1, S0]  # "I am a nurse" given to Camille alone


@pytest.fixture
def turn(editor_app):
    url, data, recording, transcript = editor_app
    transcript = copy.deepcopy(transcript)
    split_at_token(transcript, 1, 6)  # "Of course. I am a nurse" | "at the hospital in Lyon."
    split_at_token(transcript, 1, 2)  # "Of course." | "I am a nurse"
    return url, data, seed_job(data, recording, transcript, "interview.wav")


def speakers(data: Path, job_id: str) -> list[str]:
    return [s.speaker for s in stored(data, job_id)[0].segments]


def turns_said(paragraphs: list[str]) -> list[tuple[str, str]]:
    """(name, text) of each paragraph that starts with a speaker's name."""
    found = [re.match(r"(?:\[[\d:]+\] )?(Camille|Dominique): (.*)", p) for p in paragraphs]
    return [(m[1], m[2]) for m in found if m]


def test_one_sentence_changes_speaker_inside_its_turn_and_back(turn, browser, tmp_path):
    import docx

    url, data, job_id = turn
    page = open_editor(browser, url, job_id)
    names = page.locator(".te-spk")
    assert names.count() == 5 and speakers(data, job_id) == ORIGINAL

    # F8 in "I am a nurse": that sentence alone is Camille's; its turn is drawn split
    # around it, every segment kept (none merged away), the caret where it was.
    caret_in(page, 2, 3)
    page.keyboard.press("F8")
    assert names.count() == 7
    assert page.evaluate(f"[{EDITOR}.segIndexOf({EDITOR}.focusedSeg()), {EDITOR}.caret()]") \
        == [2, 3]
    saved(page)
    assert speakers(data, job_id) == NURSE and len(stored(data, job_id)[0].segments) == 7
    page.screenshot(path=str(ARTIFACTS / "editor-en-sentence-speaker.png"))
    # Shift+F8: back to the start, exactly.
    page.keyboard.press("Shift+F8")
    saved(page)
    assert speakers(data, job_id) == ORIGINAL and names.count() == 5

    # Undone and redone like any correction.
    page.keyboard.press("F8")
    saved(page)
    page.keyboard.press("Control+z")
    saved(page)
    assert speakers(data, job_id) == ORIGINAL and names.count() == 5
    page.keyboard.press("Control+y")
    saved(page)
    assert speakers(data, job_id) == NURSE and names.count() == 7

    # The downloads give each sentence its speaker.
    text = downloaded_text(page, tmp_path)
    document = docx.Document(str(downloaded(page, "Word (.docx)", tmp_path)))
    for said in (turns_said(text.split("\n\n")), turns_said([p.text for p in document.paragraphs])):
        assert [(name, words.split()[0]) for name, words in said] == [
            ("Camille", "Good"), ("Dominique", "Of"), ("Camille", "I"), ("Dominique", "at"),
            ("Camille", "What"), ("Dominique", "I"), ("Camille", "Thank")], said
        assert said[2][1] == "I am a nurse"
    page.get_by_role("tab", name="Transcript").click()
    assert page.errors == []


def test_whole_turns_selections_and_enter_come_back_to_where_they_started(
        turn, browser):
    url, data, job_id = turn
    page = open_editor(browser, url, job_id)
    names = page.locator(".te-spk")

    # Ctrl+F8: Dominique's whole turn is Camille's, drawn as one turn with both of hers
    # around it; Ctrl+Shift+F8 gives back those three sentences only, not the merged turn.
    caret_in(page, 2, 0)
    page.keyboard.press("Control+F8")
    assert names.count() == 3
    saved(page)
    assert speakers(data, job_id) == [S0, S0, S0, S0, S0, S1, S0]
    page.keyboard.press("Control+Shift+F8")
    saved(page)
    assert speakers(data, job_id) == ORIGINAL and names.count() == 5

    # A click on a turn's name does the same; a second click goes on round the speakers
    # (two here), back to the start.
    names.nth(1).click()
    assert names.count() == 3
    saved(page)
    assert speakers(data, job_id) == [S0, S0, S0, S0, S0, S1, S0]
    names.nth(0).click()  # the merged turn's name: the same three sentences go on
    saved(page)
    assert speakers(data, job_id) == ORIGINAL

    # The sentences a selection touches: dragged from one into the next (a box's own
    # selection would stop at its edge).
    first = page.locator(".te-seg").nth(1).bounding_box()
    second = page.locator(".te-seg").nth(2).bounding_box()
    page.mouse.move(first["x"] + 20, first["y"] + first["height"] / 2)
    page.mouse.down()
    page.mouse.move(second["x"] + 25, second["y"] + second["height"] / 2, steps=8)
    page.mouse.up()
    page.keyboard.press("F8")
    saved(page)
    assert speakers(data, job_id) == [S0, S0, S0, S1, S0, S1, S0]
    page.keyboard.press("Shift+F8")  # still selected: the same two, back
    saved(page)
    assert speakers(data, job_id) == ORIGINAL

    # Enter at the start of a sentence inside a turn: a new turn from there, to the next
    # speaker; at a turn's start, nothing changes and the message says what to do.
    message = page.locator(".te-message")
    caret_in(page, 3, 0)
    page.keyboard.press("Enter")
    saved(page)
    assert speakers(data, job_id) == [S0, S1, S1, S0, S0, S1, S0]
    assert page.locator(".te-seg").count() == 7  # no split
    assert "New turn, given to Camille" in message.inner_text()
    page.keyboard.press("Control+z")
    saved(page)
    assert speakers(data, job_id) == ORIGINAL and message.is_hidden()  # gone at the key
    caret_in(page, 1, 0)
    page.keyboard.press("Enter")
    assert "A turn already starts here" in message.inner_text()
    assert page.evaluate(f"{EDITOR}.outbox.length + !!{EDITOR}.inflight") == 0

    # Reloading loses the undo history: said.
    page.keyboard.press("F8")
    saved(page)
    page.reload()
    page.wait_for_selector(".te-seg")
    assert "Undo history does not survive reloading" in message.inner_text()
    assert page.locator(".te-undo").is_disabled()
    assert page.errors == []
