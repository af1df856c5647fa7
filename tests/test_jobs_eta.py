"""The time a job has left (jobs/eta.py): every stage still to come, from the recording's
length and this machine's speeds, corrected as it runs. Pure: no queue, no clock."""

from __future__ import annotations

import pytest

from transcribe.asr import ModelSettings
from transcribe.jobs import DONE, RUNNING, Job
from transcribe.jobs.eta import (
    DEFAULT_SPEEDS,
    StageSpeed,
    estimate_remaining,
    expected_seconds,
    fit_speed,
    measured_speeds,
    monotonic_progress,
    overall_progress,
    remaining_seconds,
)
from transcribe.pipeline import PipelineOptions

STAGES = ["decode", "asr", "align", "diarize", "assign"]
HOUR = 3600.0


def test_the_stages_to_come_count_while_an_early_one_runs():
    # A 57-minute interview: speaker identification alone takes minutes; it must be in
    # the estimate while the transcription runs, not "less than a minute".
    expected = expected_seconds(STAGES, 57 * 60, DEFAULT_SPEEDS)
    assert expected["diarize"] > 120
    left = remaining_seconds(STAGES, "asr", 0.99, expected["asr"] * 0.99, expected,
                             {"decode": expected["decode"]})
    assert left == pytest.approx(expected["align"] + expected["diarize"] + expected["assign"],
                                 rel=0.05)
    during_speakers = remaining_seconds(STAGES, "diarize", 0.0, 0.0, expected,
                                        {s: expected[s] for s in STAGES[:3]})
    assert during_speakers == pytest.approx(expected["diarize"] + expected["assign"])


def test_a_short_call_is_not_announced_as_minutes():
    expected = expected_seconds(STAGES, 30.0, DEFAULT_SPEEDS)
    total = remaining_seconds(STAGES, "decode", 0.0, 0.0, expected, {})
    assert 5 < total < 60  # the 30 s call of the report took 18 s; "about 2 min" was wrong


def test_a_slow_machine_corrects_the_stages_to_come():
    expected = {"decode": 10.0, "asr": 100.0, "diarize": 50.0}
    on_time = remaining_seconds(list(expected), "asr", 0.0, 0.0, expected, {"decode": 10.0})
    slow = remaining_seconds(list(expected), "asr", 0.0, 0.0, expected, {"decode": 40.0})
    # Decoding took 4 times its plan; with the prior (2 % of the plan, 3.2 s, as planned),
    # a pace of (40 + 3.2) / (10 + 3.2) for the rest.
    assert on_time == pytest.approx(150.0)
    assert slow == pytest.approx(150.0 * 43.2 / 13.2)
    # The running stage's own progress: half done in 100 s instead of 50 (on time: 100 s
    # left; late: about 100 s of it and the rest slower too).
    half = remaining_seconds(list(expected), "asr", 0.5, 50.0, expected, {"decode": 10.0})
    late = remaining_seconds(list(expected), "asr", 0.5, 100.0, expected, {"decode": 10.0})
    assert half == pytest.approx(100.0) and late > 150.0
    # A stage that says nothing of its progress and runs late: never "0 left".
    overdue = remaining_seconds(list(expected), "diarize", 0.0, 80.0, expected,
                                {"decode": 10.0, "asr": 100.0})
    assert overdue > 0


def finished(duration: float, seconds: dict[str, float], model: str = "base",
             finished_at: float = 1.0) -> Job:
    options = PipelineOptions(model=ModelSettings(model))
    return Job(id="j", name="a.wav", media="source.wav", created=0.0, status=DONE,
               duration=duration, options=options.to_dict(), stage_seconds=seconds,
               finished=finished_at)


