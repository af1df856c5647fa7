"""Speakers: options, names and roles.

Every export prints `transcript.speakers[id].name`; renaming and swapping go through the
functions here, so one change shows everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .diarize import SpeakerTurn
from .i18n import UserFacingError, normalise_language
from .transcript import Segment, Speaker, Transcript, Word

INTERVIEWER = "interviewer"
INTERVIEWEE = "interviewee"

ROLE_LABELS = {
    "fr": {INTERVIEWER: "Enquêteur·rice", INTERVIEWEE: "Enquêté·e", "speaker": "Locuteur·rice {n}"},
    "en": {INTERVIEWER: "Interviewer", INTERVIEWEE: "Interviewee", "speaker": "Speaker {n}"},
}

PRESETS = {
    # preset: (exact count, min, max); None: let diarization decide within the bounds
    "interview": (2, None, None),
    "group": (None, 2, 6),
    "single": (1, None, None),
}
MAX_SPEAKERS = 20


@dataclass
class SpeakerOptions:
    preset: str = "interview"  # interview | group | single
    num_speakers: int | None = None  # exact count: overrides the preset
    min_speakers: int | None = None
    max_speakers: int | None = None
    stereo: str = "auto"  # auto | on | off: one speaker per channel
    # Names to give: keys are roles ("interviewer", "Interviewer", "Enquêté·e"...),
    # default labels ("Speaker 2") or speaker ids ("SPEAKER_01").
    names: dict[str, str] = field(default_factory=dict)

    def counts(self) -> tuple[int | None, int | None, int | None]:
        """(exact, minimum, maximum) after the preset, validated."""
        if self.preset not in PRESETS:
            raise UserFacingError("speakers.invalid_count",
                                  detail=f"unknown preset '{self.preset}'")
        exact, minimum, maximum = PRESETS[self.preset]
        if self.num_speakers is not None or self.min_speakers is not None \
                or self.max_speakers is not None:
            exact, minimum, maximum = self.num_speakers, self.min_speakers, self.max_speakers
        for label, value in (("exact", exact), ("min", minimum), ("max", maximum)):
            if value is not None and not 1 <= value <= MAX_SPEAKERS:
                raise UserFacingError("speakers.invalid_count",
                                      detail=f"{label} = {value}, expected 1 to {MAX_SPEAKERS}")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise UserFacingError("speakers.invalid_count",
                                  detail=f"min {minimum} > max {maximum}")
        if exact is not None and (minimum is not None or maximum is not None):
            raise UserFacingError("speakers.invalid_count",
                                  detail="give an exact count or min/max, not both")
        return exact, minimum, maximum


def default_label(index: int, language: str | None) -> str:
    return ROLE_LABELS[normalise_language(language)]["speaker"].format(n=index + 1)


def role_label(role: str, language: str | None) -> str:
    return ROLE_LABELS[normalise_language(language)][role]


def rename_speaker(transcript: Transcript, speaker_id: str, name: str) -> None:
    name = " ".join(name.split())
    if not name:
        raise ValueError("a speaker's name cannot be empty")
    speaker = transcript.speakers.get(speaker_id)
    if speaker is None:
        transcript.speakers[speaker_id] = Speaker(speaker_id, name)
    else:
        speaker.name = name


def swap_speakers(transcript: Transcript, first: str, second: str) -> None:
    """Exchange the names and roles of two speakers: the fix when diarization or the role
    guess put the interviewer's label on the interviewee."""
    a = transcript.speakers.setdefault(first, Speaker(first, first))
    b = transcript.speakers.setdefault(second, Speaker(second, second))
    a.name, b.name = b.name, a.name
    a.role, b.role = b.role, a.role
    a.role_confidence, b.role_confidence = b.role_confidence, a.role_confidence


def apply_names(transcript: Transcript, names: dict[str, str]) -> None:
    """Rename speakers from a table whose keys are roles, labels or ids, in any language."""
    lookup = {key.strip().lower(): value for key, value in names.items() if value.strip()}
    for speaker in transcript.speakers.values():
        keys = {speaker.id.lower(), speaker.name.lower()}
        if speaker.role:
            keys.add(speaker.role)
            keys.update(labels[speaker.role].lower() for labels in ROLE_LABELS.values())
        for key in keys:
            if key in lookup:
                rename_speaker(transcript, speaker.id, lookup[key])
                break


def parse_names(value: str) -> dict[str, str]:
    """'Interviewer=Camille,Interviewee=M. D.' -> {'Interviewer': 'Camille', ...}"""
    names = {}
    for item in value.split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise ValueError(f"expected ROLE=Name, got '{item.strip()}'")
        key, name = item.split("=", 1)
        names[key.strip()] = name.strip()
    return names


def talk_times(transcript: Transcript) -> dict[str, float]:
    """Seconds of speech per speaker id, from the segments."""
    times: dict[str, float] = {}
    for segment in transcript.segments:
        if segment.speaker is not None:
            times[segment.speaker] = times.get(segment.speaker, 0.0) + segment.duration
    return times


# -- words to speakers, then turns -------------------------------------------------------------

