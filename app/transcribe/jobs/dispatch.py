"""The dispatcher: while jobs are queued, launch workers (`workers/`) and answer them.

Each tick reads where every live launch stands (its launcher polls the process or the
pod), ends the jobs of a launch that ended without finishing them (with the launcher's
reason: killed, out of memory, crashed, gone), stops a worker that ignores a cancel or
outruns the time limit (counted from when it claimed the job: never while waiting for a
GPU), launches workers for the queued jobs (at most TRANSCRIBE_WORKER_MAX_PARALLEL), and
stops a worker still waiting for a GPU that no job needs any more. The worker listener
(`workers/api.py`) calls `claim`, `media_path`, `progress`, `result` and `failure`.

Two pools: the configured launcher's workers, and this machine's CPU for the jobs the
user chose to run here rather than wait for a GPU (`run_here`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import Notice, format_duration
from ..pipeline import STAGE_WEIGHTS, stages_for
from ..transcript import Transcript
from ..workers.api import WorkerListener
from ..workers.config import KUBERNETES, WorkerConfig
from ..workers.launcher import Launcher, LaunchStatus
from ..workers.launches import (
    ENDED,
    HERE,
    MAIN,
    REFUSED,
    RUNNING,
    WAITING,
    Launch,
    Launches,
)
from ..workers.process import ProcessLauncher
from .eta import expected_seconds, measured_speeds
from .record import CANCELLED, FAILED, QUEUED
from .record import RUNNING as JOB_RUNNING

log = logging.getLogger("transcribe.jobs")

# Seconds a worker has to stop a cancelled job by itself before it is stopped.
CANCEL_GRACE = 10.0
# Seconds before a pool launches again after a launch failed (the API refused the Job).
LAUNCH_RETRY = 30.0
SCRATCH = "scratch"  # under the ledger's folder: child workers' TMPDIR


@dataclass(frozen=True)
class Waiting:
    """Queued jobs wait for a GPU: why (WAITING: none free; REFUSED: the quota) and since
    when."""

    reason: str
    since: float


class Dispatcher:
    def __init__(self, queue: Any, config: WorkerConfig | None = None):
        self.queue = queue
        self.store = queue.store
        self.config = config or WorkerConfig.from_env()
        self.launches = Launches(self.store.data_dir)
        self.listener: WorkerListener | None = None
        self._launchers: dict[str, Launcher] = {}
        self._failed_at: dict[str, float] = {}  # pool -> when its last launch failed
        self._lock = threading.RLock()

    # -- launchers -----------------------------------------------------------------------

    def launcher(self, pool: str) -> Launcher:
        with self._lock:
            if pool not in self._launchers:
                self._launchers[pool] = self._make_launcher(pool)
            return self._launchers[pool]

    def _make_launcher(self, pool: str) -> Launcher:
        scratch = self.launches.folder / SCRATCH
        if pool == HERE:
            return ProcessLauncher(scratch, device="cpu")
        if self.config.launcher == KUBERNETES:
            from ..workers.kubernetes import KubernetesLauncher

            return KubernetesLauncher(self.config)
        return ProcessLauncher(scratch)

    def worker_env(self, pool: str) -> dict[str, str]:
        env = {"TRANSCRIBE_WORKER_IDLE_SECONDS": f"{self.config.idle_seconds:g}"}
        if pool == HERE or self.config.launcher != KUBERNETES:
            env["TRANSCRIBE_WORKER_URL"] = self.listener.url if self.listener else ""
        elif self.config.worker_url:
            env["TRANSCRIBE_WORKER_URL"] = self.config.worker_url
        return env

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> set[str]:
        """Open the worker listener and find the launches still running after a restart;
        returns their ids (their jobs stay running)."""
        if self.listener is None:
            self.listener = WorkerListener(self, self.config.address, self.config.port).start()
        alive: set[str] = set()
        live = self.launches.live()
        main = [w for w in live if w.pool == MAIN and w.launcher == self.config.launcher]
        if main:
            try:
                alive = self.launcher(MAIN).recover(main)
            except Exception as error:  # noqa: BLE001 - the app starts even so
                log.error("workers: recovery failed (%s)", type(error).__name__)
        for launch in live:
            if launch.id not in alive:  # gone with the previous web app
                self.launches.update(launch.id, state=ENDED, ended=launch.ended or time.time())
            else:
                log.info("worker %s: found again after a restart", launch.id)
        return alive

    def close(self) -> None:
        """The web app stops: child workers stop (their jobs are queued again at the next
        start); Kubernetes workers go on and are found again then."""
        with self._lock:
            launchers = dict(self._launchers)
        for pool, launcher in launchers.items():
            launcher.close()
            for launch in self.launches.live(pool):
                if launch.launcher == "process":
                    self._apply(launch, launcher.poll(launch))
        if self.listener is not None:
            self.listener.close()
            self.listener = None

    def stop_all(self) -> None:
        """Stop every worker now (delete everything, the deadline)."""
        for launch in self.launches.live():
            try:
                self.launcher(launch.pool).stop(launch)
            except Exception as error:  # noqa: BLE001 - the others are stopped all the same
                log.error("worker %s: could not be stopped (%s)", launch.id,
                          type(error).__name__)

    def forget(self) -> None:
        self.launches.clear()

    # -- the tick ------------------------------------------------------------------------

    def tick(self) -> None:
        with self._lock:
            for launch in self.launches.live():
                try:
                    status = self.launcher(launch.pool).poll(launch)
                except Exception as error:  # noqa: BLE001 - the API may be briefly away
                    log.warning("worker %s: state unknown (%s)", launch.id,
                                type(error).__name__)
                    continue
                self._apply(launch, status)
            if self.queue.saving_blocked or self.queue.stopping:
                return
            self._enforce_limits()
            self._launch_as_needed()

    def _apply(self, launch: Launch, status: LaunchStatus) -> None:
        changes: dict[str, Any] = {}
        if status.state != launch.state:
            changes.update(state=status.state, since=status.since or time.time())
            if status.state in (WAITING, REFUSED):
                log.info("worker %s: %s", launch.id, status.state)
        if status.started and not launch.started:
            changes["started"] = status.started
        if status.state == ENDED:
            changes.update(ended=status.ended or time.time(), end_reason=status.reason,
                           held_seconds=status.held_seconds)
        if changes:
            launch = self.launches.update(launch.id, **changes) or launch
        if status.state == ENDED:
            log.info("worker %s: ended%s", launch.id,
                     f" ({status.reason.key})" if status.reason else "")
            for job in self._jobs_of(launch):
                self._end_orphan(job, status.reason)

    def _jobs_of(self, launch: Launch) -> list:
        return [j for j in self.store.list()
                if j.status == JOB_RUNNING and j.worker == launch.id]

    def _end_orphan(self, job: Any, reason: Notice | None) -> None:
        """A job whose worker ended before reporting its end."""
        if (transcript := self.store.finished_transcript(job)) is not None:
            self.queue._complete(job, transcript)
        elif job.cancel_requested:
            self.queue._end(job, CANCELLED)
        elif self.queue.stopping:
            self.queue._end(job, QUEUED)
        else:
            self.queue._end(job, FAILED, reason or Notice("worker.lost"))
            log.warning("job %s: its worker ended without finishing it", job.id)

    def _enforce_limits(self) -> None:
        now = time.time()
        limit = self.config.job_time_limit
        for job in self.store.list():
            if job.status != JOB_RUNNING or not job.worker:
                continue
            late_cancel = job.cancel_requested and now - (job.cancel_asked or now) > CANCEL_GRACE
            over_time = limit is not None and now - (job.started or now) > limit
            if not (late_cancel or over_time):
                continue
            launch = self.launches.get(job.worker)
            if over_time and not job.cancel_requested:
                self.queue._end(job, FAILED, Notice("worker.time_limit",
                                                    {"limit": format_duration(limit)}))
            else:
                self.queue._end(job, CANCELLED)
            if launch is not None and launch.live:
                self.launcher(launch.pool).stop(launch)

    def _launch_as_needed(self) -> None:
        queued = [j for j in self.store.list() if j.status == QUEUED]
        for pool, capacity in ((MAIN, self.config.max_parallel), (HERE, 1)):
            wanted = [j for j in queued if (j.placement == HERE) == (pool == HERE)]
            live = self.launches.live(pool)
            busy = {j.worker for j in self.store.list() if j.status == JOB_RUNNING}
            free = [w for w in live if w.id not in busy]
            if time.monotonic() - self._failed_at.get(pool, -LAUNCH_RETRY) >= LAUNCH_RETRY:
                for _ in range(min(len(wanted) - len(free), capacity - len(live))):
                    if not self._launch(pool):
                        break
            # Workers not yet running that no job needs (cancelled, run here instead).
            surplus = len(free) - len(wanted)
            for launch in reversed(free):
                if surplus <= 0:
                    break
                if launch.state != RUNNING and not launch.jobs:
                    log.info("worker %s: not needed any more; stopped", launch.id)
                    self.launcher(pool).stop(launch)
                    surplus -= 1

    def _launch(self, pool: str) -> bool:
        try:
            launcher = self.launcher(pool)
            launch, token = self.launches.new(pool, launcher.kind, launcher.gpu)
        except Exception as error:  # noqa: BLE001 - no API, no template: tried again later
            log.error("workers: no launcher (%s)", type(error).__name__)
            self._failed_at[pool] = time.monotonic()
            return False
        try:
            handle = launcher.launch(launch, token, self.worker_env(pool))
        except Exception as error:  # noqa: BLE001 - tried again after LAUNCH_RETRY
            log.error("worker %s: could not be launched (%s)", launch.id, type(error).__name__)
            self.launches.update(launch.id, state=ENDED, ended=time.time(), held_seconds=0.0,
                                 end_reason=Notice("worker.lost"))
            self._failed_at[pool] = time.monotonic()
            return False
        self.launches.update(launch.id, handle=handle)
        return True

    # -- what the page asks --------------------------------------------------------------

    def waiting(self) -> Waiting | None:
        """Queued jobs waiting for a GPU (their workers Pending or refused), since when."""
        if not any(j.status == QUEUED and j.placement != HERE for j in self.store.list()):
            return None
        stuck = [w for w in self.launches.live(MAIN) if w.state in (WAITING, REFUSED)]
        if not stuck:
            return None
        reason = REFUSED if any(w.state == REFUSED for w in stuck) else WAITING
        return Waiting(reason, min(w.created for w in stuck))

    def run_here(self, job_ids: list[str] | None = None) -> list[str]:
        """Run the queued jobs (those given, else all waiting for a GPU) on this
        machine's CPU instead."""
        moved = []
        with self.store.lock:
            for job in self.store.list():
                if job.status != QUEUED or job.placement == HERE:
                    continue
                if job_ids is not None and job.id not in job_ids:
                    continue
                options = job.pipeline_options
                options.model.device = "cpu"
                self.store.update(job.id, placement=HERE, options=options.to_dict())
                moved.append(job.id)
        self.queue.wake()
        return moved

    def cpu_seconds(self, jobs: list[Any]) -> float | None:
        """How long the queued jobs would take here on the CPU (eta.py), None when a
        recording's length is unknown."""
        total = 0.0
        history = self.store.list()
        for job in jobs:
            if not job.duration:
                return None
            options = job.pipeline_options
            options.model.device = "cpu"
            expected = expected_seconds(stages_for(options), job.duration,
                                        measured_speeds(history, options))
            total += sum(expected.values())
        return total

    # -- what workers ask (from the listener's threads) ------------------------------------

    def authenticate(self, token: str | None) -> Launch | None:
        return self.launches.authenticate(token)

    def claim(self, launch: Launch) -> dict[str, Any] | None:
        with self._lock:
            if self.queue.stopping or self.queue.saving_blocked:
                return None
            for job in self.store.list():
                if job.status != QUEUED or (job.placement == HERE) != (launch.pool == HERE):
                    continue
                begun = self.queue._begin(job.id, worker=launch.id)
                if begun is None:
                    continue
                self.launches.claimed(launch.id, begun.id, begun.duration or 0.0)
                if launch.state != RUNNING:  # it claims: it runs, whatever the API said last
                    self.launches.update(launch.id, state=RUNNING, since=time.time(),
                                         started=launch.started or time.time())
                answer = {"id": begun.id, "options": begun.options,
                          "extension": Path(begun.media).suffix, "duration": begun.duration}
                if launch.launcher == "process":  # same machine: read it where it is
                    answer["path"] = str(self.store.media_path(begun))
                log.info("job %s: claimed by worker %s", begun.id, launch.id)
                return answer
        return None

    def _own(self, launch: Launch, job_id: str) -> Any:
        """The job, if this launch runs it now; None for anything else."""
        job = self.store.get(job_id)
        if job is None or job.status != JOB_RUNNING or job.worker != launch.id:
            return None
        return job

    def media_path(self, launch: Launch, job_id: str) -> Path | None:
        job = self._own(launch, job_id)
        return self.store.media_path(job) if job is not None else None

    def progress(self, launch: Launch, job_id: str, stage: str, fraction: float) -> bool | None:
        job = self._own(launch, job_id)
        if job is None:
            return None
        if stage not in STAGE_WEIGHTS:
            raise ValueError("unknown stage")
        self.queue.clock(job).report(stage, min(max(fraction, 0.0), 1.0))
        return bool(job.cancel_requested or self.queue.cancel_wanted(job_id))

    def result(self, launch: Launch, job_id: str, data: dict[str, Any]) -> bool:
        job = self._own(launch, job_id)
        if job is None:
            return False
        transcript = Transcript.from_dict(data)
        self.queue.clock(job)
        if job.cancel_requested:
            self.queue._end(job, CANCELLED)
        else:
            self.queue._complete(job, transcript)
        return True

    def failure(self, launch: Launch, job_id: str, report: dict[str, Any]) -> bool:
        job = self._own(launch, job_id)
        if job is None:
            return False
        self.queue.clock(job)
        if report.get("cancelled"):
            self.queue._end(job, CANCELLED)
            return True
        self.queue._end(job, FAILED, Notice.checked(report.get("error") or {}))
        return True
