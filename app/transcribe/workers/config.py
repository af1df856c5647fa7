"""The workers' settings, from the environment (the Helm chart, or `make run`'s defaults)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROCESS, KUBERNETES = "process", "kubernetes"
LAUNCHERS = (PROCESS, KUBERNETES)

DEFAULT_KUBERNETES_PORT = 8502
DEFAULT_IDLE_SECONDS = 60.0
DEFAULT_JOB_TEMPLATE = "/etc/transcribe/worker-job.yaml"


@dataclass(frozen=True)
class WorkerConfig:
    launcher: str = PROCESS
    # 0: any free port (the process launcher tells its child which); the chart sets 8502.
    port: int = 0
    # Where the listener binds: this machine only for child processes; every interface
    # for pods (a NetworkPolicy and the token guard it).
    address: str = "127.0.0.1"
    max_parallel: int = 1
    idle_seconds: float = DEFAULT_IDLE_SECONDS
    job_template: Path = Path(DEFAULT_JOB_TEMPLATE)
    service: str | None = None  # the Service in front of the worker port (kubernetes)
    namespace: str | None = None
    owner_statefulset: str | None = None
    kubernetes_api: str | None = None  # tests, or out of the cluster
    worker_url: str | None = None  # an address for pods better than the Service's
    # Seconds a job may run once its worker runs (never counting a wait for a GPU); None:
    # no limit.
    job_time_limit: float | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerConfig:
        env = os.environ if env is None else env
        launcher = (env.get("TRANSCRIBE_WORKER_LAUNCHER") or PROCESS).strip().lower()
        if launcher not in LAUNCHERS:
            launcher = PROCESS
        default_port = DEFAULT_KUBERNETES_PORT if launcher == KUBERNETES else 0
        return cls(
            launcher=launcher,
            port=_number(env.get("TRANSCRIBE_WORKER_PORT"), default_port, int, minimum=0),
            address="0.0.0.0" if launcher == KUBERNETES else "127.0.0.1",
            max_parallel=_number(env.get("TRANSCRIBE_WORKER_MAX_PARALLEL"), 1, int, minimum=1),
            idle_seconds=_number(env.get("TRANSCRIBE_WORKER_IDLE_SECONDS"),
                                 DEFAULT_IDLE_SECONDS, float, minimum=0),
            job_template=Path(env.get("TRANSCRIBE_WORKER_JOB_TEMPLATE") or DEFAULT_JOB_TEMPLATE),
            service=env.get("TRANSCRIBE_WORKER_SERVICE") or None,
            namespace=env.get("TRANSCRIBE_NAMESPACE") or None,
            owner_statefulset=env.get("TRANSCRIBE_OWNER_STATEFULSET") or None,
            kubernetes_api=env.get("TRANSCRIBE_KUBERNETES_API") or None,
            worker_url=env.get("TRANSCRIBE_WORKER_URL") or None,
            job_time_limit=_number(env.get("TRANSCRIBE_JOB_TIME_LIMIT"), None, float,
                                   minimum=1),
        )


def _number(value, default, kind, minimum):
    try:
        number = kind(str(value).strip())
    except (TypeError, ValueError):
        return default
    return number if number >= minimum else default
