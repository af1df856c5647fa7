"""The deadline enforced by the server itself: at TRANSCRIBE_DELETE_AT a live
`transcribe-web` cancels the running job, closes open websockets, empties the data folder
and serves only the "deleted" page (health still answers), the recording's URL included; a
deadline that cannot be read stops the start; the purge itself on a folder, with a
clock."""

from __future__ import annotations

import json
import shutil
import subprocess
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
from web_support import interview, live_server, tone_wav

from transcribe.jobs import JobStore
from transcribe.pipeline import PipelineOptions
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
