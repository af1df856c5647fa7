"""CSV for coding grids in a spreadsheet: start, end, speaker, text, one row per segment.

Times as hh:mm:ss.mmm; UTF-8 with a byte-order mark so that Excel shows accents right.
A cell that a spreadsheet would read as a formula gets a leading quote (see `cell`).
"""

from __future__ import annotations

import csv
import io

from ..conventions import Conventions, build_turns
from ..transcript import Transcript
from .common import clock

COLUMNS = ("start", "end", "speaker", "text")
# What makes Excel, LibreOffice or Google Sheets read a cell as a formula (OWASP's "CSV
# injection" list): these first characters, even after spaces, or a tab or CR first.
FORMULA_STARTS = ("=", "+", "-", "@")
CONTROL_STARTS = ("\t", "\r")


def to_csv(transcript: Transcript, conventions: Conventions | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for turn in build_turns(transcript, conventions, merge_speaker_turns=False):
        writer.writerow([clock(turn.start, "."), clock(turn.end, "."),
                         cell(turn.speaker or ""), cell(turn.text)])
    return buffer.getvalue().encode("utf-8-sig")


def cell(value: str) -> str:
    """A transcript's text as a spreadsheet shows it, never run: a cell such as
    `=HYPERLINK(...)` or `-1+2` gets a leading single quote, which spreadsheets take as
    "text" and do not display. Only the CSV does this: other formats keep the text."""
    if value.startswith(CONTROL_STARTS) or value.lstrip().startswith(FORMULA_STARTS):
        return "'" + value
    return value
