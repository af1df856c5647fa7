"""What the review page shows, computed without Streamlit: turns on a page, who speaks
when, talk-time shares, uncertain words, where a segment can be cut, export files.

Kept apart from the page so that it can be tested directly and stays cheap on reruns.
"""

from __future__ import annotations

import html
import io
import itertools
import math
import mimetypes
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..conventions import Conventions
from ..export import FORMATS, render
from ..speakers import talk_times
from ..transcript import Segment, Transcript

PAGE_SIZES = (10, 20, 50)


@dataclass
class TurnView:
    """Consecutive segments of one speaker, as shown on a page."""

    speaker: str | None
    indices: list[int] = field(default_factory=list)  # indices into transcript.segments


def matching_indices(transcript: Transcript, query: str) -> list[int]:
    """Segments whose text contains the query (case-insensitive); all when it is empty."""
    needle = " ".join(query.split()).casefold()
    if not needle:
        return list(range(len(transcript.segments)))
    return [i for i, s in enumerate(transcript.segments) if needle in s.text.casefold()]


def page_count(total: int, page_size: int) -> int:
    return max(1, math.ceil(total / page_size))


def page_turns(transcript: Transcript, indices: list[int], page: int,
               page_size: int) -> list[TurnView]:
    """The turns on one page (1-based): pages cut by segments, so that a long monologue
    cannot make one page heavy; a turn cut by a page boundary continues on the next."""
    chosen = indices[(page - 1) * page_size: page * page_size]
    turns: list[TurnView] = []
    for index in chosen:
        speaker = transcript.segments[index].speaker
        previous = turns[-1] if turns else None
        if previous and previous.speaker == speaker and previous.indices[-1] == index - 1:
            previous.indices.append(index)
        else:
            turns.append(TurnView(speaker, [index]))
    return turns


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


def speaker_ids(transcript: Transcript) -> list[str]:
    """Known speakers, then any a segment names without a record."""
    ids = list(transcript.speakers)
    for segment in transcript.segments:
        if segment.speaker is not None and segment.speaker not in ids:
            ids.append(segment.speaker)
    return ids


def new_speaker_id(transcript: Transcript) -> str:
    taken = set(speaker_ids(transcript))
    number = len(taken)
    while f"SPEAKER_{number:02d}" in taken:
        number += 1
    return f"SPEAKER_{number:02d}"


def uncertain_words(segment: Segment, threshold: float) -> list[str]:
    """Words the model was unsure of, while the text still is what it recognised (after a
    correction, the reviewer has dealt with them)."""
    if not segment.words or " ".join(segment.text_from_words().split()) != " ".join(
            segment.text.split()):
        return []
    return [w.word.strip() for w in segment.words
            if w.probability is not None and w.probability < threshold and w.word.strip()]


def highlighted_html(segment: Segment, threshold: float) -> str:
    """The segment's text with uncertain words in <mark>, everything escaped."""
    pieces = []
    for word in segment.words:
        text = html.escape(word.word.strip())
        if not text:
            continue
        if word.probability is not None and word.probability < threshold:
            pieces.append(f"<mark>{text}</mark>")
        else:
            pieces.append(text)
    return " ".join(pieces)


def text_height(text: str, characters_per_line: int = 110) -> int:
    """Pixels for a text box that shows the whole segment without a tall empty box
    (Streamlit's minimum is 68)."""
    lines = max(1, math.ceil(len(text) / characters_per_line))
    return max(68, 20 + 24 * lines)


def cut_points(text: str) -> list[tuple[int, str]]:
    """Where a segment can be split: before each word but the first, as (character
    position, a short view of the cut) pairs."""
    words = list(re.finditer(r"\S+", text))
    points = []
    for before, after in itertools.pairwise(words):
        points.append((after.start(), f"…{before.group()} | {after.group()}…"))
    return points


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


def player_script(rate: float, at: float, request: str | None) -> str:
    """A script for the page: the player (the browser's own <audio>, in the container keyed
    "player") gets the chosen speed, and seeks to `at` and plays once per `request` (a new
    value per click on a segment's play button; None: nothing to play)."""
    request_js = "null" if request is None else f"'{request}'"
    return f"""<script>
(() => {{
  const audio = document.querySelector('.st-key-player audio');
  if (!audio) return;
  audio.playbackRate = {rate:g}; audio.defaultPlaybackRate = {rate:g};
  if (!audio.dataset.rateHook) {{
    audio.dataset.rateHook = '1';
    audio.addEventListener('play', () => {{ audio.playbackRate = audio.defaultPlaybackRate; }});
  }}
  const request = {request_js};
  if (request !== null && window.transcribePlayed !== request) {{
    window.transcribePlayed = request;
    const go = () => {{ audio.currentTime = {at:.2f}; audio.play().catch(() => {{}}); }};
    if (audio.readyState >= 1) go();
    else audio.addEventListener('loadedmetadata', go, {{once: true}});
  }}
}})();
</script>"""


# -- downloads -------------------------------------------------------------------------------

def export_name(stem: str, format_name: str) -> str:
    """<stem><extension>: entretien.txt, entretien.qda.txt..."""
    return f"{stem}{FORMATS[format_name].extension}"


def export_zip(transcript: Transcript, stem: str, conventions: Conventions) -> bytes:
    """Every format in one zip, named like the recording."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in FORMATS:
            archive.writestr(export_name(stem, name), render(transcript, name, conventions))
    return buffer.getvalue()
