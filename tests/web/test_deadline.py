"""The deadline enforced by the server itself: at TRANSCRIBE_DELETE_AT a live
`transcribe-web` cancels the running job, closes open websockets, empties the data folder
and serves only the "deleted" page (health still answers), the recording's URL included; a
deadline that cannot be read stops the start; the purge itself on a folder, with a
clock."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from editor_support import seed_job
from test_gate import (
    PASSWORD,
    closed_within,
    idle,
    login,
    refused_websocket,
    request,
    session_id_of,
    websocket,
)
from web_support import interview, live_server, seed_done, tone_wav

from transcribe.jobs import JobStore
from transcribe.pipeline import Cancelled, PipelineOptions
from transcribe.web import documents
from transcribe.web.deadline import Deadline

SPEECH = ("Good morning and thank you for coming today. Can you tell me about your work at "
          "the hospital, and what you like most about it? I have worked there for ten years.")


def long_recording(folder: Path, minutes: float = 8.0) -> Path:
    """Minutes of espeak speech: far longer to transcribe than the test waits."""
    for tool in ("espeak-ng", "ffmpeg"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not installed")
    voice = folder / "voice.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(voice), SPEECH], check=True)
    recording = folder / "long.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(voice),
                    "-t", str(minutes * 60), "-ar", "16000", "-ac", "1", str(recording)],
                   check=True)
    return recording


def status_of(data: Path, name: str = "entretien.wav") -> str | None:
    """The status of the job uploaded as `name` (others may sit beside it, in any order)."""
    records = [json.loads(p.read_text()) for p in (data / "jobs").glob("*/job.json")]
    return next((r["status"] for r in records if r["name"] == name), None)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
    return value


@pytest.mark.slow
@pytest.mark.live
def test_at_the_deadline_the_job_stops_the_data_goes_and_the_page_says_so(tmp_path):
    data = tmp_path / "data"
    options = PipelineOptions()
    options.model.name, options.model.device = "base", "cpu"
    JobStore(data).create("entretien.wav", long_recording(tmp_path, 15), options)  # queued
    done = seed_job(data, tone_wav(tmp_path / "tone.wav", 3.0), interview(), "fini.wav")
    audio = f"/_transcribe/audio/{done}"
    # Long enough for the server to start on a loaded machine; 15 minutes of speech take
    # far longer than that to transcribe on a CPU, so the job is running at the deadline.
    at = datetime.now(UTC) + timedelta(seconds=45)
    with live_server(tmp_path, TRANSCRIBE_PASSWORD=PASSWORD,
                     TRANSCRIBE_DELETE_AT=at.strftime("%Y-%m-%dT%H:%M:%SZ")) as (url, _, log):
        _, cookie, _ = login(url)
        assert request(url, "/", cookie=cookie)[0] == 200
        status, headers, _ = request(url, audio, cookie=cookie, headers={"Range": "bytes=0-9"})
        assert (status, headers["content-type"]) == (206, "audio/mpeg")
        with websocket(url, cookie, origin=url) as tab:  # a tab left open, idle
            session_id_of(tab)
            idle(tab)
            wait_for(lambda: status_of(data) == "running", 40, "the job to run")
            assert datetime.now(UTC) < at - timedelta(seconds=1), "started too late"
            # At the deadline: the tab is closed at once, the running job is cancelled
            # and every file deleted.
            assert closed_within(tab, (at - datetime.now(UTC)).total_seconds() + 5)
        wait_for(lambda: data.is_dir() and not any(data.iterdir()),
                 (at - datetime.now(UTC)).total_seconds() + 40, "the data to go")
        for who, path in ((cookie, "/"), (cookie, "/review"), (None, "/"),
                          (None, "/login"), (cookie, "/_stcore/metrics"), (cookie, audio)):
            status, _, page = request(url, path, cookie=who)
            assert status == 410, path
            assert "Ce service a été supprimé" in page and "This service has been deleted" in page
        assert request(url, "/login", "POST", body=b"password=" + PASSWORD.encode())[0] == 410
        assert refused_websocket(url, cookie) == 403
        assert request(url, "/_stcore/health")[0] == 200  # the pod stays healthy
        time.sleep(1.0)
        assert not any(data.iterdir())  # and nothing comes back
    text = log.read_text()
    assert "deadline reached" in text and "entretien" not in text
    # The job was still going when the deadline came, and was stopped.
    assert text.index("cancel requested") > text.index("deadline reached")
    assert ": done after" not in text.split("deadline reached")[0]


@pytest.mark.live
def test_a_deadline_that_cannot_be_read_stops_the_start(tmp_path):
    """Fails closed: a service that cannot tell when to delete the data does not serve it
    (an administrator's typo, in the European order)."""
    data = tmp_path / "data"
    JobStore(data).create("entretien.wav", b"RIFF....", PipelineOptions())
    with pytest.raises(RuntimeError, match="did not start") as stopped, \
            live_server(tmp_path, TRANSCRIBE_PASSWORD=PASSWORD,
                        TRANSCRIBE_DELETE_AT="07/12/2026 05:00"):
        pass
    said = str(stopped.value)
    assert "TRANSCRIBE_DELETE_AT='07/12/2026 05:00' is not a date and time such as " \
        "2026-11-26T10:00:00Z" in said and "does not start" in said
    assert "le service ne démarre pas" in said
    assert status_of(data) == "queued"  # nothing was touched either


@pytest.mark.live
def test_a_deadline_already_passed_at_start_deletes_before_serving(tmp_path):
    data = tmp_path / "data"
    JobStore(data).create("entretien.wav", b"RIFF....", PipelineOptions())
    with live_server(tmp_path, TRANSCRIBE_DELETE_AT="2020-01-01T00:00:00Z") as (url, _, _):
        assert not any(data.iterdir())
        assert request(url, "/")[0] == 410
        assert request(url, "/_stcore/health")[0] == 200


def test_purge_empties_the_folder_but_keeps_it(tmp_path):
    now = [1000.0]
    deadline = Deadline(datetime.fromtimestamp(1010.0, UTC), tmp_path,
                        clock=lambda: now[0])
    (tmp_path / "jobs" / "a").mkdir(parents=True)
    (tmp_path / "jobs" / "a" / "source.wav").write_bytes(b"x")
    (tmp_path / "stray.tmp").write_bytes(b"x")
    assert not deadline.passed() and deadline.seconds_left() == 10.0
    now[0] = 1010.0
    assert deadline.passed()
    assert deadline.purge() == 0
    assert tmp_path.is_dir() and not any(tmp_path.iterdir())
    assert not Deadline(None, tmp_path).passed()


def test_the_purge_takes_uploads_in_progress_too(tmp_path):
    """An upload being written (the spool's folder) is data like any other."""
    deadline = Deadline(datetime.fromtimestamp(0, UTC), tmp_path)
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "0123abcd").write_bytes(b"RIFF half an interview")
    (tmp_path / "jobs").mkdir()
    assert deadline.purge() == 0 and not any(tmp_path.iterdir())


