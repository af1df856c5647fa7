"""Speech that no text covers: where the voice activity detector hears someone and the
transcript has no word, because the guard took invented text out of it (a loop, a guess)
or because the recogniser wrote nothing there.

Such a stretch must never vanish without a trace: each becomes a `Gap` in the transcript,
which every export marks at its place (`[inaudible 00:07-00:14]`, conventions.py), the
editor shows as a mark that plays it, and the job's notices count. Speech regions are the
tight ones the bound uses (Silero VAD, 0.1 s of padding, a silence of 0.3 s ends one);
words cover their own times and a little around them (their times are estimates).
"""

from __future__ import annotations

from .diarize import SpeakerTurn
from .i18n import Notice
from .transcript import Gap, Segment

Regions = list[tuple[float, float]]

# An uncovered stretch shorter than this is a breath, a laugh, a "mm" the recogniser
# rightly left out, or word times a little off: not reported. Measured on the dev clips
# (README, "Speech with no text"): the stretches that real omissions leave run from 1.5 s
# up, while 99% of the uncovered bits of well-transcribed speech are under 1 s.
MIN_GAP = 1.0
# Where the guard removed text, a shorter stretch is still reported: something was said.
MIN_GUARD_GAP = 0.5
# Seconds around each word's own times that count as covered by it.
WORD_SLACK = 0.15


def find_gaps(segments: list[Segment], speech: dict[str | None, Regions],
              removed: dict[str | None, Regions] | None = None,
              turns: list[SpeakerTurn] | None = None, min_gap: float = MIN_GAP) -> list[Gap]:
    """The stretches of `speech` (per track: the speaker whose microphone it is, or None
    for the mix) that no word of that track covers, long enough to matter; "guard" where
    they overlap what the guard removed on that track. The speaker of a gap is the
    track's, else the diarization turn over most of it."""
    removed = removed or {}
    gaps: list[Gap] = []
    for track, regions in speech.items():
        own = [s for s in segments if track is None or s.speaker == track]
        taken_out = removed.get(track, [])
        for start, end in subtract(sorted(regions), covered(own)):
            guard = any(s < end and e > start for s, e in taken_out)
            if end - start < (MIN_GUARD_GAP if guard else min_gap):
                continue
            speaker = track if track is not None else _speaker_over(start, end, turns or [])
            gaps.append(Gap(round(start, 3), round(end, 3), "guard" if guard else "no_text",
                            speaker))
    return sorted(gaps, key=lambda g: (g.start, g.end))


def covered(segments: list[Segment]) -> Regions:
    """Where the segments' words are (with `WORD_SLACK` around each), merged; a segment
    without timed words covers its own span."""
    spans = []
    for segment in segments:
        timed = [(w.start, w.end) for w in segment.words
                 if w.start is not None and w.end is not None]
        if not timed:
            timed = [(segment.start, segment.end)]
        spans += [(start - WORD_SLACK, end + WORD_SLACK) for start, end in timed]
    merged: Regions = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(regions: Regions, holes: Regions) -> Regions:
    """What of sorted `regions` lies outside the sorted, merged `holes`."""
    left: Regions = []
    index = 0
    for start, end in regions:
        while index < len(holes) and holes[index][1] <= start:
            index += 1
        cursor, probe = start, index
        while probe < len(holes) and holes[probe][0] < end:
            if holes[probe][0] > cursor:
                left.append((cursor, holes[probe][0]))
            cursor = max(cursor, holes[probe][1])
            probe += 1
        if cursor < end:
            left.append((cursor, end))
    return left


def _speaker_over(start: float, end: float, turns: list[SpeakerTurn]) -> str | None:
    overlap: dict[str, float] = {}
    for turn in turns:
        shared = min(end, turn.end) - max(start, turn.start)
        if shared > 0:
            overlap[turn.speaker] = overlap.get(turn.speaker, 0.0) + shared
    return max(overlap, key=overlap.__getitem__) if overlap else None


def gaps_notice(gaps: list[Gap]) -> Notice | None:
    """How many stretches of speech have no text, and how long they last in all."""
    if not gaps:
        return None
    return Notice("gaps.found", {"count": len(gaps),
                                 "seconds": round(sum(g.duration for g in gaps))})
