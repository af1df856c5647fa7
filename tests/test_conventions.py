"""Conventions: the marks every export prints, checked on the turns' text."""

from __future__ import annotations

import pytest

from transcribe.conventions import (
    Conventions,
    Pseudonymiser,
    Token,
    Turn,
    build_turns,
    pause_token,
    pseudonymise_tokens,
    pseudonymise_transcript,
    token_text,
    uncertain_mark,
)
from transcribe.options import AsrOptions, PipelineOptions, SpeakerOptions
from transcribe.transcript import Gap, Segment, Speaker, Transcript, Word


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


def test_pauses_are_marked_from_the_minimum_and_written_out_past_three_seconds():
    assert [pause_token(s).text for s in (0.2, 1.0, 2.0, 3.0, 3.4, 3.5, 12.4)] == [
        "(.)", "(.)", "(..)", "(...)", "(...)", "(4 s)", "(12 s)"]
    assert pause_token(5).pause
    transcript = Transcript(language="fr", duration=20.0, segments=[
        Segment(0.0, 4.0, "un deux trois", "A", [
            w(0.0, 0.5, "un"), w(1.5, 2.0, "deux"), w(2.9, 3.5, "trois")]),
        Segment(4.99, 6.0, "quatre", "A", [w(4.99, 6.0, "quatre")]),
        Segment(16.0, 17.0, "cinq", "A", [w(16.0, 17.0, "cinq")])])
    [turn] = build_turns(transcript, Conventions(mark_pauses=True, min_pause=1.0))
    # 1.0 s between "un" and "deux" is a pause; 0.9 s is not; between segments too.
    assert turn.text == "un (.) deux trois quatre (10 s) cinq"
    assert [t.pause for t in turn.tokens] == [False, True, False, False, False, True, False]
    assert (turn.start, turn.end) == (0.0, 17.0)
    [plain] = build_turns(transcript)
    assert plain.text == "un deux trois quatre cinq"


def test_fillers_go_whatever_their_case_and_punctuation_in_the_language_spoken():
    transcript = Transcript(language="fr-FR", duration=4.0, segments=[
        Segment(0.0, 2.0, "Euh, ben oui hum.", "A", [
            w(0.0, 0.5, "Euh,"), w(0.5, 1.0, "ben"), w(1.0, 1.5, "oui"), w(1.5, 2.0, "hum.")]),
        Segment(2.0, 4.0, "Heu... bah non", "B")])  # corrected by hand: no word times
    turns = build_turns(transcript, Conventions(remove_fillers=True))
    assert [t.text for t in turns] == ["oui", "non"]
    assert [t.text for t in build_turns(transcript)] == ["Euh, ben oui hum.", "Heu... bah non"]
    english = Transcript(language="en", duration=1.0, segments=[
        Segment(0.0, 1.0, "um ben", "A", [w(0.0, 0.5, "um"), w(0.5, 1.0, "ben")])])
    assert build_turns(english, Conventions(remove_fillers=True))[0].text == "ben"
    unknown = Transcript(language=None, duration=1.0, segments=[Segment(0.0, 1.0, "euh", "A")])
    assert build_turns(unknown, Conventions(remove_fillers=True))[0].text == "euh"
    only_fillers = Transcript(language="fr", duration=1.0, segments=[
        Segment(0.0, 1.0, "euh", "A", [w(0.0, 1.0, "euh")]), Segment(1.0, 1.5, "  ", "B")])
    assert build_turns(only_fillers, Conventions(remove_fillers=True)) == []


def test_glued_words_and_untimed_words_keep_their_spacing_and_times():
    transcript = Transcript(language="fr", duration=3.0, segments=[
        Segment(0.0, 3.0, "Je viens d'avoir fini", "A", [
            Word(0.0, 0.5, "Je", 0.9), Word(0.5, 1.0, " viens", 0.9),
            Word(1.0, 1.2, " d'", 0.9), Word(1.2, 1.6, "avoir", 0.9),
            Word(None, None, " fini", 0.9), Word(2.0, 2.5, " ", 0.9)])])
    [turn] = build_turns(transcript, Conventions(mark_pauses=True, min_pause=0.3))
    assert turn.text == "Je viens d'avoir fini"
    assert [t.space_before for t in turn.tokens] == [True, True, True, False, True]
    assert (turn.tokens[3].start, turn.tokens[3].end) == (1.2, 1.6)
    assert turn.tokens[4].start is None and (turn.speaker_id, turn.speaker) == ("A", "A")


