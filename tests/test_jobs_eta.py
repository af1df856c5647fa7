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
    measured_speeds,
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
    # Decoding took 4 times its plan; with PACE_PRIOR (20 s as planned), a pace of
    # (40 + 20) / (10 + 20) = 2 for the rest.
    assert on_time == pytest.approx(150.0) and slow == pytest.approx(300.0)
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
    assert speeds["asr"].per_second == pytest.approx(0.01)
    assert speeds["diarize"].per_second == pytest.approx(0.02)
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
