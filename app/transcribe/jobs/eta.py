"""How long a running job has left."""

from __future__ import annotations

import time

from .record import RUNNING, Job


def estimate_remaining(job: Job, now: float | None = None) -> float | None:
    """Seconds left for a running job, from its pace so far; None while too early to say."""
    if job.status != RUNNING or job.started is None:
        return None
    elapsed = (now if now is not None else time.time()) - job.started
    if job.fraction < 0.02 or elapsed < 3:
        return None
    return max(0.0, elapsed * (1.0 - job.fraction) / job.fraction)