# A run of at most this many words between two stretches of one other speaker is a
# diarization flicker, not a turn (unless the diarization has a real turn there).
FLICKER_WORDS = 2
# A speaker change inside a sentence moves to the sentence's end if that is this close.
BOUNDARY_SNAP_WORDS = 3
SENTENCE_END = (".", "?", "!", "…")


def assign_words(segments: list[Segment], turns: list[SpeakerTurn]) -> None:
    """Give each word the speaker whose turns overlap it most; a word in a gap between
    turns goes to the nearest turn within a second, else keeps no speaker."""
    if not turns:
        return
    starts = np.array([t.start for t in turns])
    ends = np.array([t.end for t in turns])
    labels = [t.speaker for t in turns]
    for segment in segments:
        for word in segment.words:
            if word.start is None or word.end is None:
                continue
            overlap = np.minimum(ends, word.end) - np.maximum(starts, word.start)
            totals: dict[str, float] = {}
            for index in np.flatnonzero(overlap > 0):
                totals[labels[index]] = totals.get(labels[index], 0.0) + overlap[index]
            if totals:
                word.speaker = max(totals, key=totals.get)
                continue
            distance = np.maximum(starts - word.end, word.start - ends)
            nearest = int(np.argmin(distance))
            word.speaker = labels[nearest] if distance[nearest] <= 1.0 else None


def smooth_speakers(words: list[Word], turns: list[SpeakerTurn]) -> None:
    """Fix the two errors reviewers complain about most: a word or two flickering to the
    other speaker, and a turn boundary a few words off (the interviewer's last words given
    to the interviewee). Changes of speaker are moved to the nearest sentence end."""
    _fill_unknown(words)
    _remove_flickers(words, turns)
    _snap_to_sentence_ends(words)


def _fill_unknown(words: list[Word]) -> None:
    known = [w.speaker for w in words]
    for index, word in enumerate(words):
        if word.speaker is None:
            before = next((s for s in reversed(known[:index]) if s), None)
            after = next((s for s in known[index + 1:] if s), None)
            word.speaker = before or after


def _runs(words: list[Word]) -> list[tuple[int, int, str | None]]:
    runs: list[tuple[int, int, str | None]] = []
    start = 0
    for index in range(1, len(words) + 1):
        if index == len(words) or words[index].speaker != words[start].speaker:
            runs.append((start, index, words[start].speaker))
            start = index
    return runs


def _remove_flickers(words: list[Word], turns: list[SpeakerTurn]) -> None:
    changed = True
    while changed:
        changed = False
        runs = _runs(words)
        for position in range(1, len(runs) - 1):
            start, end, speaker = runs[position]
            before, after = runs[position - 1][2], runs[position + 1][2]
            if before != after or end - start > FLICKER_WORDS:
                continue
            span_start = words[start].start or 0.0
            span_end = words[end - 1].end or span_start
            if _has_real_turn(turns, speaker, span_start, span_end):
                continue  # a short answer ("oui", "d'accord") is a real turn
            for word in words[start:end]:
                word.speaker = before
            changed = True
            break


def _has_real_turn(turns: list[SpeakerTurn], speaker: str | None, start: float,
                   end: float) -> bool:
    """The diarization has a turn of this speaker covering most of the span on its own
    (not just an overlap with the other speaker's turn)."""
    for turn in turns:
        if turn.speaker != speaker:
            continue
        covered = min(turn.end, end) - max(turn.start, start)
        if covered > 0.5 * max(end - start, 1e-3) and turn.end - turn.start >= 0.4:
            others = [t for t in turns if t.speaker != speaker
                      and min(t.end, end) - max(t.start, start) > 0.5 * (end - start)]
            if not others:
                return True
    return False


def _snap_to_sentence_ends(words: list[Word]) -> None:
    runs = _runs(words)
    for position in range(1, len(runs)):
        boundary = runs[position][0]
        if _ends_sentence(words[boundary - 1]):
            continue
        # The nearest sentence end on either side, within a few words.
        for distance in range(1, BOUNDARY_SNAP_WORDS + 1):
            later = boundary - 1 + distance
            if later < len(words) and later < runs[position][1] and _ends_sentence(
                    words[later]):
                # The previous speaker finishes their sentence.
                for word in words[boundary: later + 1]:
                    word.speaker = runs[position - 1][2]
                break
            earlier = boundary - 1 - distance
            if earlier >= runs[position - 1][0] and _ends_sentence(words[earlier]):
                # The next speaker started earlier, at the previous sentence end.
                for word in words[earlier + 1: boundary]:
                    word.speaker = runs[position][2]
                break


def _ends_sentence(word: Word) -> bool:
    return word.word.strip().endswith(SENTENCE_END)


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
                                  speaker, part, segment.overlap))
    return result


def _majority(words: list[Word]) -> str | None:
    durations: dict[str, float] = {}
    for word in words:
        if word.speaker:
            durations[word.speaker] = durations.get(word.speaker, 0.0) + max(word.duration, 0.01)
    return max(durations, key=durations.get) if durations else None


