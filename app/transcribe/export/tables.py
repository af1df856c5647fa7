"""CSV for coding grids in a spreadsheet: start, end, speaker, text, one row per segment.

Times as hh:mm:ss.mmm; UTF-8 with a byte-order mark so that Excel shows accents right.
"""

from __future__ import annotations

import csv
import io

from ..conventions import Conventions, build_turns
from ..transcript import Transcript
from .common import clock

COLUMNS = ("start", "end", "speaker", "text")


def to_csv(transcript: Transcript, conventions: Conventions | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for turn in build_turns(transcript, conventions, merge_speaker_turns=False):
        writer.writerow([clock(turn.start, "."), clock(turn.end, "."), turn.speaker or "",
                         turn.text])
    return buffer.getvalue().encode("utf-8-sig")
