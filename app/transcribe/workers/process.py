"""The `process` launcher: the worker as a child process on this machine (`make run`, the
chart's CPU-only mode, and the CPU fallback while a GPU is awaited).

The child gets the web app's environment less its password, the listener's URL and its
token; its scratch space (TMPDIR) is inside the data folder, so nothing of a recording
lands elsewhere. A child that dies by a signal (the kernel's OOM killer sends SIGKILL) or
exits with an error ends its launch with a reason the user can read.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..i18n import Notice
from .launcher import LaunchStatus
from .launches import ENDED, RUNNING, STARTING, Launch

log = logging.getLogger("transcribe.workers")

# Never passed on to a worker: it opens the user's pages.
PRIVATE_ENV = ("TRANSCRIBE_PASSWORD",)
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL


def worker_command() -> list[str]:
    return [sys.executable, "-m", "transcribe.workers.worker"]


class ProcessLauncher:
    kind = "process"
    gpu = False

    def __init__(self, scratch_root: Path, device: str | None = None):
        self.scratch_root = Path(scratch_root)
        self.device = device  # forced on the worker (the CPU fallback: "cpu")
        self._children: dict[str, subprocess.Popen] = {}
        self._times: dict[str, list[float | None]] = {}  # launch id -> [start, end] (wall)
        self._lock = threading.Lock()

    def launch(self, launch: Launch, token: str, env: dict[str, str]) -> str:
        scratch = self.scratch_root / launch.id
        scratch.mkdir(parents=True, exist_ok=True)
        child_env = {k: v for k, v in os.environ.items() if k not in PRIVATE_ENV}
        child_env.update(env)
        child_env.update({"TRANSCRIBE_WORKER_TOKEN": token, "TMPDIR": str(scratch),
                          "TRANSCRIBE_WORKER_PARENT_PID": str(os.getpid())})
        if self.device:
            child_env["TRANSCRIBE_DEVICE"] = self.device
        process = subprocess.Popen(worker_command(), env=child_env, stdin=subprocess.DEVNULL)
        with self._lock:
            self._children[launch.id] = process
            self._times[launch.id] = [time.time(), None]
        log.info("worker %s: started (process %d)", launch.id, process.pid)
        return str(process.pid)

    def poll(self, launch: Launch) -> LaunchStatus:
        with self._lock:
            process = self._children.get(launch.id)
            times = self._times.get(launch.id)
        if process is None or times is None:
            # Not ours: a child of a previous web app, which no longer reports to us.
            return LaunchStatus(ENDED, ended=time.time(), started=launch.started,
                                reason=Notice("worker.lost"))
        code = process.poll()
        if code is None:
            return LaunchStatus(RUNNING if times[0] else STARTING, since=times[0],
                                started=times[0])
        if times[1] is None:
            times[1] = time.time()
            self._remove_scratch(launch.id)
        return LaunchStatus(ENDED, started=times[0], ended=times[1], reason=exit_reason(code))

    def stop(self, launch: Launch) -> None:
        with self._lock:
            process = self._children.get(launch.id)
        if process is None or process.poll() is not None:
            return
        process.kill()  # a cancelled transcription has nothing to save
        log.info("worker %s: stopped", launch.id)

    def recover(self, launches: list[Launch]) -> set[str]:
        """Children do not outlive the web app (they exit when their parent goes)."""
        return set()

    def close(self) -> None:
        with self._lock:
            children = list(self._children.items())
        for _, process in children:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for launch_id, process in children:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self._remove_scratch(launch_id)

    def _remove_scratch(self, launch_id: str) -> None:
        shutil.rmtree(self.scratch_root / launch_id, ignore_errors=True)


def exit_reason(code: int) -> Notice | None:
    """A child's exit status as a reason the user can read; None for a clean exit."""
    if code == 0:
        return None
    if code == -signal.SIGKILL:  # the OOM killer's signal (or someone's kill -9)
        return Notice("worker.killed")
    if code < 0:
        return Notice("worker.crashed", {"code": signal.Signals(-code).name})
    return Notice("worker.crashed", {"code": code})
