"""Voice activity: where people speak.

Two models, both shipped inside wheels: the pyannote VAD model of the whisperx wheel cuts
recordings into chunks for batched decoding (what WhisperX does); Silero VAD, which the
faster-whisper wheel ships as a small ONNX file, tells the guard where speech is when the
engine ran no VAD of its own (15 times faster on CPU: 0.4 s against 6 s for 5 minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .audio import SAMPLE_RATE

ONSET = 0.5
OFFSET = 0.363


@dataclass
class Chunk:
    """A stretch of audio to decode in one go, and the speech regions inside it."""

    start: float
    end: float
    speech: list[tuple[float, float]]


@lru_cache(maxsize=2)
def _load(device: str):
    import torch
    from whisperx.vads import Pyannote

    from .logs import quiet_libraries

    quiet_libraries()
    return Pyannote(torch.device(device), vad_onset=ONSET, vad_offset=OFFSET)


def detect_chunks(samples: np.ndarray, chunk_size: float = 30.0,
                  device: str = "cpu") -> list[Chunk]:
    """Speech regions merged into chunks of at most `chunk_size` seconds."""
    import torch
    from whisperx.vads import Pyannote

    if samples.size == 0:
        return []
    vad = _load(device)
    scores = vad({"waveform": torch.from_numpy(np.ascontiguousarray(samples)).unsqueeze(0),
                  "sample_rate": SAMPLE_RATE})
    merged = Pyannote.merge_chunks(scores, chunk_size, onset=ONSET, offset=OFFSET)
    return [Chunk(float(m["start"]), float(m["end"]),
                  [(float(s), float(e)) for s, e in m["segments"]]) for m in merged]


# Silero is run on blocks of this many seconds: faster-whisper pads and re-frames what it
# is given (two more copies of it), which for a 3 h recording would be two more copies of
# the whole decoded audio.
SPEECH_BLOCK = 600.0
# Regions of two blocks this close are one region the block boundary split.
BLOCK_JOIN = 1.0


def detect_speech(samples: np.ndarray, pad: float = 0.4,
                  min_silence: float = 2.0) -> list[tuple[float, float]]:
    """Speech regions (seconds) by Silero VAD, padded by `pad` on each side; a silence
    shorter than `min_silence` does not end a region (faster-whisper's default, 2 s)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    block = int(SPEECH_BLOCK * SAMPLE_RATE)
    settings = VadOptions(speech_pad_ms=round(pad * 1000),
                          min_silence_duration_ms=round(min_silence * 1000))
    regions: list[tuple[float, float]] = []
    for first in range(0, samples.size, block):
        offset = first / SAMPLE_RATE
        piece = np.ascontiguousarray(samples[first:first + block], dtype=np.float32)
        found = [(offset + r["start"] / SAMPLE_RATE, offset + r["end"] / SAMPLE_RATE)
                 for r in get_speech_timestamps(piece, settings)]
        if found and regions and first and found[0][0] - regions[-1][1] < BLOCK_JOIN:
            regions[-1] = (regions[-1][0], found.pop(0)[1])
        regions += found
    return regions


def speech_regions(chunks: list[Chunk]) -> list[tuple[float, float]]:
    return [region for chunk in chunks for region in chunk.speech]


def speech_overlap(start: float, end: float, regions: list[tuple[float, float]]) -> float:
    """Seconds of speech between start and end."""
    return sum(max(0.0, min(end, e) - max(start, s)) for s, e in regions)
