"""Uploads stream to the data folder (web/spool.py), end to end: a real `transcribe-web`,
real HTTP from Debian's headless Chromium through Streamlit's own uploader. Then the
upload request itself, sent by hand to the whole app served in this process (real HTTP,
Streamlit's own session and upload records): what is written, what is refused and why.

- A 200 MB recording goes to disk as it arrives: the server's peak memory during the
  upload stays far below the file's size, and "Start" gives the job that very file (same
  inode: linked, never copied).
- With a data volume too small for it (TRANSCRIBE_DATA_LIMIT_MB), the file is not
  written: the page says so at once, in the user's language, and "Start" lists it as a
  failed job with that reason.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import json
import logging
import os
import resource
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import pytest
from field_recording import field_recording
from test_browser import CHROMIUM, CHROMIUM_ARGS, serve, wait_until
from test_gate import made_up_xsrf_token, session_id_of, websocket
from web_support import app_server

from transcribe.i18n import Notice
from transcribe.web.spool import MARKER, Spooled, spooled_path

# What each app server imports when it starts and runs the page, imported once at
# collection instead: mutation testing runs each mutant in a process forked from one that
# has collected the tests (half a second saved per mutant).
for _module in ("uvicorn", "transcribe.web.serve", "transcribe.web.state",
                "transcribe.web.accessibility", "transcribe.web.auth", "transcribe.web.display",
                "transcribe.web.language_choice", "transcribe.web.page_locale"):
    importlib.import_module(_module)

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


@pytest.mark.slow
@pytest.mark.browser
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


@pytest.mark.slow
@pytest.mark.browser
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


@pytest.mark.slow
@pytest.mark.browser
def test_a_file_removed_from_the_uploader_is_removed_from_the_disk(tmp_path):
    from playwright.sync_api import expect, sync_playwright

    recording = field_recording(tmp_path / "terrain.wav", 30)
    with serve(tmp_path, "spool-remove") as (url, data, _), sync_playwright() as playwright:
        browser, page = open_upload_page(playwright, url)
        try:
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(recording))
            # The app's size in the chip: the server's script has the file, so the upload is
            # over as the browser sees it too (a cancel that crosses the upload's end would
            # leave the file to the privacy page's list instead).
            chip = page.get_by_test_id("stFileChip").filter(has_text="terrain.wav")
            expect(chip.locator('[data-size="app"]')).to_be_visible(timeout=60_000)
            assert list((data / "uploads").glob("*")), "the spooled upload"
            chip.get_by_role("button").click()
            wait_until(lambda: not list((data / "uploads").glob("*")), 30,
                       "the spooled file removed")
        finally:
            browser.close()


def test_only_our_own_markers_name_a_spooled_file(tmp_path):
    record = Spooled(name="a.wav", size=10, token="0" * 32)
    assert Spooled.decode(record.encode()) == record
    assert Spooled.decode(b"RIFF....WAVEfmt ") is None  # a file's own bytes
    for bad in (b"{", b'{"name": "a"}', b'{"name": "a", "size": 1, "token": "../../etc"}',
                b'{"name": "a", "size": 1, "token": "' + b"g" * 32 + b'"}',
                b'{"name": "a", "size": 1, "token": "' + b"0" * 32 + b'\\n"}'):
        assert Spooled.decode(MARKER + bad) is None
    assert spooled_path(tmp_path, record) is None  # not (or no longer) there
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / ("0" * 32)).write_bytes(b"x")
    assert spooled_path(tmp_path, record) == tmp_path / "uploads" / ("0" * 32)
    assert spooled_path(tmp_path, Spooled("a.wav", 10, refused="upload.no_space")) is None

    assert Spooled.decode(MARKER + b"x" * 4096) is None  # a record is a few bytes
    refused = Spooled("a.wav", 10, refused="upload.no_space")
    assert Spooled.decode(refused.encode()) == refused
    assert Spooled.decode(MARKER + b'{"name": "a", "size": "ten"}') is None
    # A file's own bytes are never a record, even when they read as one past the marker's
    # length; a record is at most 4096 bytes.
    assert Spooled.decode(b"x" * len(MARKER) + b'{"name": "a", "size": 1}') is None
    largest = Spooled("", 1).encode()
    largest = Spooled("n" * (4096 - len(largest)), 1)
    assert len(largest.encode()) == 4096 and Spooled.decode(largest.encode()) == largest
    assert Spooled.decode(Spooled(largest.name + "n", 1).encode()) is None


def test_a_refused_upload_says_why_naming_the_file_as_the_user_named_it():
    refused = Spooled("a.wav", 10, refused="upload.no_space")
    assert refused.refusal("entretien é.wav") == Notice("upload.no_space",
                                                        {"name": "entretien é.wav"})
    assert Spooled("a.wav", 10, token="0" * 32).refusal("a.wav") is None


def test_a_part_read_a_byte_at_a_time_is_the_same_part(tmp_path):
    """The multipart parser hands the writer each piece of a header as it arrives: a
    header's name or value split between two network reads is read whole; a file name that
    is not UTF-8 is kept readable rather than failing the upload."""
    from python_multipart.multipart import MultipartParser

    from transcribe.web.spool import _PartWriter

    body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
            f"hello\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"entretien.wav\"\r\nContent-Type: audio/x-wav\r\n\r\n").encode()
    body += b"RIFF audio\r\n" + f"--{BOUNDARY}--\r\n".encode()
    bad_name = body.replace(b"entretien", b"entr\xe9tien").replace(b"RIFF", b"riff")
    for sent, name, audio in ((body, "entretien.wav", b"RIFF audio"),
                              (bad_name, "entr\ufffdtien.wav", b"riff audio")):
        # The spool folder, and the data folder above it, made if a purge removed them.
        target = tmp_path / name / "data" / "uploads" / "spooled"
        writer = _PartWriter(target)
        parser = MultipartParser(BOUNDARY.encode(), writer.callbacks())
        for byte in sent:
            parser.write(bytes([byte]))
        parser.finalize()
        assert anyio.run(writer.flush) is None
        writer.close()
        assert (writer.name, writer.content_type, writer.files, writer.size) == (
            name, "audio/x-wav", 1, len(audio))
        assert target.read_bytes() == audio


def test_a_disk_that_fills_up_while_written_refuses_the_rest_of_the_upload(tmp_path, caplog):
    """/dev/full answers every write with "no space left" (ENOSPC): it stands for the
    spooled file, opened, on a disk that has just filled up."""
    from transcribe.web.spool import _PartWriter

    caplog.set_level(logging.WARNING, logger="transcribe.web")
    target = tmp_path / "spooled"
    target.write_bytes(b"")
    writer = _PartWriter(target)
    writer.handle = open("/dev/full", "wb")  # closed by the writer
    writer.buffer += b"x" * 65536  # past the file object's own buffer: written at once
    assert anyio.run(writer.flush) == "upload.no_space"
    assert (writer.target, writer.handle, writer.pending) == (None, None, 0)
    assert not target.exists()
    assert caplog.messages == ["upload not saved: OSError (errno 28)"]
    writer.buffer += b"the rest"  # the rest of the body is dropped, nothing written
    assert anyio.run(writer.flush) is None and writer.pending == 0 and not target.exists()


# -- the upload request, in this process -------------------------------------------------

BOUNDARY = "spool-test-boundary"


def multipart(*files: tuple[str, bytes], field: str = "file", note: str = "hello",
              size: int | None = None) -> bytes:
    """A multipart body as Streamlit's uploader sends it, with a plain field first (padded
    for the body to be `size` bytes long)."""
    def body_with(text: str) -> bytes:
        body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
                f"{text}\r\n").encode()
        for name, data in files:
            body += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                     f"filename=\"{name}\"\r\nContent-Type: audio/wav\r\n\r\n").encode()
            body += data + b"\r\n"
        return body + f"--{BOUNDARY}--\r\n".encode()

    body = body_with(note)
    return body if size is None else body_with(note + "x" * (size - len(body)))


def chunked(body: bytes, piece: int = 65536) -> bytes:
    """`body` in HTTP/1.1 chunks (no length announced)."""
    return b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + piece]), body[i:i + piece])
                    for i in range(0, len(body), piece)) + b"0\r\n\r\n"


class Client:
    """A browser tab of the app: its Streamlit session, an XSRF pair, uploads by hand."""

    def __init__(self, url: str, session_id: str):
        self.url, self.session_id = url, session_id
        self.xsrf = made_up_xsrf_token()

    def put(self, file_id: str, body: bytes, content_type: str | None = None,
            xsrf: str | None = None, session_id: str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        token = self.xsrf if xsrf is None else xsrf
        sent = {"Content-Type": content_type or f"multipart/form-data; boundary={BOUNDARY}",
                "X-Xsrftoken": token, "Cookie": f"_streamlit_xsrf={self.xsrf}",
                **(headers or {})}
        path = f"/_stcore/upload_file/{session_id or self.session_id}/{file_id}"
        connection.request("PUT", path, body=body, headers=sent)
        response = connection.getresponse()
        response.read()
        found = {k.lower(): v for k, v in response.getheaders()}
        connection.close()
        return response.status, found

    def raw(self, lines: list[str], body: bytes = b"") -> bytes:
        """A request written by hand (headers http.client would not send)."""
        parts = urlsplit(self.url)
        with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
            head = "\r\n".join([*lines, f"Host: {parts.netloc}", f"X-Xsrftoken: {self.xsrf}",
                                 f"Cookie: _streamlit_xsrf={self.xsrf}"])
            sock.sendall(head.encode() + b"\r\n\r\n" + body)
            return sock.recv(4096)

    def delete(self, file_id: str) -> int:
        parts = urlsplit(self.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.request("DELETE", f"/_stcore/upload_file/{self.session_id}/{file_id}",
                           headers={"X-Xsrftoken": self.xsrf,
                                    "Cookie": f"_streamlit_xsrf={self.xsrf}"})
        status = connection.getresponse().status
        connection.close()
        return status

    def record(self, file_id: str) -> Spooled | None:
        """What Streamlit's upload record for `file_id` holds."""
        found = self.streamlit_record(file_id)
        return Spooled.decode(found.data) if found else None

    def streamlit_record(self, file_id: str):
        """Streamlit's own upload record (UploadedFileRec) for `file_id`, if any."""
        from streamlit.runtime import Runtime

        records = Runtime.instance().uploaded_file_mgr.get_files(self.session_id, [file_id])
        return records[0] if records else None


