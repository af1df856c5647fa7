"""End to end in a real headless Chromium (Debian's, never a downloaded one): log in,
upload a two-speaker interview with a dev clip and a damaged file, transcribe them on the
embedded base model (the damaged one fails alone, with its reason), rename a speaker,
correct a word, listen faster, add a pseudonym, download the docx and the txt, delete
everything; every request the page makes stays on the app's own origin. Then, in a local
run without password, a file over the upload limit is refused in French.

`transcribe-web` runs as users run it, in a subprocess with its own data folder. The
recording is synthesised with espeak-ng: two voices, an interviewer asking and an
interviewee answering. Screenshots of each step go to test-artifacts/e2e/.

The interview preset expects diarization to find the two speakers. To check the rest of the
flow where diarization is not available, run with TRANSCRIBE_E2E_PRESET=single: the test
then adds the speaker by hand and assigns it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_support import ENVIRONMENT
from webserver import web_server

from transcribe.transcript import Transcript

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PASSWORD = "e2e-Secret-pass"
PRESET = os.environ.get("TRANSCRIBE_E2E_PRESET", "interview")
# A real recording next to the synthesised one, when the shared dev clips are here.
DEV_CLIP = ROOT.parent / "shared" / "eval-audio" / "dev" / "jfk" / "jfk.flac"

INTERVIEWER = ("en-us", 35, [
    "Good morning, and thank you for coming today. Can you tell me about your work?",
    "What do you like most about your job?",
    "Thank you very much for your time.",
])
INTERVIEWEE = ("en+f3", 75, [
    "Of course. I am a nurse at the city hospital. I have worked there for ten years.",
    "I like helping people, and my colleagues are wonderful.",
])


def two_speaker_interview(folder: Path) -> Path:
    """About 25 s: questions and answers in turn, 0.7 s apart, as a phone memo (m4a)."""
    for tool in ("espeak-ng", "sox", "ffmpeg"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    parts = []
    turns = [(INTERVIEWER, 0), (INTERVIEWEE, 0), (INTERVIEWER, 1), (INTERVIEWEE, 1),
             (INTERVIEWER, 2)]
    silence = folder / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "22050", "-c", "1", str(silence), "trim", "0", "0.7"],
                   check=True)
    for number, ((voice, pitch, lines), line) in enumerate(turns):
        part = folder / f"turn{number}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "145", "-w",
                        str(part), lines[line]], check=True)
        parts += [part, silence]
    joined = folder / "joined.wav"
    subprocess.run(["sox", *map(str, parts), str(joined)], check=True)
    recording = folder / "interview.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(joined), "-c:a", "aac", "-b:a",
                    "64k", str(recording)], check=True)
    return recording


def fresh_artifacts(prefix: str) -> None:
    """Screenshots and log of a test start anew (each test names its own)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{prefix}-*"):
        old.unlink()


