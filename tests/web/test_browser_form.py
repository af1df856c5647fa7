"""The upload form in a real headless Chromium: switching the interface language keeps
every choice and redraws every label at once; the choice survives a reload; each file of a
batch can have its own preset; a file name with a `"` shows as the user named it; the
French page shows no English words.

`transcribe-web` runs in a subprocess (see test_browser.serve); the worker may start on the
uploaded tones, which does not matter here. Screenshots go to test-artifacts/e2e/form-*.
"""

from __future__ import annotations

import json

import pytest
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve
from web_support import tone_wav

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Streamlit's own English words that once showed on the French page.
ENGLISH_LEFTOVERS = ("Browse files", "Drag and drop", "Press Enter", "Press ⌘", "Ctrl+Enter",
                     "Choose an option", "No results", "Limit ")


def choose(page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by its label: typing filters and opens the
    list (a click may only focus the box while the page reruns)."""
    box = page.get_by_role("combobox", name=label)
    for _ in range(3):
        box.click()
        box.press("ControlOrMeta+a")
        box.press_sequentially(option[:4])
        item = page.get_by_role("option", name=option)
        try:
            item.click(timeout=5_000)
            return
        except Exception:  # noqa: BLE001 - the list closed under a rerun: try again
            box.press("Escape")
    raise AssertionError(f"could not choose {option!r} in {label!r}")


def test_language_switch_keeps_choices_and_is_remembered(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    quoted = tone_wav(tmp_path / 'entretien "Marie".wav')
    group = tone_wav(tmp_path / "reunion.wav")
    with serve(tmp_path, "form", TRANSCRIBE_DEFAULT_MODEL="base") as (url, data, _), \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.set_default_timeout(30_000)
        expect.set_options(timeout=30_000)  # a loaded 2-core machine
        try:
            page.goto(url)
            expect(page.get_by_role("heading", name="Transcrire des enregistrements")) \
                .to_be_visible()
            # French labels everywhere, the form's hidden parts included.
            for expander in page.get_by_test_id("stExpander").all():
                expander.locator("summary").click()
            page.get_by_test_id("stTextArea").locator("textarea").fill("Insee")
            body = page.locator("body").inner_text()
            leftovers = [word for word in ENGLISH_LEFTOVERS if word in body]
            assert not leftovers, leftovers
            # What screen readers and the keyboard meet, too.
            expect(page.get_by_role("button", name="Aide : Langue parlée")).to_have_count(1)
            expect(page.locator('a[href="#stMain"]')).to_have_text("Aller au contenu principal")
            assert not page.locator('button[aria-label="Open"]').count()
            placeholders = page.locator("input[placeholder]").evaluate_all(
                "inputs => inputs.map(i => i.placeholder)")
            assert placeholders and "Choose an option" not in placeholders
            page.screenshot(path=str(ARTIFACTS / "form-french.png"), full_page=True)

            page.get_by_text("Entretien collectif").click()
            choose(page, "Langue parlée", "Allemand")
            page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
            expect(page.get_by_role("heading", name="Transcribe recordings")).to_be_visible()
            expect(page.get_by_role("radio", name="Group interview")).to_be_checked()
            # Both dropdowns redrawn in English at once, their choices kept.
            expect(page.get_by_role("combobox", name="Spoken language")) \
                .to_have_value("German (de)")
            expect(page.get_by_role("button", name="Help for Spoken language")).to_have_count(1)
            expect(page.get_by_role("combobox", name="Model")) \
                .to_have_value("base — fast, draft quality")
            expect(page.get_by_test_id("stTextArea").locator("textarea")).to_have_value("Insee")
            page.screenshot(path=str(ARTIFACTS / "form-english.png"), full_page=True)

            page.reload()  # remembered by this browser
            expect(page.get_by_role("heading", name="Transcribe recordings")).to_be_visible()

            # Two files, the second a group interview; the first named with quotes.
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
                [str(quoted), str(group)])
            page.get_by_text("Another kind of recording for one file").click()
            choose(page, "reunion.wav", "Group interview")
            page.get_by_role("button", name="Transcribe (2 file(s))").click()
            expect(page.get_by_text("2 file(s) added")).to_be_visible()
            expect(page.get_by_text('entretien "Marie".wav', exact=True).first).to_be_visible()
            assert "%22" not in page.locator("body").inner_text()
            page.screenshot(path=str(ARTIFACTS / "form-queue.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "form-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
    records = [json.loads(p.read_text()) for p in (data / "jobs").glob("*/job.json")]
    presets = {r["name"]: r["options"]["speakers"]["preset"] for r in records}
    # The reload started a new session: the batch's preset is back to an interview.
    assert presets == {'entretien "Marie".wav': "interview", "reunion.wav": "group"}
