"""Transcription conventions, applied once so that every export shows the same text.

Turns the transcript into `Turn`s: who speaks, when, and the tokens of what they say,
with pauses marked by length, overlapping speech between // //, words the model was
unsure of flagged for review, filler words optionally removed, and a pseudonym table
applied to text and speaker names alike. Speech that has no text (`Transcript.gaps`) gets
a mark at its place in time: `[inaudible 00:07-00:14]`.

A segment's `text` is the truth for its content: once a user corrects it, its words
(kept for timing) may no longer match, and the corrected text is exported as is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .i18n import Notice
from .languages import ui_language
from .options import PipelineOptions
from .transcript import Gap, Segment, Transcript, Word

FILLERS = {
    "fr": ("euh", "heu", "hum", "hm", "mmh", "bah", "ben"),
    "en": ("uh", "um", "erm", "hmm", "mm", "er"),
}
LONG_PAUSE = 3.0  # beyond this, a pause is written out: (12 s)
# Speech with no text, in the document's language, as transcription conventions write an
# inaudible passage (French conventions write it the same way: "inaudible").
GAP_WORD = {"fr": "inaudible", "en": "inaudible"}


@dataclass
class Conventions:
    mark_pauses: bool = False
    min_pause: float = 1.0  # seconds of silence inside a turn that count as a pause
    mark_overlaps: bool = True
    flag_uncertain: bool = False
    uncertainty_threshold: float = 0.5  # word probability below this is flagged
    remove_fillers: bool = False
    pseudonyms: dict[str, str] = field(default_factory=dict)  # real name -> pseudonym
    # Layout of the plain text: a [hh:mm:ss] timestamp at each turn (noScribe's convention,
    # which MAXQDA reads), and the speaker's name before each turn.
    timestamps: bool = False
    speaker_names: bool = True


@dataclass
class Token:
    text: str
    uncertain: bool = False
    pause: bool = False
    # Times of the word, when the text still matches the recognised words.
    start: float | None = None
    end: float | None = None
    # False for a word Whisper glued to the previous one ("d'" + "avoir").
    space_before: bool = True
    # Overlapping speech starts before / ends after this token: //...//
    overlap_open: bool = False
    overlap_close: bool = False
    # The mark of a stretch of speech with no text (`gap_token`).
    gap: bool = False


@dataclass
class Turn:
    """What one speaker says without interruption (or one segment, for subtitles)."""

    start: float
    end: float
    speaker: str | None  # the name exports print
    speaker_id: str | None
    tokens: list[Token]

    @property
    def overlap(self) -> bool:
        return any(t.overlap_open for t in self.tokens)

    @property
    def text(self) -> str:
        # Whisper's words carry their punctuation, so a plain join keeps the original
        # spacing (including French spaces before ? ! :).
        return "".join((" " if t.space_before and i else "") + token_text(t)
                       for i, t in enumerate(self.tokens))


_PUNCTUATION = re.compile(r"^([^\w]*)(.*?)([^\w]*)$", re.DOTALL)


def uncertain_mark(text: str) -> str:
    """`[word?]` with the punctuation left outside the mark: `[in?].`, `«[Oui?]`."""
    before, core, after = _PUNCTUATION.match(text).groups()
    return f"{before}[{core}?]{after}" if core else f"[{text}?]"


def token_text(token: Token) -> str:
    """A token as the text exports print it: uncertainty and overlap marks included."""
    text = uncertain_mark(token.text) if token.uncertain else token.text
    return ("//" if token.overlap_open else "") + text + ("//" if token.overlap_close else "")


def build_turns(transcript: Transcript, conventions: Conventions | None = None,
                merge_speaker_turns: bool = True, language: str | None = None) -> list[Turn]:
    """Turns in time order. With `merge_speaker_turns`, consecutive segments of the same
    speaker form one turn (txt, docx, QDA); without, one turn per segment (srt, vtt, csv).
    Each gap is a mark among them, in `language` (by default the job's interface's).
    """
    conventions = conventions or Conventions()
    pseudonymise = Pseudonymiser(conventions.pseudonyms)
    language = ui_language(language, ui_language(transcript.options.ui_language))
    turns: list[Turn] = []
    for segment in sorted([*transcript.segments, *transcript.gaps], key=lambda s: s.start):
        if isinstance(segment, Gap):
            add_gap(turns, segment, transcript, pseudonymise, language, merge_speaker_turns)
            continue
        if not segment.text.strip():
            continue
        tokens = segment_tokens(segment, conventions, transcript.language)
        if not tokens:
            continue
        tokens = pseudonymise_tokens(tokens, pseudonymise)
        name = transcript.speaker_name(segment.speaker)
        name = pseudonymise(name) if name else None
        if segment.overlap and conventions.mark_overlaps:
            tokens[0].overlap_open = tokens[-1].overlap_close = True
        previous = turns[-1] if turns else None
        if (merge_speaker_turns and previous is not None
                and previous.speaker_id == segment.speaker):
            gap = segment.start - previous.end
            if conventions.mark_pauses and gap >= conventions.min_pause:
                previous.tokens.append(pause_token(gap))
            elif previous.tokens[-1].overlap_close and tokens[0].overlap_open:
                # Two overlapped segments in a row: one //...// around both.
                previous.tokens[-1].overlap_close = tokens[0].overlap_open = False
            previous.tokens.extend(tokens)
            previous.end = max(previous.end, segment.end)
        else:
            turns.append(Turn(segment.start, segment.end, name, segment.speaker, tokens))
    return turns


def add_gap(turns: list[Turn], gap: Gap, transcript: Transcript,
            pseudonymise: Pseudonymiser, language: str, merge_speaker_turns: bool) -> None:
    """The gap's mark in the turn of its speaker when that turn is the last one (among its
    words, by time), else a turn of its own."""
    token = gap_token(gap, language)
    previous = turns[-1] if turns else None
    if merge_speaker_turns and previous is not None and previous.speaker_id == gap.speaker:
        place = next((i for i, t in enumerate(previous.tokens)
                      if t.start is not None and t.start >= gap.start), len(previous.tokens))
        previous.tokens.insert(place, token)
        previous.end = max(previous.end, gap.end)
        return
    name = transcript.speaker_name(gap.speaker)
    turns.append(Turn(gap.start, gap.end, pseudonymise(name) if name else None, gap.speaker,
                      [token]))


def gap_token(gap: Gap, language: str) -> Token:
    """`[inaudible 00:07-00:14]` (h:mm:ss past an hour): the whole stretch, in seconds."""
    return Token(f"[{GAP_WORD[language]} {_clock(math.floor(gap.start))}-"
                 f"{_clock(math.ceil(gap.end))}]", start=gap.start, end=gap.end, gap=True)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def segment_tokens(segment: Segment, conventions: Conventions,
                   language: str | None) -> list[Token]:
    fillers = set(FILLERS.get((language or "")[:2], ())) if conventions.remove_fillers else set()
    tokens: list[Token] = []
    if not segment.words_match_text():
        # Corrected by hand (or no word times): the text as the user wrote it.
        for piece in segment.text.split():
            if _bare(piece) in fillers:
                continue
            tokens.append(Token(piece))
        return tokens
    previous_end: float | None = None
    for word in segment.words:
        text = word.word.strip()
        if not text:
            continue
        if _bare(text) in fillers:
            continue
        if (conventions.mark_pauses and previous_end is not None and word.start is not None
                and word.start - previous_end >= conventions.min_pause):
            tokens.append(pause_token(word.start - previous_end))
        uncertain = (conventions.flag_uncertain and word.probability is not None
                     and word.probability < conventions.uncertainty_threshold)
        tokens.append(Token(text, uncertain=uncertain, start=word.start, end=word.end,
                            space_before=word.word[:1].isspace() or not tokens))
        previous_end = word.end if word.end is not None else previous_end
    return tokens


def pause_token(seconds: float) -> Token:
    """(.) per second up to three, then the length written out: (12 s)."""
    whole = round(seconds)
    if whole <= LONG_PAUSE:
        return Token("(" + "." * max(1, whole) + ")", pause=True)
    return Token(f"({whole} s)", pause=True)


# Where a name from the pseudonym table starts and ends (see README, "Pseudonyms").
# In text, a name is a whole word: no letter or digit touches it, nor a hyphen that joins
# it to another word ("Marie" is not replaced in "Marie-Claire" nor "Saint-Denis" by
# "Denis"); apostrophes, underscores and other punctuation separate ("l'Isère", "Marie's").
_TEXT_BEFORE = r"(?<![^\W_])(?<![^\W_]-)"
_TEXT_AFTER = r"(?![^\W_])(?!-[^\W_])"
# In a file name, pieces are joined by underscores, hyphens, dots, spaces or digits, or
# glued with a capital ("entretienDurand"): only a letter of the same word joins a name.
_CAPITAL_NEXT = r"(?-i:(?<=[a-zß-öø-ÿ])(?=[A-ZÀ-ÖØ-Þ]))"
_FILE_BEFORE = rf"(?:(?<![^\W\d_])|{_CAPITAL_NEXT})"
_FILE_AFTER = rf"(?:(?![^\W\d_])|{_CAPITAL_NEXT})"
# What a pseudonym cannot bring into a file name: path separators, what Windows refuses.
_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class Pseudonymiser:
    """Replace each real name by its pseudonym, whole names only (the boundaries above),
    case-insensitively; longest names first so that "Marie Dupont" wins over "Marie"."""

    def __init__(self, table: dict[str, str]):
        items = sorted(((real.strip(), fake) for real, fake in table.items() if real.strip()),
                       key=lambda item: len(item[0]), reverse=True)
        self.lookup = {real.lower(): fake for real, fake in items}
        names = [re.escape(real) for real, _ in items]
        self.pattern = self._pattern(names, _TEXT_BEFORE, _TEXT_AFTER)
        self.file_pattern = self._pattern(names, _FILE_BEFORE, _FILE_AFTER)

    @staticmethod
    def _pattern(names: list[str], before: str, after: str) -> re.Pattern[str]:
        return re.compile("|".join(f"{before}{name}{after}" for name in names) or r"(?!x)x",
                          re.IGNORECASE)

    def __call__(self, text: str) -> str:
        if not self.lookup:
            return text
        return self.pattern.sub(lambda match: self.lookup[match.group(0).lower()], text)

    def file_name(self, name: str) -> str:
        """A file name with its names replaced ("entretien_Durand.ogg" ->
        "entretien_[NOM].ogg"); a pseudonym's "/" or ":" become "_"."""
        if not self.lookup:
            return name
        return self.file_pattern.sub(
            lambda match: _UNSAFE_IN_FILE_NAMES.sub("_", self.lookup[match.group(0).lower()]),
            name)


