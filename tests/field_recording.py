"""A long recording as a field recorder writes it (44.1 kHz, stereo, 16-bit WAV: about
635 MB an hour), made quickly and in small pieces: silence with a short tone every
minute (and, if asked, a noise floor), so that it is large on disk and quick to
transcribe (Whisper spends three times longer on a noise floor than on silence)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 44100
BLOCK = 60  # seconds written at a time: one tone per block


def field_recording(path: Path, seconds: float, noise: int = 0, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    tone_time = np.arange(int(RATE * 0.5)) / RATE
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * tone_time)).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        left = int(seconds * RATE)
        while left > 0:
            frames = min(left, BLOCK * RATE)
            block = (rng.integers(-noise, noise + 1, size=(frames, 2), dtype=np.int16)
                     if noise else np.zeros((frames, 2), dtype=np.int16))
            if frames > tone.size:
                block[RATE: RATE + tone.size, 0] += tone
            out.writeframes(block.tobytes())
            left -= frames
    return path
