"""Words to speakers: each word to the speaker whose turns cover it most, flickers
removed, changes of speaker moved to sentence ends, segments split where the speaker
changes, overlaps marked."""

from __future__ import annotations

import numpy as np

from ..diarize import SpeakerTurn
from ..transcript import Segment, Word

# A run of at most this many words between two stretches of one other speaker is a
# diarization flicker, not a turn (unless the diarization has a real turn there).
FLICKER_WORDS = 2
# A speaker change inside a sentence moves to the sentence's end if that is this close...
BOUNDARY_SNAP_WORDS = 3
# ...and if the words it moves last no longer than this (seconds of speech).
MAX_SNAP_SECONDS = 1.0
# A silence this long (between two words, or in the diarization) is where turns change:
# a speaker change there is never moved.
PAUSE_SECONDS = 0.4
# How far from the junction of two words a silence in the diarization may end or start
# and still be between them (word times are that approximate).
JUNCTION_TOLERANCE = 0.1
SENTENCE_END = (".", "?", "!", "…")
# Capitalised in every position, so they say nothing about a sentence starting.
_ALWAYS_CAPITALISED = ("i", "i'm", "i've", "i'll", "i'd")


class TurnIndex:
    """Speaker turns sorted by start, for the turns around a time in about log(n): word
    assignment and smoothing look up thousands of words in 1-3 h recordings."""

    def __init__(self, turns: list[SpeakerTurn]):
        self.turns = sorted(turns, key=lambda t: t.start)
        self._starts = np.array([t.start for t in self.turns])
        # Running maximum of ends: the first turn that can reach past a time, even when a
        # long turn started well before shorter ones.
        self._reach = np.maximum.accumulate([t.end for t in self.turns])

    def overlapping(self, start: float, end: float) -> list[SpeakerTurn]:
        first = int(np.searchsorted(self._reach, start, side="right"))
        last = int(np.searchsorted(self._starts, end, side="left"))
        return [t for t in self.turns[first:last] if t.end > start]

    def silences(self, start: float, end: float) -> list[tuple[float, float]]:
        """The stretches of [start, end] in which no turn is active."""
        found, cursor = [], start
        for turn in self.overlapping(start, end):
            if turn.start > cursor:
                found.append((cursor, turn.start))
            cursor = max(cursor, turn.end)
        if cursor < end:
            found.append((cursor, end))
        return found

    def speech(self, start: float, end: float) -> float:
        """Seconds of [start, end] in which someone speaks (all of it without turns)."""
        if not self.turns:
            return end - start
        return end - start - sum(e - s for s, e in self.silences(start, end))


def assign_words(segments: list[Segment], turns: list[SpeakerTurn]) -> None:
    """Give each word the speaker whose turns overlap it most; a word in a gap between
    turns goes to the nearest turn within a second, else keeps no speaker."""
    if not turns:
        return
    index = TurnIndex(turns)
    for segment in segments:
        for word in segment.words:
            if word.start is not None and word.end is not None:
                word.speaker = _speaker_at(index, word.start, word.end)


def _speaker_at(index: TurnIndex, start: float, end: float) -> str | None:
    totals: dict[str, float] = {}
    for turn in index.overlapping(start, end):
        overlap = min(turn.end, end) - max(turn.start, start)
        if overlap > 0:
            totals[turn.speaker] = totals.get(turn.speaker, 0.0) + overlap
    if totals:
        return max(totals, key=totals.get)
    near = index.overlapping(start - 1.0, end + 1.0)
    if not near:
        return None
    return min(near, key=lambda t: max(t.start - end, start - t.end)).speaker


def smooth_speakers(words: list[Word], turns: list[SpeakerTurn]) -> None:
    """Fix the two errors reviewers complain about most: a word or two flickering to the
    other speaker, and a turn boundary a few words off (the interviewer's last words given
    to the interviewee). A change of speaker moves to a nearby sentence end, unless the
    recording says it is right where it is (a pause, a new sentence)."""
    index = TurnIndex(turns)
    _fill_unknown(words)
    _remove_flickers(words, index)
    _snap_to_sentence_ends(words, index)


