"""Corrections saved as changes, so that two tabs (or two people) never overwrite each
other.

A browser sends a list of operations with the version of the transcript it last saw. Under
the job's lock the server loads the stored transcript, finds each operation's segment by
what the browser saw (its position, start time and, for text edits, its text), applies the
operations that still fit and refuses the others with a reason, bumps the version and
saves. An edit made on a stale copy is therefore merged when its segment is untouched, or
refused with a message: never silently dropped, never written over someone else's.

Operations (JSON objects; `seg` is the segment's position when the browser made it,
`start` its start time, `old` its text then):

    {"op": "text", "seg", "start", "old", "text"}        new text of a segment
    {"op": "split", "seg", "start", "old", "at", "cut"?, "end"?}
                                                         split before token `at`
    {"op": "merge", "seg", "start", "prev"}              join a segment to the one before
                                                         (`prev`: that one's start)
    {"op": "speaker", "seg", "start", "speaker", "from"?}
                                                         who speaks in the segment (`from`:
                                                         who did when the browser made it)
    {"op": "rename", "speaker", "name"}                  a speaker's name (new id: added)
    {"op": "swap", "a", "b"}                             exchange two speakers' names, roles
    {"op": "pseudonym", "real", "pseudonym"}             set (or, with null, remove) a row
    {"op": "gap", "start", "end", "keep", "text"?, "speaker"?, "reason"?, "old"?}
                                                         take away (`keep` false) the mark of
                                                         a stretch of speech with no text,
                                                         with `text`: a new segment there,
                                                         of `speaker`; or put it back (undo;
                                                         `old`: the text of the segment made
                                                         from it, taken away)

A speaker change made on a stale copy is merged like the rest, unless someone else gave
that segment another speaker meanwhile (its `from` no longer holds): then it is refused.
Each refusal names the operation's place in the batch, so that the browser can give the
person back what they typed.

Each is checked before it touches anything: positions are whole numbers, times finite and
inside the recording, speakers ones the transcript knows (a rename may add one), texts and
tables of a bounded size; anything else is refused ("invalid") and reported like a
conflict, so that a stored transcript always stays readable.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .conventions import Conventions
from .editing import edit_text, merge_with_next, set_speaker, split_at_token, tokens
from .jobs import DONE, JobStore
from .speakers import rename_speaker, swap_speakers
from .transcript import GAP_REASONS, Gap, Segment, Transcript

TOLERANCE = 1e-3  # seconds: starts travel as JSON floats, a round trip is exact enough
# Bounds on what a browser may send (far above what the editor sends).
MAX_OPS = 20_000  # a batch ("replace all" on a 3-hour interview: 2,500 segments)
MAX_TEXT = 100_000  # characters of a segment's text
MAX_NAME = 200  # characters of a speaker's name, a real name or a pseudonym
MAX_SPEAKER_ID = 64
MAX_SPEAKERS = 100
MAX_PSEUDONYMS = 2_000

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def job_lock(store: JobStore, job_id: str) -> threading.Lock:
    """One lock per job and data folder: edits of one transcript run one at a time."""
    key = str(store.folder(job_id))
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


class Conflict(Exception):
    """An operation that no longer fits the stored transcript."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Outcome:
    version: int
    applied: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    # True when someone else saved since `base`: the browser must take the stored copy.
    stale: bool = False


def apply(store: JobStore, job_id: str, base: int | None, ops: list[Any]) -> Outcome:
    """Apply a browser's operations to the stored transcript and pseudonym table."""
    with job_lock(store, job_id):
        job = store.get(job_id)
        if job is None or job.status != DONE:
            raise KeyError(job_id)
        transcript = store.load_transcript(job)
        conventions = store.conventions(job)
        outcome = Outcome(transcript.version, stale=base is not None
                          and base != transcript.version)
        if len(ops) > MAX_OPS:  # refused whole: nothing of it is looked at
            outcome.conflicts.append({"op": {"op": "batch", "count": len(ops)},
                                      "reason": "invalid", "index": None})
            return outcome
        table_changed = False
        for index, op in enumerate(ops):
            try:
                _invalid(not isinstance(op, dict))
                if op.get("op") == "pseudonym":
                    table_changed |= _pseudonym(conventions.pseudonyms, op)
                else:
                    _apply_one(transcript, op)
                outcome.applied += 1
            except Conflict as conflict:
                outcome.conflicts.append({"op": op, "reason": conflict.reason,
                                          "index": index})
        if outcome.applied:
            transcript.version += 1
            if table_changed:
                store.save_conventions(job_id, conventions)
            store.save_transcript(job, transcript)
        outcome.version = transcript.version
        return outcome