def pseudonymise_tokens(tokens: list[Token], pseudonymise: Pseudonymiser) -> list[Token]:
    """Apply the pseudonym table across token boundaries ("Marie" + "Dupont,"): tokens a
    replacement spans are merged into one, keeping the first start and the last end."""
    joined, _ = _joined(tokens)
    if pseudonymise(joined) == joined:
        return tokens
    result: list[Token] = []
    for group, text in _regroup(tokens, pseudonymise):
        result.append(Token(text, uncertain=any(t.uncertain for t in group),
                            pause=all(t.pause for t in group),
                            start=group[0].start, end=group[-1].end,
                            space_before=group[0].space_before))
    return result


def _joined(tokens: list[Token]) -> tuple[str, list[tuple[int, int]]]:
    """The tokens' text as it reads, a space before each but those glued to the one
    before ("l'" + "Isère", "Marie" + "-Claire": the names' boundaries see what the text
    shows), and where each token lies in it."""
    parts: list[str] = []
    spans = []
    position = 0
    for index, token in enumerate(tokens):
        if index and token.space_before:
            parts.append(" ")
            position += 1
        spans.append((position, position + len(token.text)))
        parts.append(token.text)
        position += len(token.text)
    return "".join(parts), spans


def _regroup(tokens: list[Token], pseudonymise: Pseudonymiser):
    """Pair each run of tokens with its pseudonymised text; a run is one token, or the
    tokens that one matched name covers."""
    joined, spans = _joined(tokens)
    matches = [(m.start(), m.end()) for m in pseudonymise.pattern.finditer(joined)]
    index = 0
    while index < len(tokens):
        start, _ = spans[index]
        covering = next(((s, e) for s, e in matches if s < spans[index][1] and e > start), None)
        if covering is None:
            yield [tokens[index]], tokens[index].text
            index += 1
            continue
        last = index
        while last + 1 < len(tokens) and spans[last + 1][0] < covering[1]:
            last += 1
        text = joined[spans[index][0]:spans[last][1]]
        yield tokens[index:last + 1], pseudonymise(text)
        index = last + 1


