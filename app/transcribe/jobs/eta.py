"""How long a running job has left: every stage still to come, from the recording's length
and this machine's speed of each stage, corrected as the job runs.

A stage takes `fixed + per_second x audio seconds` (fixed: loading a model). The defaults
were measured on a 2-core CPU (DEFAULT_SPEEDS); jobs that finished on this machine with
the same engine, model and device replace them (their record keeps each stage's seconds),
so a GPU or a faster CPU gets its own figures after one job. While a job runs, the running
stage's progress and the stages already done correct the rest (a busy machine is slower
at every stage).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from ..pipeline import PipelineOptions, overall_fraction
from .record import DONE, RUNNING, Job


@dataclass(frozen=True)
class StageSpeed:
    fixed: float  # seconds whatever the length: loading a model, starting a process
    per_second: float  # seconds of work per second of audio

    def seconds(self, duration: float) -> float:
        return self.fixed + self.per_second * duration


# This 2-core CPU machine, embedded base model and pyannote diarization, stage times as a
# job sees them (model loading included): a 57-minute interview took 7 min, 5 of them
# identifying speakers; a 30 s call 18 s. (Measured again here under heavy load, 16
# processes on 2 cores, a 30 s call took 92 s of transcription and 390 s of diarization:
# the correction while running, not these defaults, has to absorb that.)
DEFAULT_SPEEDS = {
    "decode": StageSpeed(1.0, 0.002),
    "asr": StageSpeed(5.0, 0.035),
    "align": StageSpeed(0.5, 0.003),
    "diarize": StageSpeed(7.0, 0.088),
    "assign": StageSpeed(0.2, 0.001),
}
# Whisper models relative to base, for a model no job has run yet on this machine.
MODEL_FACTORS = {"tiny": 0.5, "base": 1.0, "small": 2.5, "medium": 6.0, "large": 12.0,
                 "turbo": 5.0, "distil": 4.0}
HISTORY = 10  # finished jobs whose speeds count, newest first
PACE_LIMITS = (0.25, 4.0)  # how far the stages done may correct the stages to come
MIN_ELAPSED = 2.0  # seconds of a stage before its own progress counts
# The pace starts at 1 as if this many seconds had gone as planned: a few seconds of
# decoding (mostly fixed costs) do not rescale an hour of transcription.
PACE_PRIOR = 20.0


def profile(options: PipelineOptions) -> str:
    """What a stage's speed depends on: the engine, model and device asked for (on one
    machine, "auto" always means the same)."""
    return f"{options.engine}/{options.model.name}/{options.model.device}"


def model_factor(model: str) -> float:
    name = model.lower()
    return next((f for key, f in MODEL_FACTORS.items() if key in name), 1.0)


def measured_speeds(jobs: Iterable[Job], options: PipelineOptions) -> dict[str, StageSpeed]:
    """Each stage's speed from finished jobs of the same profile (their seconds beyond the
    default fixed part, over their seconds of audio); defaults for stages none has run."""
    key = profile(options)
    done = sorted((j for j in jobs if j.status == DONE and j.duration and j.stage_seconds
                   and profile(j.pipeline_options) == key),
                  key=lambda j: j.finished or 0.0, reverse=True)[:HISTORY]
    speeds = {}
    for stage, default in DEFAULT_SPEEDS.items():
        if stage == "asr":
            default = StageSpeed(default.fixed, default.per_second *
                                 model_factor(options.model.name))
        seen = [(j.stage_seconds[stage], j.duration) for j in done if stage in j.stage_seconds]
        audio = sum(duration for _, duration in seen)
        if audio > 0:
            work = sum(max(seconds - default.fixed, 0.0) for seconds, _ in seen)
            default = StageSpeed(default.fixed, work / audio)
        speeds[stage] = default
    return speeds


def expected_seconds(stages: list[str], duration: float | None,
                     speeds: dict[str, StageSpeed]) -> dict[str, float]:
    """Seconds each stage should take on this recording; empty when its length is unknown."""
    if not duration:
        return {}
    return {s: round(speeds.get(s, StageSpeed(0.0, 0.0)).seconds(duration), 2)
            for s in stages}


def overall_progress(stage: str, fraction: float, stages: list[str],
                     expected: dict[str, float]) -> float:
    """Progress over the whole job, each stage weighted by the seconds it should take (so
    that the bar and the time left agree); fixed weights when the length is unknown."""
    known = sum(expected.get(s, 0.0) for s in stages) > 0
    return overall_fraction(stage, min(max(fraction, 0.0), 1.0), stages,
                            expected if known else None)


def remaining_seconds(stages: list[str], stage: str, stage_fraction: float,
                      stage_elapsed: float, expected: dict[str, float],
                      done: dict[str, float]) -> float:
    """Seconds left: the rest of the running stage and every stage after it.

    `expected`: seconds per stage before the job started; `done`: seconds the finished
    stages took. Their ratio (the pace) scales what is still to come; the running stage's
    own progress, once it says something, projects its end.
    """
    fraction = min(max(stage_fraction, 0.0), 1.0)
    planned = sum(expected.get(s, 0.0) for s in done)
    actual = sum(done.values())
    current = expected.get(stage, 0.0)
    if fraction >= 0.05 and stage_elapsed >= MIN_ELAPSED and current > 0:
        planned += current * fraction
        actual += stage_elapsed
    pace = min(max((actual + PACE_PRIOR) / (planned + PACE_PRIOR), PACE_LIMITS[0]),
               PACE_LIMITS[1])

    planned_left = max(current * pace - stage_elapsed, 0.0)
    if fraction >= 0.05 and stage_elapsed >= MIN_ELAPSED:
        projected_left = stage_elapsed * (1.0 - fraction) / fraction
        # Trust the stage's own progress more as it goes on.
        left = (1.0 - fraction) * planned_left + fraction * projected_left
    elif stage_elapsed > current * pace:
        left = 0.25 * stage_elapsed  # late, and no progress to say by how much
    else:
        left = planned_left
    following = stages[stages.index(stage) + 1:] if stage in stages else []
    return left + pace * sum(expected.get(s, 0.0) for s in following)


def estimate_remaining(job: Job, now: float | None = None) -> float | None:
    """Seconds left for a running job; None while too early to say."""
    if job.status != RUNNING or job.started is None:
        return None
    now = now if now is not None else time.time()
    if job.expected and job.stage:
        stages = list(job.expected)
        elapsed = now - (job.stage_started or job.started)
        return remaining_seconds(stages, job.stage, job.stage_fraction, max(elapsed, 0.0),
                                 job.expected, job.stage_seconds)
    # The recording's length unknown: the overall pace so far.
    elapsed = now - job.started
    if job.fraction < 0.02 or elapsed < 3:
        return None
    return max(0.0, elapsed * (1.0 - job.fraction) / job.fraction)
