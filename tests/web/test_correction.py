"""The correction editor in a real headless Chromium against a real `transcribe-web`, with
a real recording (espeak-ng speech) and its listening copy served by the app's media
route: highlighting follows playback, Ctrl+click seeks, each documented key does what the
help says, split / merge / speaker / text edits and their undo reach the stored transcript
and the downloads, and two browser contexts editing the same transcript both keep their
corrections and pseudonyms; a change that does not fit the transcript is refused and
reported, and the player's recording is served in ranges until its job is deleted, then
never again. Screenshots (English and French) go to test-artifacts/editor/."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from editor_browser import (
    ARTIFACTS,
    audio,
    caret_in,
    downloaded_text,
    fetch,
    open_editor,
    saved,
    settle,
    stored,
)
from editor_support import long_transcript, seed_job
from test_browser import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser]

def test_highlight_follows_playback_and_ctrl_click_seeks(job, browser):
    url, _, job_id = job
    page = open_editor(browser, url, job_id)
    page.locator(".te-doc").click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")  # play
    wait_until(lambda: audio(page, "a.currentTime") > 5.5, 20, "playback to pass 5.5 s")
    # The highlighted word is the one being heard: its start is at or before the current
    # time and the next word's start after it (margin: one animation frame, 0.1 s).
    for _ in range(3):
        state = page.evaluate("""() => {
            const e = window.transcribeEditor, a = e.audio;
            const lit = document.querySelector('.te-now');
            const seg = e.segs[e.segIndexOf(lit.closest('.te-seg'))];
            const k = +lit.dataset.k;
            const next = seg.toks[k + 1] || e.segs[e.segs.indexOf(seg) + 1]?.toks[0];
            return [a.currentTime, seg.toks[k][1], next ? next[1] : 1e9, lit.textContent]; }""")
        now, start, following, _word = state
        assert start <= now + 0.1 and now < following + 0.1, state
        page.wait_for_timeout(700)
    inside = page.evaluate("""() => {
        const d = document.querySelector('.te-doc').getBoundingClientRect();
        const w = document.querySelector('.te-now').getBoundingClientRect();
        return w.top >= d.top && w.bottom <= d.bottom; }""")
    assert inside  # kept in view
    page.keyboard.press("Escape")  # pause
    assert audio(page, "a.paused")

    # Ctrl+click on "colleagues" (4th line) plays from that word.
    word = page.locator(".te-seg").nth(3).locator(".te-w", has_text="colleagues")
    word.click(modifiers=["Control"])
    start = page.evaluate("window.transcribeEditor.segs[3].toks[4][1]")
    wait_until(lambda: not audio(page, "a.paused"), 10, "playback from the word")
    assert start - 0.05 <= audio(page, "a.currentTime") <= start + 1.5
    page.screenshot(path=str(ARTIFACTS / "editor-en-playing.png"))
    audio(page, "a.pause()")
    assert page.errors == []


def test_each_documented_key(job, browser):
    url, data, job_id = job
    page = open_editor(browser, url, job_id)
    editor = "window.transcribeEditor"
    caret_in(page, 2, 0)

    # Esc: play, then pause one second back.
    page.keyboard.press("Escape")
    wait_until(lambda: audio(page, "a.currentTime") > 2.0, 10, "playback")
    page.keyboard.press("Escape")
    paused_at = audio(page, "a.currentTime")
    assert audio(page, "a.paused") and paused_at < 2.0 + 0.5
    # Ctrl+Space does the same.
    page.keyboard.press("Control+Space")
    wait_until(lambda: not audio(page, "a.paused"), 5, "Ctrl+Space to play")
    page.keyboard.press("Control+Space")
    assert audio(page, "a.paused")

    # F1 / F2: three seconds back and forward.
    audio(page, "a.currentTime = 10")
    page.keyboard.press("F1")
    assert audio(page, "a.currentTime") == pytest.approx(7, abs=0.05)
    page.keyboard.press("F2")
    page.keyboard.press("F2")
    assert audio(page, "a.currentTime") == pytest.approx(13, abs=0.05)

    # Alt+Up / Alt+Down: faster, slower, between 0.5x and 2x; remembered by the browser.
    for _ in range(6):
        page.keyboard.press("Alt+ArrowUp")
    assert audio(page, "a.playbackRate") == 2
    assert page.locator(".te-rate").text_content() == "2×"
    for _ in range(8):
        page.keyboard.press("Alt+ArrowDown")
    assert audio(page, "a.playbackRate") == 0.5
    page.keyboard.press("Alt+ArrowUp")
    assert '"rate":0.75' in page.evaluate("localStorage.getItem('transcribe.editor.prefs')")

    # F4: to the next uncertain word ("Lyon." in the second line, after "Marie,").
    caret_in(page, 0, 0)
    page.keyboard.press("F4")
    assert page.evaluate(f"{editor}.caret()") == len("Good morning ")
    page.keyboard.press("F4")
    assert page.evaluate(f"[{editor}.segIndexOf({editor}.focusedSeg()), {editor}.caret()]") \
        == [1, len("Of course. I am a nurse at the hospital in ")]
    assert audio(page, "a.currentTime") == pytest.approx(
        page.evaluate(f"{editor}.segs[1].toks[10][1]"), abs=0.05)
    page.keyboard.press("Shift+F4")
    assert page.evaluate(f"{editor}.segIndexOf({editor}.focusedSeg())") == 0

    # Ctrl+Enter: play from the word at the caret.
    caret_in(page, 4, len("Thank you very "))
    page.keyboard.press("Control+Enter")
    wait_until(lambda: not audio(page, "a.paused"), 5, "Ctrl+Enter to play")
    assert audio(page, "a.currentTime") >= page.evaluate(f"{editor}.segs[4].toks[3][1]") - 0.05
    audio(page, "a.pause()")

    # F8: the turn's speaker changes (and is saved); Shift+F8 changes it back.
    caret_in(page, 2, 3)
    page.keyboard.press("F8")
    assert page.locator(".te-spk").count() == 3  # lines 2-4 are now one turn
    saved(page)
    assert stored(data, job_id)[0].segments[2].speaker == "SPEAKER_01"
    page.keyboard.press("Shift+F8")
    saved(page)
    assert stored(data, job_id)[0].segments[2].speaker == "SPEAKER_00"

    # Ctrl+/: the help, with every key; Esc closes it.
    page.keyboard.press("Control+/")
    help_box = page.locator(".te-help")
    assert help_box.is_visible() and help_box.locator("tr").count() == 15
    page.screenshot(path=str(ARTIFACTS / "editor-en-keys.png"))
    page.keyboard.press("Escape")
    assert not help_box.is_visible()
    assert page.errors == []


def test_split_merge_speaker_and_text_with_undo_reach_the_downloads(job, browser, tmp_path):
    url, data, job_id = job
    page = open_editor(browser, url, job_id)

    def texts() -> list[str]:
        return [s.text for s in stored(data, job_id)[0].segments]

    # Enter splits at the cursor; Ctrl+Z undoes it; Ctrl+Y does it again.
    caret_in(page, 1, len("Of course."))
    page.keyboard.press("Enter")
    assert page.locator(".te-seg").count() == 6
    assert page.locator(".te-segments").text_content() == "6 segments"  # follows splits
    saved(page)
    assert texts()[1:3] == ["Of course.", "I am a nurse at the hospital in Lyon."]
    page.keyboard.press("Control+z")
    saved(page)
    assert texts()[1] == "Of course. I am a nurse at the hospital in Lyon." and len(texts()) == 5
    assert page.locator(".te-segments").text_content() == "5 segments"
    page.keyboard.press("Control+y")
    saved(page)
    assert len(texts()) == 6
    second = stored(data, job_id)[0].segments[2]
    assert second.start == pytest.approx(page.evaluate("window.transcribeEditor.segs[2].start"))

    # Backspace at the start of a segment merges it with the previous one; undo.
    caret_in(page, 3, 0)  # "What do you like..." into "I am a nurse..."
    page.keyboard.press("Backspace")
    saved(page)
    assert texts()[2] == ("I am a nurse at the hospital in Lyon. What do you like most "
                          "about your job?")
    page.keyboard.press("Control+z")
    saved(page)
    restored = stored(data, job_id)[0].segments[3]
    assert (restored.text, restored.speaker) == ("What do you like most about your job?",
                                                 "SPEAKER_00")

    # Typing corrects a word; its neighbours keep their times.
    segment = page.locator(".te-seg").nth(4)
    caret_in(page, 4, len("I like helping people, and my "))
    page.keyboard.press("Shift+Control+ArrowRight")
    page.keyboard.type("coworkers")
    saved(page)
    edited = stored(data, job_id)[0].segments[4]
    assert edited.text == "I like helping people, and my coworkers are wonderful."
    assert edited.words[0].start == pytest.approx(page.evaluate(
        "window.transcribeEditor.segs[4].toks[0][1]"))
    # Typing then undo: the text comes back.
    caret_in(page, 0, len("Good morning Marie, thank you for coming"))
    page.keyboard.type(" here")
    saved(page)
    assert "coming here today" in texts()[0]
    page.locator(".te-undo").click()
    saved(page)
    assert texts()[0] == "Good morning Marie, thank you for coming today."

    # F8 gives the last line to the other speaker.
    caret_in(page, 5, 0)
    page.keyboard.press("F8")
    saved(page)
    assert stored(data, job_id)[0].segments[5].speaker == "SPEAKER_01"

    # Search and replace, undoable, without leaving the editor.
    page.locator(".te-search").fill("you")
    expect_count = "1 of 5"
    wait_until(lambda: page.locator(".te-count").text_content() == expect_count, 5,
               "the matches")
    assert page.evaluate("CSS.highlights.get('te-match').size") == 5
    page.locator(".te-search").fill("hospital")
    page.locator(".te-with").fill("clinic")
    wait_until(lambda: page.locator(".te-count").text_content() == "1 of 1", 5, "one match")
    page.locator(".te-replace-all").click()
    saved(page)
    assert "clinic" in texts()[2]
    message = page.locator(".te-message")
    assert message.inner_text().startswith("1 replaced")
    page.keyboard.press("F2")  # the next action: the message goes
    assert message.is_hidden()
    assert segment.is_visible()
    page.screenshot(path=str(ARTIFACTS / "editor-en-edited.png"))

    # The downloads carry every correction.
    text = downloaded_text(page, tmp_path)
    assert "coworkers" in text and "clinic" in text and "hospital" not in text
    assert "Of course.\n" in text or "Of course. " in text
    assert re.search(r"Dominique:[^\n]*\n*[^\n]*Thank you very much", text), text
    assert page.errors == []


def test_two_tabs_editing_different_turns_and_adding_pseudonyms_keep_everything(
        job, browser, tmp_path):
    url, data, job_id = job
    first = open_editor(browser, url, job_id)
    second = open_editor(browser, url, job_id)  # both opened on the same version

    caret_in(first, 0, len("Good morning Marie, thank you for coming"))
    first.keyboard.type(" all the way")
    saved(first)
    caret_in(second, 3, len("I like helping people, and my colleagues"))
    second.keyboard.type(" Paul and Anne")
    saved(second)  # made on a stale copy: merged, and the tab shows the stored version
    wait_until(lambda: "all the way" in second.locator(".te-seg").first.text_content(), 10,
               "the other tab's correction to show")
    texts = [s.text for s in stored(data, job_id)[0].segments]
    assert "all the way" in texts[0] and "Paul and Anne" in texts[3]

    # Pseudonyms, each tab its own row, each from a page that did not see the other's.
    for page in (first, second):
        page.get_by_role("tab", name="Pseudonyms").click()
    for page, real, fake in ((first, "Marie", "P1"), (second, "Paul", "P2")):
        settle(page)
        page.get_by_label("Real name", exact=True).fill(real)
        page.get_by_label("Pseudonym", exact=True).fill(fake)
        page.get_by_role("button", name="Add the row").click()
        try:
            wait_until(lambda real=real: real in stored(data, job_id)[1].pseudonyms, 30,
                       f"{real} to be saved")
        except AssertionError:
            page.screenshot(path=str(ARTIFACTS / "failure.png"))
            print((data / "jobs" / job_id / "job.json").read_text()[-400:])
            print((ARTIFACTS.parent / "e2e" / "editor-server.log").read_text()[-3000:])
            print(page.locator("input").evaluate_all("l => l.map(i => i.value)"))
            raise
    assert stored(data, job_id)[1].pseudonyms == {"Marie": "P1", "Paul": "P2"}
    first.screenshot(path=str(ARTIFACTS / "editor-en-pseudonyms.png"))

    # Either tab's download shows both pseudonyms and both corrections.
    text = downloaded_text(second, tmp_path)
    assert "P1" in text and "P2 and Anne" in text and "all the way" in text
    assert "Marie" not in text and "Paul" not in text


def test_a_long_transcript_shows_its_first_screen_then_the_whole_and_works_far_down(
        editor_app, browser):
    """A long document is drawn in two steps (the first screen, then the rest once that is
    painted); whatever needs the whole document, the moment it is asked, gets it."""
    url, data, recording, _ = editor_app
    transcript = long_transcript(hours=0.25, segments=400, words=4000)
    last = transcript.segments[-1]
    last.words[-1].word = " zèbre."
    last.text = "".join(w.word for w in last.words).strip()
    job_id = seed_job(data, recording, transcript, "long.wav")
    page = open_editor(browser, url, job_id)
    wait_until(lambda: page.evaluate("document.querySelectorAll('.te-seg').length") == 400,
               10, "the whole document drawn")
    order = page.evaluate("[[...document.querySelectorAll('.te-seg')].map(e => +e.dataset.u),"
                          " window.transcribeEditor.segs.map(s => s.u),"
                          " window.transcribeEditor.elements.size]")
    assert order[0] == order[1] and order[2] == 400
    # Drawn again (as when another tab saved) and searched at once, in the same task.
    drawn_first, matches, drawn = page.evaluate("""() => { const e = window.transcribeEditor;
        e.render(); const first = document.querySelectorAll('.te-seg').length;
        e.search.value = 'zèbre'; e.find();
        return [first, e.matches.length, document.querySelectorAll('.te-seg').length]; }""")
    assert drawn_first < 400 and matches == 1 and drawn == 400
    caret_in(page, 399, 0)
    page.keyboard.type("Enfin ")
    saved(page)
    assert stored(data, job_id)[0].segments[-1].text.startswith("Enfin ")
    assert page.errors == []


def test_french_editor(job, browser):
    from playwright.sync_api import expect

    url, _, job_id = job
    page = open_editor(browser, url, job_id)
    page.get_by_text("Français", exact=True).click()
    page.wait_for_selector(".te[lang=fr]")
    assert page.locator(".te-help-button").text_content() == "Raccourcis clavier"
    assert page.locator(".te-status").text_content() == "Sauvegardé"
    page.locator(".te-help-button").click()
    assert "couper le segment au curseur" in page.locator(".te-help").text_content()
    time.sleep(0.3)
    page.screenshot(path=str(ARTIFACTS / "editor-fr-keys.png"))
    page.locator(".te-help-button").click()
    page.get_by_role("tab", name="Locuteurs").click()
    # The tab is drawn when opened, and a new text box gets its value a moment after it
    # shows: expect() waits for it.
    expect(page.get_by_label("Locuteur 1 : nom")).to_have_value("Camille")
    assert page.get_by_text("SPEAKER_0").count() == 0  # names, never internal ids
    # The tab is drawn when opened: both charts (who speaks when, talk shares) drawn.
    wait_until(lambda: page.locator(".vega-embed canvas, .vega-embed svg").count() >= 2, 30,
               "the speakers' charts")
    page.screenshot(path=str(ARTIFACTS / "editor-fr-speakers.png"))
    assert page.errors == []


def test_a_change_that_does_not_fit_is_refused_and_the_transcript_still_opens(job, browser):
    """A split whose cut time is not a number (as an outsider's script could send) once
    made the stored transcript unreadable by the browser."""
    url, data, job_id = job
    page = open_editor(browser, url, job_id)
    page.evaluate("""() => {
        const e = window.transcribeEditor, s = e.segs[0];
        e.outbox.push({op: "split", seg: 0, start: s.start, at: 2, cut: "nan",
                       old: s.toks.map((t) => t[0]).join(" ")});
        e.flush(); }""")
    # Refused: the status says so beside the message (never "Saved"), until it is closed.
    status = page.locator(".te-status")
    wait_until(lambda: status.get_attribute("data-state") == "not_all_saved", 20, "the refusal")
    assert status.text_content() == "Not all saved"
    message = page.locator(".te-message")
    assert "refused" in message.inner_text() and "1" in message.inner_text()
    page.locator(".te-dismiss").click()
    assert message.is_hidden() and status.text_content() == "Saved"
    raw = (data / "jobs" / job_id / "transcript.json").read_text()
    json.loads(raw, parse_constant=lambda name: pytest.fail(f"{name} in the transcript"))
    transcript, _ = stored(data, job_id)
    assert len(transcript.segments) == 5  # not split
    # Opened again, in a new tab: the whole transcript.
    again = open_editor(browser, url, job_id)
    assert again.locator(".te-seg").count() == 5 and again.locator(".te-message").is_hidden()
    assert page.errors == [] and again.errors == []


def test_the_recording_is_served_in_ranges_until_its_job_is_deleted(editor_app, browser):
    """The player's file comes from the app's own route, read from the job's folder: the
    browser seeks in it with ranges, never caches it, and once the job is deleted (by its
    owner, by "delete everything") the same URL answers 404 (the deadline: test_deadline)."""
    from playwright.sync_api import expect

    url, data, recording, transcript = editor_app
    first = seed_job(data, recording, transcript, "first.wav")
    second = seed_job(data, recording, transcript, "second.wav")
    page = open_editor(browser, url, first)
    path = urlsplit(audio(page, "a.src")).path
    # A seek far into the recording lands there (a browser seeks only in a file served in
    # ranges).
    audio(page, "a.currentTime = 7.5")
    wait_until(lambda: audio(page, "!a.seeking && a.seekable.length > 0"), 10, "the seek")
    assert audio(page, "a.currentTime") == pytest.approx(7.5, abs=0.05)
    assert audio(page, "a.seekable.end(0)") == pytest.approx(transcript.duration, abs=0.5)
    listening = (data / "jobs" / first / "listening.mp3").read_bytes()
    status, headers, body = fetch(url + path, {"Range": "bytes=1000-1999"})
    assert (status, headers["content-range"]) == (206, f"bytes 1000-1999/{len(listening)}")
    assert body == listening[1000:2000] and headers["content-type"] == "audio/mpeg"

    # Its owner deletes it (the queue's "Delete", confirmed): gone from the route too.
    page.goto(url)
    card = page.locator(f".st-key-job-{first}")
    # Mid-screen first: a popover opened from the window's bottom edge may open below it
    # (seen once in a full run, with the earlier tests' jobs above this one).
    card.evaluate("card => card.scrollIntoView({block: 'center'})")
    card.get_by_role("button", name="Delete").click()
    # Confirmed from the keyboard: the popover may still open partly below the window (a
    # click then finds the button outside the viewport; seen again in a full run).
    page.get_by_role("button", name="Yes, delete").press("Enter")
    wait_until(lambda: not (data / "jobs" / first).exists(), 20, "the job to go")
    assert fetch(url + path)[0] == 404
    assert fetch(url + path, {"Range": "bytes=0-9"})[0] == 404

    # "Delete everything" on the privacy page: the other one too.
    other = open_editor(browser, url, second)
    other_path = urlsplit(audio(other, "a.src")).path
    assert fetch(url + other_path)[0] == 200
    other.goto(url + "/privacy")
    other.get_by_text("I understand that all my files will be permanently deleted.").click()
    other.get_by_role("button", name="Delete all my files").click()
    expect(other.get_by_text("All files were deleted.")).to_be_visible()
    assert fetch(url + other_path)[0] == 404
    # The app's own route, never cached by the browser (nor kept by Streamlit's media
    # store, whose URLs outlived the files).
    assert (path, other_path) == (f"/_transcribe/audio/{first}", f"/_transcribe/audio/{second}")
    assert headers["cache-control"] == "no-store"
