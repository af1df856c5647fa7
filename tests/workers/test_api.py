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


# -- the routes alone: the listener in front of a backend that records what it is asked --

TOKEN = "the-launchs-token"


class RecordingBackend:
    """Answers as the queue would; `answers` says what each call returns."""

    def __init__(self, folder):
        self.launch = object()
        self.calls: list[tuple] = []
        self.media = folder / "source.wav"
        self.media.write_bytes(b"\x00recording\xff" * 1000)
        self.answers = {"claim": {"id": "j1", "name": "entretien é"}, "progress": False,
                        "result": True, "failure": True, "media": self.media}

    def authenticate(self, token):
        self.calls.append(("authenticate", token))
        return self.launch if token == TOKEN else None

    def claim(self, launch):
        assert launch is self.launch
        self.calls.append(("claim",))
        return self.answers["claim"]

    def media_path(self, launch, job_id):
        self.calls.append(("media", job_id))
        return self.answers["media"]

    def progress(self, launch, job_id, stage, fraction):
        self.calls.append(("progress", job_id, stage, fraction))
        return self.answers["progress"]

    def result(self, launch, job_id, transcript):
        self.calls.append(("result", job_id, transcript))
        return self.answers["result"]

    def failure(self, launch, job_id, report):
        self.calls.append(("failure", job_id, report))
        return self.answers["failure"]


@pytest.fixture
def routes(tmp_path, caplog):
    from transcribe.workers.api import WorkerListener

    backend = RecordingBackend(tmp_path)
    with caplog.at_level("INFO", logger="transcribe.workers"):
        listener = WorkerListener(backend).start()
    assert caplog.messages[-1] == f"worker listener on port {listener.port}"
    backend.listener = listener
    yield backend
    listener.close()


