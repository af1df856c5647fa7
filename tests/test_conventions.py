"""Conventions: the marks every export prints, checked on the turns' text."""

from __future__ import annotations

import pytest

from transcribe.conventions import Conventions, build_turns, uncertain_mark
from transcribe.transcript import Segment, Speaker, Transcript, Word


def w(start: float, end: float, text: str, probability: float = 0.95) -> Word:
    return Word(start, end, " " + text, probability)


@pytest.mark.parametrize(("word", "marked"), [
    ("in.", "[in?]."), ("Right.", "[Right?]."), ("doing?", "[doing?]?"),
    ("«Oui»,", "«[Oui?]»,"), ("peut-être", "[peut-être?]"), ("l'", "[l?]'"),
    ("...", "[...?]"),
])
def test_punctuation_stays_outside_the_uncertain_mark(word, marked):
    assert uncertain_mark(word) == marked


def test_uncertain_word_with_a_full_stop_in_a_turn():
    transcript = Transcript(language="en", duration=2.0, segments=[
        Segment(0.0, 2.0, "I was in.", "A", [
            w(0.0, 0.5, "I"), w(0.5, 1.0, "was"), w(1.0, 2.0, "in.", 0.2)])])
    [turn] = build_turns(transcript, Conventions(flag_uncertain=True))
    assert turn.text == "I was [in?]."


def conversation(overlap_second: bool = True, overlap_third: bool = False) -> Transcript:
    return Transcript(
        language="en", duration=8.0,
        segments=[
            Segment(0.0, 3.0, "I grew up there.", "A", [w(0.0, 3.0, "I grew up there.")]),
            Segment(3.1, 4.0, "Yes yes.", "A", [w(3.1, 4.0, "Yes yes.")],
                    overlap=overlap_second),
            Segment(4.1, 6.0, "Then I left.", "A", [w(4.1, 6.0, "Then I left.")],
                    overlap=overlap_third),
            Segment(6.5, 8.0, "Why?", "B", [w(6.5, 8.0, "Why?")]),
        ],
        speakers={"A": Speaker("A", "Alice"), "B": Speaker("B", "Bob")})


def test_a_speakers_paragraph_goes_on_across_an_overlap_mark():
    turns = build_turns(conversation())
    assert [t.speaker for t in turns] == ["Alice", "Bob"]
    assert turns[0].text == "I grew up there. //Yes yes.// Then I left."
    assert turns[0].overlap and not turns[1].overlap


def test_overlapped_segments_in_a_row_share_one_mark():
    [alice, _] = build_turns(conversation(overlap_third=True))
    assert alice.text == "I grew up there. //Yes yes. Then I left.//"


def test_overlaps_unmarked_when_the_convention_is_off():
    [alice, _] = build_turns(conversation(), Conventions(mark_overlaps=False))
    assert alice.text == "I grew up there. Yes yes. Then I left."


def test_subtitles_keep_one_turn_per_segment_with_its_own_mark():
    turns = build_turns(conversation(), merge_speaker_turns=False)
    assert [t.text for t in turns] == ["I grew up there.", "//Yes yes.//", "Then I left.",
                                       "Why?"]


def test_pseudonyms_replace_a_name_whatever_its_case():
    transcript = Transcript(language="fr", duration=3.0, segments=[
        Segment(0.0, 3.0, "MARIE et marie, pas Mariette.", "A", [
            w(0.0, 0.5, "MARIE"), w(0.5, 1.0, "et"), w(1.0, 1.5, "marie,"),
            w(1.5, 2.0, "pas"), w(2.0, 3.0, "Mariette.")])],
        speakers={"A": Speaker("A", "marie")})
    [turn] = build_turns(transcript, Conventions(pseudonyms={"Marie": "Anne"}))
    assert turn.text == "Anne et Anne, pas Mariette." and turn.speaker == "Anne"


def test_a_word_exactly_at_the_uncertainty_threshold_is_not_flagged():
    """"Below the threshold" is flagged: a word at it is not, one just under it is."""
    transcript = Transcript(language="en", duration=2.0, segments=[
        Segment(0.0, 2.0, "at under over", "A", [
            w(0.0, 0.5, "at", 0.5), w(0.5, 1.0, "under", 0.4999), w(1.0, 2.0, "over", 0.51)])])
    [turn] = build_turns(transcript, Conventions(flag_uncertain=True,
                                                 uncertainty_threshold=0.5))
    assert turn.text == "at [under?] over"