def update_conventions(store: JobStore, job_id: str,
                       change: Callable[[Conventions], None]) -> None:
    """Change the job's conventions (export options) under the same lock as the
    pseudonyms, so that saving an option never writes back an older pseudonym table."""
    with job_lock(store, job_id):
        job = store.get(job_id)
        if job is None:
            raise KeyError(job_id)
        conventions = store.conventions(job)
        change(conventions)
        store.save_conventions(job_id, conventions)


def _invalid(condition: bool) -> None:
    if condition:
        raise Conflict("invalid")


def _text(value: Any, limit: int, optional: bool = False) -> str | None:
    """A string of at most `limit` characters (or None, when `optional`)."""
    if value is None and optional:
        return None
    _invalid(not isinstance(value, str) or len(value) > limit)
    return value


def _time(value: Any, transcript: Transcript, optional: bool = False) -> float | None:
    """A finite number of seconds inside the recording (or None, when `optional`)."""
    if value is None and optional:
        return None
    _invalid(isinstance(value, bool) or not isinstance(value, int | float)
             or not math.isfinite(value))
    end = max([transcript.duration or 0.0, *(s.end for s in transcript.segments)])
    _invalid(not -TOLERANCE <= value <= end + TOLERANCE)
    return float(value)


def _position(value: Any) -> int:
    _invalid(isinstance(value, bool) or not isinstance(value, int))
    return value


def _known_speaker(transcript: Transcript, value: Any) -> str:
    _invalid(not isinstance(value, str) or value not in transcript.speaker_ids())
    return value


def _pseudonym(table: dict[str, str], op: dict[str, Any]) -> bool:
    real = " ".join((_text(op.get("real"), MAX_NAME, optional=True) or "").split())
    fake = " ".join((_text(op.get("pseudonym"), MAX_NAME, optional=True) or "").split())
    _invalid(not real)
    if not fake:
        return table.pop(real, None) is not None
    _invalid(real not in table and len(table) >= MAX_PSEUDONYMS)
    table[real] = fake
    return True


def locate(transcript: Transcript, op: dict[str, Any], text: bool = True) -> int:
    """The segment an operation names: at its position if it is still there, else the
    one segment with its start (and text); a conflict when none or several fit."""
    segments = transcript.segments
    start = _time(op.get("start"), transcript)
    old = " ".join((_text(op.get("old", ""), MAX_TEXT) or "").split()) if text else None

    def fits(index: int) -> bool:
        segment = segments[index]
        return abs(segment.start - start) <= TOLERANCE and (
            old is None or " ".join(segment.text.split()) == old)

    hint = op.get("seg")
    if isinstance(hint, int) and 0 <= hint < len(segments) and fits(hint):
        return hint
    found = [i for i in range(len(segments)) if fits(i)]
    if len(found) != 1:
        raise Conflict("changed")
    return found[0]


