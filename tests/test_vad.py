"""Silero speech regions, found block by block (vad.detect_speech)."""

from __future__ import annotations

import numpy as np
import pytest

from transcribe import vad
from transcribe.audio import SAMPLE_RATE, load_audio

from speech import synthesise


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    """Silence, then speech from 5 s on, then silence."""
    speech = load_audio(synthesise(
        "Could you tell me how you came to work at the hospital, and what you do there?",
        tmp_path_factory.mktemp("vad") / "talk.wav")).mono
    silence = np.zeros(5 * SAMPLE_RATE, dtype=np.float32)
    return np.concatenate([silence, speech, silence])


def test_a_block_boundary_inside_speech_does_not_split_it(talk, monkeypatch):
    whole = vad.detect_speech(talk)
    assert len(whole) == 1
    # Blocks of 7 s: a boundary falls in the middle of the sentence.
    monkeypatch.setattr(vad, "SPEECH_BLOCK", 7.0)
    blocked = vad.detect_speech(talk)
    assert len(blocked) == 1
    assert abs(blocked[0][0] - whole[0][0]) < 0.1 and abs(blocked[0][1] - whole[0][1]) < 0.5