@contextlib.contextmanager
def serve(tmp_path: Path, name: str, **settings: str) -> Iterator[tuple[str, Path, Path]]:
    """transcribe-web in a subprocess with its own data folder and $HOME, and only the app
    settings given; yields (url, data folder, home). Its output goes to
    test-artifacts/e2e/<name>-server.log."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    fresh_artifacts(name)
    data = tmp_path / "data"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ENVIRONMENT},  # models dir kept
        "TRANSCRIBE_DATA_DIR": str(data),
        **settings,
        # As the chart sets them: the model libraries' caches go to /tmp, not $HOME...
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "MPLCONFIGDIR": str(tmp_path / "matplotlib"),
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        # ...and the app writes nothing there (read-only in the container).
        "HOME": str(home),
    }
    with web_server(env, ARTIFACTS / f"{name}-server.log") as (url, _):
        yield url, data, home


@pytest.fixture
def server(tmp_path):
    with serve(tmp_path, "e2e", TRANSCRIBE_PASSWORD=PASSWORD, TRANSCRIBE_ADDRESS="127.0.0.1",
               TRANSCRIBE_UI_LANGUAGE="en", TRANSCRIBE_DEFAULT_MODEL="base",
               TRANSCRIBE_DEVICE="cpu",
               TRANSCRIBE_DELETE_AT="2099-01-01T00:00:00Z") as running:
        yield running


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def job_folder(data: Path, name: str) -> Path:
    """The job folder of the upload called `name`."""
    return next(path.parent for path in (data / "jobs").glob("*/job.json")
                if json.loads(path.read_text(encoding="utf-8"))["name"] == name)


def job_record(data: Path, name: str = "interview.m4a") -> dict:
    return json.loads((job_folder(data, name) / "job.json").read_text(encoding="utf-8"))


def job_transcript(data: Path, name: str = "interview.m4a") -> Transcript | None:
    found = job_folder(data, name) / "transcript.json"
    return Transcript.load(found) if found.is_file() else None


def damaged_file(folder: Path) -> Path:
    """Random bytes under an audio name, as a failed copy or a wrong file can be."""
    path = folder / "broken.mp3"
    path.write_bytes(os.urandom(64 * 1024))
    return path


def test_upload_transcribe_review_download_delete(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, data, home = server
    recordings = [two_speaker_interview(tmp_path), damaged_file(tmp_path)]
    if DEV_CLIP.is_file():
        recordings.insert(1, DEV_CLIP)
    step = iter(range(1, 100))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
        page.set_default_timeout(30_000)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.on("websocket", lambda socket: requests.append(socket.url))
        try:
            run_flow(page, url, data, recordings, tmp_path, step)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "e2e-failure.png"))
            raise
        finally:
            browser.close()

    # Nothing from a CDN, no telemetry, no web fonts: the page only talks to the app.
    origins = {re.sub(r"^ws", "http", u).split("/")[2] for u in requests
               if not u.startswith(("data:", "blob:"))}
    assert origins == {url.split("/")[2]}, sorted(set(requests))
    assert any("/_stcore/stream" in u for u in requests)  # the websocket was seen too

    assert data.is_dir() and list(data.iterdir()) == []
    assert list(home.iterdir()) == []  # Streamlit wrote nothing into $HOME
    log = (ARTIFACTS / "e2e-server.log").read_text()
    for private in ("interview.m4a", "broken.mp3", "jfk", "hospital", "nurse", "Camille"):
        assert private not in log, f"the server log mentions {private!r}"


def run_flow(page, url: str, data: Path, recordings: list[Path], tmp_path: Path,
             step) -> None:
    from docx import Document
    from playwright.sync_api import expect

    def settle() -> None:
        """Wait for Streamlit's rerun to finish: no running indicator, no element left
        over from the previous run, nothing still loading."""
        page.wait_for_timeout(400)
        for _ in range(2):
            expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
            expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=30_000)
            expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)
            page.wait_for_timeout(200)

    def shot(name: str) -> None:
        settle()
        page.wait_for_timeout(300)  # let the last rerun paint
        page.screenshot(path=str(ARTIFACTS / f"e2e-{next(step):02d}-{name}.png"))

    # Log in: nothing else is visible before.
    page.goto(url)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    shot("login")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Transcribe recordings")).to_be_visible()
    shot("upload-page")

    # Upload several files at once, with options: the preset, English.
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        [str(path) for path in recordings])
    for path in recordings:
        expect(page.get_by_test_id("stFileChipName").filter(has_text=path.name)).to_be_visible()
    settle()
    if PRESET == "single":
        page.get_by_text("One speaker", exact=True).click()
        settle()
    page.get_by_role("combobox", name="Spoken language").click()
    page.get_by_role("option", name="English (en)").click()
    settle()
    shot("options")
    good = len(recordings) - 1
    page.get_by_role("button", name=f"Transcribe ({len(recordings)} file(s))").click()
    expect(page.get_by_text(f"{good} file(s) added to the queue.")).to_be_visible()
    expect(page.get_by_text("1 file(s) refused")).to_be_visible()
    # The damaged file is in the list, failed, with its reason; nothing of it is kept.
    broken = page.locator(f".st-key-job-{job_folder(data, 'broken.mp3').name}")
    expect(broken.get_by_text("The file broken.mp3 is not a readable audio or video "
                              "file")).to_be_visible()
    assert [p.name for p in job_folder(data, "broken.mp3").iterdir()] == ["job.json"]
    shot("queued")

    # The worker runs them; the list follows on its own, with the stages and the progress.
    try:
        expect(page.get_by_text(re.compile(r"^Transcribing — \d+%")).first).to_be_visible(
            timeout=60_000)
        expect(page.get_by_text(re.compile(r"✓ Reading the file → Transcribing: \d+%"))
               .first).to_be_visible(timeout=5_000)
        shot("progress")
    except AssertionError:  # a fast machine may finish the stage between refreshes
        pass
    expect(page.get_by_text(re.compile(r"^Done in"))).to_have_count(good, timeout=300_000)
    settle()
    shot("done")
    transcript = job_transcript(data)
    assert transcript is not None and transcript.segments
    assert "hospital" in transcript.text.lower()
    if DEV_CLIP.is_file():
        assert "ask not what your country" in job_transcript(data, "jfk.flac").text.lower()

    # Review the interview: speakers.
    interview = page.locator(f".st-key-job-{job_folder(data, 'interview.m4a').name}")
    interview.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", name="Review and correct")).to_be_visible()
    expect(page.locator(".te-seg").first).to_be_visible()
    shot("review")
    page.get_by_role("tab", name="Speakers").click()
    settle()  # the tab is drawn when opened: its fields exist once the run ends
    if PRESET == "single":
        assert not transcript.speakers
        page.get_by_label("Add a speaker").fill("Camille")
        page.get_by_role("button", name="Add", exact=True).click()
        settle()
        page.get_by_role("tab", name="Transcript").click()
        page.locator(".te-seg").first.click()
        page.keyboard.press("F8")  # the turn's speaker: the next one, Camille
        wait_until(lambda: job_transcript(data).segments[0].speaker is not None, 10,
                   "the turn's speaker to be saved")
    else:
        assert len(transcript.speakers) == 2, "diarization should find two speakers"
        field = page.get_by_label("Speaker 1: name")
        field.fill("Camille")
        field.press("Enter")
        settle()
    wait_until(lambda: "Camille" in {s.name for s in job_transcript(data).speakers.values()},
               10, "the new speaker name to be saved")
    shot("speakers")

    # Correct one word in the editor, in the segment that says where the interviewee works.
    page.get_by_role("tab", name="Transcript").click()
    segments = page.locator(".te-seg")
    index = next(i for i in range(segments.count())
                 if "hospital" in segments.nth(i).text_content().lower())
    at = segments.nth(index).text_content().lower().index("hospital")
    page.evaluate("([i, at]) => { const e = window.transcribeEditor; "
                  "e.placeCaret(e.elements.get(e.segs[i].u), at); }", [index, at])
    for _ in "hospital":
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.type("clinic")
    wait_until(lambda: "clinic" in job_transcript(data).text, 15, "the correction")
    expect(page.locator(".te-status")).to_have_text("Saved")
    shot("corrected")

    # Listen from a word (Ctrl+click), faster (Alt+Up twice).
    segments.nth(index).locator(".te-w").first.click(modifiers=["Control"])
    audio = page.locator(".te-audio")
    wait_until(lambda: audio.evaluate("a => !a.paused || a.currentTime > 0"), 10,
               "playback to start")
    assert audio.evaluate("a => a.currentTime") >= 6  # from the segment, not the start
    page.keyboard.press("Alt+ArrowUp")
    page.keyboard.press("Alt+ArrowUp")
    wait_until(lambda: audio.evaluate("a => a.playbackRate") == 1.5, 10, "1.5× playback")
    shot("listening")
    audio.evaluate("a => a.pause()")

    # A pseudonym, with the fields above the table.
    page.get_by_role("tab", name="Pseudonyms").click()
    settle()  # the tab is drawn when opened: its fields exist once the run ends
    page.get_by_label("Real name", exact=True).fill("colleagues")
    page.get_by_label("Pseudonym", exact=True).fill("team")
    page.get_by_role("button", name="Add the row").click()
    settle()
    wait_until(lambda: job_record(data)["conventions"]["pseudonyms"] == {
        "colleagues": "team"}, 10, "the pseudonym to be saved")
    shot("pseudonyms")

    # Download the docx and the txt: the correction and the name are in both; the txt
    # with a timestamp at each turn, as chosen just before.
    page.get_by_role("tab", name="Download").click()
    settle()  # the tab is drawn when opened: its fields exist once the run ends
    page.get_by_text("[hh:mm:ss] timestamp at each turn (text)").click()
    settle()
    wait_until(lambda: job_record(data)["conventions"]["timestamps"], 10,
               "the timestamps choice to be saved")
    files = {}
    for label in ("Text (.txt)", "Word (.docx)"):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        target = tmp_path / download.value.suggested_filename
        download.value.save_as(target)
        files[target.suffix] = target
    shot("downloads")
    assert sorted(p.name for p in files.values()) == ["interview.docx", "interview.txt"]
    text = files[".txt"].read_text(encoding="utf-8")
    assert "Camille:" in text and "clinic" in text and "hospital" not in text.lower()
    turns = [p for p in text.split("\n\n") if p.strip()]
    assert all(re.match(r"\[\d\d:\d\d:\d\d\] ", turn) for turn in turns), turns
    assert "team" in text and "colleagues" not in text
    paragraphs = "\n".join(p.text for p in Document(str(files[".docx"])).paragraphs)
    assert "Camille:" in paragraphs and "clinic" in paragraphs
    assert "team" in paragraphs and "colleagues" not in paragraphs
    if PRESET != "single":
        labels = set(re.findall(r"^\[[\d:]+\] (.+?):", text, flags=re.MULTILINE))
        assert len(labels) == 2, labels

    # Delete everything: the data folder is left empty.
    page.get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", name="Privacy", exact=True)).to_be_visible()
    shot("privacy")
    page.get_by_text("I understand that all my files").click()
    settle()
    page.get_by_role("button", name="Delete all my files").click()
    expect(page.get_by_text("All files were deleted.")).to_be_visible()
    shot("deleted")


def test_a_file_over_the_limit_is_refused_in_the_users_language(tmp_path):
    """Streamlit refuses a file over server.maxUploadSize (our limit) in the browser,
    before sending it, with English words in a tooltip: the chip says why in French, the
    default language of a local run (no password), whose privacy page says that only this
    machine can open it."""
    from playwright.sync_api import expect, sync_playwright

    big = tmp_path / "long.wav"
    big.write_bytes(os.urandom(2 * 1024 * 1024))
    small = tmp_path / "short.wav"
    small.write_bytes(os.urandom(1024))
    with serve(tmp_path, "limit", TRANSCRIBE_MAX_UPLOAD_MB="1") as (url, data, _), \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(30_000)
        try:
            page.goto(url)
            expect(page.get_by_role("heading", name="Transcrire des enregistrements")) \
                .to_be_visible()
            chooser = page.get_by_test_id("stFileUploaderDropzoneInput")
            chooser.set_input_files(str(big))
            alert = chip_alert(page, "long.wav")
            # Written in the page, where screen readers read it too (not painted by CSS).
            expect(alert).to_have_text("Trop volumineux : 1 Mo au plus par fichier.")
            assert alert.bounding_box()["height"] > 0  # shown in the chip, not hidden
            page.screenshot(path=str(ARTIFACTS / "limit-too-large.png"))

            # An upload that fails on the way (the network) is not called too large.
            page.route("**/_stcore/upload_file/**", lambda route: route.abort())
            chooser.set_input_files(str(small))
            alert = chip_alert(page, "short.wav")
            expect(page.locator('[data-reason="failed"]')).to_have_count(1)
            expect(alert).to_contain_text("L'envoi a échoué")

            # Without a password, the privacy page says who can open the service.
            page.get_by_role("link", name="Confidentialité").click()
            local = page.get_by_text("le service n'écoute que sur cet ordinateur")
            local.scroll_into_view_if_needed()
            expect(local).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "limit-privacy.png"))
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "limit-failure.png"))
            raise
        finally:
            browser.close()
    assert not (data / "jobs").exists()


def chip_alert(page, name: str):
    """The (normally hidden) reason of the uploader's chip for a refused file."""
    from playwright.sync_api import expect

    chip = page.get_by_test_id("stFileChip").filter(has_text=name)
    expect(chip).to_have_attribute("aria-invalid", "true")
    return chip.locator('[role="alert"]')

