"""Subtitles: SRT (the `srt` library) and WebVTT with speakers as voices (<v Name>).

Long segments are cut into cues of at most two lines at word boundaries, so subtitles
stay readable when the recording is played in a video player or ELAN.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import srt

from ..conventions import Conventions, Token, Turn, build_turns
from ..transcript import Transcript
from .common import clock

MAX_CUE_CHARS = 84  # two lines of 42
MAX_CUE_SECONDS = 7.0


def cues(transcript: Transcript, conventions: Conventions | None = None) -> list[Turn]:
    result: list[Turn] = []
    for turn in build_turns(transcript, conventions, merge_speaker_turns=False):
        result.extend(_split(turn))
    return result


def _split(turn: Turn) -> list[Turn]:
    """Cut a long turn into cues of balanced length, at word boundaries; a cue's times
    come from its words when known, else from its share of the turn's characters."""
    length = len(turn.text)
    pieces = max(math.ceil(length / MAX_CUE_CHARS),
                 math.ceil((turn.end - turn.start) / MAX_CUE_SECONDS), 1)
    if pieces == 1 or len(turn.tokens) < 2:
        return [turn]
    target = length / pieces
    groups: list[list[Token]] = [[]]
    size = 0
    for token in turn.tokens:
        if groups[-1] and size + len(token.text) / 2 > target and len(groups) < pieces:
            groups.append([])
            size = 0
        groups[-1].append(token)
        size += len(token.text) + 1
    total = sum(len(t.text) + 1 for t in turn.tokens)
    result: list[Turn] = []
    consumed = 0
    start = turn.start
    for index, group in enumerate(groups):
        consumed += sum(len(t.text) + 1 for t in group)
        if index == len(groups) - 1:
            end = turn.end
        else:
            following = groups[index + 1][0]
            end = following.start if following.start is not None else (
                turn.start + (turn.end - turn.start) * consumed / total)
        if turn.overlap:  # each cue of an overlapped segment shows its own //...//
            group = [replace(t, overlap_open=i == 0, overlap_close=i == len(group) - 1)
                     for i, t in enumerate(group)]
        result.append(Turn(start, end, turn.speaker, turn.speaker_id, group))
        start = end
    return result


def to_srt(transcript: Transcript, conventions: Conventions | None = None) -> str:
    subtitles = []
    for index, cue in enumerate(cues(transcript, conventions), start=1):
        text = f"{cue.speaker}: {cue.text}" if cue.speaker else cue.text
        subtitles.append(srt.Subtitle(index, timedelta(seconds=cue.start),
                                      timedelta(seconds=max(cue.end, cue.start + 0.001)),
                                      text))
    return srt.compose(subtitles)


def to_vtt(transcript: Transcript, conventions: Conventions | None = None) -> str:
    blocks = ["WEBVTT"]
    for cue in cues(transcript, conventions):
        text = _escape(cue.text)
        if cue.speaker:
            text = f"<v {_escape(cue.speaker)}>{text}"
        blocks.append(f"{clock(cue.start, '.')} --> {clock(max(cue.end, cue.start + 0.001), '.')}"
                      f"\n{text}")
    return "\n\n".join(blocks) + "\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