def test_speeds_learnt_from_finished_jobs_of_the_same_model():
    options = PipelineOptions(model=ModelSettings("base"))
    fixed = {stage: speed.fixed for stage, speed in DEFAULT_SPEEDS.items()}
    fast_gpu = finished(HOUR, {"asr": fixed["asr"] + 0.01 * HOUR,
                               "diarize": fixed["diarize"] + 0.02 * HOUR})
    other_model = finished(HOUR, {"asr": fixed["asr"] + 1.0 * HOUR}, model="small")
    speeds = measured_speeds([fast_gpu, other_model], options)
    # One length: the default line scaled to what the job took, loading included.
    assert speeds["asr"].seconds(HOUR) == pytest.approx(fixed["asr"] + 0.01 * HOUR)
    assert speeds["diarize"].seconds(HOUR) == pytest.approx(fixed["diarize"] + 0.02 * HOUR)
    assert speeds["align"] == DEFAULT_SPEEDS["align"]  # never seen: the default
    # No history for a model: the default, scaled by the model's size.
    small = measured_speeds([], PipelineOptions(model=ModelSettings("small")))
    assert small["asr"].per_second > DEFAULT_SPEEDS["asr"].per_second * 2


def test_a_running_job_record_gives_its_estimate():
    expected = {"decode": 1.0, "asr": 100.0, "diarize": 60.0}
    job = Job(id="j", name="a.wav", media="source.wav", created=0.0, status=RUNNING,
              started=0.0, stage="asr", stage_started=1.0, stage_fraction=0.0,
              expected=expected, stage_seconds={"decode": 1.0})
    assert estimate_remaining(job, now=11.0) == pytest.approx(90.0 + 60.0)
    job.expected = {}  # length unknown: the old estimate, from overall progress
    job.fraction = 0.5
    assert estimate_remaining(job, now=10.0) == pytest.approx(10.0)
    assert StageSpeed(2.0, 0.5).seconds(10.0) == 7.0


def test_the_progress_bar_weighs_stages_by_their_expected_time():
    expected = {"decode": 10.0, "asr": 30.0, "diarize": 60.0}
    assert overall_progress("asr", 0.5, list(expected), expected) == pytest.approx(0.25)
    assert overall_progress("diarize", 0.0, list(expected), expected) == pytest.approx(0.4)
    assert 0 < overall_progress("asr", 0.5, list(expected), {}) < 1  # length unknown


def slow_machine_job(duration: float, slowness: float) -> list[tuple[str, float, float, float]]:
    """A job on a machine `slowness` times slower than DEFAULT_SPEEDS at every stage, as
    the worker reports it: (stage, start, end, when its work starts), each stage silent
    while it loads its model (the fixed part), then reporting its progress."""
    stages, start = [], 0.0
    for stage in STAGES:
        speed = DEFAULT_SPEEDS[stage]
        loaded = start + speed.fixed * slowness
        end = loaded + speed.per_second * duration * slowness
        stages.append((stage, start, end, loaded))
        start = end
    return stages


def reported_fraction(stage: str, now: float, start: float, end: float, loaded: float) -> float:
    if now < loaded:
        return 0.0
    work = min((now - loaded) / max(end - loaded, 1e-9), 1.0)
    # pyannote: segmentation (to 0.3) comes at once, then the embeddings (diarize.py).
    return 0.3 + 0.65 * work if stage == "diarize" else work


def estimates_through(duration: float, slowness: float,
                      expected: dict[str, float]) -> list[tuple[float, float, float]]:
    """(time, estimated seconds left, true seconds left) each second of the job."""
    timeline = slow_machine_job(duration, slowness)
    total = timeline[-1][2]
    rows, now = [], 0.0
    while now < total:
        stage, start, end, loaded = next(s for s in timeline if s[1] <= now < s[2])
        done = {name: e - b for name, b, e, _ in timeline if e <= now}
        first = next((second for second in range(int(start), int(now) + 1)
                      if second >= start
                      and reported_fraction(stage, second, start, end, loaded) > 0), None)
        work_from = None if first is None else (
            first - start, reported_fraction(stage, first, start, end, loaded))
        left = remaining_seconds(STAGES, stage, reported_fraction(stage, now, start, end, loaded),
                                 now - start, expected, done, work_from)
        rows.append((now, left, total - now))
        now += 1.0
    return rows


