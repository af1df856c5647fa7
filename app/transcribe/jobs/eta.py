"""How long a running job has left: every stage still to come, from the recording's length
and this machine's speed of each stage, corrected as the job runs.

A stage takes `fixed + per_second x audio seconds`, model loading included (fixed: loading
a model, starting a process). The defaults were measured on a 2-core CPU (DEFAULT_SPEEDS);
jobs that finished on this machine with the same engine, model and device replace them:
their record keeps each stage's seconds as the job saw them, loading counted, and both
parts are fitted to them (`fit_speed`), so that a GPU, a faster CPU or a busy machine gets
its own figures after one job. While a job runs, the stages already done and the running
stage's progress (or its overrun) correct the rest: a busy machine is slower at every
stage, and a stage late by minutes makes the stages to come minutes long too.

The progress bar never goes backwards (`monotonic_progress`): stages run in a worker
process whose reports may repeat a stretch (Whisper decoding a window again) or arrive
late.
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
# Lengths must differ this much (longest / shortest) before a line is fitted through the
# jobs' stage times; else the default line is scaled to what they took.
FIT_SPREAD = 1.5
# How far the stages done (and a late running stage) may correct the stages to come: a
# shared 2-core machine under heavy load ran 8 to 25 times slower than DEFAULT_SPEEDS.
PACE_LIMITS = (0.05, 50.0)
# A running stage past its planned time that says nothing of its progress is taken as this
# far through: its rest, and the stages after it, stay in proportion to its overrun.
LATE_SHARE = 0.75
MIN_ELAPSED = 2.0  # seconds of a stage before its own progress counts
# The pace starts at 1 as if a share of the job (at most PACE_PRIOR seconds) had gone as
# planned: a few seconds of decoding do not rescale an hour of transcription, yet a short
# call whose first stages ran 8 times slow is not announced as seconds.
PACE_PRIOR = 20.0
PACE_PRIOR_SHARE = 0.02


def profile(options: PipelineOptions) -> str:
    """What a stage's speed depends on: the engine, model and device asked for (on one
    machine, "auto" always means the same)."""
    return f"{options.engine}/{options.model.name}/{options.model.device}"


def model_factor(model: str) -> float:
    name = model.lower()
    return next((f for key, f in MODEL_FACTORS.items() if key in name), 1.0)


def fit_speed(seen: list[tuple[float, float]], default: StageSpeed) -> StageSpeed:
    """A stage's speed from what it took on finished jobs, (seconds, audio seconds) each,
    loading counted: a line `fixed + per_second x length` through them when their lengths
    differ enough to tell the two apart, else the default line scaled to their seconds (a
    machine twice as slow loads and works twice as slowly)."""
    seen = [(seconds, length) for seconds, length in seen if length > 0 and seconds >= 0]
    if not seen:
        return default
    lengths = [length for _, length in seen]
    if len(seen) >= 2 and max(lengths) >= FIT_SPREAD * min(lengths):
        count = len(seen)
        mean_length = sum(lengths) / count
        mean_seconds = sum(seconds for seconds, _ in seen) / count
        spread = sum((length - mean_length) ** 2 for length in lengths)
        slope = sum((length - mean_length) * (seconds - mean_seconds)
                    for seconds, length in seen) / spread
        fixed = mean_seconds - slope * mean_length
        if slope >= 0 and fixed >= 0:
            return StageSpeed(fixed, slope)
        if slope < 0:  # longer took less: loading dominates, whatever the length
            return StageSpeed(mean_seconds, 0.0)
        # A line through the origin (no loading to speak of).
        return StageSpeed(0.0, sum(s * n for s, n in seen) / sum(n * n for n in lengths))
    planned = sum(default.seconds(length) for length in lengths)
    ratio = sum(seconds for seconds, _ in seen) / planned if planned > 0 else 1.0
    return StageSpeed(default.fixed * ratio, default.per_second * ratio)


def history(jobs: Iterable[Job], options: PipelineOptions) -> list[Job]:
    """The last finished jobs of the same profile, newest first: what speeds learn from."""
    key = profile(options)
    return sorted((j for j in jobs if j.status == DONE and j.duration and j.stage_seconds
                   and profile(j.pipeline_options) == key),
                  key=lambda j: j.finished or 0.0, reverse=True)[:HISTORY]


def measured_speeds(jobs: Iterable[Job], options: PipelineOptions) -> dict[str, StageSpeed]:
    """Each stage's speed from the last finished jobs of the same profile (`fit_speed`,
    loading counted); defaults for stages none has run."""
    done = history(jobs, options)
    speeds = {}
    for stage, default in DEFAULT_SPEEDS.items():
        if stage == "asr":
            default = StageSpeed(default.fixed, default.per_second *
                                 model_factor(options.model.name))
        speeds[stage] = fit_speed([(j.stage_seconds[stage], j.duration) for j in done
                                   if stage in j.stage_seconds], default)
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


def monotonic_progress(stages: list[str], shown_stage: str | None, shown: float,
                       stage: str, fraction: float) -> tuple[str, float] | None:
    """What a progress report changes, never going back: the stage and its fraction, or
    None when it would move the bar backwards (a stage before the one shown, reported
    late). Within a stage, the fraction only grows (Whisper decoding a window again from
    a seeded model reports that stretch again)."""
    fraction = min(max(fraction, 0.0), 1.0)
    if shown_stage in stages and stage in stages:
        if stages.index(stage) < stages.index(shown_stage):
            return None
        if stage == shown_stage:
            fraction = max(fraction, shown)
    return stage, fraction


def remaining_seconds(stages: list[str], stage: str, stage_fraction: float,
                      stage_elapsed: float, expected: dict[str, float],
                      done: dict[str, float],
                      work_from: tuple[float, float] | None = None) -> float:
    """Seconds left: the rest of the running stage and every stage after it.

    `expected`: seconds per stage before the job started; `done`: seconds the finished
    stages took. Their ratio (the pace) scales what is still to come; the running stage
    counts too: by its progress once it says something, else by its overrun (a stage
    loading a model for minutes on a busy machine makes the stages after it slow too).
    Its own progress, once it says something, projects its end: from `work_from`
    (seconds into the stage, fraction) of its first report with progress, so that the
    time it spent loading a model does not count as its rate of work.
    """
    fraction = min(max(stage_fraction, 0.0), 1.0)
    planned = sum(expected.get(s, 0.0) for s in done)
    actual = sum(done.values())
    current = expected.get(stage, 0.0)
    prior = min(PACE_PRIOR, PACE_PRIOR_SHARE * sum(expected.values()))

    def pace_of(actual: float, planned: float) -> float:
        if planned + prior <= 0:
            return 1.0
        return min(max((actual + prior) / (planned + prior), PACE_LIMITS[0]), PACE_LIMITS[1])

    pace = pace_of(actual, planned)
    # The stage's rate of work: from its first report with progress when known (a model
    # loaded meanwhile is no measure of its work), else from its start.
    since, start = work_from if work_from is not None else (0.0, 0.0)
    progressing = (current > 0 and fraction >= 0.05 and fraction - start >= 0.05
                   and stage_elapsed - since >= MIN_ELAPSED)
    late = not progressing and 0 < current * pace < stage_elapsed
    if progressing:
        pace = pace_of(actual + stage_elapsed, planned + current * fraction)
    elif late:  # no progress to measure yet (a model still loading): LATE_SHARE done
        pace = pace_of(actual + stage_elapsed, planned + current * LATE_SHARE)

    planned_left = max(current * pace - stage_elapsed, 0.0)
    if progressing:
        projected_left = (stage_elapsed - since) * (1.0 - fraction) / (fraction - start)
        # Trust the stage's own progress more as it goes on.
        left = (1.0 - fraction) * planned_left + fraction * projected_left
    elif late:
        left = stage_elapsed * (1.0 - LATE_SHARE) / LATE_SHARE
    else:
        left = planned_left
    following = stages[stages.index(stage) + 1:] if stage in stages else []
    return left + pace * sum(expected.get(s, 0.0) for s in following)


def pace_known(job: Job) -> bool:
    """Whether a job planned on the defaults alone (no finished job on this machine to
    learn from) has shown this machine's pace yet: a stage with real work done (past
    decoding, a few seconds of ffmpeg), or the running one's progress. Until then its
    plan may be many times too short on a busy machine: "estimating", not "less than a
    minute"."""
    if not job.expected_defaults:
        return True
    return any(stage != "decode" for stage in job.stage_seconds) or (
        job.stage not in (None, "decode") and job.stage_work_from is not None)


def estimate_remaining(job: Job, now: float | None = None) -> float | None:
    """Seconds left for a running job; None while too early to say."""
    if job.status != RUNNING or job.started is None:
        return None
    now = now if now is not None else time.time()
    if job.expected and job.stage:
        if not pace_known(job):
            return None
        stages = list(job.expected)
        elapsed = now - (job.stage_started or job.started)
        return remaining_seconds(stages, job.stage, job.stage_fraction, max(elapsed, 0.0),
                                 job.expected, job.stage_seconds,
                                 tuple(job.stage_work_from) if job.stage_work_from else None)
    # The recording's length unknown: the overall pace so far.
    elapsed = now - job.started
    if job.fraction < 0.02 or elapsed < 3:
        return None
    return max(0.0, elapsed * (1.0 - job.fraction) / job.fraction)
