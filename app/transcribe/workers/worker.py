"""`transcribe-worker`: claims jobs from the web app, runs `pipeline.run` on each, posts
progress and the transcript (or why it failed), and exits once nothing was left to claim
for TRANSCRIBE_WORKER_IDLE_SECONDS. Models load once per process (the engines cache them).

Where the web app is: TRANSCRIBE_WORKER_URL, else the Service TRANSCRIBE_WORKER_SERVICE
through Kubernetes' service-link variables (no DNS needed). The recording is read from the
web app's data folder when the claim names a path this process can read (a child on the
same machine), else downloaded into the scratch space (TMPDIR) and deleted after. A web
app that does not answer (restarting) is tried again for a few minutes before giving up;
a child whose parent is gone exits.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import transcribe  # noqa: F401 - offline and telemetry-free environment, first

from ..logs import quiet_libraries
from .api import PREFIX
from .config import DEFAULT_IDLE_SECONDS

log = logging.getLogger("transcribe.worker")

CLAIM_INTERVAL = 1.0  # seconds between claims while nothing is queued
PROGRESS_INTERVAL = 1.0  # at most one progress report a second (a new stage at once)
PATIENCE = 300.0  # seconds a web app may stay unreachable before the worker gives up
DOWNLOAD_CHUNK = 1 << 20


class WebAppGone(Exception):
    """The web app did not answer for PATIENCE seconds, or refused the token."""


def web_app_url(env: Mapping[str, str]) -> str:
    if url := env.get("TRANSCRIBE_WORKER_URL"):
        return url.rstrip("/")
    service = env.get("TRANSCRIBE_WORKER_SERVICE")
    if service:
        prefix = service.upper().replace("-", "_").replace(".", "_")
        host, port = env.get(f"{prefix}_SERVICE_HOST"), env.get(f"{prefix}_SERVICE_PORT")
        if host and port:
            host = f"[{host}]" if ":" in host else host
            return f"http://{host}:{port}"
        return f"http://{service}:{env.get('TRANSCRIBE_WORKER_PORT') or 8502}"
    raise SystemExit("transcribe-worker: set TRANSCRIBE_WORKER_URL or TRANSCRIBE_WORKER_SERVICE")


class Client:
    """The worker's side of the protocol (urllib; JSON in and out)."""

    def __init__(self, url: str, token: str, patience: float = PATIENCE):
        self.base = url + PREFIX
        self.token = token
        self.patience = patience

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None,
                 stream_to: Path | None = None) -> tuple[int, dict[str, Any] | None]:
        data = json.dumps(body).encode() if body is not None else None
        give_up = time.monotonic() + self.patience
        wait = 0.5
        while True:
            request = urllib.request.Request(self.base + path, data=data, method=method)
            request.add_header("Authorization", f"Bearer {self.token}")
            if data is not None:
                request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    if stream_to is not None:
                        with open(stream_to, "wb") as handle:
                            while chunk := response.read(DOWNLOAD_CHUNK):
                                handle.write(chunk)
                        return response.status, None
                    payload = response.read()
                    return response.status, json.loads(payload) if payload else None
            except urllib.error.HTTPError as error:
                if error.code == 401:
                    raise WebAppGone("the token is no longer valid") from None
                if error.code >= 500 and time.monotonic() < give_up:
                    time.sleep(wait)
                    continue
                return error.code, None
            except OSError:  # refused, reset, timed out: the web app may be restarting
                if time.monotonic() >= give_up:
                    raise WebAppGone("the web app does not answer") from None
                time.sleep(wait)
                wait = min(wait * 2, 10.0)

    def claim(self) -> dict[str, Any] | None:
        status, answer = self._request("POST", "/claim", {})
        return (answer or {}).get("job") if status == 200 else None

    def media(self, job_id: str, target: Path) -> bool:
        status, _ = self._request("GET", f"/jobs/{job_id}/media", stream_to=target)
        return status == 200

    def progress(self, job_id: str, stage: str, fraction: float) -> bool:
        """True when the web app asks to stop (a cancel, or the job is no longer ours)."""
        status, answer = self._request("POST", f"/jobs/{job_id}/progress",
                                       {"stage": stage, "fraction": round(fraction, 4)})
        return status != 200 or bool((answer or {}).get("cancel"))

    def result(self, job_id: str, transcript: dict[str, Any]) -> bool:
        return self._request("POST", f"/jobs/{job_id}/result", transcript)[0] == 200

    def failure(self, job_id: str, report: dict[str, Any]) -> bool:
        return self._request("POST", f"/jobs/{job_id}/failure", report)[0] == 200


