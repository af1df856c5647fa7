"""Word document (python-docx): title, metadata, then one paragraph per turn with the
timestamp, the speaker in bold, uncertain words highlighted and the marks of speech with
no text (`[inaudible 00:07-00:14]`) in italics.

Paragraphs start with `[hh:mm:ss]`, which NVivo reads as timestamps when importing a
Word transcript.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.shared import Pt, RGBColor

from ..conventions import Conventions, Pseudonymiser, Turn, build_turns
from ..i18n import format_duration
from ..transcript import Transcript
from .common import clock, document_language, labels

GREY = RGBColor(0x70, 0x70, 0x70)
APP_NAME = "transcribe"  # the document's author (python-docx's template says "python-docx")


def to_docx(transcript: Transcript, conventions: Conventions | None = None,
            title: str | None = None, timestamps: bool = True,
            ui_language: str | None = None) -> bytes:
    conventions = conventions or Conventions()
    language = document_language(transcript, ui_language)
    text = labels(language)
    turns = build_turns(transcript, conventions, language=language)
    document = Document()
    # The file name as downloads name it: pseudonyms applied (heading, file line, title).
    source = Pseudonymiser(conventions.pseudonyms).file_name(transcript.source or "")
    heading = title or source or text["transcript"]
    properties = document.core_properties
    properties.title = heading
    properties.author = properties.last_modified_by = APP_NAME
    properties.comments = ""
    properties.created = properties.modified = datetime.now(UTC).replace(microsecond=0)
    properties.language = language
    document.add_heading(heading, level=1)

    metadata = [
        (text["file"], source),
        (text["date"], date.today().isoformat()),
        (text["duration"], format_duration(transcript.duration)),
        (text["language"], transcript.language or ""),
        (text["model"], " / ".join(x for x in (transcript.engine, transcript.model) if x)),
    ]
    names = sorted({t.speaker for t in turns if t.speaker})
    if names:
        metadata.append((text["speakers"], ", ".join(names)))
    for label, value in metadata:
        paragraph = document.add_paragraph()
        paragraph.add_run(f"{label} : " if language == "fr" else f"{label}: ").bold = True
        paragraph.add_run(value)
    legend = legend_items(conventions, turns, text)
    if legend:
        note = document.add_paragraph(" ".join([text["conventions"], "; ".join(legend)]) + ".")
        note.runs[0].italic = True
    if conventions.flag_uncertain:
        document.add_paragraph(text["uncertain"]).runs[0].italic = True

    for turn in turns:
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(8)
        if timestamps:
            stamp = paragraph.add_run(f"[{clock(turn.start)}] ")
            stamp.font.color.rgb = GREY
        if turn.speaker:
            paragraph.add_run(f"{turn.speaker}: ").bold = True
        for index, token in enumerate(turn.tokens):
            separator = " " if index and token.space_before else ""
            opening = "//" if token.overlap_open else ""
            closing = "//" if token.overlap_close else ""
            if token.gap:
                paragraph.add_run(separator)
                paragraph.add_run(token.text).italic = True
            elif token.uncertain:
                paragraph.add_run(separator + opening)
                run = paragraph.add_run(token.text)
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
                paragraph.add_run(closing)
            else:
                paragraph.add_run(separator + opening + token.text + closing)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def legend_items(conventions: Conventions, turns: list[Turn],
                 text: dict[str, str]) -> list[str]:
    """The conventions this document applies, and only those (uncertain words have their
    own sentence: the document highlights them)."""
    items = []
    if conventions.mark_pauses and any(t.pause for turn in turns for t in turn.tokens):
        items.append(text["legend.pauses"])
    if conventions.mark_overlaps and any(turn.overlap for turn in turns):
        items.append(text["legend.overlaps"])
    if any(t.gap for turn in turns for t in turn.tokens):
        items.append(text["legend.gaps"])
    if conventions.remove_fillers:
        items.append(text["legend.fillers"])
    if any(real.strip() for real in conventions.pseudonyms):
        items.append(text["legend.pseudonyms"])
    return items