def raw(listener, method: str, path: str, headers: dict | None = None,
        body: bytes | None = None):
    """One request on a fresh connection: (status, headers, body, the connection)."""
    connection = http.client.HTTPConnection("127.0.0.1", listener.port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read(), connection


def test_the_listener_binds_this_machine_only_and_never_holds_the_app_open(routes):
    listener = routes.listener
    assert listener.server.server_address[0] == "127.0.0.1" and listener.port > 1024
    assert listener.url == f"http://127.0.0.1:{listener.port}"
    assert listener._thread.daemon and listener.server.daemon_threads
    assert listener._thread.name == "transcribe-worker-listener"


def test_the_listener_closes(tmp_path):
    from transcribe.workers.api import WorkerListener

    listener = WorkerListener(RecordingBackend(tmp_path)).start()
    port = listener.port
    listener.close()
    with pytest.raises(ConnectionRefusedError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=5).connect()


def test_refusals_say_why_send_nothing_and_end_the_connection(routes):
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    status, headers, body, connection = raw(routes.listener, "POST", "/worker/v1/claim")
    assert (status, body) == (401, b"") and headers["WWW-Authenticate"] == "Bearer"
    assert headers["Content-Length"] == "0"
    assert headers["Server"].strip() == "transcribe-worker-listener"  # no Python version
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        connection.request("POST", "/worker/v1/claim", headers=bearer)
        connection.getresponse()
    # A 400 ends its connection too (the body may be unread); a success keeps it.
    status, headers, _, connection = raw(routes.listener, "POST", "/worker/v1/claim",
                                         bearer, b"[1]")
    assert status == 400 and headers["Content-Length"] == "0"
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        connection.request("POST", "/worker/v1/claim", headers=bearer)
        connection.getresponse()
    status, _, _, connection = raw(routes.listener, "POST", "/worker/v1/claim", bearer)
    connection.request("POST", "/worker/v1/claim", headers=bearer)
    assert status == 200 and connection.getresponse().status == 200


def test_only_a_bearer_token_is_read_and_only_under_the_prefix(routes):
    for header in (None, "Bearer", "Bearer    ", f"bearer {TOKEN}", f"Basic {TOKEN}",
                   f"Bearer{TOKEN}"):
        headers = {"Authorization": header} if header else {}
        assert raw(routes.listener, "POST", "/worker/v1/claim", headers)[0] == 401
    assert raw(routes.listener, "POST", "/worker/v1/claim",
               {"Authorization": f"Bearer  {TOKEN} "})[0] == 200
    tokens = [call[1] for call in routes.calls if call[0] == "authenticate"]
    assert tokens == [None, None, None, None, None, None, TOKEN]
    routes.calls.clear()
    for path in ("/", "/worker/v1", "/worker/v2/claim", "/_stcore/health"):
        assert raw(routes.listener, "POST", path, {"Authorization": f"Bearer {TOKEN}"})[0] \
            == 404
    assert routes.calls == []  # never even asked


def test_each_route_asks_the_backend_its_own_question(routes):
    bearer = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}

    def post(path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        return raw(routes.listener, "POST", path, bearer, data)[:3]
    status, headers, body = post("/worker/v1/claim?after=1?x=2")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body == '{"job": {"id": "j1", "name": "entretien é"}}'.encode()
    assert headers["Content-Length"] == str(len(body))
    routes.answers["claim"] = None
    assert post("/worker/v1/claim")[:1] == (204,)
    job = "/worker/v1/jobs/0a-1f"
    status, headers, body = post(f"{job}/progress", {"stage": "asr", "fraction": 0.25})
    assert (status, body, headers["Content-Length"]) == (200, b'{"cancel": false}', "17")
    routes.answers["progress"] = True
    assert post(f"{job}/progress", {})[2] == b'{"cancel": true}'
    routes.answers["progress"] = None  # not this launch's job
    assert post(f"{job}/progress", {"stage": "x"})[0] == 403
    assert post(f"{job}/result", {"segments": []})[2] == b'{"ok": true}'
    assert post(f"{job}/failure", {"cancelled": True})[2] == b'{"ok": true}'
    routes.answers["result"] = routes.answers["failure"] = False
    assert post(f"{job}/result", {"segments": []})[0] == 403
    assert post(f"{job}/failure", {})[0] == 403
    asked = [call for call in routes.calls if call[0] not in ("authenticate", "claim")]
    assert asked == [
        ("progress", "0a-1f", "asr", 0.25), ("progress", "0a-1f", "", 0.0),
        ("progress", "0a-1f", "x", 0.0),
        ("result", "0a-1f", {"segments": []}), ("failure", "0a-1f", {"cancelled": True}),
        ("result", "0a-1f", {"segments": []}), ("failure", "0a-1f", {})]


def test_wrong_methods_paths_and_bodies(routes):
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    job = "/worker/v1/jobs/0a-1f"
    for method, path in (("GET", f"{job}/progress"), ("GET", "/worker/v1/claim"),
                         ("POST", f"{job}/media")):
        assert raw(routes.listener, method, path, bearer, b"{}")[0] in (404, 405)
    assert raw(routes.listener, "GET", f"{job}/progress", bearer)[0] == 405
    assert raw(routes.listener, "POST", f"{job}/media", bearer, b'{"error": {}}')[0] == 405
    for method in ("PUT", "DELETE", "PATCH"):
        status, headers, _, _ = raw(routes.listener, method, f"{job}/result", bearer, b"{}")
        assert status == 405 and headers["Content-Length"] == "0"
    for path in (f"{job}/other", "/worker/v1/jobs/0A-1F/result", "/worker/v1/jobs//result",
                 f"{job}/result/x", f"x{job}/result"):
        assert raw(routes.listener, "POST", path, bearer, b"{}")[0] == 404
    for body in (b"{", b"[]", b'"text"'):
        assert raw(routes.listener, "POST", f"{job}/result", bearer, body)[0] == 400
    assert raw(routes.listener, "POST", f"{job}/progress", bearer,
               b'{"fraction": "half"}')[0] == 400
    assert [call[0] for call in routes.calls if call[0] != "authenticate"] == []
    # No body at all: an empty object.
    assert raw(routes.listener, "POST", f"{job}/failure", bearer)[0] == 200
    assert routes.calls[-1] == ("failure", "0a-1f", {})


def test_a_body_over_512_mib_is_refused_unread(routes):
    import socket

    def send(length: int) -> bytes:
        with socket.create_connection(("127.0.0.1", routes.listener.port), timeout=10) as s:
            s.sendall(f"POST /worker/v1/jobs/0a/result HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {TOKEN}\r\nContent-Length: {length}\r\n\r\n{{}}"
                      .encode())
            s.shutdown(socket.SHUT_WR)  # what was announced never comes
            return s.recv(200)
    assert send(512 * 1024 * 1024 + 1).startswith(b"HTTP/1.1 413 ")
    assert send(512 * 1024 * 1024).startswith(b"HTTP/1.1 200 ")  # read to its end
    assert routes.calls[-1] == ("result", "0a", {})


def test_media_is_the_recording_streamed(routes):
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    status, headers, body, _ = raw(routes.listener, "GET", "/worker/v1/jobs/0a/media", bearer)
    assert status == 200 and body == routes.media.read_bytes()
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Length"] == str(len(body))
    assert routes.calls[-1] == ("media", "0a")
    routes.answers["media"] = None  # not this launch's job
    assert raw(routes.listener, "GET", "/worker/v1/jobs/0a/media", bearer)[0] == 403
    routes.answers["media"] = routes.media.with_name("deleted.wav")  # deleted meanwhile
    assert raw(routes.listener, "GET", "/worker/v1/jobs/0a/media", bearer)[0] == 410


def test_a_post_without_content_length_has_an_empty_body(routes):
    import socket

    with socket.create_connection(("127.0.0.1", routes.listener.port), timeout=5) as s:
        s.sendall(f"POST /worker/v1/jobs/0a/failure HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {TOKEN}\r\n\r\n".encode())
        assert s.recv(200).startswith(b"HTTP/1.1 200 ")  # nothing waited for
    assert routes.calls[-1] == ("failure", "0a", {})
