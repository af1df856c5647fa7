"""End to end in a real headless Chromium (Debian's, never a downloaded one): log in,
upload a two-speaker interview, transcribe it on the embedded base model, rename a speaker,
correct a word, listen faster, add a pseudonym, download the docx and the txt, delete
everything.

`transcribe-web` runs as users run it, in a subprocess with its own data folder. The
recording is synthesised with espeak-ng: two voices, an interviewer asking and an
interviewee answering. Screenshots of each step go to test-artifacts/e2e/.

The interview preset expects diarization to find the two speakers. To check the rest of the
flow where diarization is not available, run with TRANSCRIBE_E2E_PRESET=single: the test
then adds the speaker by hand and assigns it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    port = free_port()
    data = tmp_path / "data"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "TRANSCRIBE_DATA_DIR": str(data),
        "TRANSCRIBE_PORT": str(port),
        "TRANSCRIBE_PASSWORD": PASSWORD,
        "TRANSCRIBE_ADDRESS": "127.0.0.1",
        "TRANSCRIBE_UI_LANGUAGE": "en",
        "TRANSCRIBE_DEFAULT_MODEL": "base",
        "TRANSCRIBE_DEVICE": "cpu",
        "TRANSCRIBE_DELETE_AT": "2099-01-01T00:00:00Z",
        # As the chart sets them: the model libraries' caches go to /tmp, not $HOME...
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "MPLCONFIGDIR": str(tmp_path / "matplotlib"),
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        # ...and the app writes nothing there (read-only in the container).
        "HOME": str(home),
    }
    log = open(ARTIFACTS / "server.log", "w")
    process = subprocess.Popen([str(Path(sys.executable).with_name("transcribe-web"))],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                assert process.poll() is None, (ARTIFACTS / "server.log").read_text()
                assert time.monotonic() < deadline, "transcribe-web did not start"
                time.sleep(0.5)
        yield url, data, home
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def job_record(data: Path) -> dict:
    return json.loads(next((data / "jobs").glob("*/job.json")).read_text(encoding="utf-8"))


def job_transcript(data: Path) -> Transcript | None:
    found = list((data / "jobs").glob("*/transcript.json"))
    return Transcript.load(found[0]) if found else None


def test_upload_transcribe_review_download_delete(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, data, home = server
    recording = two_speaker_interview(tmp_path)
    step = iter(range(1, 100))

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
        page.set_default_timeout(30_000)
        try:
            run_flow(page, url, data, recording, tmp_path, step)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failure.png"))
            raise
        finally:
            browser.close()

    assert data.is_dir() and list(data.iterdir()) == []
    assert list(home.iterdir()) == []  # Streamlit wrote nothing into $HOME
    log = (ARTIFACTS / "server.log").read_text()
    for private in ("interview.m4a", "hospital", "nurse", "Camille"):
        assert private not in log, f"the server log mentions {private!r}"


def run_flow(page, url: str, data: Path, recording: Path, tmp_path: Path, step) -> None:
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
        page.screenshot(path=str(ARTIFACTS / f"{next(step):02d}-{name}.png"))

    # Log in: nothing else is visible before.
    page.goto(url)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.get_by_test_id("stFileUploader")).to_have_count(0)
    shot("login")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Transcribe recordings")).to_be_visible()
    shot("upload-page")

    # Upload with options: the preset, English.
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(recording))
    expect(page.get_by_text("interview.m4a")).to_be_visible()
    settle()
    if PRESET == "single":
        page.get_by_text("One speaker", exact=True).click()
        settle()
    page.get_by_role("combobox", name="Spoken language").click()
    page.get_by_role("option", name="English (en)").click()
    settle()
    shot("options")
    page.get_by_role("button", name=re.compile(r"Transcribe \(1 file")).click()
    expect(page.get_by_text("1 file(s) added to the queue.")).to_be_visible()
    shot("queued")

    # The worker runs it; the list follows on its own, with the stage and its progress.
    try:
        expect(page.get_by_text(re.compile(r"^Transcribing — \d+%")).first).to_be_visible(
            timeout=60_000)
        shot("progress")
    except AssertionError:  # a fast machine may finish the stage between refreshes
        pass
    expect(page.get_by_text(re.compile(r"^Done in")).first).to_be_visible(timeout=300_000)
    settle()
    shot("done")
    transcript = job_transcript(data)
    assert transcript is not None and transcript.segments
    assert "hospital" in transcript.text.lower()

    # Review: speakers.
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", name="Review and correct")).to_be_visible()
    expect(page.locator("textarea").first).to_be_visible()
    shot("review")
    page.get_by_role("tab", name="Speakers").click()
    if PRESET == "single":
        assert not transcript.speakers
        page.get_by_label("Add a speaker").fill("Camille")
        page.get_by_role("button", name="Add", exact=True).click()
        settle()
        page.get_by_role("tab", name="Transcript").click()
        page.get_by_role("combobox", name="Speaker of this turn").first.click()
        page.get_by_role("option", name="Camille").click()
        settle()
    else:
        assert len(transcript.speakers) == 2, "diarization should find two speakers"
        first = sorted(transcript.speakers)[0]
        field = page.get_by_label(f"Name of {first}")
        field.fill("Camille")
        field.press("Enter")
        settle()
    wait_until(lambda: "Camille" in {s.name for s in job_transcript(data).speakers.values()},
               10, "the new speaker name to be saved")
    shot("speakers")

    # Correct one word, in the segment that says where the interviewee works.
    page.get_by_role("tab", name="Transcript").click()
    boxes = page.locator("textarea")
    index = next(i for i in range(boxes.count())
                 if "hospital" in boxes.nth(i).input_value().lower())
    box = boxes.nth(index)
    corrected = re.sub("hospital", "clinic", box.input_value(), flags=re.IGNORECASE)
    box.fill(corrected)
    box.press("Control+Enter")
    settle()
    wait_until(lambda: "clinic" in job_transcript(data).text, 10, "the correction")
    shot("corrected")

    # Listen from a segment, faster.
    page.get_by_role("button", name=re.compile(r"^\d\d:\d\d:\d\d$")).nth(index).click()
    settle()
    audio = page.locator(".st-key-player audio")
    wait_until(lambda: audio.evaluate("a => !a.paused || a.currentTime > 0"), 10,
               "playback to start")
    assert audio.evaluate("a => a.currentTime") >= 6  # from the segment, not the start
    speed = page.get_by_role("slider", name="Playback speed")
    speed.focus()
    speed.press("ArrowRight")
    speed.press("ArrowRight")
    settle()
    wait_until(lambda: audio.evaluate("a => a.playbackRate") == 1.5, 10, "1.5× playback")
    shot("listening")
    audio.evaluate("a => a.pause()")

    # A pseudonym: typed into the table (a canvas grid: double-click a cell, type, Enter).
    page.get_by_role("tab", name="Pseudonyms").click()
    grid = page.get_by_test_id("stDataFrame")
    grid.scroll_into_view_if_needed()
    grid.hover()
    page.get_by_role("button", name="Add row").click()
    page.wait_for_timeout(500)
    box = grid.locator("canvas").first.bounding_box()
    row = box["y"] + 35 + 17  # below the header row, in the middle of the first row
    for x, value in ((box["x"] + 120, "colleagues"), (box["x"] + box["width"] - 120, "team")):
        page.mouse.dblclick(x, row)
        cell = page.locator("textarea.gdg-input")  # the grid's cell editor
        expect(cell).to_be_visible()
        cell.fill(value)
        cell.press("Enter")
        settle()
    wait_until(lambda: job_record(data)["conventions"]["pseudonyms"] == {
        "colleagues": "team"}, 10, "the pseudonym to be saved")
    shot("pseudonyms")

    # Download the docx and the txt: the correction and the name are in both.
    page.get_by_role("tab", name="Download").click()
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
    assert "team" in text and "colleagues" not in text
    paragraphs = "\n".join(p.text for p in Document(str(files[".docx"])).paragraphs)
    assert "Camille:" in paragraphs and "clinic" in paragraphs
    assert "team" in paragraphs and "colleagues" not in paragraphs
    if PRESET != "single":
        labels = set(re.findall(r"^(.+?):", text, flags=re.MULTILINE))
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