def _apply_one(transcript: Transcript, op: dict[str, Any]) -> None:
    """One operation, checked whole before it changes anything."""
    kind = op.get("op")
    if kind == "text":
        text = _text(op.get("text", ""), MAX_TEXT)
        edit_text(transcript, locate(transcript, op), text or "")
    elif kind == "split":
        at = _position(op.get("at"))
        cut = _time(op.get("cut"), transcript, optional=True)
        end = _time(op.get("end"), transcript, optional=True)
        index = locate(transcript, op)
        try:
            split_at_token(transcript, index, at, cut, end)
        except ValueError:  # checked before the segment is touched: nothing to split
            raise Conflict("invalid") from None
    elif kind == "merge":
        previous_start = _time(op.get("prev"), transcript)
        index = locate(transcript, op, text=False)
        if index == 0:
            raise Conflict("changed")
        previous = transcript.segments[index - 1]
        if abs(previous.start - previous_start) > TOLERANCE:
            raise Conflict("changed")
        merge_with_next(transcript, index - 1)
    elif kind == "speaker":
        speaker = op.get("speaker")
        if speaker is not None:
            _known_speaker(transcript, speaker)
        index = locate(transcript, op, text=False)
        if "from" in op:
            before = op["from"]
            _invalid(before is not None and not isinstance(before, str))
            now = transcript.segments[index].speaker
            if now not in (before, speaker):  # someone else chose another speaker
                raise Conflict("changed")
        set_speaker(transcript, index, speaker)
    elif kind == "gap":
        _gap(transcript, op)
    elif kind == "swap":
        swap_speakers(transcript, _known_speaker(transcript, op.get("a")),
                      _known_speaker(transcript, op.get("b")))
    elif kind == "rename":
        speaker_id = _text(op.get("speaker"), MAX_SPEAKER_ID) or ""
        name = _text(op.get("name"), MAX_NAME) or ""
        _invalid(not speaker_id.strip())
        _invalid(speaker_id not in transcript.speakers and len(transcript.speakers) >= MAX_SPEAKERS)
        try:
            rename_speaker(transcript, speaker_id, name)
        except ValueError:
            raise Conflict("invalid") from None
    else:
        raise Conflict("invalid")


def _gap(transcript: Transcript, op: dict[str, Any]) -> None:
    """A gap's mark taken away (with the text typed for it: a segment in its place), or
    put back (and the segment made from it taken away). Taking away or putting back a
    mark twice is the same as once (another tab may have done it already); text for a
    gap that is gone is refused (someone else wrote it meanwhile)."""
    start, end = _time(op.get("start"), transcript), _time(op.get("end"), transcript)
    keep = op.get("keep")
    _invalid(not isinstance(keep, bool) or end <= start)
    text = " ".join((_text(op.get("text"), MAX_TEXT, optional=True) or "").split())
    speaker = op.get("speaker")
    if speaker is not None:
        _known_speaker(transcript, speaker)
    found = [g for g in transcript.gaps if abs(g.start - start) <= TOLERANCE
             and abs(g.end - end) <= TOLERANCE]
    if not keep:
        if text and not found:
            raise Conflict("changed")
        for gap in found:
            transcript.gaps.remove(gap)
        if text:
            at = bisect_right([s.start for s in transcript.segments], start)
            transcript.segments.insert(at, Segment(start, end, "", speaker))
            edit_text(transcript, at, text)  # words timed evenly over the stretch
        return
    _invalid(op.get("reason") not in GAP_REASONS)
    if op.get("old") is not None:  # undoing the text typed for it: that segment goes
        del transcript.segments[locate(transcript, op)]
    if not found:
        transcript.gaps.append(Gap(start, end, op["reason"], speaker))
        transcript.gaps.sort(key=lambda g: (g.start, g.end))


def document(transcript: Transcript, threshold: float) -> dict[str, Any]:
    """What the browser editor needs, compact: the language spoken; per segment its start,
    end, speaker and tokens as [text, start, end, uncertain]; per gap (speech with no
    text) its start, end, speaker and reason."""
    segments = []
    for segment in transcript.segments:
        pieces = tokens(segment)
        segments.append([segment.start, segment.end, segment.speaker, [
            [t.text, t.start, t.end,
             1 if t.probability is not None and t.probability < threshold else 0]
            for t in pieces]])
    speakers = [[speaker_id, transcript.speaker_name(speaker_id)]
                for speaker_id in transcript.speaker_ids()]
    return {"version": transcript.version, "duration": transcript.duration,
            "language": transcript.language, "speakers": speakers, "segments": segments,
            "gaps": [[g.start, g.end, g.speaker, g.reason] for g in transcript.gaps]}