def run_job(client: Client, job: dict[str, Any], store: Any) -> str:
    """Transcribe one claimed job and report how it went; returns the outcome."""
    from ..jobs.queue import describe_error
    from ..options import AUTO, device_setting
    from ..pipeline import Cancelled, PipelineOptions, check_options, run

    job_id = job["id"]
    options = PipelineOptions.from_dict(job["options"])
    device = device_setting(os.environ.get("TRANSCRIBE_DEVICE"))
    if device != AUTO:  # this worker knows its hardware
        options.model.device = device
    state = {"stage": None, "sent": 0.0, "cancel": False}

    def progress(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == state["stage"] and now - state["sent"] < PROGRESS_INTERVAL \
                and fraction < 1.0:
            return
        state["stage"], state["sent"] = stage, now
        if client.progress(job_id, stage, fraction):
            state["cancel"] = True

    scratch: Path | None = None
    try:
        local = job.get("path")
        if local and os.access(local, os.R_OK):
            path = Path(local)
        else:
            handle, name = tempfile.mkstemp(prefix="job-", suffix=job.get("extension") or "")
            os.close(handle)
            scratch = path = Path(name)
            if not client.media(job_id, path):
                log.warning("job %s: the recording could not be fetched", job_id)
                return "lost"
        check_options(options, store)
        transcript = run(path, options, store, progress, lambda: state["cancel"])
        if state["cancel"]:
            raise Cancelled()
        client.result(job_id, transcript.to_dict())
        return "done"
    except Cancelled:
        client.failure(job_id, {"cancelled": True})
        return "cancelled"
    except WebAppGone:
        raise
    except Exception as error:  # noqa: BLE001 - reported, and the next job runs
        client.failure(job_id, {"error": describe_error(error).to_dict()})
        log.warning("job %s: failed (%s)", job_id, type(error).__name__)
        return "failed"
    finally:
        if scratch is not None:
            scratch.unlink(missing_ok=True)


def watch_parent(parent: int) -> None:
    """A child whose web app is gone exits (its jobs are queued again by the next one)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        log.warning("worker: the web app is gone; exiting")
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    quiet_libraries()
    token = env.get("TRANSCRIBE_WORKER_TOKEN")
    if not token:
        print("transcribe-worker: TRANSCRIBE_WORKER_TOKEN is not set", file=sys.stderr)
        return 2
    if parent := env.get("TRANSCRIBE_WORKER_PARENT_PID"):
        watch_parent(int(parent))
    try:
        idle = float(env.get("TRANSCRIBE_WORKER_IDLE_SECONDS") or DEFAULT_IDLE_SECONDS)
    except ValueError:
        idle = DEFAULT_IDLE_SECONDS
    client = Client(web_app_url(env), token)
    from ..models import ModelStore

    store = ModelStore()
    idle_since = time.monotonic()
    try:
        while True:
            job = client.claim()
            if job is None:
                if time.monotonic() - idle_since >= idle:
                    log.info("worker: nothing left to do; exiting")
                    return 0
                time.sleep(CLAIM_INTERVAL)
                continue
            log.info("job %s: claimed", job["id"])
            outcome = run_job(client, job, store)
            log.info("job %s: %s", job["id"], outcome)
            # After a cancel, an empty queue means the person stopped the batch: exit at
            # once rather than hold a GPU for the idle time.
            idle_since = -math.inf if outcome == "cancelled" else time.monotonic()
    except WebAppGone as gone:
        log.warning("worker: %s; exiting", gone)
        return 3


if __name__ == "__main__":
    sys.exit(main())