def _fill_unknown(words: list[Word]) -> None:
    """Words without a speaker take the previous word's, else the next one's."""
    following: list[str | None] = [None] * len(words)
    upcoming = None
    for position in range(len(words) - 1, -1, -1):
        following[position] = upcoming
        upcoming = words[position].speaker or upcoming
    previous = None
    for position, word in enumerate(words):
        if word.speaker is None:
            word.speaker = previous or following[position]
        previous = word.speaker or previous


def _runs(words: list[Word]) -> list[tuple[int, int, str | None]]:
    runs: list[tuple[int, int, str | None]] = []
    start = 0
    for index in range(1, len(words) + 1):
        if index == len(words) or words[index].speaker != words[start].speaker:
            runs.append((start, index, words[start].speaker))
            start = index
    return runs


def _remove_flickers(words: list[Word], index: TurnIndex) -> None:
    """One pass over the runs of words with a stack: a flicker merges its two neighbours
    into one run, which is then checked against the run before it (linear, not a rescan
    after every change)."""
    stack: list[list] = []  # [start, end, speaker] runs, the last three being checked
    for run in _runs(words):
        stack.append(list(run))
        while len(stack) >= 3 and _is_flicker(words, *stack[-3:], index):
            after = stack.pop()
            start, end, _ = stack.pop()
            before = stack[-1]
            for word in words[start:end]:
                word.speaker = before[2]
            before[1] = after[1]


def _is_flicker(words: list[Word], before: list, middle: list, after: list,
                index: TurnIndex) -> bool:
    start, end, speaker = middle
    if before[2] != after[2] or end - start > FLICKER_WORDS:
        return False
    span_start = words[start].start or 0.0
    span_end = words[end - 1].end or span_start
    # A short answer ("oui", "d'accord") the diarization saw on its own is a real turn.
    return not _has_real_turn(index, speaker, span_start, span_end)


def _has_real_turn(index: TurnIndex, speaker: str | None, start: float, end: float) -> bool:
    """The diarization has a turn of this speaker covering most of the span on its own
    (not just an overlap with the other speaker's turn)."""
    near = index.overlapping(start, end)

    def covered(turn: SpeakerTurn) -> float:
        return min(turn.end, end) - max(turn.start, start)

    own = any(t.speaker == speaker and covered(t) > 0.5 * max(end - start, 1e-3)
              and t.end - t.start >= 0.4 for t in near)
    others = any(t.speaker != speaker and covered(t) > 0.5 * (end - start) for t in near)
    return own and not others


def _snap_to_sentence_ends(words: list[Word], index: TurnIndex) -> None:
    boundary = 1
    while boundary < len(words):
        if words[boundary].speaker == words[boundary - 1].speaker \
                or _change_is_evident(words, boundary, index):
            boundary += 1
            continue
        boundary = _snap(words, boundary, index) + 1


def _change_is_evident(words: list[Word], boundary: int, index: TurnIndex) -> bool:
    """The change of speaker before words[boundary] is where the recording puts it: the
    previous word ends a sentence, the next one starts one, or there is a pause."""
    return (_ends_sentence(words[boundary - 1]) or _starts_sentence(words[boundary])
            or _pause_before(words, boundary, index))


def _snap(words: list[Word], boundary: int, index: TurnIndex) -> int:
    """Move the change of speaker before words[boundary] to the nearest sentence end a few
    words away, if the words it would move allow it. Returns the last word looked at."""
    before, after = words[boundary - 1].speaker, words[boundary].speaker
    later = _sentence_end_after(words, boundary, after)
    earlier = _sentence_end_before(words, boundary, before)
    # Nearest first; at equal distance the previous speaker finishes their sentence.
    candidates = []
    if later is not None:
        candidates.append((later - boundary + 1, boundary, later + 1, before))
    if earlier is not None:
        candidates.append((boundary - 1 - earlier, earlier + 1, boundary, after))
    for _, first, stop, speaker in sorted(candidates, key=lambda c: c[0]):
        if _can_move(words, first, stop, index):
            for word in words[first:stop]:
                word.speaker = speaker
            return max(stop - 1, boundary)
    return boundary


