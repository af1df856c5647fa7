"""What the correction editor fetches over plain HTTP: the transcript, and the recording
its player plays.

A 3-hour interview is about 1 MB of editor document. Sent in the component's data it rides
Streamlit's websocket as one protobuf message that the page decodes and hands through React
before the editor sees it (about 1.5 s of a 3.5 s open on 2 cores); fetched here it arrives
gzipped (about a fifth), in parallel with the rest of the page, straight into the editor.

The review page has just parsed the transcript when it draws the editor: it hands it to
`prepare`, which builds the answer on a worker thread while the page is sent, so the
browser's request finds it ready (or waits for it) instead of parsing the file again.

The route sits behind the password gate like every other route (`serve.build_app`): no
cookie, no transcript. The browser never caches it (personal data); it is never logged;
the few answers kept in memory are served only for a job still there, at the same
version, and dropped as soon as their job is gone.

An open editor asks for the document's version alone every few seconds: a HEAD on the same
URL answers it in a header (`X-Transcript-Version`), with no body, from the file's
metadata (the file is read again only when it changed); 404 once the job is gone.

The recording is read from the job's folder at each request (the listening copy, else the
upload itself), in the ranges the player asks for when it seeks, never cached by the
browser and never kept in memory: once the job is deleted (by its owner, by "delete
everything", at the deadline) its URL answers 404.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .. import changes
from ..jobs import DONE, Job, JobStore
from ..languages import DEFAULT_LANGUAGE
from ..speakers.labels import shown_name
from ..transcript import Transcript
from .language_choice import from_cookie
from .reviewing import media_type
from .settings import Settings, url_prefix

log = logging.getLogger("transcribe.web.documents")

PREFIX = "/_transcribe/document/"
AUDIO_PREFIX = "/_transcribe/audio/"
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
# An upload played as it is when it has no listening copy (yet), up to this size.
LARGEST_SOURCE_PLAYED = 200 * 1024 * 1024


def document_path(base_path: str, job_id: str) -> str:
    """The URL path the editor fetches a job's document from."""
    return f"{url_prefix(base_path)}{PREFIX}{job_id}"


def audio_path(base_path: str, job_id: str) -> str:
    """The URL path the editor's player reads a job's recording from."""
    return f"{url_prefix(base_path)}{AUDIO_PREFIX}{job_id}"


def recording(store: JobStore, job: Job) -> Path | None:
    """What the player plays: the listening copy; without one (yet), the upload itself
    when it is not too big; None when there is nothing to play."""
    listening = store.listening_path(job)
    if listening.is_file():
        return listening
    source = store.media_path(job)
    if source.is_file() and source.stat().st_size < LARGEST_SOURCE_PLAYED:
        return source
    return None


KEPT = 4  # prepared answers kept (a few tabs on a few recordings)

# (job id, transcript file's mtime, uncertainty threshold, reader's language) ->
# (JSON, gzipped JSON)
Key = tuple[str, int, float, str]
_prepared: dict[Key, Future[tuple[bytes, bytes]]] = {}
_lock = threading.Lock()
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="transcribe-document")


def _encode(transcript: Transcript, threshold: float, language: str) -> tuple[bytes, bytes]:
    document = changes.document(transcript, threshold)
    # Default labels ("Enquêté·e") in the reader's language, as the page and the exports.
    document["speakers"] = [[key, shown_name(name, language)]
                            for key, name in document["speakers"]]
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return body, gzip.compress(body, 5)


def _key(store: JobStore, job: Job, language: str, stamp: int | None = None) -> Key | None:
    if stamp is None:
        try:
            stamp = store.transcript_path(job).stat().st_mtime_ns
        except OSError:
            return None
    return job.id, stamp, store.conventions(job).uncertainty_threshold, language


def prepare(store: JobStore, job: Job, transcript: Transcript, stamp: int,
            language: str = DEFAULT_LANGUAGE) -> None:
    """Build the editor's answer aside for `transcript`, read from `job`'s file when that
    file's mtime was `stamp` (taken before reading: a later save changes the key), for a
    reader of `language`."""
    key = _key(store, job, language, stamp)
    with _lock:
        if key in _prepared:
            return
        for old in [k for k in _prepared if (k[0] == job.id and k[1] != stamp)
                    or not store.folder(k[0]).is_dir()]:
            del _prepared[old]
        while len(_prepared) >= KEPT:
            del _prepared[next(iter(_prepared))]
        _prepared[key] = _worker.submit(_encode, transcript, key[2], language)