@contextlib.contextmanager
def tab(data: Path, **settings: str) -> Iterator[Client]:
    with app_server(data, **settings) as url, websocket(url) as socket_:
        # Its closing handshake is not waited for (the server may take a second to answer
        # it): a tab's end needs none.
        socket_.close_timeout = 0.1
        yield Client(url, session_id_of(socket_))


def spooled_files(data: Path) -> list[Path]:
    folder = data / "uploads"
    return sorted(folder.iterdir()) if folder.is_dir() else []

def http_status(url: str, method: str, path: str) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(method, path)
    status = connection.getresponse().status
    connection.close()
    return status


@pytest.fixture(scope="class")
def uploads(tmp_path_factory) -> Iterator[tuple[Client, Path]]:
    data = tmp_path_factory.mktemp("spool") / "data"
    (data / "uploads").mkdir(parents=True)
    (data / "uploads" / "left-by-the-last-run").write_bytes(b"x")
    with tab(data, TRANSCRIBE_MAX_UPLOAD_MB="1") as client:
        assert not (data / "uploads").exists()  # a restart keeps no upload
        yield client, data


class TestOneServer:
    """Uploads to one app (uploads of 1 MB at most); the class's end stops it before the
    next test starts its own (one Streamlit runtime per process)."""

    def test_an_upload_is_written_to_the_data_folder_and_named_in_streamlits_record(self, uploads):
        client, data = uploads
        audio = os.urandom(300_000)
        status, headers = client.put("f1", multipart(("entretien é.wav", audio)))
        assert status == 204
        assert headers["access-control-allow-methods"] == "PUT, OPTIONS, DELETE"
        assert headers["access-control-allow-headers"] == "X-Xsrftoken, Content-Type"
        record = client.record("f1")
        assert record is not None and record.refused is None
        assert (record.name, record.size) == ("entretien é.wav", len(audio))
        path = spooled_path(data, record)
        assert path is not None and path.read_bytes() == audio
        # Removed from the uploader: removed from the disk, and from Streamlit's records.
        assert client.delete("f1") == 204
        assert not path.exists() and client.record("f1") is None

    def test_an_upload_of_the_largest_size_is_taken_and_one_byte_more_is_not(self, uploads):
        client, data = uploads
        largest = 1024 * 1024  # TRANSCRIBE_MAX_UPLOAD_MB=1
        assert client.put("big", multipart(("a.wav", b"a" * largest)))[0] == 204
        assert client.record("big").size == largest
        assert client.put("bigger", multipart(("b.wav", b"b" * (largest + 1))))[0] == 413
        assert client.record("bigger") is None
        # Announced larger than the limit and its multipart overhead: refused unread.
        answer = client.raw([f"PUT /_stcore/upload_file/{client.session_id}/huge HTTP/1.1",
                             f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
                             f"Content-Length: {largest + 64 * 1024 + 1}"])
        assert answer.startswith(b"HTTP/1.1 413")
        # Sent in chunks with no length announced: counted as it comes.
        answer = client.raw([f"PUT /_stcore/upload_file/{client.session_id}/chunked HTTP/1.1",
                             f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
                             "Transfer-Encoding: chunked"],
                            chunked(multipart(("c.wav", b"c" * (largest + 70 * 1024)))))
        assert answer.startswith(b"HTTP/1.1 413")
        # A body of exactly the limit and its multipart overhead is read, announced or not;
        # past it, even in a field that is not the file, it is refused.
        exact = multipart(("d.wav", b"d" * largest), size=largest + 64 * 1024)
        assert client.put("exact", exact)[0] == 204
        answer = client.raw([f"PUT /_stcore/upload_file/{client.session_id}/exact-chunked "
                             "HTTP/1.1",
                             f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
                             "Transfer-Encoding: chunked"], chunked(exact))
        assert answer.startswith(b"HTTP/1.1 204")
        answer = client.raw([f"PUT /_stcore/upload_file/{client.session_id}/big-note HTTP/1.1",
                             f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
                             "Transfer-Encoding: chunked"],
                            chunked(multipart(("e.wav", b"e"), note="n" * 2 * largest)))
        assert answer.startswith(b"HTTP/1.1 413")
        assert [client.record(f) is None for f in ("exact", "exact-chunked", "big-note")] == [
            False, False, True]
        for file_id in ("big", "exact", "exact-chunked"):
            assert client.delete(file_id) == 204
        assert spooled_files(data) == []  # nothing refused is left on disk

    def test_an_empty_file_is_refused_as_empty(self, uploads):
        """0 bytes write no file: the record says the file is empty (not that it was
        deleted meanwhile, which is what a missing spooled file would mean)."""
        client, data = uploads
        assert client.put("empty", multipart(("vide.wav", b"")))[0] == 204
        record = client.record("empty")
        assert (record.size, record.token, record.refused) == (0, None, "audio.empty_file")
        assert record.refusal("vide.wav") == Notice("audio.empty_file", {"name": "vide.wav"})
        assert spooled_files(data) == []
        assert client.delete("empty") == 204

    def test_uploads_that_are_not_one_file_from_this_tab_are_refused(self, uploads):
        client, data = uploads
        one = multipart(("a.wav", b"RIFF"))
        assert client.put("x1", one, xsrf="made-up")[0] == 403
        assert client.put("x2", one, session_id="not-a-session")[0] == 400
        assert client.put("x3", one, content_type="application/octet-stream")[0] == 400
        assert client.put("x4", one, content_type="multipart/form-data")[0] == 400  # no boundary
        assert client.put("x9", one, content_type=f"text/plain; boundary={BOUNDARY}")[0] == 400
        assert client.put("x5", multipart(("a.wav", b"1"), ("b.wav", b"2")))[0] == 400
        assert client.put("x6", multipart())[0] == 400  # no file at all
        assert client.put("x7", b"--" + BOUNDARY.encode() + b"\r\ngarbage")[0] == 400
        answer = client.raw([f"PUT /_stcore/upload_file/{client.session_id}/x8 HTTP/1.1",
                             f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
                             "Content-Length: lots"])
        assert answer.startswith(b"HTTP/1.1 400")
        assert all(client.record(f"x{n}") is None for n in range(1, 10))
        assert spooled_files(data) == []

    def test_the_file_part_is_found_wherever_it_is_and_named_as_sent(self, uploads):
        client, data = uploads
        body = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"premier.m4a\"\r\n\r\nAUDIO\r\n"
                f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n"
                f"Content-Type: text/plain\r\n\r\nnot audio\r\n--{BOUNDARY}--\r\n").encode()
        assert client.put("first", body)[0] == 204  # the file first, no type of its own
        found = client.streamlit_record("first")
        assert (found.name, found.type) == ("premier.m4a", "application/octet-stream")
        record = client.record("first")
        assert spooled_path(data, record).read_bytes() == b"AUDIO" and record.size == 5
        assert client.put("typed", multipart(("b.wav", b"B")))[0] == 204
        found = client.streamlit_record("typed")
        assert (found.name, found.type, found.file_id) == ("b.wav", "audio/wav", "typed")
        assert client.delete("first") == 204 and client.delete("typed") == 204

    def test_an_upload_another_way_does_not_stop_the_sweep(self, uploads):
        from streamlit.runtime import Runtime
        from streamlit.runtime.uploaded_file_manager import UploadedFileRec

        client, _ = uploads
        Runtime.instance().uploaded_file_mgr.add_file(client.session_id, UploadedFileRec(
            file_id="raw", name="r.wav", type="audio/wav", data=b"RIFF raw bytes"))
        assert client.put("after", multipart(("a.wav", b"A")))[0] == 204
        assert client.record("after").token and client.delete("after") == 204

    def test_an_orphan_goes_at_the_next_upload_and_a_named_file_stays(self, uploads):
        client, data = uploads
        assert client.put("kept", multipart(("a.wav", b"kept")))[0] == 204
        kept = spooled_path(data, client.record("kept"))
        orphan = data / "uploads" / ("0" * 32)
        orphan.write_bytes(b"a closed tab's upload")
        assert client.put("next", multipart(("b.wav", b"next")))[0] == 204
        assert not orphan.exists() and kept.exists()
        assert spooled_files(data) == sorted([kept, spooled_path(data, client.record("next"))])
        # Other requests go on to Streamlit untouched.
        assert http_status(client.url, "GET", "/_stcore/health") == 200
        assert client.delete("kept") == 204 and client.delete("next") == 204


