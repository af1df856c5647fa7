"""Accessibility (WCAG 2.1 AA, which RGAA builds on) in a real headless Chromium against a
real `transcribe-web` with a password: axe-core (from the npm registry, pinned in
tests/package.json, installed by `make test`) runs on every page in the states people meet
(login; upload with the data-rules notice and a finished job, and with a file chosen;
review with the editor, the speakers, the pseudonyms and the downloads; privacy), in French
and in English, and fails on any serious or critical violation that Streamlit alone does
not cause; no English name of Streamlit's is left for screen readers on the French pages.
The page's language follows the interface's, the transcript's text carries the language
spoken, every control shows where the focus is, and a person with a keyboard alone goes
from the login to a corrected word and a downloaded transcript, the focus landing on their
new job after "Start" and on the text after opening it.

One server and one finished job serve every test of the module. Screenshots go to
test-artifacts/a11y/."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from a11y_support import (
    ACTIVE,
    AXE,
    axe,
    focus_in,
    press_until,
    settle,
    unseen_focus,
)
from editor_support import seed_job, spoken_interview
from test_browser import CHROMIUM, CHROMIUM_ARGS, serve, wait_until

from transcribe.jobs import JobStore
from transcribe.web.language_choice import COOKIE as LANGUAGE_COOKIE

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "a11y"
PASSWORD = "a11y-Secret-pass"
FAILING = {"serious", "critical"}

# Serious or critical violations that only Streamlit can fix, each with the elements
# (a CSS selector) Streamlit draws it on; README's accessibility statement lists the same
# rule ids. Anything else fails the test: a new rule, or one of these on our own elements.
STREAMLIT_ONLY: dict[str, str] = {}

# Streamlit's own English names, once read out on the French pages by screen readers.
ENGLISH_NAMES = ("Link to heading", "file upload", "Upload", "Browse files", "Remove ",
                 "Add files", "per file", "Sidebar", "App pages", "Help for", "Choose an option",
                 "Show data", "Download as", "Fullscreen", "Add row", "Search")

# What the pages say, per language: the headings and labels the tests go by.
WORDS = {
    "fr": {"login": "Connexion", "password": "Mot de passe", "submit": "Se connecter",
           "upload": "Transcrire des enregistrements", "review": "Relire et corriger",
           "privacy": "Confidentialité", "tabs": ("Locuteurs", "Pseudonymes", "Télécharger"),
           "transcript_tab": "Transcription", "other": "English"},
    "en": {"login": "Log in", "password": "Password", "submit": "Log in",
           "upload": "Transcribe recordings", "review": "Review and correct",
           "privacy": "Privacy", "tabs": ("Speakers", "Pseudonyms", "Download"),
           "transcript_tab": "Transcript", "other": "Français"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The app with a password, its default data-rules notice and one finished job (an
    English interview, the interface in French by default); yields (url, data, job id,
    the recording's folder)."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: make test installs it (npm ci in tests/)")
    folder = tmp_path_factory.mktemp("a11y")
    recording, transcript = spoken_interview(folder)
    with serve(folder, "a11y", TRANSCRIBE_PASSWORD=PASSWORD, TRANSCRIBE_ADDRESS="127.0.0.1",
               TRANSCRIBE_DEFAULT_MODEL="tiny.en", TRANSCRIBE_DEVICE="cpu",
               TRANSCRIBE_DELETE_AT="2099-01-01T00:00:00Z") as (url, data, _):
        job_id = seed_job(data, recording, transcript, "interview.wav")
        yield url, data, job_id, folder


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(chromium, url: str, language: str | None = None):
    """A page in a browser of its own; with `language`, one that chose it before."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)  # a loaded 2-core machine
    context = chromium.new_context(viewport={"width": 1300, "height": 1000},
                                   accept_downloads=True)
    if language:
        context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": url}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def log_in(page, url: str, language: str) -> None:
    from playwright.sync_api import expect

    words = WORDS[language]
    page.goto(f"{url}/login?lang={language}")
    expect(page.get_by_role("heading", name=words["login"])).to_be_visible()
    page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    page.get_by_role("button", name=words["submit"]).click()
    expect(page.get_by_role("heading", name=words["upload"])).to_be_visible()
    settle(page)


def check(page, state: str, report: dict) -> None:
    """axe on the page now: serious or critical violations other than Streamlit's fail."""
    settle(page)
    violations = axe(page, STREAMLIT_ONLY)
    report[state] = violations
    page.screenshot(path=str(ARTIFACTS / f"{state}.png"), full_page=True)
    ours = [{"rule": v["id"], "impact": v["impact"], "help": v["help"], "node": n}
            for v in violations if v["impact"] in FAILING
            for n in v["nodes"] if not n["streamlit"]]
    assert not ours, f"{state}: {json.dumps(ours, indent=1, ensure_ascii=False)}"