def test_enforcing_the_deadline_forgets_the_transcripts_held_in_memory(tmp_path):
    store = JobStore(tmp_path / "data")
    job = seed_done(store)
    transcript = store.load_transcript(job)
    documents.prepare(store, job, transcript, store.transcript_path(job).stat().st_mtime_ns)
    assert job.id in documents.kept_jobs()
    Deadline(datetime.fromtimestamp(0, UTC), store.data_dir).enforce()
    assert not any(store.data_dir.iterdir())
    assert documents.kept_jobs() == set()  # nothing of the interview left in memory


def test_enforcing_cancels_the_running_job_stops_the_queue_and_empties_the_folder(
        data_dir, monkeypatch, caplog):
    from transcribe.web import state

    started, seen = threading.Event(), []

    def runner(path, options, progress, cancelled):
        started.set()
        while not cancelled():  # a long transcription, checking for a cancel
            time.sleep(0.01)
        seen.append("cancelled")
        raise Cancelled()

    monkeypatch.setattr(state, "make_runner", lambda: runner)
    state.stop_queues()
    try:
        queue = state.job_queue(str(data_dir))
        queue.submit("entretien.wav", b"RIFF....", PipelineOptions())
        assert started.wait(30)
        caplog.set_level("INFO", logger="transcribe.web.deadline")
        Deadline(datetime.fromtimestamp(0, UTC), data_dir).enforce()
        assert seen == ["cancelled"] and not queue.alive
        assert data_dir.is_dir() and not any(data_dir.iterdir())
        messages = [r.getMessage() for r in caplog.records]
        assert "deadline reached: stopping the work and deleting every file" in messages
        assert "deadline: the data folder is empty" in messages
    finally:
        state.stop_queues()


def test_the_purge_removes_links_not_what_they_point_to(tmp_path):
    data, elsewhere = tmp_path / "data", tmp_path / "elsewhere"
    (elsewhere / "inside").mkdir(parents=True)
    (elsewhere / "inside" / "keep.txt").write_text("not ours")
    data.mkdir()
    (data / "folder-link").symlink_to(elsewhere / "inside")
    (data / "file-link").symlink_to(elsewhere / "inside" / "keep.txt")
    (data / "dangling").symlink_to(tmp_path / "nothing")
    assert Deadline(None, data).purge() == 0
    assert not any(data.iterdir())
    assert (elsewhere / "inside" / "keep.txt").read_text() == "not ours"
    assert Deadline(None, tmp_path / "missing").purge() == 0  # no folder: nothing to do


