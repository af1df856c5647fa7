"""Two tabs on one transcript (issue 21), in a real headless Chromium against a real
`transcribe-web` (the server and Chromium: conftest.py): a change saved in one shows in
the other without it saving anything (its look at the stored version); an edit refused
because the passage changed meanwhile keeps the person's text in the message, with a
button that copies it, and the status never says "Saved" beside it nor moves the
toolbar; a transcript deleted elsewhere leaves every open tab, its text and names with
it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from editor_browser import ARTIFACTS, EDITOR, caret_in, open_editor, saved, stored
from test_browser import wait_until

from transcribe.jobs import JobStore

pytestmark = [pytest.mark.slow, pytest.mark.browser]

VIEW = {"width": 1300, "height": 1000}


def test_a_change_saved_in_one_tab_shows_in_the_other_and_a_refused_edit_keeps_its_text(
        job, browser):
    url, data, job_id = job
    first = open_editor(browser, url, job_id)
    context = browser.new_context(viewport=VIEW)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    second = open_editor(browser, url, job_id, context)

    # Saved in the first tab (a word, a sentence's speaker): shown in the second, which
    # saved nothing.
    caret_in(first, 3, len("I like helping people, and my colleagues"))
    first.keyboard.type(" Paul and Anne")
    first.keyboard.press("F8")
    saved(first)
    wait_until(lambda: "Paul and Anne" in second.locator(".te-seg").nth(3).text_content(), 20,
               "the first tab's correction in the second")
    assert second.locator(".te-spk").count() == 3  # "I like..." is Camille's there too
    assert "changed elsewhere" in second.locator(".te-message").inner_text()

    # The second tab does not look again (as if the next change came just before its next
    # look); both correct the first sentence: the second's, on a stale copy, is refused.
    second.evaluate(f"{EDITOR}.pollEvery = Infinity")
    caret_in(first, 0, len("Good morning Marie"))
    first.keyboard.type(" Dupont")
    saved(first)
    status = second.locator(".te-status")
    # The status takes the same room whatever it says: nothing in the toolbar moves, nor
    # its height (a longer text once wrapped it onto another line).
    room = second.locator(".te-status-box").bounding_box()
    caret_in(second, 0, len("Good morning Marie, thank you for coming"))
    second.keyboard.type(" all the way")
    wait_until(lambda: status.get_attribute("data-state") == "not_all_saved", 20, "the refusal")
    message = second.locator(".te-message")
    typed = "Good morning Marie, thank you for coming all the way today."
    assert "could not be saved" in message.inner_text() and status.text_content() == \
        "Not all saved"
    assert second.locator(".te-refused-text").all_text_contents() == [typed]
    assert stored(data, job_id)[0].segments[0].text == \
        "Good morning Marie Dupont, thank you for coming today."
    wait_until(lambda: "Dupont" in second.locator(".te-seg").first.text_content(), 10,
               "the saved version in the second tab")
    assert second.locator(".te-status-box").bounding_box() == room
    second.screenshot(path=str(ARTIFACTS / "editor-en-refused.png"))
    second.get_by_role("button", name="Copy").click()
    assert second.evaluate("navigator.clipboard.readText()") == typed
    # Typing on does not close it (the text is there to be copied back); closing it does.
    caret_in(second, 4, 0)
    second.keyboard.type("Well, ")
    wait_until(lambda: stored(data, job_id)[0].segments[4].text.startswith("Well, ")
               and second.evaluate(f"!{EDITOR}.inflight && !{EDITOR}.dirty.size"), 20,
               "the next correction saved")
    assert message.is_visible() and status.text_content() == "Not all saved"
    second.locator(".te-dismiss").click()
    assert message.is_hidden() and status.text_content() == "Saved"
    assert first.errors == [] and second.errors == []


def test_a_deleted_transcript_leaves_every_open_tab(job, browser):
    """One tab on the transcript, one on its speakers' names: deleted elsewhere (the queue's
    Delete, another tab's "delete everything"), neither keeps a word or a name of it."""
    url, data, job_id = job
    text_tab = open_editor(browser, url, job_id)
    names_tab = open_editor(browser, url, job_id)
    names_tab.get_by_role("tab", name="Speakers").click()
    wait_until(lambda: "Camille" in names_tab.locator("input").evaluate_all(
        "l => l.map(i => i.value)"), 30, "the speakers' names")

    JobStore(data).delete(job_id)

    def left_shown(page) -> list[str]:
        shown = page.locator("body").inner_text() + " ".join(
            page.locator("input").evaluate_all("l => l.map(i => i.value)"))
        return [w for w in ("Marie", "nurse", "Camille", "Dominique", "Lyon") if w in shown]

    for page in (text_tab, names_tab):
        wait_until(lambda page=page: page.get_by_text("This transcript no longer exists: it "
                                                      "was deleted").count(), 30,
                   "the page without the transcript")
        # Streamlit takes the previous run's elements away when the run that drew the
        # message ends, a moment later under load: waited for, not assumed.
        wait_until(lambda page=page: not left_shown(page), 30, "no word or name left")
        assert page.locator(".te-seg").count() == 0
        assert page.errors == []
    text_tab.screenshot(path=str(ARTIFACTS / "editor-en-deleted.png"))