def english_names(page) -> None:
    """What a screen reader reads on this French page holds none of Streamlit's English
    names (hidden from the eye by CSS would not do: the accessibility tree is read)."""
    tree = page.locator("body").aria_snapshot()
    found = [name for name in ENGLISH_NAMES if name in tree]
    assert not found, found


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_passes_axe_and_declares_its_language(site, chromium, language):
    from playwright.sync_api import expect

    url, _, job_id, folder = site
    words = WORDS[language]
    page = new_page(chromium, url, language if language != "fr" else None)
    report: dict[str, list] = {}
    try:
        page.goto(url)  # no session yet: the login page, in the language chosen before
        expect(page.get_by_role("heading", name=words["login"])).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == language
        check(page, f"{language}-login", report)
        log_in(page, url, language)

        # Upload: the data-rules notice above the uploader, a finished job below.
        expect(page.locator(".transcribe-notice")).to_be_visible()
        expect(page.locator(f".st-key-job-{job_id}")).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == language
        check(page, f"{language}-upload", report)
        if language == "fr":  # with a file chosen: the uploader's chips and buttons
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
                str(folder / "interview.wav"))
            expect(page.get_by_test_id("stFileChip")).to_have_count(1)
            check(page, "fr-upload-chosen", report)
            english_names(page)

        # Review: the editor, then each tab.
        page.goto(f"{url}/review?job={job_id}")
        expect(page.get_by_role("heading", name=words["review"])).to_be_visible()
        page.wait_for_selector(".te-seg")
        assert page.evaluate("document.documentElement.lang") == language
        # The editor's controls in the interface's language, the transcript's text in the
        # language spoken (English, whatever the interface's).
        assert page.locator(".te").get_attribute("lang") == language
        assert page.locator(".te-doc").get_attribute("lang") == "en"
        check(page, f"{language}-review-editor", report)
        for number, tab in enumerate(words["tabs"], start=1):
            page.get_by_role("tab", name=tab).click()
            settle(page)
            check(page, f"{language}-review-{number}-{tab.lower()}", report)
            if language == "fr":
                english_names(page)

        # Privacy, then the other language: `lang` follows the switch.
        page.get_by_role("link", name=words["privacy"]).click()
        expect(page.get_by_role("heading", name=words["privacy"], exact=True)).to_be_visible()
        check(page, f"{language}-privacy", report)
        page.get_by_test_id("stSidebar").get_by_text(words["other"], exact=True).click()
        other = "en" if language == "fr" else "fr"
        expect(page.get_by_role("heading", name=WORDS[other]["privacy"], exact=True)) \
            .to_be_visible()
        wait_until(lambda: page.evaluate("document.documentElement.lang") == other, 10,
                   "the page's lang to follow the switch")
    finally:
        (ARTIFACTS / f"{language}-axe.json").write_text(
            json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
        page.context.close()


# -- the focus, seen --------------------------------------------------------------------------

def test_the_focus_is_visible_on_every_control(site, chromium):
    from playwright.sync_api import expect

    url, _, job_id, folder = site
    page = new_page(chromium, url)
    unseen: dict[str, list[str]] = {}
    try:
        page.goto(url)
        expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        unseen["login"] = unseen_focus(page, 6)
        log_in(page, url, "fr")
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            str(folder / "interview.wav"))  # the chips, their buttons
        expect(page.get_by_test_id("stFileChip")).to_have_count(1)
        for expander in page.get_by_test_id("stExpander").all():  # their fields too
            expander.locator("summary").click()
        settle(page)
        page.locator("body").focus()
        unseen["upload"] = unseen_focus(page, 70)
        page.goto(f"{url}/review?job={job_id}")
        page.wait_for_selector(".te-seg")
        settle(page)
        unseen["review"] = unseen_focus(page, 40)
        page.get_by_role("link", name="Confidentialité").click()
        expect(page.get_by_role("heading", name="Confidentialité", exact=True)).to_be_visible()
        settle(page)
        unseen["privacy"] = unseen_focus(page, 25)
    finally:
        page.context.close()
    assert not any(unseen.values()), json.dumps(unseen, indent=1, ensure_ascii=False)


# -- the keyboard alone -----------------------------------------------------------------------