def forget(job_id: str | None = None) -> None:
    """Drop what is kept in memory for `job_id` (every job: None), once it is deleted."""
    with _lock:
        for old in [k for k in _prepared if job_id is None or k[0] == job_id]:
            del _prepared[old]


def kept_jobs() -> set[str]:
    """The jobs whose answer is held in memory (none once the deadline has passed)."""
    with _lock:
        return {key[0] for key in _prepared}


def document_bytes(store: JobStore, job_id: str,
                   language: str = DEFAULT_LANGUAGE) -> Future[tuple[bytes, bytes]] | None:
    """The editor's document (JSON, gzipped JSON) for a reader of `language` as a
    future, or None for a job that is not (or no longer) a finished one."""
    job = store.get(job_id)  # None for a made-up id too
    if job is None or job.status != DONE:
        forget(job_id)
        return None
    key = _key(store, job, language)
    with _lock:
        prepared = _prepared.get(key) if key else None
    if prepared is not None:
        return prepared
    transcript = store.finished_transcript(job)
    if transcript is None:
        return None
    done: Future[tuple[bytes, bytes]] = Future()
    done.set_result(_encode(transcript, store.conventions(job).uncertainty_threshold,
                            language))
    return done


# job id -> (the transcript file's mtime, inode and size, its version): a file written
# again (atomically: a new inode) is read again.
_versions: dict[str, tuple[tuple[int, int, int], int]] = {}


def version(store: JobStore, job_id: str) -> int | None:
    """The stored transcript's version, or None for a job that is not (or no longer) a
    finished one."""
    job = store.get(job_id)  # None for a made-up id too
    if job is None or job.status != DONE:
        with _lock:
            _versions.pop(job_id, None)
        forget(job_id)
        return None
    path = store.transcript_path(job)
    try:
        info = path.stat()
    except OSError:
        return None
    stamp = (info.st_mtime_ns, info.st_ino, info.st_size)
    with _lock:
        known = _versions.get(job_id)
    if known and known[0] == stamp:
        return known[1]
    try:
        found = int(json.loads(path.read_bytes()).get("version", 0))
    except (OSError, ValueError, AttributeError):
        return None
    with _lock:
        for gone in [k for k in _versions if not store.folder(k).is_dir()]:
            del _versions[gone]
        _versions[job_id] = (stamp, found)
    return found


def playable(store: JobStore, job_id: str) -> Path | None:
    """The recording of a finished job still there; None for any other id."""
    job = store.get(job_id)  # None for a made-up id too
    return recording(store, job) if job is not None and job.status == DONE else None


def routes(settings: Settings) -> list[Route]:
    store = JobStore(settings.data_dir)
    base = settings.url_prefix

    async def document(request: Request) -> Response:
        if request.method == "HEAD":  # the version alone: what an open editor polls
            stored = await run_in_threadpool(version, store, request.path_params["job_id"])
            if stored is None:
                return Response(status_code=404, headers=HEADERS)
            return Response(status_code=200, media_type="application/json",
                            headers={**HEADERS, "X-Transcript-Version": str(stored)})
        # The page's language, as the browser remembers it (language_choice.py).
        language = from_cookie(request.cookies, settings.ui_language)
        found = await run_in_threadpool(document_bytes, store, request.path_params["job_id"],
                                        language)
        if found is None:
            return Response("Not found", status_code=404, media_type="text/plain",
                            headers=HEADERS)
        try:
            body, zipped = await asyncio.wrap_future(found)
        except Exception as error:  # noqa: BLE001 - the editor says so; nothing of it logged
            log.error("editor document for a job could not be built (%s)",
                      type(error).__name__)
            return Response("Error", status_code=500, media_type="text/plain",
                            headers=HEADERS)
        headers = {**HEADERS, "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = zipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type="application/json", headers=headers)

    async def audio(request: Request) -> Response:
        path = await run_in_threadpool(playable, store, request.path_params["job_id"])
        if path is None:
            return Response("Not found", status_code=404, media_type="text/plain",
                            headers=HEADERS)
        # Ranges are answered from the file (the player seeks with them); a job deleted
        # while its file is sent ends that answer only, and the next gets 404.
        return FileResponse(path, media_type=media_type(path), headers=HEADERS)

    return [Route(base + PREFIX + "{job_id}", document, methods=["GET", "HEAD"]),
            Route(base + AUDIO_PREFIX + "{job_id}", audio, methods=["GET", "HEAD"])]
