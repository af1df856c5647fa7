"""What the review page shows, computed without Streamlit: who speaks when, talk-time
shares, the pseudonym table's edits, the player's media type, export files.

Kept apart from the page so that it can be tested directly and stays cheap on reruns.
"""

from __future__ import annotations

import io
import mimetypes
import zipfile
from pathlib import Path

from ..conventions import Conventions
from ..export import FORMATS, export_stem, render
from ..speakers import talk_times
from ..transcript import Transcript


def timeline_rows(transcript: Transcript, unknown: str, unit: float = 1.0) -> list[dict]:
    """One row per segment: who speaks from when to when (the timeline chart), in seconds
    or, with unit=60, minutes."""
    return [{"speaker": transcript.speaker_name(s.speaker) or unknown,
             "start": round(s.start / unit, 3),
             "end": round(max(s.end, s.start + 0.05) / unit, 3)}
            for s in transcript.segments]


def talk_time_rows(transcript: Transcript) -> list[dict]:
    """Seconds and share of speech per speaker, most talkative first."""
    times = talk_times(transcript)
    total = sum(times.values()) or 1.0
    rows = [{"id": speaker_id, "speaker": transcript.speaker_name(speaker_id) or speaker_id,
             "seconds": round(seconds, 1), "share": seconds / total}
            for speaker_id, seconds in times.items()]
    return sorted(rows, key=lambda row: row["seconds"], reverse=True)


def new_speaker_id(transcript: Transcript) -> str:
    taken = set(transcript.speaker_ids())
    number = len(taken)
    while f"SPEAKER_{number:02d}" in taken:
        number += 1
    return f"SPEAKER_{number:02d}"


def apply_table_edits(base: list[dict], edits: dict) -> list[dict]:
    """The rows of a data editor after its edits ({"edited_rows", "added_rows",
    "deleted_rows"}, as st.data_editor reports them) are applied to its starting rows."""
    rows = [dict(row) for row in base]
    for position, changes in (edits.get("edited_rows") or {}).items():
        if 0 <= int(position) < len(rows):
            rows[int(position)].update(changes)
    rows += [dict(row) for row in edits.get("added_rows") or []]
    deleted = {int(p) for p in edits.get("deleted_rows") or []}
    return [row for position, row in enumerate(rows) if position not in deleted]


# -- listening -------------------------------------------------------------------------------

def media_type(path: Path) -> str:
    """What to tell the browser a recording is (the listening copy is always MP3)."""
    guessed = mimetypes.guess_type(path.name)[0] or ""
    if guessed.startswith("video/"):  # played in an <audio> element: its sound only
        guessed = "audio/" + guessed.split("/", 1)[1]
    return guessed if guessed.startswith("audio/") else "audio/mpeg"


# -- downloads -------------------------------------------------------------------------------

def export_name(stem: str, format_name: str) -> str:
    """<stem><extension>: entretien.txt, entretien.qda.txt... (`stem`: export_stem's)"""
    return f"{stem}{FORMATS[format_name].extension}"


def export_zip(transcript: Transcript, stem: str, conventions: Conventions,
               ui_language: str | None = None) -> bytes:
    """Every format in one zip, named like the recording, pseudonyms applied."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        write_formats(archive, "", transcript, stem, conventions, ui_language)
    return buffer.getvalue()


def write_formats(archive: zipfile.ZipFile, folder: str, transcript: Transcript, stem: str,
                  conventions: Conventions, ui_language: str | None = None) -> None:
    """Every format of one transcript into `archive`, under `folder` ("" or "name/"),
    named from the recording's `stem` with the pseudonyms applied."""
    stem = export_stem(stem, conventions)
    for name in FORMATS:
        archive.writestr(folder + export_name(stem, name),
                         render(transcript, name, conventions, ui_language))