def test_turns_follow_time_and_speakers():
    transcript = Transcript(language="en", duration=6.0, segments=[
        Segment(3.0, 4.0, "Third.", "A"), Segment(0.0, 1.0, "First.", "A"),
        Segment(1.0, 2.5, "Second.", "B", overlap=True), Segment(2.6, 2.9, "Also.", "B")],
        speakers={"A": Speaker("A", "Alice")})
    turns = build_turns(transcript)
    assert [(t.speaker, t.speaker_id, t.text) for t in turns] == [
        ("Alice", "A", "First."), ("B", "B", "//Second.// Also."), ("Alice", "A", "Third.")]
    assert (turns[1].start, turns[1].end) == (1.0, 2.9)
    assert turns[1].overlap and not turns[0].overlap
    # The later segment of a merged turn may end before the first one.
    transcript.segments[3].end = 2.0
    assert build_turns(transcript)[1].end == 2.5


def test_uncertain_marks_and_overlap_marks_around_one_token():
    token = Token("ok.", uncertain=True, overlap_open=True, overlap_close=True)
    assert token_text(token) == "//[ok?].//"
    assert uncertain_mark("?!") == "[?!?]" and uncertain_mark("") == "[?]"
    assert Turn(0.0, 1.0, None, None, [Token("a"), Token("b", space_before=False),
                                       Token("c")]).text == "ab c"


def test_longer_names_win_and_empty_names_are_ignored():
    pseudonymise = Pseudonymiser({"Marie": "Anne", "Marie Dupont": "Mme A.", "  ": "X",
                                  "Dupont": "D."})
    assert pseudonymise("Marie Dupont et Marie, puis Dupont !") == "Mme A. et Anne, puis D. !"
    assert Pseudonymiser({})("Marie") == "Marie" and Pseudonymiser({" ": "x"})("a b") == "a b"
    assert Pseudonymiser({"Marie": "Anne"})("Mariette, MARIE") == "Mariette, Anne"


def test_a_name_spanning_tokens_becomes_one_token_with_their_times():
    tokens = [Token("Bonjour", start=0.0, end=0.5), Token("Marie", uncertain=True, start=0.6,
                                                         end=1.0),
              Token("Dupont,", start=1.1, end=1.5),
              Token("(..)", pause=True), Token("voilà", start=3.0, end=3.5)]
    result = pseudonymise_tokens(tokens, Pseudonymiser({"Marie Dupont": "Mme A."}))
    assert [t.text for t in result] == ["Bonjour", "Mme A.,", "(..)", "voilà"]
    merged = result[1]
    assert (merged.start, merged.end, merged.uncertain, merged.pause) == (0.6, 1.5, True, False)
    assert merged.space_before and result[2].pause and not result[0].uncertain
    assert pseudonymise_tokens(tokens, Pseudonymiser({"Paul": "P."})) is tokens


def test_an_exported_copy_carries_the_pseudonyms_everywhere_and_the_original_none():
    transcript = Transcript(
        language="fr", duration=3.0, source="entretien Marie.wav",
        segments=[Segment(0.0, 3.0, "Bonjour Marie Dupont.", "A", [
            Word(0.0, 0.5, " Bonjour", 0.9, "A"), Word(0.6, 1.0, " Marie", 0.4, "A"),
            Word(1.1, 1.5, " Dupont.", None, "A")])],
        speakers={"A": Speaker("A", "Marie Dupont")},
        options=PipelineOptions(asr=AsrOptions(initial_prompt="Marie Dupont", beam_size=3),
                                speakers=SpeakerOptions(names={"Marie": "Marie Dupont",
                                                               "interviewee": "Marie"})))
    copy = pseudonymise_transcript(transcript, {"Marie Dupont": "Mme A.", "Marie": "Anne"})
    segment = copy.segments[0]
    assert segment.text == "Bonjour Mme A.."
    assert [(w.word, w.start, w.end, w.probability, w.speaker) for w in segment.words] == [
        (" Bonjour", 0.0, 0.5, 0.9, "A"), (" Mme A..", 0.6, 1.5, 0.4, "A")]
    assert copy.speakers["A"].name == "Mme A." and copy.source == "entretien Anne.wav"
    assert copy.options.asr.initial_prompt == "Mme A." and copy.options.asr.beam_size == 3
    assert copy.options.speakers.names == {"Anne": "Mme A.", "interviewee": "Anne"}
    assert transcript.options.asr.initial_prompt == "Marie Dupont"
    assert transcript.segments[0].text == "Bonjour Marie Dupont."  # the stored one unchanged
    assert transcript.speakers["A"].name == "Marie Dupont"
    assert pseudonymise_transcript(transcript, {}) is transcript
    untouched = Transcript(language="fr", duration=1.0, source=None, segments=[
        Segment(0.0, 1.0, "Rien.", "A", [Word(0.0, 1.0, "Rien.", None, "A")])])
    copy = pseudonymise_transcript(untouched, {"Marie": "Anne"})
    assert copy.source is None and copy.segments[0].words[0].word == "Rien."
    unsure = Transcript(language="fr", duration=1.0, segments=[
        Segment(0.0, 1.0, "Marie Dupont", "A", [Word(0.0, 0.5, "Marie", None),
                                                Word(0.5, 1.0, " Dupont", None)])])
    [word] = pseudonymise_transcript(unsure, {"Marie Dupont": "X"}).segments[0].words
    assert (word.word, word.probability) == ("X", None)


