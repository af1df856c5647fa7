"""Exports: every format reads the same turns (see conventions), so that a correction or
a pseudonym shows in all of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..conventions import Conventions, Pseudonymiser, pseudonymise_transcript
from ..speakers.labels import in_language
from ..storage import write_atomically
from ..transcript import Transcript
from .common import document_language
from .docx import to_docx
from .qda import to_qda
from .subtitles import to_srt, to_vtt
from .tables import to_csv
from .txt import to_txt


@dataclass(frozen=True)
class Format:
    name: str
    extension: str  # appended to the recording's stem: <stem><extension>
    media_type: str
    render: Callable[[Transcript, Conventions], bytes]


def _text(function) -> Callable[[Transcript, Conventions], bytes]:
    return lambda transcript, conventions: function(transcript, conventions).encode("utf-8")


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("txt", ".txt", "text/plain", _text(to_txt)),
        Format("docx", ".docx",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               to_docx),
        Format("srt", ".srt", "application/x-subrip", _text(to_srt)),
        Format("vtt", ".vtt", "text/vtt", _text(to_vtt)),
        # The data itself (no pause or uncertainty marks), pseudonyms applied.
        Format("json", ".json", "application/json",
               lambda transcript, conventions: pseudonymise_transcript(
                   transcript, conventions.pseudonyms).to_json().encode("utf-8")),
        Format("csv", ".csv", "text/csv", to_csv),
        # .qda.txt: never overwrites the plain .txt of the same recording.
        Format("qda", ".qda.txt", "text/plain", _text(to_qda)),
    )
}


def export_stem(stem: str, conventions: Conventions | None = None) -> str:
    """The name a recording's downloads get (each file, the zip, the folders in a zip):
    its stem with the pseudonyms applied, as in a file name (conventions.Pseudonymiser)."""
    # Never the real name back, should a pseudonym leave nothing (a table written by hand).
    return Pseudonymiser((conventions or Conventions()).pseudonyms).file_name(stem) \
        or "transcript"


def parse_formats(value: str) -> list[str]:
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s): {', '.join(unknown)}; "
                         f"known: {', '.join(FORMATS)}")
    return list(dict.fromkeys(names))


def render(transcript: Transcript, format_name: str,
           conventions: Conventions | None = None, ui_language: str | None = None) -> bytes:
    """`ui_language`: the interface's language for the docx's labels (the only format with
    labels) and the default speaker labels ("Enquêté·e": speakers.labels.shown_name) in
    every format; by default the one the job was submitted in."""
    transcript = in_language(transcript, document_language(transcript, ui_language))
    if format_name == "docx" and ui_language:
        return to_docx(transcript, conventions or Conventions(), ui_language=ui_language)
    return FORMATS[format_name].render(transcript, conventions or Conventions())


def write_exports(transcript: Transcript, formats: list[str], folder: Path, stem: str,
                  conventions: Conventions | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in formats:
        written.append(write_atomically(folder / f"{stem}{FORMATS[name].extension}",
                                        render(transcript, name, conventions)))
    return written
