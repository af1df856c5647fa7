"""Remove what Whisper invents: repetition loops and text written over silence.

Both are the failures researchers report most on long interviews. The guard is
deliberately conservative: a human saying "non non non" or "je sais pas, je sais pas"
keeps their words; only long mechanical repetitions and text where the VAD hears no
speech at all are removed.
"""

from __future__ import annotations

import re

import numpy as np

from ..transcript import GuardReport, Segment, SegmentStats, Word
from ..vad import detect_speech, speech_overlap
from .base import AsrResult

# A loop: the same n-gram repeated at least MIN_REPEATS times in a row, spanning at least
# MIN_LOOP_WORDS words. Kept: one occurrence.
MIN_REPEATS = 4
MIN_LOOP_WORDS = 8
MAX_NGRAM = 12
# A segment with less than this share of its time under speech is text over silence.
MIN_SPEECH_SHARE = 0.1
# Phrases Whisper learned from subtitle credits: removed unless clearly spoken.
KNOWN_HALLUCINATIONS = (
    "sous-titres réalisés par la communauté d'amara.org",
    "sous-titres réalisés para la communauté d'amara.org",
    "sous-titrage st' 501",
    "sous-titrage société radio-canada",
    "merci d'avoir regardé cette vidéo",
    "merci d'avoir regardé",
    "abonnez-vous",
    "thanks for watching",
    "thank you for watching",
    "please subscribe",
    "subtitles by the amara.org community",
)
MIN_SPEECH_SHARE_FOR_KNOWN = 0.5
# Text that came out only when sampling hot, and still with low confidence, is what Whisper
# writes over breaths and room noise ("Bonjour.", "Merci."): different at every run.
HOT_TEMPERATURE = 0.6
LOW_LOG_PROB = -1.0


def apply_guard(result: AsrResult, samples: np.ndarray) -> GuardReport:
    """Clean `result` in place; return what was removed."""
    report = GuardReport()
    speech = result.speech
    if speech is None:  # the engine ran no VAD
        speech = detect_speech(samples)
        result.speech = speech
    kept: list[Segment] = []
    previous_text = None
    repeats = 0
    # Where text came out (gaps.py marks the speech there that no text covers any more);
    # text over silence is not: nothing was said there.
    result.removed = []
    for segment in result.segments:
        if is_over_silence(segment, speech):
            report.segments_removed += 1
            continue
        if is_random_guess(segment.decoder or SegmentStats()):
            report.segments_removed += 1
            result.removed.append((segment.start, segment.end))
            continue
        before = list(segment.words)
        removed = remove_loops(segment)
        if removed:
            report.loops_removed += 1
            report.words_removed += removed
            result.removed += _stretch(before, segment.words, segment)
        # The same sentence again and again, one segment each: a loop across segments.
        normalised = _normalise(segment.text)
        repeats = repeats + 1 if normalised and normalised == previous_text else 0
        previous_text = normalised
        if repeats >= 2:
            report.segments_removed += 1
            result.removed.append((segment.start, segment.end))
            continue
        if not segment.text.strip():
            continue
        kept.append(segment)
    result.segments = kept
    return report


def is_random_guess(stat: SegmentStats) -> bool:
    return stat.temperature >= HOT_TEMPERATURE and stat.avg_logprob < LOW_LOG_PROB


def is_over_silence(segment: Segment, speech: list[tuple[float, float]]) -> bool:
    duration = max(segment.end - segment.start, 1e-3)
    share = speech_overlap(segment.start, segment.end, speech) / duration
    if share < MIN_SPEECH_SHARE:
        return True
    text = _normalise(segment.text)
    known = any(phrase in text for phrase in KNOWN_HALLUCINATIONS)
    return known and share < MIN_SPEECH_SHARE_FOR_KNOWN


def remove_loops(segment: Segment) -> int:
    """Collapse repeated n-grams in a segment to one occurrence; return words removed."""
    tokens = segment.words if segment.words else [
        Word(None, None, " " + t) for t in segment.text.split()
    ]
    keys = [_normalise(t.word) for t in tokens]
    keep = [True] * len(tokens)
    i = 0
    while i < len(tokens):
        best: tuple[int, int] | None = None  # (n, repeats)
        for n in range(1, MAX_NGRAM + 1):
            if i + 2 * n > len(tokens):
                break
            gram = keys[i:i + n]
            repeats = 1
            while keys[i + repeats * n: i + (repeats + 1) * n] == gram:
                repeats += 1
            if repeats >= MIN_REPEATS and repeats * n >= MIN_LOOP_WORDS:
                if best is None or repeats * n > best[0] * best[1]:
                    best = (n, repeats)
        if best:
            n, repeats = best
            for j in range(i + n, i + n * repeats):
                keep[j] = False
            i += n * repeats
        else:
            i += 1
    removed = keep.count(False)
    if removed:
        kept = [t for t, k in zip(tokens, keep, strict=True) if k]
        if segment.words:
            segment.words = kept
            segment.text = "".join(w.word for w in kept).strip()
            segment.end = max((w.end for w in kept if w.end is not None), default=segment.end)
        else:
            segment.text = " ".join(t.word.strip() for t in kept)
    return removed


def _stretch(before: list[Word], after: list[Word],
             segment: Segment) -> list[tuple[float, float]]:
    """Where a loop's removed words were: from the first to the last of them (their
    times, else the segment's)."""
    kept = {id(w) for w in after}
    times = [t for w in before if id(w) not in kept for t in (w.start, w.end) if t is not None]
    return [(min(times), max(times))] if times else [(segment.start, segment.end)]


def _normalise(text: str) -> str:
    return re.sub(r"[^\w'\- ]+", "", text.lower()).strip()