def test_a_stage_minutes_away_never_reads_less_than_a_minute():
    # The report: a 30 s call took 2 min 37 s on a busy machine (every stage, model
    # loading included, 8 times the defaults); "less than a minute" showed for almost all
    # of it, and for the speakers' stage while it ran for minutes.
    expected = expected_seconds(STAGES, 30.0, DEFAULT_SPEEDS)
    rows = estimates_through(30.0, 8.0, expected)
    assert rows[-1][0] > 120
    decoded = next(b for name, b, e, _ in slow_machine_job(30.0, 8.0) if name == "asr")
    # Once the first stage has shown the machine's pace, while 90 s or more are left,
    # never under a minute.
    wrong = [(round(now), round(left)) for now, left, truth in rows
             if now >= decoded and truth >= 90 and left < 60]
    assert not wrong
    # And mostly about right: the median estimate within 25 %, never off by 4 times.
    ratios = sorted(left / truth for now, left, truth in rows if now >= decoded and truth > 10)
    assert 0.75 < ratios[len(ratios) // 2] < 1.25
    assert 0.25 < ratios[0] and ratios[-1] < 4


def test_a_stage_running_late_without_progress_makes_the_rest_longer():
    # pyannote loading for 100 s on a busy machine, 10 times its plan, nothing reported
    # yet: its rest and the stage after it stay in proportion, not "less than a minute".
    expected = {"decode": 10.0, "diarize": 10.0, "assign": 30.0}
    left = remaining_seconds(list(expected), "diarize", 0.0, 100.0, expected, {"decode": 10.0})
    assert left > 60 + 100 / 3


def test_speeds_include_the_model_loading_measured_on_past_jobs():
    # This machine loads pyannote in 40 s, then works at 0.5 s per second of audio: two
    # past jobs of different lengths tell the two apart, and an hour is planned right.
    past = [finished(length, {"diarize": 40.0 + 0.5 * length}, finished_at=length)
            for length in (30.0, 120.0)]
    speeds = measured_speeds(past, PipelineOptions(model=ModelSettings("base")))
    assert speeds["diarize"].fixed == pytest.approx(40.0)
    assert speeds["diarize"].seconds(HOUR) == pytest.approx(40.0 + 0.5 * HOUR)
    # One length only: the default line scaled (a machine slower at loading is slower at
    # the work too).
    scaled = fit_speed([(80.0, 30.0)], DEFAULT_SPEEDS["diarize"])
    assert scaled.seconds(30.0) == pytest.approx(80.0)
    assert scaled.fixed > DEFAULT_SPEEDS["diarize"].fixed * 5


def test_the_bar_never_goes_backwards():
    # Whisper decoding a window again from a seeded model reports that stretch again; a
    # worker's report of an earlier stage may arrive after a later one.
    assert monotonic_progress(STAGES, "asr", 0.9, "asr", 0.6) == ("asr", 0.9)
    assert monotonic_progress(STAGES, "diarize", 0.3, "align", 1.0) is None
    assert monotonic_progress(STAGES, "asr", 0.9, "align", 0.0) == ("align", 0.0)
    assert monotonic_progress(STAGES, None, 0.0, "decode", 1.5) == ("decode", 1.0)


def test_a_first_job_on_the_defaults_says_estimating_until_its_pace_shows():
    expected = expected_seconds(STAGES, 60.0, DEFAULT_SPEEDS)
    job = Job(id="j", name="a.wav", media="source.wav", created=0.0, status=RUNNING,
              started=0.0, stage="asr", stage_started=1.0, stage_fraction=0.0,
              expected=expected, stage_seconds={"decode": 1.0}, expected_defaults=True)
    # Loading the model for 40 s on a busy machine: no number rather than a wrong one.
    assert estimate_remaining(job, now=41.0) is None
    job.stage_work_from = [40.0, 0.1]  # the first words
    assert estimate_remaining(job, now=42.0) > 60
    job.expected_defaults, job.stage_work_from = False, None  # learnt on this machine
    assert estimate_remaining(job, now=41.0) is not None
