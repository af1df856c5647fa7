from __future__ import annotations

import json
import os

import numpy as np
import pytest

from transcribe.asr import AsrOptions, ModelSettings
from transcribe.pipeline import (
    Cancelled,
    PipelineOptions,
    overall_fraction,
    run,
    speaker_count_notice,
)
from transcribe.speakers import SpeakerOptions
from transcribe.transcript import Notice

from speech import dev_clip, synthesise


def test_overall_fraction_is_monotonic_over_stages():
    stages = ["decode", "asr", "align", "diarize", "assign"]
    points = [overall_fraction(s, f, stages) for s in stages for f in (0.0, 0.5, 1.0)]
    assert points == sorted(points)
    assert points[0] == 0.0 and points[-1] == pytest.approx(1.0)


@pytest.mark.slow
def test_run_reports_stages_and_times_them(store, tmp_path):
    clip = synthesise("We are recording the second interview today.", tmp_path / "a.wav")
    seen: list[tuple[str, float]] = []
    transcript = run(clip, PipelineOptions(engine="faster-whisper",
                                           asr=AsrOptions(language="en")),
                     store, lambda stage, fraction: seen.append((stage, fraction)))
    assert next(s for s, _ in seen) == "decode" and ("asr", 1.0) in seen
    assert set(transcript.run.timings) >= {"decode", "asr", "gaps"}
    assert transcript.gaps == []  # every word of it recognised: no speech left without text
    assert transcript.source == "a.wav" and transcript.engine == "faster-whisper"
    assert "recording the second" in transcript.text.lower()
    assert transcript.options.asr.language == "en"


@pytest.mark.slow
def test_single_preset_gives_one_speaker_without_diarization(store, tmp_path):
    clip = synthesise("I will tell you how the project started, and who took part.",
                      tmp_path / "talk.wav")
    options = PipelineOptions(asr=AsrOptions(language="en"), diarize=True,
                              speakers=SpeakerOptions(preset="single"), ui_language="en")
    transcript = run(clip, options, store)
    assert transcript.run.diarization == "single"  # pyannote never ran
    assert {s.speaker for s in transcript.segments} == {"SPEAKER_00"}
    assert [s.name for s in transcript.speakers.values()] == ["Speaker 1"]
    assert transcript.speakers["SPEAKER_00"].role is None  # no roles for one person
    assert transcript.notices == []


@pytest.mark.parametrize("found, counts, asked", [
    (1, (4, None, None), "4"),
    (2, (2, None, None), None),
    (1, (None, 2, 6), "2-6"),
    (7, (None, None, 6), "1-6"),
    (2, (None, 3, None), ">= 3"),
    (3, (None, 1, 6), None),
])
def test_a_speaker_count_other_than_asked_is_a_warning(found, counts, asked):
    notice = speaker_count_notice(found, *counts, "a.wav")
    expected = None if asked is None else Notice("speakers.count_mismatch", {
        "name": "a.wav", "found": found, "asked": asked})
    assert notice == expected


def test_cancel_stops_the_run(store, tmp_path):
    clip = synthesise("This will be cancelled.", tmp_path / "c.wav")
    with pytest.raises(Cancelled):
        run(clip, PipelineOptions(engine="faster-whisper"), store, cancelled=lambda: True)


@pytest.mark.slow
def test_silence_gives_an_empty_transcript_with_a_warning(store, tmp_path):
    import subprocess

    silence = tmp_path / "silence.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono",
                    "-t", "5", str(silence)], check=True)
    transcript = run(silence, PipelineOptions(asr=AsrOptions(language="fr")), store)
    assert transcript.segments == []
    assert transcript.notices == [Notice("asr.no_speech", {"name": "silence.wav"})]


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    """The AMI dev clips tst00 and tst01, 30 s of far-field meeting audio each, with a
    2 s pause between them: cut there in two pieces decoded side by side on two workers
    (joined without it, no cut leaves both pieces the 30 s they need)."""
    from transcribe.audio import SAMPLE_RATE, load_audio

    from dialogue import _write_wav

    first, second = (load_audio(dev_clip(f"ami_debug/{name}.wav")).mono
                     for name in ("tst00", "tst01"))
    joined = np.concatenate([first, np.zeros(2 * SAMPLE_RATE, np.float32), second])
    clip = tmp_path_factory.mktemp("meeting") / "meeting.wav"
    _write_wav(clip, joined[None])
    return clip


@pytest.mark.slow
@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pieces need two CPUs")
def test_torch_stages_keep_to_the_pods_cpu_limit(store, meeting, monkeypatch):
    """torch counts the node's cores, not the pod's CPU limit (cgroup cpu.max); and
    loading CTranslate2's weights for pieces sets the OpenMP thread count torch shares to
    one per worker. VAD and pyannote run on the pod's CPUs all the same."""
    import torch

    from transcribe.asr import base, faster_whisper

    cpu_max = meeting.parent / "cpu.max"
    cpu_max.write_text("200000 100000\n")  # two CPUs
    monkeypatch.setattr(base, "CPU_MAX", cpu_max)
    faster_whisper.load_whisper_model.cache_clear()  # loaded in this run, for two pieces
    threads_seen: dict[str, list[int]] = {}
    before = torch.get_num_threads()
    torch.set_num_threads(4)  # as on a node with more cores than the pod may use
    try:
        run(meeting, PipelineOptions(engine="faster-whisper",
                                     model=ModelSettings(device="cpu"),
                                     asr=AsrOptions(language="en"), diarize=True),
            store, lambda stage, _: threads_seen.setdefault(stage, []).append(
                torch.get_num_threads()))
    finally:
        torch.set_num_threads(before)
    assert threads_seen["asr"][0] == 2  # the VAD that plans the pieces
    assert set(threads_seen["diarize"]) == {2}


@pytest.mark.slow
def test_three_runs_give_the_same_transcript(store, meeting, monkeypatch):
    """The same file, options and model give the same JSON (timings aside). The AMI dev
    clips (far-field meeting audio) make Whisper base fall back to sampling (measured:
    temperature 0.4 on tst00's first window, 1.0 on tst01's last); cut in two pieces
    decoded side by side on two workers (`meeting`), so both the seeding and the joining
    of pieces are exercised."""
    from transcribe.asr import faster_whisper

    clip = meeting
    seeded: list[int] = []
    original = faster_whisper.load_sampler

    def spy(model, seed, encoded):
        seeded.append(seed)
        return original(model, seed, encoded)

    monkeypatch.setattr(faster_whisper, "load_sampler", spy)
    options = PipelineOptions(engine="faster-whisper", model=ModelSettings(cpu_threads=2),
                              asr=AsrOptions(language="en"), diarize=True,
                              speakers=SpeakerOptions(preset="interview"), ui_language="en")
    outputs, seeds = [], []
    for _ in range(3):
        data = run(clip, options, store).to_dict()
        data["run"].pop("timings")
        outputs.append(json.dumps(data, sort_keys=True, ensure_ascii=False))
        seeds.append(sorted(seeded))
        seeded.clear()
    # The fallback sampled, in each run from the same seeds (one per piece that sampled).
    assert seeds[0] and seeds[1] == seeds[0] and seeds[2] == seeds[0]
    assert json.loads(outputs[0])["options"]["asr"]["seed"] == 1234
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]