def _sentence_end_after(words: list[Word], boundary: int, speaker: str | None) -> int | None:
    """The first sentence end in the next speaker's words, within a few words."""
    for position in range(boundary, min(boundary + BOUNDARY_SNAP_WORDS, len(words))):
        if words[position].speaker != speaker:
            return None
        if _ends_sentence(words[position]):
            return position
    return None


def _sentence_end_before(words: list[Word], boundary: int, speaker: str | None) -> int | None:
    """The last sentence end in the previous speaker's words, within a few words."""
    for position in range(boundary - 2, max(boundary - 2 - BOUNDARY_SNAP_WORDS, -1), -1):
        if words[position].speaker != speaker:
            return None
        if _ends_sentence(words[position]):
            return position
    return None


def _can_move(words: list[Word], first: int, stop: int, index: TurnIndex) -> bool:
    """Words [first, stop) may change speaker: they hold no pause (a pause inside them is a
    likelier change than the sentence end) and about a second of speech at most (more is
    the diarization's call, not punctuation's). Silences the diarization finds inside them
    do not count: Whisper's word times can stretch a word over a pause."""
    if any(_pause_before(words, position, index) for position in range(first + 1, stop)):
        return False
    spoken = [w for w in words[first:stop] if any(c.isalnum() for c in w.word)
              and w.start is not None and w.end is not None]
    return not spoken or index.speech(spoken[0].start, spoken[-1].end) <= MAX_SNAP_SECONDS


def _pause_before(words: list[Word], position: int, index: TurnIndex) -> bool:
    """A pause between words[position - 1] and words[position]: a gap between their times,
    or a silence in the diarization at their junction (Whisper's own word times often
    stretch a word over the pause that follows or precedes it; the diarization does not).
    A silence inside one of the words, away from the junction, is not between them."""
    previous, word = words[position - 1], words[position]
    if None in (previous.start, previous.end, word.start, word.end):
        return False
    if word.start - previous.end >= PAUSE_SECONDS:
        return True
    if not index.turns:
        return False
    low, high = previous.end - JUNCTION_TOLERANCE, word.start + JUNCTION_TOLERANCE
    return any(end - start >= PAUSE_SECONDS and start <= high and end >= low
               for start, end in index.silences(previous.start - 1.0, word.end + 1.0))


def _ends_sentence(word: Word) -> bool:
    return word.word.strip().endswith(SENTENCE_END)


def _starts_sentence(word: Word) -> bool:
    """Whisper capitalises a sentence's first word even when it leaves out the previous
    sentence's punctuation (unpunctuated questions)."""
    text = word.word.strip().lstrip("«\"'“([-–—¿¡ ")
    return bool(text) and text[0].isupper() and text.lower() not in _ALWAYS_CAPITALISED


def split_by_speaker(segments: list[Segment]) -> list[Segment]:
    """One segment per run of words of one speaker (a change inside a segment splits it).
    A segment whose text no longer matches its words (corrected) keeps its majority
    speaker instead of being split."""
    result: list[Segment] = []
    for segment in segments:
        words = segment.words
        if not segment.words_match_text():
            segment.speaker = _majority(words) or segment.speaker
            result.append(segment)
            continue
        for start, end, speaker in _runs(words):
            part = words[start:end]
            first = part[0].start if part[0].start is not None else segment.start
            last = part[-1].end if part[-1].end is not None else segment.end
            result.append(Segment(first, last, "".join(w.word for w in part).strip(),
                                  speaker, part, segment.overlap, segment.decoder))
    return result


def _majority(words: list[Word]) -> str | None:
    durations: dict[str, float] = {}
    for word in words:
        if word.speaker:
            durations[word.speaker] = durations.get(word.speaker, 0.0) + max(word.duration, 0.01)
    return max(durations, key=durations.get) if durations else None


def mark_overlaps(segments: list[Segment], overlaps: list[tuple[float, float]]) -> None:
    """Flag segments spoken mostly while someone else speaks too."""
    index = TurnIndex([SpeakerTurn(start, end, "") for start, end in overlaps])
    for segment in segments:
        inside = sum(min(segment.end, o.end) - max(segment.start, o.start)
                     for o in index.overlapping(segment.start, segment.end))
        segment.overlap = inside > 0.5 * max(segment.duration, 1e-3)
