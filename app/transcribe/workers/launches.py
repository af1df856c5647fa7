"""The launch ledger: one record per worker started, in the data folder
(`workers/launches.json`), so that a web app restarted while Kubernetes Jobs run still
knows their tokens (hashed: the file never holds one) and the GPU-seconds they held.

A token opens the jobs its launch claimed while they run, and nothing once the launch
has ended. Launches of one batch (each started while the previous one was alive, or
shortly after it ended) share a batch id: "GPU used 3 min for 2 h 10 min of audio".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..i18n import Notice
from ..plain import from_known_fields
from ..storage import write_atomically

log = logging.getLogger("transcribe.workers")

FOLDER = "workers"
LEDGER = "launches.json"

# Launch states, as launchers report them.
STARTING = "starting"  # created; no worker running yet (image pulled, process starting)
WAITING = "waiting"  # Pending: no GPU free (Unschedulable)
REFUSED = "refused"  # the namespace's quota refuses the pod (FailedCreate)
RUNNING = "running"
ENDED = "ended"
LIVE = (STARTING, WAITING, REFUSED, RUNNING)

# Pools: the configured launcher's workers, or this machine's CPU (the fallback offered
# while waiting for a GPU).
MAIN, HERE = "main", "here"

# A launch started this soon after the previous one ended belongs to the same batch (a
# worker that crashed and was replaced, a file added while the last one finished).
BATCH_GAP = 30.0


@dataclass
class Launch:
    id: str
    pool: str
    launcher: str
    token_hash: str
    created: float
    gpu: bool = False
    batch: str = ""
    state: str = STARTING
    since: float | None = None  # when the current state began
    started: float | None = None  # the worker (pod) started: resources held from here
    ended: float | None = None
    held_seconds: float | None = None  # started to ended, as the launcher saw it
    handle: str | None = None  # the process id or the Job's name
    jobs: list[str] = field(default_factory=list)  # every job it claimed
    audio_seconds: float = 0.0  # their recordings' length
    end_reason: Notice | None = None  # why, when it did not exit cleanly

    def __post_init__(self) -> None:
        self.end_reason = Notice.from_dict(self.end_reason) if self.end_reason else None

    @property
    def live(self) -> bool:
        return self.state in LIVE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Usage:
    """What a batch (or everything) held: seconds of worker, seconds of audio."""

    held_seconds: float
    audio_seconds: float
    launches: int


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Launches:
    """The ledger. One lock; every change is written at once (atomically)."""

    def __init__(self, data_dir: str | Path):
        self.folder = Path(data_dir) / FOLDER
        self.path = self.folder / LEDGER
        self.lock = threading.RLock()

    def _read(self) -> dict[str, Launch]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("the launch ledger is unreadable; starting a new one")
            return {}
        return {key: from_known_fields(Launch, value) for key, value in data.items()}

    def _write(self, launches: dict[str, Launch]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps({k: v.to_dict() for k, v in launches.items()}))

    def new(self, pool: str, launcher: str, gpu: bool) -> tuple[Launch, str]:
        """A launch record and its token (the only time the token exists in clear)."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.lock:
            launches = self._read()
            launch = Launch(id=secrets.token_hex(6), pool=pool, launcher=launcher,
                            token_hash=hash_token(token), created=now, gpu=gpu, since=now)
            launch.batch = self._batch_for(launches.values(), now) or launch.id
            launches[launch.id] = launch
            self._write(launches)
        return launch, token

    @staticmethod
    def _batch_for(launches, now: float) -> str | None:
        latest = max(launches, key=lambda w: w.created, default=None)
        if latest is None:
            return None
        if latest.live or (latest.ended or 0.0) >= now - BATCH_GAP:
            return latest.batch or latest.id
        return None

    def get(self, launch_id: str) -> Launch | None:
        with self.lock:
            return self._read().get(launch_id)

    def all(self) -> list[Launch]:
        with self.lock:
            return sorted(self._read().values(), key=lambda w: w.created)

    def live(self, pool: str | None = None) -> list[Launch]:
        return [w for w in self.all() if w.live and (pool is None or w.pool == pool)]

    def update(self, launch_id: str, **changes: Any) -> Launch | None:
        with self.lock:
            launches = self._read()
            launch = launches.get(launch_id)
            if launch is None:
                return None
            for name, value in changes.items():
                setattr(launch, name, value)
            self._write(launches)
            return launch

    def claimed(self, launch_id: str, job_id: str, audio_seconds: float) -> None:
        with self.lock:
            launches = self._read()
            launch = launches.get(launch_id)
            if launch is not None and job_id not in launch.jobs:
                launch.jobs.append(job_id)
                launch.audio_seconds = round(launch.audio_seconds + audio_seconds, 2)
                self._write(launches)

    def authenticate(self, token: str | None) -> Launch | None:
        """The live launch this token was made for; None for anything else."""
        if not token:
            return None
        digest = hash_token(token)
        found = None
        for launch in self.live():
            if hmac.compare_digest(launch.token_hash, digest):
                found = launch
        return found

    def usage(self, batch: str | None = None, gpu_only: bool = True) -> Usage | None:
        """Seconds held and of audio, for one batch or all of them (ended launches);
        None when there is nothing to say."""
        ended = [w for w in self.all() if w.state == ENDED and w.held_seconds is not None
                 and (not gpu_only or w.gpu) and (batch is None or w.batch == batch)]
        if not ended:
            return None
        return Usage(round(sum(w.held_seconds or 0.0 for w in ended), 1),
                     round(sum(w.audio_seconds for w in ended), 1), len(ended))

    def last_batch(self) -> str | None:
        launches = self.all()
        return launches[-1].batch if launches else None

    def clear(self) -> None:
        """Forget every launch (after "delete everything": the data folder is left empty)."""
        with self.lock:
            shutil.rmtree(self.folder, ignore_errors=True)
