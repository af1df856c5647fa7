"""Roles: which speaker is the interviewer, from questions, talk time, turns and who
opens; then the role labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..transcript import Transcript
from .labels import INTERVIEWEE, INTERVIEWER, role_label

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
