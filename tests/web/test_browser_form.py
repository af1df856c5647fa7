"""The upload form in a real headless Chromium: switching the interface language keeps every
choice and redraws every label at once; the choice survives a reload; each file of a batch
can have its own preset and spoken language (each job stores its own); a file name with a
`"` shows as the user named it; the French page shows no English words; names made of
Markdown (an image, a link, Streamlit's colours) show as typed, fetch nothing and link
nowhere, on every page.

`transcribe-web` runs in a subprocess (see test_browser.serve); the worker may start on the
uploaded tones, which does not matter here. Screenshots go to test-artifacts/e2e/form-*.
"""

from __future__ import annotations

import json
import shutil

import pytest
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve
from web_support import interview, seed_done, tone_wav

from transcribe.jobs import FAILED, JobStore
from transcribe.pipeline import PipelineOptions
from transcribe.transcript import Speaker
from transcribe.web.display import size_label

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

            # Two files in French, the second a group interview in English; the first
            # named with quotes.
            choose(page, "Spoken language", "French")
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
                [str(quoted), str(group)])
            # The chips give sizes as the queue does (display.size_label), not Streamlit's
            # "32.0KB".
            size = size_label(quoted.stat().st_size, "en")
            chip = page.get_by_test_id("stFileChip").filter(has_text="Marie")
            expect(chip).to_contain_text(size)
            expect(chip).to_have_attribute("aria-label", f'entretien "Marie".wav, {size}')
            assert "KB" not in page.get_by_test_id("stFileChips").inner_text()
            page.get_by_text("Other settings for one file").click()
            expect(page.get_by_role("combobox", name="reunion.wav: language")) \
                .to_have_value("Like the others: French (fr)")
            choose(page, "reunion.wav: kind of recording", "Group interview")
            choose(page, "reunion.wav: language", "English")
            page.get_by_role("button", name="Transcribe (2 file(s))").click()
            expect(page.get_by_text("2 file(s) added")).to_be_visible()
            expect(page.get_by_text('entretien "Marie".wav', exact=True).first).to_be_visible()
            expect(page.get_by_text(f" · {size} · ").first).to_be_visible()  # the queue's
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
    # Each job carries its own spoken language: the batch's, or the file's own.
    languages = {r["name"]: r["options"]["asr"]["language"] for r in records}
    assert languages == {'entretien "Marie".wav': "fr", "reunion.wav": "en"}


# What a file, speaker or pseudonym could be named to make every page that shows it fetch
# something elsewhere, link elsewhere or look otherwise (second security review). A file
# name has no "/": "https:host" is a URL all the same.
IMAGE = "![i](https:example.invalid) x.wav"
COLOURED = ":red[x] **b** [l](https:example.invalid) $y$.wav"
SPEAKER = "**S** ![s](https://example.invalid/s)"
PSEUDONYM = ":red[P1] ![p](https://example.invalid/p)"
UPLOADED = ("![u](https:example.invalid) u.wav", "[v](https:example.invalid) **v**.wav")
HINT = "![h](https://example.invalid/h) :red[h]"


def test_names_made_of_markdown_show_as_typed_and_fetch_nothing(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    store = JobStore(tmp_path / "data")  # what serve() will serve
    transcript = interview()
    transcript.speakers["SPEAKER_00"] = Speaker("SPEAKER_00", SPEAKER, "interviewer")
    done = seed_done(store, transcript, name=IMAGE, notices=[
        {"key": "speakers.count_mismatch", "params": {"name": IMAGE, "found": 1, "asked": 2}}])
    conventions = store.conventions(done)
    conventions.pseudonyms[PSEUDONYM] = SPEAKER
    store.save_conventions(done.id, conventions)
    failed = store.create(COLOURED, b"not audio", PipelineOptions(), status=FAILED)
    store.update(failed.id, error={"key": "audio.unreadable", "params": {"name": COLOURED}})
    uploads = []
    for name in UPLOADED:
        uploads.append(tmp_path / name)
        shutil.copyfile(tone_wav(tmp_path / "tone.wav"), uploads[-1])

    with serve(tmp_path, "hostile", TRANSCRIBE_UI_LANGUAGE="en",
               TRANSCRIBE_DEFAULT_MODEL="base") as (url, _, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.set_default_timeout(30_000)
        expect.set_options(timeout=30_000)
        elsewhere: list[str] = []
        page.on("request", lambda r: None if r.url.startswith((url, f"blob:{url}", "data:"))
                else elsewhere.append(r.url))

        def literal(text: str) -> None:
            """Shown as typed, once at least, and nothing made of it."""
            expect(page.get_by_text(text).first).to_be_visible()

        def nothing_made_of_names() -> None:
            page.wait_for_timeout(500)  # an image would be asked for by now
            assert elsewhere == []
            assert not page.locator("[src*='example.invalid'], [href*='example.invalid']"
                                    ).count()

        try:
            page.goto(url)
            expect(page.get_by_role("heading", name="Transcribe recordings")).to_be_visible()
            page.locator(f".st-key-job-{done.id}").get_by_role("button", name="Delete").click()
            expect(page.get_by_role("button", name="Yes, delete")).to_be_visible()
            nothing_made_of_names()
            literal(f"Delete {IMAGE}, its transcript")  # the confirmation
            literal(IMAGE)  # the queue: the job's name and its warning
            literal(f"{IMAGE}: 1 speaker(s) found")
            literal(f"The file {COLOURED} is not a readable")  # the failure's message
            page.keyboard.press("Escape")
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
                [str(path) for path in uploads])
            page.get_by_text("Other settings for one file").click()
            for name in UPLOADED:  # each file's own choices, labelled with its name
                for choice in ("kind of recording", "language"):
                    expect(page.get_by_test_id("stWidgetLabel").get_by_text(
                        f"{name}: {choice}", exact=True)).to_be_visible()
            page.get_by_test_id("stTextArea").locator("textarea").fill(HINT)
            page.get_by_test_id("stTextArea").locator("textarea").press("Tab")
            nothing_made_of_names()
            page.screenshot(path=str(ARTIFACTS / "hostile-upload.png"), full_page=True)

            page.goto(f"{url}/review?job={done.id}")
            literal(f"{IMAGE}: 1 speaker(s) found")
            page.get_by_role("tab", name="Speakers").click()
            expect(page.get_by_role("textbox", name="Speaker 1: name")).to_have_value(SPEAKER)
            page.get_by_role("tab", name="Pseudonyms").click()
            expect(page.get_by_test_id("stDataFrame")).to_be_visible()
            nothing_made_of_names()
            page.goto(f"{url}/privacy")
            expect(page.get_by_test_id("stDataFrame")).to_be_visible()
            nothing_made_of_names()
            page.screenshot(path=str(ARTIFACTS / "hostile-privacy.png"), full_page=True)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "hostile-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
