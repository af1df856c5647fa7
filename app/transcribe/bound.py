"""Word times bounded by speech: no word starts or ends in a silence of its own channel.

Whisper's word times (cross-attention) stretch over pauses: the last word before a silence
often runs to the next words, and a segment with it. Each word is clipped to the speech
region it overlaps most (Silero VAD on the track it was heard on; in channel mode, only
where that speech is also the channel's own speaker's turn, so crosstalk does not count);
a word with no speech under it keeps
its times (the guard and crosstalk removal judge those). Clipping only shortens a word,
so words stay in order. A segment then starts and ends with its words. wav2vec2 times,
already tight, get the same bound.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from operator import itemgetter

import numpy as np

from .transcript import BoundReport, Segment, Word
from .vad import detect_speech

Regions = list[tuple[float, float]]
_SPOKEN = re.compile(r"\w")

# Silero regions for the bound: padded by 0.1 s (the guard pads 0.4 s: it must never cut
# a word), and a silence of 0.3 s or more ends a region (the guard's VAD needs 2 s).
PAD = 0.1
MIN_SILENCE = 0.3


def speech_for_bound(samples: np.ndarray) -> Regions:
    return detect_speech(samples, pad=PAD, min_silence=MIN_SILENCE)


def intersect(first: Regions, second: Regions) -> Regions:
    """Where both sorted, non-overlapping lists of regions hold."""
    both, i, j = [], 0, 0
    while i < len(first) and j < len(second):
        start, end = max(first[i][0], second[j][0]), min(first[i][1], second[j][1])
        if start < end:
            both.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return both


def bound_segments(segments: list[Segment], regions: dict[str | None, Regions]) -> BoundReport:
    """Clip every word of `segments` to the speech of its own track (`regions` by the
    segment's speaker: None for the mix); segments follow their words."""
    report = BoundReport()
    tracks = {speaker: sorted(track) for speaker, track in regions.items()}  # sorted once
    for segment in segments:
        own = tracks.get(segment.speaker)
        if not own:
            continue
        timed = [w for w in segment.words if w.start is not None and w.end is not None]
        for index, word in enumerate(timed):
            if _SPOKEN.search(word.word):
                _bound_word(word, own, report)
            elif index:  # " ?" alone (French spacing) is not a sound: no time of its own
                word.start = word.end = timed[index - 1].end
        if timed:
            segment.start, segment.end = timed[0].start, max(w.end for w in timed)
        elif not segment.words:
            span = _bound_span(segment.start, segment.end, own)
            if span:
                segment.start, segment.end = span
    report.seconds_removed = round(report.seconds_removed, 3)
    return report


def _bound_word(word: Word, regions: Regions, report: BoundReport) -> None:
    region = best_region(word.start, word.end, regions)
    if region is None:
        report.words_outside += 1
        return
    start, end = max(word.start, region[0]), min(word.end, region[1])
    if (start, end) != (word.start, word.end):
        report.words_clipped += 1
        report.seconds_removed += (word.end - word.start) - (end - start)
        word.start, word.end = round(start, 3), round(end, 3)


def best_region(start: float, end: float, regions: Regions) -> tuple[float, float] | None:
    """The region that overlaps [start, end] most (sorted, non-overlapping regions)."""
    best, most = None, 0.0
    # Regions starting before `end`, walked back while they can still overlap.
    for index in range(bisect_right(regions, end, key=itemgetter(0)) - 1, -1, -1):
        region_start, region_end = regions[index]
        if region_end <= start:
            break
        overlap = min(end, region_end) - max(start, region_start)
        if overlap > most or (best is None and overlap >= 0 and end == start):
            best, most = regions[index], overlap
    return best


def _bound_span(start: float, end: float, regions: Regions) -> tuple[float, float] | None:
    inside = [(s, e) for s, e in regions if e > start and s < end]
    if not inside:
        return None
    return max(start, inside[0][0]), min(end, inside[-1][1])
