from __future__ import annotations

import pytest

from transcribe.asr import AsrOptions
from transcribe.pipeline import Cancelled, PipelineOptions, overall_fraction, run

from speech import synthesise


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
    assert set(transcript.timings) >= {"decode", "asr"}
    assert transcript.source == "a.wav" and transcript.engine == "faster-whisper"
    assert "recording the second" in transcript.text.lower()
    assert transcript.options["asr"]["language"] == "en"


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
    assert transcript.options["warnings"] == [{"key": "asr.no_speech",
                                               "params": {"name": "silence.wav"}}]