def test_the_watch_waits_for_the_deadline_then_enforces_it(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "x").write_text("interview")
    soon = datetime.now(UTC) + timedelta(seconds=0.3)
    deadline = Deadline(soon, tmp_path)

    async def watch_a_while() -> None:
        watching = asyncio.create_task(deadline.watch())
        await asyncio.sleep(0.1)
        assert (tmp_path / "jobs" / "x").exists()  # not yet
        while any(tmp_path.iterdir()):
            assert not watching.done()
            await asyncio.sleep(0.05)
        watching.cancel()

    asyncio.run(asyncio.wait_for(watch_a_while(), 30))
    assert datetime.now(UTC) >= soon
    # Without a deadline there is nothing to watch.
    asyncio.run(asyncio.wait_for(Deadline(None, tmp_path).watch(), 5))
    assert Deadline(None, tmp_path).seconds_left() is None


def test_after_the_deadline_the_folder_is_emptied_again_and_again(tmp_path, monkeypatch):
    from transcribe.web import deadline as module

    monkeypatch.setattr(module, "RECHECK", 0.05)
    deadline = Deadline(datetime.fromtimestamp(0, UTC), tmp_path)

    async def watch_a_while() -> None:
        watching = asyncio.create_task(deadline.watch())
        for round_ in range(3):  # a stopping job writes one last file, more than once
            await asyncio.sleep(0.1)
            (tmp_path / f"late-{round_}.json").write_text("{}")
            while any(tmp_path.iterdir()):
                assert not watching.done()
                await asyncio.sleep(0.02)
        watching.cancel()

    asyncio.run(asyncio.wait_for(watch_a_while(), 30))


def test_a_job_that_does_not_stop_does_not_hold_the_purge_back(data_dir, monkeypatch):
    from transcribe.web import deadline as module
    from transcribe.web import state

    monkeypatch.setattr(module, "STOP_TIMEOUT", 0.2)
    started, release = threading.Event(), threading.Event()

    def deaf(path, options, progress, cancelled):  # a long decoding step: no cancel check
        started.set()
        release.wait(30)
        raise Cancelled()

    monkeypatch.setattr(state, "make_runner", lambda: deaf)
    state.stop_queues()
    try:
        state.job_queue(str(data_dir)).submit("entretien.wav", b"RIFF....", PipelineOptions())
        assert started.wait(30)
        enforcing = threading.Thread(
            target=Deadline(datetime.fromtimestamp(0, UTC), data_dir).enforce)
        enforcing.start()
        enforcing.join(10)
        assert not enforcing.is_alive()  # it gave up waiting for the job
        assert not any(data_dir.iterdir())
    finally:
        release.set()
        state.stop_queues()


def test_an_entry_that_cannot_be_deleted_is_counted_logged_and_tried_again(tmp_path, caplog):
    stuck = tmp_path / "stuck.json"
    stuck.write_text("{}")
    (tmp_path / "other").write_text("x")
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(stuck)],
                                                     capture_output=True).returncode:
        pytest.skip("no immutable files here (chattr)")
    caplog.set_level("INFO", logger="transcribe.web.deadline")
    deadline = Deadline(None, tmp_path)
    try:
        assert deadline.purge() == 1
        assert [p.name for p in tmp_path.iterdir()] == ["stuck.json"]
        assert caplog.messages == [
            "deadline: an entry of the data folder could not be deleted (PermissionError)"]
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=True)
    assert deadline.purge() == 0 and not any(tmp_path.iterdir())
    assert caplog.messages[-1] == "deadline: the data folder is empty"


def test_jobs_that_cannot_all_be_deleted_do_not_stop_the_rest(data_dir, monkeypatch, caplog):
    """The queue's own deletion fails (a file that cannot be deleted, here immutable): the
    deadline says so and goes on: everything else goes, and no job starts again."""
    from transcribe.web import state

    monkeypatch.setattr(state, "make_runner", lambda: None)  # no job is submitted
    state.stop_queues()
    stuck = data_dir / "jobs" / "leftover" / "stuck.bin"
    try:
        queue = state.job_queue(str(data_dir))
        stuck.parent.mkdir(parents=True)
        stuck.write_bytes(b"x")
        (data_dir / "uploads").mkdir()
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(stuck)],
                                                         capture_output=True).returncode:
            pytest.skip("no immutable files here (chattr)")
        caplog.set_level("INFO", logger="transcribe.web.deadline")
        Deadline(datetime.fromtimestamp(0, UTC), data_dir).enforce()
        assert "deadline: the jobs could not all be deleted at once; going on" in caplog.messages
        assert not queue.alive
        assert sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*")) == [
            "jobs", "jobs/leftover", "jobs/leftover/stuck.bin"]
    finally:
        if stuck.exists():
            subprocess.run(["chattr", "-i", str(stuck)], check=True)
        state.stop_queues()
