"""The editor's document route (`web/documents.py`): the stored transcript as the editor
reads it, prepared aside by the review page, never an older version than the file's, and
nothing for a job that is not (or no longer) there. The gate in front of it is tested in
test_gate.py, with a real server."""

from __future__ import annotations

import asyncio
import gzip
import json
import os

from starlette.applications import Starlette
from web_support import seed_done

from transcribe import changes
from transcribe.jobs import JobStore
from transcribe.web import documents, language_choice
from transcribe.web.settings import load_settings


def get(app, path: str, headers: dict[str, str],
        method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """One GET (or `method`) straight through the ASGI app: (status, headers, body)."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "scheme": "http", "http_version": "1.1",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


def answer(found) -> dict:
    body, zipped = found.result(timeout=30)
    assert gzip.decompress(zipped) == body
    return json.loads(body)


def test_the_document_is_the_stored_transcript_at_its_latest_version(tmp_path):
    store = JobStore(tmp_path)
    job = seed_done(store)
    transcript = store.load_transcript(job)
    stamp = store.transcript_path(job).stat().st_mtime_ns
    documents.prepare(store, job, transcript, stamp)
    first = answer(documents.document_bytes(store, job.id))
    assert first == json.loads(json.dumps(changes.document(
        transcript, store.conventions(job).uncertainty_threshold)))

    # A correction saved since: the prepared answer is for the old file, never served.
    segment = transcript.segments[0]
    changes.apply(store, job.id, None, [{"op": "text", "seg": 0, "start": segment.start,
                                         "old": segment.text, "text": "Bonjour à vous."}])
    os.utime(store.transcript_path(job), ns=(stamp + 10**9, stamp + 10**9))  # coarse clocks
    later = answer(documents.document_bytes(store, job.id))
    assert later["version"] == first["version"] + 1
    assert [token[0] for token in later["segments"][0][3]] == ["Bonjour", "à", "vous."]


def test_nothing_for_a_job_that_is_gone_or_made_up(tmp_path):
    store = JobStore(tmp_path)
    job = seed_done(store)
    documents.prepare(store, job, store.load_transcript(job),
                      store.transcript_path(job).stat().st_mtime_ns)
    assert documents.document_bytes(store, "20260101-000000-0123abcd") is None
    assert documents.document_bytes(store, "../../etc/passwd") is None
    store.delete(job.id)
    assert documents.document_bytes(store, job.id) is None
    assert not any(key[0] == job.id for key in documents._prepared)  # dropped from memory
    other = seed_done(store)
    documents.prepare(store, other, store.load_transcript(other),
                      store.transcript_path(other).stat().st_mtime_ns)
    documents.forget()  # everything deleted (the privacy page, the deadline)
    assert not documents._prepared


def test_the_route_answers_gzipped_json_never_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("TRANSCRIBE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRANSCRIBE_BASE_PATH", "s/abc")
    job = seed_done(JobStore(tmp_path))
    app = Starlette(routes=documents.routes(load_settings()))
    path = documents.document_path("s/abc", job.id)
    assert path == f"/s/abc/_transcribe/document/{job.id}"
    status, headers, body = get(app, path, {"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert headers["content-encoding"] == "gzip" and headers["cache-control"] == "no-store"
    assert json.loads(gzip.decompress(body))["segments"]
    status, headers, body = get(app, path, {})
    assert status == 200 and "content-encoding" not in headers and json.loads(body)["version"] == 0
    # The default speaker labels in the page's language, as the browser remembers it.
    assert [name for _, name in json.loads(body)["speakers"]] == ["Enquêteur·rice", "Enquêté·e"]
    english = json.loads(get(app, path, {"Cookie": f"{language_choice.COOKIE}=en"})[2])
    assert [name for _, name in english["speakers"]] == ["Interviewer", "Interviewee"]
    gone = documents.document_path("s/abc", "20260101-000000-0123abcd")
    assert get(app, gone, {})[0] == 404


def test_a_document_that_cannot_be_built_is_an_error_not_a_crash(tmp_path, monkeypatch,
                                                                 caplog):
    monkeypatch.setenv("TRANSCRIBE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRANSCRIBE_BASE_PATH", "/")
    store = JobStore(tmp_path)
    job = seed_done(store)
    transcript = store.load_transcript(job)
    transcript.segments = None  # whatever breaks the building
    documents.prepare(store, job, transcript, store.transcript_path(job).stat().st_mtime_ns)
    app = Starlette(routes=documents.routes(load_settings()))
    status, _, body = get(app, documents.document_path("", job.id), {})
    assert status == 500 and b"Bonjour" not in body
    assert "could not be built (TypeError)" in caplog.text and "Bonjour" not in caplog.text


def test_a_head_answers_the_stored_version_alone_until_the_job_is_gone(tmp_path, monkeypatch):
    """What an open editor polls: the version in a header, no body, the file read again
    only once it changed (a save from another tab); 404 once the job is deleted."""
    monkeypatch.setenv("TRANSCRIBE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRANSCRIBE_BASE_PATH", "/")
    store = JobStore(tmp_path)
    job = seed_done(store)
    app = Starlette(routes=documents.routes(load_settings()))
    path = documents.document_path("", job.id)

    def head() -> tuple[int, str | None, bytes]:
        status, headers, body = get(app, path, {}, method="HEAD")
        return status, headers.get("x-transcript-version"), body

    assert head() == (200, "0", b"")
    segment = store.load_transcript(job).segments[0]
    changes.apply(store, job.id, 0, [{"op": "text", "seg": 0, "start": segment.start,
                                      "old": segment.text, "text": "Bonjour."}])
    assert head() == (200, "1", b"")
    store.delete(job.id)
    assert head()[0] == 404
    assert documents.version(store, "../../etc/passwd") is None
