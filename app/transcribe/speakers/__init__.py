"""Speakers, by concern: assign (words to speakers, smoothing, turns), labels (names,
renaming, talk time) and roles (who is the interviewer). What a preset means, and the
speaker options, are `transcribe.options`'s.

The names other modules use are imported here, so `from transcribe.speakers import ...`
needs no knowledge of the split.
"""

from ..options import PRESETS, SpeakerOptions, parse_names
from .assign import TurnIndex, assign_words, mark_overlaps, smooth_speakers, split_by_speaker
from .labels import (
    INTERVIEWEE,
    INTERVIEWER,
    apply_names,
    name_speakers,
    name_unheard_speakers,
    rename_speaker,
    swap_speakers,
    talk_times,
)
from .roles import RoleGuess, apply_roles, guess_roles

__all__ = [
    "INTERVIEWEE", "INTERVIEWER", "PRESETS", "RoleGuess", "SpeakerOptions", "TurnIndex",
    "apply_names", "apply_roles", "assign_words", "guess_roles", "mark_overlaps",
    "name_speakers", "name_unheard_speakers", "parse_names", "rename_speaker",
    "smooth_speakers", "split_by_speaker", "swap_speakers", "talk_times",
]