def test_what_is_skipped_does_not_stop_what_follows():
    transcript = Transcript(language="fr", duration=9.0, segments=[
        Segment(0.0, 1.0, "  ", "A"),  # blank
        Segment(1.0, 2.0, "euh", "A", [w(1.0, 2.0, "euh")]),  # fillers only
        Segment(2.0, 5.5, "oui alors donc voilà", "B", [
            w(2.0, 2.5, "oui"), Word(2.5, 2.6, " ", 0.9), w(2.6, 3.0, "alors"),
            Word(3.0, None, " donc", 0.9), w(5.0, 5.5, "voilà")]),
        Segment(6.5, 7.0, "fin", "B", [w(6.5, 7.0, "fin")]),
        Segment(8.0, 9.0, "merci", None, [w(8.0, 9.0, "merci")])])
    turns = build_turns(transcript, Conventions(remove_fillers=True, mark_pauses=True,
                                                min_pause=1.0, pseudonyms={"Paul": "P."}))
    # The untimed end of "donc" leaves the pause measured from "alors"; the gap between
    # segments of one speaker, exactly the minimum, is a pause too.
    assert [(t.speaker, t.text) for t in turns] == [
        ("B", "oui alors donc (..) voilà (.) fin"), (None, "merci")]


def test_one_overlap_mark_around_two_long_overlapped_segments():
    transcript = Transcript(language="en", duration=6.0, segments=[
        Segment(0.0, 2.0, "So we moved there", "A",
                [w(0.0, 0.5, "So"), w(0.5, 1.0, "we"), w(1.0, 1.5, "moved"),
                 w(1.5, 2.0, "there")], overlap=True),
        Segment(2.0, 4.0, "in the spring", "A",
                [w(2.0, 2.5, "in"), w(2.5, 3.0, "the"), w(3.0, 4.0, "spring")],
                overlap=True)])
    [turn] = build_turns(transcript)
    assert turn.text == "//So we moved there in the spring//"


def test_the_longest_name_wins_whatever_its_case():
    pseudonymise = Pseudonymiser({"marie": "Anne", "Marie Dupont": "Mme A."})
    assert pseudonymise("Marie Dupont et marie") == "Mme A. et Anne"  # not "Anne Dupont"


def test_a_name_glued_to_the_word_before_stays_glued():
    tokens = [Token("l'", start=0.0, end=0.2), Token("Marie", start=0.2, end=0.6,
                                                     space_before=False),
              Token("Dupont", start=0.6, end=1.0)]
    [first, name] = pseudonymise_tokens(tokens, Pseudonymiser({"Marie Dupont": "Mme A."}))
    assert (first.text, name.text, name.space_before) == ("l'", "Mme A.", False)


def test_words_after_a_name_keep_their_own_times_and_part_of_a_name_is_kept():
    transcript = Transcript(language="fr", duration=5.0, segments=[
        Segment(0.0, 5.0, "Marie Dupont est venue hier", "A", [
            Word(0.0, 0.5, " Marie", 0.9), Word(0.5, 1.0, " Dupont", 0.9),
            Word(1.0, 1.5, " est", 0.8), Word(2.0, 2.5, " venue", 0.7),
            Word(3.0, 3.5, " hier", 0.6)])],
        options=PipelineOptions(asr=AsrOptions(initial_prompt="Marie"),
                                speakers=SpeakerOptions(names={"2": "Marie"})))
    copy = pseudonymise_transcript(transcript, {"Marie Dupont": "X"})
    assert [(w.word, w.start, w.end, w.probability) for w in copy.segments[0].words] == [
        (" X", 0.0, 1.0, 0.9), (" est", 1.0, 1.5, 0.8), (" venue", 2.0, 2.5, 0.7),
        (" hier", 3.0, 3.5, 0.6)]
    assert copy.options.asr.initial_prompt == "Marie"  # no whole name in them
    assert copy.options.speakers.names == {"2": "Marie"}


