"""Speakers' names: default labels and role labels in the user's language, renaming,
swapping, a names table, talk time.

Every export prints `transcript.speakers[id].name`; renaming and swapping go through the
functions here, so one change shows everywhere.
"""

from __future__ import annotations

import re

from ..i18n import normalise_language
from ..transcript import Speaker, Transcript

INTERVIEWER = "interviewer"
INTERVIEWEE = "interviewee"

ROLE_LABELS = {
    "fr": {INTERVIEWER: "Enquêteur·rice", INTERVIEWEE: "Enquêté·e", "speaker": "Locuteur·rice {n}"},
    "en": {INTERVIEWER: "Interviewer", INTERVIEWEE: "Interviewee", "speaker": "Speaker {n}"},
}


def default_label(index: int, language: str | None) -> str:
    return ROLE_LABELS[normalise_language(language)]["speaker"].format(n=index + 1)


def role_label(role: str, language: str | None) -> str:
    return ROLE_LABELS[normalise_language(language)][role]


def _default_patterns() -> list[tuple[str, re.Pattern[str]]]:
    """(kind, pattern) for every default label in every language: a role's label, alone or
    numbered ("Enquêté·e 2", apply_roles), and "Speaker n" (name_speakers)."""
    patterns = []
    for labels in ROLE_LABELS.values():
        for kind, label in labels.items():
            if kind == "speaker":
                before, after = (re.escape(part) for part in label.split("{n}"))
                patterns.append((kind, re.compile(rf"{before}(\d+){after}")))
            else:
                patterns.append((kind, re.compile(rf"{re.escape(label)}(?: (\d+))?")))
    return patterns


_DEFAULTS = _default_patterns()


def shown_name(name: str, language: str | None) -> str:
    """A speaker's name as a reader of `language` sees it: a default label, in whichever
    language it was given ("Enquêté·e 2", "Speaker 1"), in `language`'s words
    ("Interviewee 2", "Locuteur·rice 1"); a name the person gave, as it is."""
    for kind, pattern in _DEFAULTS:
        if match := pattern.fullmatch(name):
            number = match.group(1)
            if kind == "speaker":
                return default_label(int(number) - 1, language)
            label = role_label(kind, language)
            return f"{label} {number}" if number else label
    return name


def in_language(transcript: Transcript, language: str | None) -> Transcript:
    """The transcript with its default speaker labels in `language` (what the pages and
    exports show); the transcript itself when none changes. The stored one keeps its own."""
    shown = {key: shown_name(speaker.name, language)
             for key, speaker in transcript.speakers.items()}
    if all(shown[key] == speaker.name for key, speaker in transcript.speakers.items()):
        return transcript
    copy = Transcript.from_dict(transcript.to_dict())
    for key, name in shown.items():
        copy.speakers[key].name = name
    return copy


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


def apply_names(transcript: Transcript, names: dict[str, str]) -> list[str]:
    """Rename speakers from a table whose keys are roles, labels or ids, in any language.
    Returns the keys that matched no speaker (a typo, or a role no one was given), for the
    caller to warn about rather than ignore them silently."""
    lookup = {key.strip().lower(): value for key, value in names.items() if value.strip()}
    used: set[str] = set()
    for speaker in list(transcript.speakers.values()):
        key = next((k for k in _name_keys(speaker) if k in lookup), None)
        if key is not None:
            used.add(key)
            rename_speaker(transcript, speaker.id, lookup[key])
    return [key for key, value in names.items()
            if value.strip() and key.strip().lower() not in used]


def _name_keys(speaker: Speaker) -> list[str]:
    """What a names table may call a speaker: its id, its current name, its role in any
    language."""
    keys = [speaker.id.lower(), speaker.name.lower()]
    if speaker.role:
        keys.append(speaker.role)
        keys += [labels[speaker.role].lower() for labels in ROLE_LABELS.values()]
    return keys



def talk_times(transcript: Transcript) -> dict[str, float]:
    """Seconds of speech per speaker id, from the segments."""
    times: dict[str, float] = {}
    for segment in transcript.segments:
        if segment.speaker is not None:
            times[segment.speaker] = times.get(segment.speaker, 0.0) + segment.duration
    return times



def name_unheard_speakers(transcript: Transcript, language: str | None) -> None:
    """Speakers heard only where the transcript has no text (its gaps' speakers) get an
    entry too, labelled after the others: a person none of whose words came out is
    still someone who spoke."""
    for gap in transcript.gaps:
        if gap.speaker is not None and gap.speaker not in transcript.speakers:
            transcript.speakers[gap.speaker] = Speaker(
                gap.speaker, default_label(len(transcript.speakers), language))


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
