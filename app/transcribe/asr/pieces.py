"""Cut a long recording in silences into pieces that CPU workers decode side by side.

Whisper decodes a recording one 30 s window after another, each window starting where the
previous one's text ended; with `condition_on_previous_text` off (our default) nothing else
links them, so pieces cut in a silence decode on their own. On a CPU, beam search over the
small decoder cannot keep a second core busy (measured on 2 cores: one thread decodes as
fast as two), so pieces decoded side by side, one thread each, use every core.

A cut moves Whisper's 30 s windows, as any change of a recording's start does; measured on
the bench sessions, the WER spread over cut placements is that of an unsplit recording
started a few seconds later (README, make bench).
"""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

from ..audio import SAMPLE_RATE

# One Whisper window: shorter pieces waste encoder work on padding.
MIN_PIECE = 30.0
# Pieces of an hour-long interview are many and short enough that workers finish together
# (a piece is this long, give or take SEARCH_SHARE, where the silences fall).
MAX_PIECE = 600.0
# A silence is looked for within this share of the ideal piece length around each ideal cut.
SEARCH_SHARE = 0.25
# Without a silence there, the quietest half second within this many seconds of the ideal
# cut (energy of 100 ms frames averaged over 5: a pause between words, not a stop consonant).
QUIET_SEARCH = 5.0
QUIET_FRAME = 0.1
QUIET_FRAMES = 5


def plan_pieces(samples: np.ndarray, speech: list[tuple[float, float]],
                workers: int) -> list[tuple[float, float]]:
    """(start, end) seconds of consecutive pieces covering the whole recording, cut in the
    silences between the `speech` regions (Silero VAD's, padded)."""
    duration = samples.size / SAMPLE_RATE
    count = min(max(workers, math.ceil(duration / MAX_PIECE)), int(duration // MIN_PIECE))
    if workers < 2 or count < 2:
        return [(0.0, duration)]
    length = duration / count
    silences = [(end + start) / 2 for (_, end), (start, _) in pairwise(speech)
                if start > end]
    cuts: list[float] = []
    for index in range(1, count):
        ideal = index * length
        # Every piece at least MIN_PIECE long, the last one included.
        lowest, highest = (cuts[-1] if cuts else 0.0) + MIN_PIECE, duration - MIN_PIECE
        near = [s for s in silences
                if abs(s - ideal) <= SEARCH_SHARE * length and lowest <= s <= highest]
        cut = (min(near, key=lambda s: abs(s - ideal)) if near
               else quietest_point(samples, ideal))
        if lowest <= cut <= highest:
            cuts.append(cut)
    bounds = [0.0, *cuts, duration]
    return list(pairwise(bounds))


def quietest_point(samples: np.ndarray, around: float) -> float:
    """The middle of the quietest half second within QUIET_SEARCH seconds of `around`."""
    frame = int(QUIET_FRAME * SAMPLE_RATE)
    first = max(0, int((around - QUIET_SEARCH) * SAMPLE_RATE))
    window = samples[first: int((around + QUIET_SEARCH) * SAMPLE_RATE)]
    frames = window[: window.size // frame * frame].reshape(-1, frame)
    if len(frames) < QUIET_FRAMES:
        return around
    energy = np.square(frames, dtype=np.float64).mean(axis=1)
    smoothed = np.convolve(energy, np.ones(QUIET_FRAMES) / QUIET_FRAMES, mode="valid")
    quietest = int(np.argmin(smoothed))
    return (first + (quietest + QUIET_FRAMES / 2) * frame) / SAMPLE_RATE