def pseudonymise_transcript(transcript: Transcript, table: dict[str, str]) -> Transcript:
    """A copy for export whose text, words, speaker names, file name, notices and recorded
    options (the vocabulary hint, the names given) carry the pseudonyms; the stored transcript
    keeps the real names so that the table can change later."""
    pseudonymise = Pseudonymiser(table)
    if not pseudonymise.lookup:
        return transcript
    copy = Transcript.from_dict(transcript.to_dict())
    for segment in copy.segments:
        segment.text = pseudonymise(segment.text)
        segment.words = _pseudonymise_words(segment.words, pseudonymise)
    for speaker in copy.speakers.values():
        speaker.name = pseudonymise(speaker.name)
    copy.source = pseudonymise.file_name(copy.source) if copy.source else copy.source
    copy.options = PipelineOptions.from_dict(_pseudonymise_strings(copy.options.to_dict(),
                                                                   pseudonymise))
    # What a notice names is a file (the upload) or a name: replaced as in a file name.
    copy.notices = [Notice(notice.key, _pseudonymise_strings(notice.params,
                                                             pseudonymise.file_name))
                    for notice in copy.notices]
    return copy


def _pseudonymise_words(words: list[Word], pseudonymise: Pseudonymiser) -> list[Word]:
    """Words a name spans become one word, timed from the first to the last."""
    tokens = [Token(w.word.strip(), start=w.start, end=w.end,
                    space_before=w.word[:1].isspace()) for w in words]
    joined, _ = _joined(tokens)
    if pseudonymise(joined) == joined:
        return words
    result: list[Word] = []
    position = 0
    for group, text in _regroup(tokens, pseudonymise):
        originals = words[position: position + len(group)]
        position += len(group)
        leading = " " if originals[0].word[:1].isspace() else ""
        probabilities = [w.probability for w in originals if w.probability is not None]
        result.append(Word(originals[0].start, originals[-1].end, leading + text,
                           min(probabilities) if probabilities else None,
                           originals[0].speaker))
    return result


def _pseudonymise_strings(value, pseudonymise: Callable[[str], str]):
    if isinstance(value, str):
        return pseudonymise(value)
    if isinstance(value, dict):
        return {pseudonymise(k): _pseudonymise_strings(v, pseudonymise)
                for k, v in value.items()}  # JSON: keys are text
    if isinstance(value, list):
        return [_pseudonymise_strings(v, pseudonymise) for v in value]
    return value


def _bare(text: str) -> str:
    return re.sub(r"[^\w]", "", text.lower())
