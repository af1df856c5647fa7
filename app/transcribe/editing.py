"""Corrections a reviewer makes: edit a segment's text, change its speaker, merge, split,
search and replace. Every function changes the transcript in place and keeps it valid
(segments in time order, words inside their segment)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .align import interpolate_times
from .transcript import Segment, Transcript, Word


@dataclass
class Token:
    """A whitespace-separated piece of a segment's text with its time: what the editor
    shows and the unit of every edit (Whisper's "d'" + "avoir" are one token)."""

    text: str
    start: float | None
    end: float | None
    probability: float | None = None


def word_tokens(segment: Segment) -> list[Token]:
    """The segment's words grouped into tokens (a word without a leading space continues
    the token before it)."""
    tokens: list[Token] = []
    for word in segment.words:
        piece = word.word.strip()
        if not piece:
            continue
        if tokens and not word.word[:1].isspace():
            last = tokens[-1]
            last.text += piece
            last.end = word.end if word.end is not None else last.end
            if word.probability is not None:
                last.probability = min(word.probability, last.probability or 1.0)
        else:
            tokens.append(Token(piece, word.start, word.end, word.probability))
    return tokens


def tokens(segment: Segment) -> list[Token]:
    """The segment's text as timed tokens: the words' own times where they still spell
    the text, interpolated times for what a reviewer changed."""
    timed = word_tokens(segment)
    texts = segment.text.split()
    if [t.text for t in timed] == texts:
        return timed
    return retime(timed, texts, segment.start, segment.end)


def retime(old: list[Token], texts: list[str], start: float, end: float) -> list[Token]:
    """New tokens for `texts`: unchanged ones keep their times and confidence, changed or
    added ones get times spread evenly over the gap their neighbours leave."""
    result: list[Token | None] = []
    matcher = SequenceMatcher(None, [t.text for t in old], texts, autojunk=False)
    for tag, a1, _a2, b1, b2 in matcher.get_opcodes():
        for offset in range(b2 - b1):
            if tag == "equal":
                kept = old[a1 + offset]
                result.append(Token(kept.text, kept.start, kept.end, kept.probability))
            else:
                result.append(None)
    new = [t if t is not None else Token(texts[i], None, None) for i, t in enumerate(result)]
    interpolate_times(new, start, end)
    return new


def _words_from_tokens(pieces: list[Token], speaker: str | None) -> list[Word]:
    return [Word(t.start, t.end, " " + t.text, t.probability, speaker) for t in pieces]


def edit_text(transcript: Transcript, index: int, text: str) -> None:
    """Replace a segment's text. Words that did not change keep their times and
    confidence; changed ones get interpolated times, so the words always spell the text."""
    segment = transcript.segments[index]
    texts = text.split()
    segment.words = _words_from_tokens(
        retime(tokens(segment), texts, segment.start, segment.end), segment.speaker)
    segment.text = " ".join(texts)


def split_at_token(transcript: Transcript, index: int, token: int,
                   cut: float | None = None, first_end: float | None = None) -> None:
    """Split a segment before its `token`-th token. The cut is the token's start and the
    first part ends there, unless given (undoing a merge restores both segments' times)."""
    segment = transcript.segments[index]
    pieces = tokens(segment)
    if not 0 < token < len(pieces):
        raise ValueError("nothing to split: the cut is at an end of the text")
    if [t.text for t in word_tokens(segment)] != [t.text for t in pieces]:
        segment.words = _words_from_tokens(pieces, segment.speaker)
    # The word where the token starts: count tokens over the words.
    seen, cut_word = 0, len(segment.words)
    for position, word in enumerate(segment.words):
        if word.word.strip() and (position == 0 or word.word[:1].isspace()):
            if seen == token:
                cut_word = position
                break
            seen += 1
    if cut is None:
        cut = pieces[token].start if pieces[token].start is not None else segment.start
    cut = min(max(float(cut), segment.start), segment.end)
    texts = [t.text for t in pieces]
    second = Segment(cut, segment.end, " ".join(texts[token:]), segment.speaker,
                     segment.words[cut_word:], segment.overlap, segment.decoder)
    segment.text = " ".join(texts[:token])
    segment.end = cut if first_end is None else min(max(float(first_end), segment.start), cut)
    segment.words = segment.words[:cut_word]
    transcript.segments.insert(index + 1, second)


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
    second = Segment(cut, segment.end, after, segment.speaker, second_words, segment.overlap,
                     segment.decoder)
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
