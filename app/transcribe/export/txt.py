"""Plain text to read: one paragraph per speaker turn with the speaker's name; timestamps
optional (the QDA export is the timestamped one)."""

from __future__ import annotations

from ..conventions import Conventions, build_turns
from ..transcript import Transcript
from .common import clock


def to_txt(transcript: Transcript, conventions: Conventions | None = None,
           timestamps: bool = False, speakers: bool = True) -> str:
    paragraphs = []
    for turn in build_turns(transcript, conventions):
        prefix = f"[{clock(turn.start)}] " if timestamps else ""
        if speakers and turn.speaker:
            prefix += f"{turn.speaker}: "
        paragraphs.append(prefix + turn.text)
    return "\n\n".join(paragraphs) + "\n"
