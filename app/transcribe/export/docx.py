"""Word document (python-docx): title, metadata, then one paragraph per turn with the
timestamp, the speaker in bold and uncertain words highlighted.

Paragraphs start with `[hh:mm:ss]`, which NVivo reads as timestamps when importing a
Word transcript.
"""

from __future__ import annotations

import io
from datetime import date

from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.shared import Pt, RGBColor

from ..conventions import Conventions, build_turns
from ..i18n import format_duration
from ..transcript import Transcript
from .common import clock, labels

GREY = RGBColor(0x70, 0x70, 0x70)


def to_docx(transcript: Transcript, conventions: Conventions | None = None,
            title: str | None = None, timestamps: bool = True,
            ui_language: str | None = None) -> bytes:
    conventions = conventions or Conventions()
    text = labels(ui_language or transcript.language)
    turns = build_turns(transcript, conventions)
    document = Document()
    heading = title or transcript.source or text["transcript"]
    document.core_properties.title = heading
    document.add_heading(heading, level=1)

    metadata = [
        (text["file"], transcript.source or ""),
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
        paragraph.add_run(f"{label} : " if (ui_language or transcript.language or "")
                          .startswith("fr") else f"{label}: ").bold = True
        paragraph.add_run(value)
    if conventions.mark_pauses or conventions.flag_uncertain or conventions.mark_overlaps:
        note = document.add_paragraph(text["conventions"])
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
        if turn.overlap:
            paragraph.add_run("//")
        for index, token in enumerate(turn.tokens):
            separator = " " if index and token.space_before else ""
            if token.uncertain:
                if separator:
                    paragraph.add_run(separator)
                run = paragraph.add_run(token.text)
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            else:
                paragraph.add_run(separator + token.text)
        if turn.overlap:
            paragraph.add_run("//")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