@pytest.mark.parametrize(("text", "expected"), [
    # A longer name joined by a hyphen is another name; apostrophes and underscores part.
    ("Marie-Claire et Marie-", "Marie-Claire et Anne-"),
    ("Jean-Marie, l'Isère, d'Isère", "Jean-Marie, l'[lieu], d'[lieu]"),
    ("Marie's car, MARIE_2", "Anne's car, Anne_2"),
    ("Mariette, Marie2, Saint-Denis, Denis !", "Mariette, Marie2, Saint-Denis, D. !"),
])
def test_in_text_a_name_is_a_whole_word_a_hyphen_joins_and_apostrophes_part(text, expected):
    pseudonymise = Pseudonymiser({"Marie": "Anne", "Isère": "[lieu]", "Denis": "D."})
    assert pseudonymise(text) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("entretien_Durand_Montreuil.ogg", "entretien_[NOM]_[VILLE].ogg"),
    ("entretien-durand-Montreuil2 (1).m4a", "entretien-[NOM]-[VILLE]2 (1).m4a"),
    ("entretienDurand.wav", "entretien[NOM].wav"),
    ("Durandal_Montreuilloise.wav", "Durandal_Montreuilloise.wav"),  # other words
])
def test_in_a_file_name_every_separator_parts_names(name, expected):
    pseudonymise = Pseudonymiser({"Durand": "[NOM]", "Montreuil": "[VILLE]"})
    assert pseudonymise.file_name(name) == expected
    assert Pseudonymiser({"Durand": "a/b: c"}).file_name("x_Durand.wav") == "x_a_b_ c.wav"
    assert Pseudonymiser({}).file_name(name) == name


def test_tokens_glued_together_read_as_one_word_for_the_names_boundaries():
    """Words Whisper glued ("l'" + "Isère", "Marie" + "-Claire") are matched as the text
    reads them, in the turns and in the JSON's words alike."""
    pseudonymise = Pseudonymiser({"Isère": "[lieu]", "Marie": "Anne"})
    tokens = [Token("l'"), Token("Isère", space_before=False), Token("Marie"),
              Token("-Claire", space_before=False), Token("et"), Token("Marie")]
    assert [t.text for t in pseudonymise_tokens(tokens, pseudonymise)] == [
        "l'", "[lieu]", "Marie", "-Claire", "et", "Anne"]
    transcript = Transcript(language="fr", duration=2.0, segments=[
        Segment(0.0, 2.0, "Marie-Claire et Marie", "A", [
            Word(0.0, 0.5, " Marie", 0.9), Word(0.5, 1.0, "-Claire", 0.9),
            Word(1.0, 1.5, " et", 0.9), Word(1.5, 2.0, " Marie", 0.9)])])
    copy = pseudonymise_transcript(transcript, {"Marie": "Anne"})
    assert copy.segments[0].text == "Marie-Claire et Anne"
    assert "".join(w.word for w in copy.segments[0].words) == " Marie-Claire et Anne"


def test_gap_marks_open_a_transcript_join_their_speakers_turn_and_count_minutes():
    transcript = Transcript(language="fr", duration=131.0, segments=[
        Segment(2.0, 3.0, "Bonjour.", "A", [w(2.0, 3.0, "Bonjour.")]),
        Segment(4.0, 5.0, "Merci.", "A", [w(4.0, 5.0, "Merci.")])],
        gaps=[Gap(0.0, 1.5, "no_text", "A"),  # before any words: a turn of its own
              Gap(3.5, 3.9, "guard", "A"),  # after the last word of A's turn
              Gap(125.2, 130.0, "no_text")])  # no speaker, past two minutes
    turns = build_turns(transcript, Conventions(pseudonyms={"Marie": "Anne"}))
    assert [(t.speaker_id, t.start, t.end, t.text) for t in turns] == [
        ("A", 0.0, 5.0, "[inaudible 00:00-00:02] Bonjour. [inaudible 00:03-00:04] Merci."),
        (None, 125.2, 130.0, "[inaudible 02:05-02:10]")]
