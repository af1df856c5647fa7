"""Plain text to read: one paragraph per speaker turn, with the speaker's name and, as an
option, a `[hh:mm:ss]` timestamp (Conventions.timestamps, .speaker_names)."""

from __future__ import annotations

from ..conventions import Conventions, build_turns
from ..transcript import Transcript
from .common import clock


def to_txt(transcript: Transcript, conventions: Conventions | None = None) -> str:
    conventions = conventions or Conventions()
    paragraphs = []
    for turn in build_turns(transcript, conventions):
        prefix = f"[{clock(turn.start)}] " if conventions.timestamps else ""
        if conventions.speaker_names and turn.speaker:
            prefix += f"{turn.speaker}: "
        paragraphs.append(prefix + turn.text)
    return "\n\n".join(paragraphs) + "\n"