@pytest.fixture(scope="class")
def limited(tmp_path_factory) -> Iterator[tuple[Client, Path]]:
    data = tmp_path_factory.mktemp("spool-limited") / "data"
    # 66 MB of volume, 64 MB kept free for the jobs' own files: 2 MB left.
    with tab(data, TRANSCRIBE_DATA_LIMIT_MB="66") as client:
        yield client, data


def open_upload(client: Client, file_id: str, length: int, body: bytes = b"") -> socket.socket:
    """An upload of `length` bytes announced, and `body` (the start of it) sent."""
    parts = urlsplit(client.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall("\r\n".join([
        f"PUT /_stcore/upload_file/{client.session_id}/{file_id} HTTP/1.1",
        f"Host: {parts.netloc}", f"X-Xsrftoken: {client.xsrf}",
        f"Cookie: _streamlit_xsrf={client.xsrf}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {length}", "", ""]).encode() + body)
    return sock


def wait_for(predicate, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


class TestALimitedVolume:
    """Uploads to one app whose data volume has 2 MB left for them; each test leaves the
    spool as it found it (the class's server is shared, in any order)."""

    def test_an_upload_that_does_not_fit_is_recorded_as_refused_and_not_written(self, limited,
                                                                              caplog):
        caplog.set_level(logging.WARNING, logger="transcribe.web")
        client, data = limited
        assert client.put("small", multipart(("petit.wav", b"s" * 1024)))[0] == 204
        assert client.record("small").refused is None
        assert client.put("large", multipart(("grand.wav", b"l" * 3 * 1024 * 1024)))[0] == 204
        record = client.record("large")
        assert record == Spooled("grand.wav", 3 * 1024 * 1024, None, "upload.no_space")
        assert [p.name for p in spooled_files(data)] == [
            spooled_path(data, client.record("small")).name]
        assert "upload refused: upload.no_space (3 MB)" in caplog.messages
        assert not any("grand" in message for message in caplog.messages)
        assert client.delete("small") == 204 and client.delete("large") == 204

    def test_space_being_written_is_reserved_and_a_failed_write_refuses_the_upload(
            self, limited, caplog):
        caplog.set_level(logging.WARNING, logger="transcribe.web")
        client, data = limited
        # Nothing held yet: 1 MB fits.
        assert client.put("alone", multipart(("a.wav", b"a" * 1024 * 1024)))[0] == 204
        assert client.record("alone").refused is None and client.delete("alone") == 204
        # An upload of 1.5 MB announced, its body not sent yet, holds its room...
        with open_upload(client, "first", 1536 * 1024) as first:
            # ...so that another of 1 MB no longer fits (once the first has arrived).
            deadline = time.monotonic() + 5  # the first one's headers read: milliseconds
            while True:
                assert client.put("second", multipart(("b.wav", b"b" * 1024 * 1024)))[0] == 204
                if client.record("second").refused == "upload.no_space":
                    break
                assert client.delete("second") == 204 and time.monotonic() < deadline
            # The first one's bytes go to disk as they arrive, not once all have come.
            audio = os.urandom(1536 * 1024 - 400)
            body = multipart(("a.wav", audio), size=1536 * 1024)
            first.sendall(body[:1200 * 1024])
            wait_for(lambda: any(p.stat().st_size >= 1024 * 1024 for p in spooled_files(data)),
                     "nothing written while it arrives")
            # What it still holds is what has not come yet (about 340 KB), not all of it: one
            # of 200 KB fits beside the MB already written.
            assert client.put("beside", multipart(("s.wav", b"s" * 200 * 1024)))[0] == 204
            assert client.record("beside").refused is None
            first.sendall(body[1200 * 1024:])
            assert first.recv(4096).startswith(b"HTTP/1.1 204")
        assert spooled_path(data, client.record("first")).read_bytes() == audio
        for file_id in ("first", "second", "beside"):
            assert client.delete(file_id) == 204
        # An upload whose client goes away is dropped, logged by its error's kind only, and
        # the room it held is free again.
        def ours() -> list[str]:
            return [r.getMessage() for r in caplog.records if r.name == "transcribe.web"]

        logged = len(ours())
        with open_upload(client, "gone", 1536 * 1024, body[:100_000]):
            pass
        wait_for(lambda: len(ours()) > logged, "the upload's end not logged")
        assert ours()[logged:] == ["upload not received: ClientDisconnect"]
        assert client.record("gone") is None and spooled_files(data) == []
        assert client.put("fits", multipart(("f.wav", b"f" * 1024 * 1024)))[0] == 204
        assert client.record("fits").refused is None and client.delete("fits") == 204
        # A body the multipart parser cannot read (a part header with no colon) is refused
        # as a bad request, and nothing of it is kept.
        garbled = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
                   f"filename=\"g.wav\"\r\nno colon here\r\n\r\nAUDIO\r\n"
                   f"--{BOUNDARY}--\r\n").encode()
        assert client.put("garbled", garbled)[0] == 400
        assert "upload not received: MultipartParseError" in caplog.messages
        assert client.record("garbled") is None and spooled_files(data) == []
        # A write that fails on the way (here: a file size limit) refuses the upload and
        # leaves nothing on disk.
        previous = resource.getrlimit(resource.RLIMIT_FSIZE)
        handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, previous[1]))
        try:
            status, _ = client.put("third", multipart(("c.wav", b"c" * 1536 * 1024)))
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, previous)
            signal.signal(signal.SIGXFSZ, handler)
        assert status == 204
        assert client.record("third") == Spooled("c.wav", 1536 * 1024, None,
                                                 "upload.save_failed")
        assert spooled_files(data) == []
        # A data folder where nothing can be written refuses the upload as not fitting.
        (data / "uploads").rmdir()
        (data / "uploads").write_text("not a folder")
        try:
            assert client.put("fourth", multipart(("d.wav", b"d")))[0] == 204
            assert client.record("fourth").refused == "upload.no_space"
        finally:
            (data / "uploads").unlink()
        for file_id in ("third", "fourth"):
            assert client.delete(file_id) == 204
