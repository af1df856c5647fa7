"""The worker listener over real HTTP: a launch's token opens the jobs it claimed while
they run, and nothing else, nor anything once its launch has ended; no token, a wrong one
or the user's cookie opens nothing (401 before any body is read)."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest

from transcribe.i18n import Notice
from transcribe.jobs import CANCELLED, DONE, FAILED, RUNNING, JobQueue, JobStore
from transcribe.pipeline import PipelineOptions
from transcribe.transcript import Segment, Transcript
from transcribe.workers.config import WorkerConfig
from transcribe.workers.launches import ENDED, MAIN


def call(url: str, method: str, path: str, token: str | None = None,
         body: dict | None = None, headers: dict | None = None) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    connection.request(method, "/worker/v1" + path, body=data, headers=sent)
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    return response.status, answer


@pytest.fixture
def listening(tmp_path):
    """A queue whose worker listener answers, and no dispatcher loop: the test plays the
    workers, with tokens from the ledger."""
    queue = JobQueue(JobStore(tmp_path / "data"), listening_copies=False,
                     workers=WorkerConfig())
    queue.dispatcher.start()
    yield queue
    queue.dispatcher.close()


def test_a_token_opens_only_the_jobs_its_worker_claimed_and_only_while_they_run(listening):
    queue, dispatcher = listening, listening.dispatcher
    url = dispatcher.listener.url
    first = queue.submit("entretien.wav", b"first recording", PipelineOptions())
    second = queue.submit("autre.wav", b"second recording", PipelineOptions())
    mine, token = dispatcher.launches.new(MAIN, "kubernetes", True)
    _, other = dispatcher.launches.new(MAIN, "kubernetes", True)

    status, answer = call(url, "POST", "/claim", token, {})
    claimed = json.loads(answer)["job"]
    assert status == 200 and claimed["id"] == first.id and "path" not in claimed
    assert queue.store.get(first.id).status == RUNNING
    assert call(url, "GET", f"/jobs/{first.id}/media", token) == (200, b"first recording")

    # Not claimed by this token's worker: nothing, whatever the route.
    for job_id, key in ((second.id, token), (first.id, other)):
        assert call(url, "GET", f"/jobs/{job_id}/media", key)[0] == 403
        assert call(url, "POST", f"/jobs/{job_id}/progress", key,
                    {"stage": "asr", "fraction": 0.5})[0] == 403
        assert call(url, "POST", f"/jobs/{job_id}/failure", key,
                    {"error": {"key": "x", "params": {}}})[0] == 403
    assert queue.store.get(first.id).status == RUNNING  # nothing the other token did stuck

    # Its own job: progress (and the answer carries the cancel), then the result.
    status, answer = call(url, "POST", f"/jobs/{first.id}/progress", token,
                          {"stage": "asr", "fraction": 0.5})
    assert status == 200 and json.loads(answer) == {"cancel": False}
    transcript = Transcript(language="fr", duration=1.0, segments=[Segment(0, 1, "Bonjour.")],
                            source="source.wav")
    assert call(url, "POST", f"/jobs/{first.id}/result", token, transcript.to_dict())[0] == 200
    done = queue.store.get(first.id)
    assert done.status == DONE and queue.store.load_transcript(done).source == "entretien.wav"
    # Its run is over: the job is closed to it.
    assert call(url, "GET", f"/jobs/{first.id}/media", token)[0] == 403
    assert call(url, "POST", f"/jobs/{first.id}/result", token, transcript.to_dict())[0] == 403

    # A cancel reaches the worker in the progress answer; a cancelled report ends the job.
    call(url, "POST", "/claim", token, {})
    queue.cancel(second.id)
    status, answer = call(url, "POST", f"/jobs/{second.id}/progress", token,
                          {"stage": "asr", "fraction": 0.1})
    assert json.loads(answer) == {"cancel": True}
    assert call(url, "POST", f"/jobs/{second.id}/failure", token, {"cancelled": True})[0] == 200
    assert queue.store.get(second.id).status == CANCELLED

    # The launch ended: its token opens nothing, not even a claim with jobs queued.
    third = queue.submit("trois.wav", b"third", PipelineOptions())
    dispatcher.launches.update(mine.id, state=ENDED)
    assert call(url, "POST", "/claim", token, {})[0] == 401
    assert call(url, "GET", f"/jobs/{first.id}/media", token)[0] == 401
    # A failure report: the job fails with the worker's message key, nothing else.
    status, answer = call(url, "POST", "/claim", other, {})
    assert json.loads(answer)["job"]["id"] == third.id
    assert call(url, "POST", f"/jobs/{third.id}/failure", other,
                {"error": {"key": "audio.unreadable", "params": {"name": "source.wav"}}}
                )[0] == 200
    assert queue.store.get(third.id).status == FAILED
    assert queue.store.get(third.id).error == Notice("audio.unreadable",
                                                     {"name": "trois.wav"})


def test_no_token_a_wrong_one_or_a_cookie_opens_nothing(listening):
    queue, url = listening, listening.dispatcher.listener.url
    job = queue.submit("entretien.wav", b"recording", PipelineOptions())
    _, token = queue.dispatcher.launches.new(MAIN, "process", False)
    for key, headers in ((None, {}), ("x" * 43, {}),
                         (None, {"Cookie": f"transcribe_session={token}"}),
                         (None, {"Authorization": f"Basic {token}"})):
        assert call(url, "POST", "/claim", key, {}, headers)[0] == 401
        assert call(url, "GET", f"/jobs/{job.id}/media", key, headers=headers)[0] == 401
    assert queue.store.get(job.id).status != RUNNING
    # Outside the worker routes: nothing at all, token or not.
    assert call(url, "GET", "/../../_stcore/health", token)[0] == 404
    status, _ = call(url, "GET", f"/jobs/{job.id}/../../claim", token)
    assert status in (403, 404)
    # A claim by a process worker names the file where it is (same machine).
    status, answer = call(url, "POST", "/claim", token, {})
    assert json.loads(answer)["job"]["path"].endswith(f"{job.id}/source.wav")


def test_the_bar_never_goes_backwards_whatever_the_worker_reports(listening, monkeypatch):
    """A worker's reports over HTTP: a stretch decoded again, a late report of an earlier
    stage; the record's progress (what the page's bar shows) only grows."""
    from transcribe.jobs import queue as queue_module

    monkeypatch.setattr(queue_module, "PROGRESS_INTERVAL", 0.0)
    queue, dispatcher = listening, listening.dispatcher
    url = dispatcher.listener.url
    job = queue.submit("entretien.wav", b"recording", PipelineOptions(diarize=True),
                       duration=60.0)
    _, token = dispatcher.launches.new(MAIN, "process", False)
    call(url, "POST", "/claim", token, {})
    shown = []
    for stage, fraction in (("decode", 1.0), ("asr", 0.8), ("asr", 0.4), ("diarize", 0.3),
                            ("align", 1.0), ("asr", 0.9), ("diarize", 0.2)):
        assert call(url, "POST", f"/jobs/{job.id}/progress", token,
                    {"stage": stage, "fraction": fraction})[0] == 200
        record = queue.store.get(job.id)
        shown.append((record.stage, record.fraction))
    fractions = [fraction for _, fraction in shown]
    assert fractions == sorted(fractions) and fractions[1] > 0
    assert [stage for stage, _ in shown][3:] == ["diarize"] * 4