def test_keyboard_alone_from_login_to_a_corrected_word_and_a_download(site, chromium, tmp_path):
    """A person with a keyboard and no mouse: log in, choose a recording, "one speaker",
    start; the focus is on the new job, in view; open the transcript: the focus is on its
    text; correct a word, open the Download tab, download the .txt."""
    import shutil

    from playwright.sync_api import expect

    url, data, _, folder = site
    recording = shutil.copyfile(folder / "interview.wav", tmp_path / "keyboard.wav")
    page = new_page(chromium, url)
    # Listened for from the start: Playwright takes the system's file dialog over only once
    # the browser has been told to, which a listener added at the key press can miss.
    choosers = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    try:
        page.goto(url)
        expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
        assert page.evaluate(ACTIVE)["type"] == "password"  # the field has the focus at once
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Transcrire des enregistrements")) \
            .to_be_visible()
        settle(page)

        # Choose the recording: the button, then the system's dialog.
        press_until(page, "Tab", lambda a: a["name"].endswith("Choisir des fichiers"))
        page.keyboard.press("Enter")
        for _ in range(300):  # Playwright hands events over while it waits, not in a sleep
            if choosers:
                break
            page.wait_for_timeout(100)
        assert choosers, "no file dialog"
        choosers[0].set_files(str(recording))
        expect(page.get_by_test_id("stFileChip")).to_have_count(1)
        # The button pressed is gone: the focus is on the one in its place, not lost.
        wait_until(lambda: (page.evaluate(ACTIVE) or {}).get("name") == "Ajouter des fichiers",
                   10, f"the focus on the uploader's visible button, not {page.evaluate(ACTIVE)}")
        settle(page)
        press_until(page, "Tab", lambda a: a["type"] == "radio")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        expect(page.get_by_role("radio", name="Une seule personne")).to_be_checked()
        settle(page)
        press_until(page, "Tab", lambda a: a["name"].endswith("Transcrire (1 fichier(s))"))
        page.keyboard.press("Enter")

        # The focus goes to the new job, scrolled into view.
        job_id = wait_until(lambda: next(
            (p.parent.name for p in (data / "jobs").glob("*/job.json")
             if json.loads(p.read_text(encoding="utf-8"))["name"] == "keyboard.wav"), None),
            30, "the new job")
        job = f".st-key-job-{job_id}"
        wait_until(lambda: focus_in(page, job), 20, "the focus on the new job")
        box = page.locator(job).bounding_box()
        assert 0 <= box["y"] and box["y"] + min(box["height"], 100) <= 1000, box
        page.screenshot(path=str(ARTIFACTS / "keyboard-started.png"))
        expect(page.locator(job).get_by_text(re.compile("^Terminé en"))).to_be_visible(
            timeout=240_000)
        settle(page)
        # Its box was drawn again once done: the focus is still there.
        wait_until(lambda: focus_in(page, job), 10,
                   f"the focus kept on the finished job, not {page.evaluate(ACTIVE)}")

        # Open it: the focus goes to the transcript's text.
        press_until(page, "Tab", lambda a: a["tag"] == "A" and a["name"].endswith("Relire"), 6)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Relire et corriger")).to_be_visible()
        wait_until(lambda: focus_in(page, ".te-seg"), 20, "the focus on the transcript's text")
        assert page.evaluate("document.activeElement === document.querySelector('.te-seg')")
        page.screenshot(path=str(ARTIFACTS / "keyboard-opened.png"))

        # Correct its first word, then download the .txt.
        first = page.locator(".te-seg").first.text_content().split()[0]
        page.keyboard.press("Control+Shift+ArrowRight")
        page.keyboard.type("Hello")
        expect(page.locator(".te-status")).to_have_attribute("data-state", "saved")
        store = JobStore(data)
        wait_until(lambda: store.load_transcript(store.get(job_id)).segments[0].text.split()[0]
                   == "Hello", 15, "the correction saved")
        press_until(page, "Shift+Tab", lambda a: a["role"] == "tab", 40)
        for _ in range(3):  # an arrow chooses the next tab, which the page then draws
            page.keyboard.press("ArrowRight")
            settle(page)
            assert page.evaluate(ACTIVE)["role"] == "tab"  # the focus stays on the tabs
        assert page.evaluate(ACTIVE)["name"] == "Télécharger"
        press_until(page, "Tab", lambda a: a["name"].endswith("Texte (.txt)"))
        with page.expect_download() as download:
            page.keyboard.press("Enter")
        target = tmp_path / download.value.suggested_filename
        download.value.save_as(target)
        text = target.read_text(encoding="utf-8")
        assert "Hello" in text and (first == "Hello" or not text.startswith(first))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "keyboard-failure.png"))
        raise
    finally:
        page.context.close()