def mark_overlaps(segments: list[Segment], overlaps: list[tuple[float, float]]) -> None:
    """Flag segments spoken mostly while someone else speaks too."""
    for segment in segments:
        inside = sum(max(0.0, min(segment.end, e) - max(segment.start, s)) for s, e in overlaps)
        segment.overlap = inside > 0.5 * max(segment.duration, 1e-3)


def name_speakers(transcript: Transcript, language: str | None) -> None:
    """Speaker entries for every speaker in the segments, labelled "Speaker 1", "Speaker 2"
    in order of first appearance, with their talk time."""
    order: list[str] = []
    for segment in sorted(transcript.segments, key=lambda s: s.start):
        if segment.speaker and segment.speaker not in order:
            order.append(segment.speaker)
    times = talk_times(transcript)
    transcript.speakers = {
        speaker_id: Speaker(speaker_id, default_label(index, language),
                            talk_time=round(times.get(speaker_id, 0.0), 2))
        for index, speaker_id in enumerate(order)
    }


# -- roles -------------------------------------------------------------------------------------

QUESTION_STARTS = {
    "fr": ("est-ce", "qu'est-ce", "comment", "pourquoi", "quand", "quel", "quelle", "quels",
           "quelles", "où", "combien", "pouvez-vous", "pourriez-vous", "vous pouvez",
           "vous pourriez", "qui", "que ", "racontez", "parlez", "expliquez", "et vous"),
    "en": ("what", "how", "why", "when", "where", "who", "which", "do you", "did you",
           "can you", "could you", "would you", "are you", "have you", "tell me", "is it"),
}


@dataclass
class RoleGuess:
    interviewer: str | None
    confidence: float
    features: dict[str, dict[str, float]]


def guess_roles(transcript: Transcript) -> RoleGuess:
    """Which speaker is the interviewer: asks more questions, talks less, opens the
    interview, and takes shorter turns. Each cue votes with a weight; the confidence is
    the share of the weighted vote the winner gets."""
    speakers = list(transcript.speakers)
    if len(speakers) < 2:
        return RoleGuess(None, 0.0, {})
    language = (transcript.language or "")[:2]
    starts = QUESTION_STARTS.get(language, ()) + QUESTION_STARTS["en"]
    features: dict[str, dict[str, float]] = {s: {"questions": 0.0, "talk": 0.0, "turns": 0.0,
                                                  "opens": 0.0} for s in speakers}
    turn_lengths: dict[str, list[float]] = {s: [] for s in speakers}
    previous = None
    for segment in sorted(transcript.segments, key=lambda s: s.start):
        if segment.speaker not in features:
            continue
        text = segment.text.strip().lower()
        for sentence in _sentences(text):
            if sentence.endswith("?") or sentence.startswith(starts):
                features[segment.speaker]["questions"] += 1
        features[segment.speaker]["talk"] += segment.duration
        if segment.speaker != previous:
            turn_lengths[segment.speaker].append(0.0)
            previous = segment.speaker
        turn_lengths[segment.speaker][-1] += segment.duration
    first = next((s.speaker for s in sorted(transcript.segments, key=lambda s: s.start)
                  if s.speaker in features), None)
    if first:
        features[first]["opens"] = 1.0
    for speaker in speakers:
        lengths = turn_lengths[speaker]
        features[speaker]["turns"] = float(np.mean(lengths)) if lengths else 0.0

    # Votes: questions weigh most; less talk, shorter turns and opening count too.
    weights = {"questions": 3.0, "talk": 1.5, "turns": 1.0, "opens": 1.0}
    scores = dict.fromkeys(speakers, 0.0)
    for cue, weight in weights.items():
        values = {s: features[s][cue] for s in speakers}
        if cue in ("talk", "turns"):  # the interviewer has less of these
            values = {s: -v for s, v in values.items()}
        total = sum(abs(v) for v in values.values())
        if total == 0:
            continue
        best = max(values, key=values.get)
        margin = (values[best] - sorted(values.values())[-2]) / total if len(values) > 1 else 0
        scores[best] += weight * min(1.0, 2 * margin)
    winner = max(scores, key=scores.get)
    total = sum(scores.values())
    confidence = scores[winner] / total if total else 0.0
    return RoleGuess(winner if total else None, round(confidence, 3), features)


def apply_roles(transcript: Transcript, guess: RoleGuess, language: str | None) -> None:
    """Label the interviewer and the interviewee(s) in the user's language."""
    if guess.interviewer is None:
        return
    interviewees = [s for s in transcript.speakers if s != guess.interviewer]
    for speaker_id, speaker in transcript.speakers.items():
        if speaker_id == guess.interviewer:
            speaker.role, speaker.name = INTERVIEWER, role_label(INTERVIEWER, language)
        else:
            speaker.role = INTERVIEWEE
            label = role_label(INTERVIEWEE, language)
            if len(interviewees) > 1:
                label = f"{label} {interviewees.index(speaker_id) + 1}"
            speaker.name = label
        speaker.role_confidence = guess.confidence


def _sentences(text: str) -> list[str]:
    parts, current = [], ""
    for character in text:
        current += character
        if character in ".?!…":
            parts.append(current.strip())
            current = ""
    if current.strip():
        parts.append(current.strip())
    return parts
