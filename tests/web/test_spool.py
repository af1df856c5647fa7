"""Uploads stream to the data folder (web/spool.py), end to end: a real `transcribe-web`,
real HTTP from Debian's headless Chromium through Streamlit's own uploader.

- A 200 MB recording goes to disk as it arrives: the server's peak memory during the
  upload stays far below the file's size, and "Start" gives the job that very file (same
  inode: linked, never copied).
- With a data volume too small for it (TRANSCRIBE_DATA_LIMIT_MB), the file is not
  written: the page says so at once, in the user's language, and "Start" lists it as a
  failed job with that reason.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from field_recording import field_recording
from test_browser import CHROMIUM, CHROMIUM_ARGS, serve, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MB = 1024 * 1024
# Peak growth allowed while a 200 MB file is uploaded. Held in memory (Streamlit's own
# handler) it costs at least the file's size; streamed, a few MB of buffers. The margin
# covers the page's own reruns and Python's allocator on a busy machine.
UPLOAD_GROWTH = 80 * MB


def server_pid(data: Path) -> int:
    """The transcribe-web process serving `data` (Streamlit runs in that process)."""
    wanted = f"TRANSCRIBE_DATA_DIR={data}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0") and \
                    b"transcribe-web" in (entry / "cmdline").read_bytes():
                return int(entry.name)
        except OSError:
            continue
    raise AssertionError("transcribe-web process not found")


def memory(pid: int, field: str) -> int:
    """VmRSS or VmHWM (peak) of a process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(field)


def open_upload_page(playwright, url: str):
    from playwright.sync_api import expect

    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(url)
    expect(page.get_by_role("heading", name="Transcrire des enregistrements")).to_be_visible()
    return browser, page


def test_an_upload_streams_to_disk_and_is_linked_into_its_job(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    recording = field_recording(tmp_path / "terrain.wav", 20 * 60)  # 211 MB
    size = recording.stat().st_size
    with serve(tmp_path, "spool") as (url, data, _), sync_playwright() as playwright:
        browser, page = open_upload_page(playwright, url)
        try:
            pid = server_pid(data)
            before = memory(pid, "VmRSS")
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak starts from now
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(recording))
            expect(page.get_by_role("button", name="Transcrire (1 fichier(s))")) \
                .to_be_enabled(timeout=120_000)
            growth = memory(pid, "VmHWM") - before
            assert growth < UPLOAD_GROWTH, f"{growth / MB:.0f} MB for a {size / MB:.0f} MB file"
            spooled = wait_until(
                lambda: [p for p in (data / "uploads").glob("*") if p.stat().st_size == size],
                10, "the spooled upload")[0]
            inode = spooled.stat().st_ino

            page.get_by_role("button", name="Transcrire (1 fichier(s))").click()
            source = wait_until(lambda: next((data / "jobs").glob("*/source.wav"), None), 60,
                                "the job's recording")
            assert source.stat().st_ino == inode and source.stat().st_size == size
            wait_until(lambda: not list((data / "uploads").iterdir()), 30,
                       "the spooled name removed once the job is queued")
        finally:
            browser.close()


def test_an_upload_that_does_not_fit_is_refused_and_listed(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    recording = field_recording(tmp_path / "terrain.wav", 4 * 60)  # 42 MB
    # 100 MB of volume, 64 MB kept free for the jobs' own files: 36 MB left.
    with serve(tmp_path, "spool-limit", TRANSCRIBE_DATA_LIMIT_MB="100") as (url, data, _), \
            sync_playwright() as playwright:
        browser, page = open_upload_page(playwright, url)
        try:
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(recording))
            message = "Plus assez d'espace pour enregistrer terrain.wav"
            expect(page.get_by_text(message)).to_be_visible()
            assert not list((data / "uploads").glob("*"))  # nothing written
            page.get_by_role("button", name="Transcrire (1 fichier(s))").click()
            expect(page.get_by_text("1 fichier(s) refusé(s)")).to_be_visible()
            expect(page.get_by_test_id("stAlertContentError").filter(has_text=message)) \
                .to_have_count(1)
            record = json.loads(next((data / "jobs").glob("*/job.json")).read_text())
            assert record["status"] == "failed" and record["error"]["key"] == "upload.no_space"
            assert os.listdir(next((data / "jobs").iterdir())) == ["job.json"]
        finally:
            browser.close()


def test_a_file_removed_from_the_uploader_is_removed_from_the_disk(tmp_path):
    from playwright.sync_api import sync_playwright

    recording = field_recording(tmp_path / "terrain.wav", 30)
    with serve(tmp_path, "spool-remove") as (url, data, _), sync_playwright() as playwright:
        browser, page = open_upload_page(playwright, url)
        try:
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(recording))
            wait_until(lambda: list((data / "uploads").glob("*")), 60, "the spooled upload")
            page.get_by_test_id("stFileChip").filter(has_text="terrain.wav") \
                .get_by_role("button").click()
            wait_until(lambda: not list((data / "uploads").glob("*")), 30,
                       "the spooled file removed")
        finally:
            browser.close()


def test_only_our_own_markers_name_a_spooled_file(tmp_path):
    from transcribe.web.spool import MARKER, Spooled, spooled_path

    record = Spooled(name="a.wav", size=10, token="0" * 32)
    assert Spooled.decode(record.encode()) == record
    assert Spooled.decode(b"RIFF....WAVEfmt ") is None  # a file's own bytes
    for bad in (b"{", b'{"name": "a"}', b'{"name": "a", "size": 1, "token": "../../etc"}',
                b'{"name": "a", "size": 1, "token": "' + b"g" * 32 + b'"}'):
        assert Spooled.decode(MARKER + bad) is None
    assert spooled_path(tmp_path, record) is None  # not (or no longer) there
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / ("0" * 32)).write_bytes(b"x")
    assert spooled_path(tmp_path, record) == tmp_path / "uploads" / ("0" * 32)
    assert spooled_path(tmp_path, Spooled("a.wav", 10, refused="upload.no_space")) is None
