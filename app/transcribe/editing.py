"""Corrections a reviewer makes: edit a segment's text, change its speaker, merge, split,
search and replace. Every function changes the transcript in place and keeps it valid
(segments in time order, words inside their segment)."""

from __future__ import annotations

import re

from .transcript import Segment, Transcript


def edit_text(transcript: Transcript, index: int, text: str) -> None:
    """Replace a segment's text. Its words keep their times; exports use the new text."""
    transcript.segments[index].text = " ".join(text.split())


def set_speaker(transcript: Transcript, index: int, speaker_id: str | None) -> None:
    segment = transcript.segments[index]
    segment.speaker = speaker_id
    for word in segment.words:
        word.speaker = speaker_id


def merge_with_next(transcript: Transcript, index: int) -> None:
    """Join a segment and the one after it (the first one's speaker is kept)."""
    if index + 1 >= len(transcript.segments):
        raise IndexError("no segment after this one")
    first, second = transcript.segments[index], transcript.segments[index + 1]
    first.text = f"{first.text.strip()} {second.text.strip()}".strip()
    first.end = max(first.end, second.end)
    for word in second.words:
        word.speaker = first.speaker
    first.words.extend(second.words)
    first.overlap = first.overlap or second.overlap
    del transcript.segments[index + 1]


def split(transcript: Transcript, index: int, position: int) -> None:
    """Split a segment's text at a character position (snapped to the nearest space).
    The time of the cut comes from the words when they still match the text, else from
    the share of characters before the cut."""
    segment = transcript.segments[index]
    text = segment.text
    position = _snap_to_space(text, position)
    before, after = text[:position].strip(), text[position:].strip()
    if not before or not after:
        raise ValueError("nothing to split: the cut is at an end of the text")
    first_words, second_words = segment.words, []
    cut = segment.start + (segment.end - segment.start) * len(before) / max(len(text), 1)
    if segment.words_match_text():
        # The first word that starts at or after the cut in the text.
        consumed = 0
        for position_in_words, word in enumerate(segment.words):
            if consumed >= len(text[:position].rstrip()):
                first_words = segment.words[:position_in_words]
                second_words = segment.words[position_in_words:]
                if word.start is not None:
                    cut = float(word.start)
                break
            leading = 1 if position_in_words == 0 and word.word[:1].isspace() else 0
            consumed += len(word.word) - leading
    else:
        first_words = [w for w in segment.words if (w.start or 0.0) < cut]
        second_words = segment.words[len(first_words):]
    second = Segment(cut, segment.end, after, segment.speaker, second_words, segment.overlap)
    segment.text, segment.end, segment.words = before, cut, first_words
    transcript.segments.insert(index + 1, second)


def replace_all(transcript: Transcript, find: str, replacement: str,
                case_sensitive: bool = False) -> int:
    """Replace whole-word occurrences in every segment; return how many were replaced.
    Words are updated too where the match lies inside one word, so that word-level
    information (times, confidence) stays attached to the text."""
    if not find.strip():
        return 0
    flags = 0 if case_sensitive else re.IGNORECASE
    pattern = re.compile(rf"(?<!\w){re.escape(find.strip())}(?!\w)", flags)
    count = 0
    for segment in transcript.segments:
        segment.text, replaced = pattern.subn(replacement, segment.text)
        count += replaced
        if replaced:
            for word in segment.words:
                word.word = pattern.sub(replacement, word.word)
    return count


def _snap_to_space(text: str, position: int) -> int:
    position = max(0, min(len(text), position))
    if position in (0, len(text)) or text[position - 1].isspace() or text[position].isspace():
        return position
    left = text.rfind(" ", 0, position)
    right = text.find(" ", position)
    candidates = [p for p in (left, right) if p > 0]
    return min(candidates, key=lambda p: abs(p - position)) if candidates else position
