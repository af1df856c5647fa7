"""Timestamped text for qualitative-analysis software.

One paragraph per turn, starting with `[hh:mm:ss]`, then the speaker's name and a colon,
then the text; a blank line between paragraphs; UTF-8. Save it next to the recording
under the same base name so the software links them:

- MAXQDA: Import > Transcripts with timestamps. MAXQDA recognises `[hh:mm:ss]` at the
  start of a paragraph and codes speakers from "Name:".
- NVivo: open the audio/video, Edit > Transcript > Import Rows, "Create one transcript
  row for each: Timestamp". NVivo accepts a timestamp in square brackets at the start of
  a paragraph (its documentation: "You can also use brackets [ ] around a timestamp").
- ATLAS.ti: add the recording, then import this file as its transcript; bracketed
  `[hh:mm:ss]` timestamps at paragraph starts become synchronisation anchors.
"""

from __future__ import annotations

from ..conventions import Conventions, build_turns
from ..transcript import Transcript
from .common import clock


def to_qda(transcript: Transcript, conventions: Conventions | None = None) -> str:
    paragraphs = []
    for turn in build_turns(transcript, conventions):
        speaker = f"{turn.speaker}: " if turn.speaker else ""
        paragraphs.append(f"[{clock(turn.start)}] {speaker}{turn.text}")
    return "\n\n".join(paragraphs) + "\n"
