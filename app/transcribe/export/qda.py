"""Timestamped text for qualitative-analysis software.

One paragraph per turn: `[hh:mm:ss]`, a space, the speaker's name and a colon, the text;
a blank line between paragraphs; UTF-8 without byte-order mark. Saved next to the
recording under the same base name, the software links the two. What each accepts
(README, "Exports and analysis software", has the steps):

- MAXQDA: Import > Transcripts with timestamps reads `[hh:mm:ss]` (or `#hh:mm:ss-x#`) at
  the start of a paragraph, and turns "Name:" into speaker codes.
- NVivo (Windows): Import Rows, "Create one transcript row for each: Timestamp" reads
  paragraphs that start with a timestamp; NVivo's help allows `hh:mm:ss` in square
  brackets or between `#`. Versions whose text import wants tab- or comma-delimited rows
  take the .docx instead, whose paragraphs start the same way.
- ATLAS.ti: imports it as the transcript of the recording; the bracketed timestamps
  become anchors (checked against aTrain's documentation of the same file, not ATLAS.ti).
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
