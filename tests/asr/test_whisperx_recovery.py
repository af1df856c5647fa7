"""Batched decoding must not lose speech: what it leaves out is decoded again."""

from __future__ import annotations

import numpy as np
import pytest

from transcribe.asr import AsrOptions, ModelSettings
from transcribe.asr.base import SegmentStats
from transcribe.asr.faster_whisper import model_for
from transcribe.asr.whisperx import WhisperXEngine, failed_quality, uncovered_speech
from transcribe.audio import SAMPLE_RATE, load_audio
from transcribe.transcript import Segment, Word
from transcribe.vad import detect_chunks

from speech import synthesise


def segment(start: float, end: float) -> Segment:
    return Segment(start, end, "x", words=[Word(start, end, " x", 0.9)])


def test_uncovered_speech_finds_what_no_word_covers():
    speech = [(0.0, 4.0), (6.0, 12.0)]
    assert uncovered_speech([segment(0.2, 3.8), segment(6.1, 11.9)], speech) == []
    # The second sentence came back only up to 8 s: 8.4..12 is uncovered.
    gaps = uncovered_speech([segment(0.2, 3.8), segment(6.1, 8.0)], speech)
    assert gaps == [(pytest.approx(8.4), 12.0)]
    # Short leftovers (word edges, breaths) are not worth decoding again.
    assert uncovered_speech([segment(0.2, 3.8), segment(6.1, 11.0)], speech) == []


def test_failed_quality_uses_whispers_thresholds():
    assert failed_quality(SegmentStats(avg_logprob=-0.3, compression_ratio=3.1))
    assert failed_quality(SegmentStats(avg_logprob=-1.4, compression_ratio=1.2))
    assert not failed_quality(SegmentStats(avg_logprob=-0.3, compression_ratio=1.5))
    # Silence correctly decoded as nothing is not a failure.
    assert not failed_quality(SegmentStats(avg_logprob=-1.5, no_speech_prob=0.9))


@pytest.mark.slow
def test_dropped_sentence_is_decoded_again(store, tmp_path):
    sentences = ["Good morning, thank you for joining us today.",
                 "I started working at the town hall in two thousand ten.",
                 "Then I moved to Lyon to join a small association."]
    parts = [load_audio(synthesise(s, tmp_path / f"{i}.wav")).mono
             for i, s in enumerate(sentences)]
    pause = np.zeros(2 * SAMPLE_RATE, dtype=np.float32)
    samples = np.concatenate([parts[0], pause, parts[1], pause, parts[2]])
    options = AsrOptions(language="en")
    model = ModelSettings().resolved()
    engine = WhisperXEngine(store, model)
    full = engine.transcribe(samples, options)
    assert "small association" in " ".join(s.text for s in full.segments).lower()

    # What batched decoding sometimes returns: the chunk's first sentences only.
    chunks = detect_chunks(samples)
    assert len(chunks) == 1
    third_start = (len(parts[0]) + len(parts[1]) + 2 * len(pause)) / SAMPLE_RATE
    kept = [s for s in full.segments if s.end <= third_start]
    assert all(s.decoder for s in kept)  # each with its decoder statistics
    assert "association" not in " ".join(s.text for s in kept).lower()
    recovered = engine._recover(model_for(store, model), samples, chunks[0], kept,
                                options, "en")
    text = " ".join(s.text for s in recovered).lower()
    assert "small association" in text
    starts = [s.start for s in recovered]
    assert starts == sorted(starts)
