"""Words to speakers, turn boundaries, roles and names (pure functions)."""

from __future__ import annotations

import time

import pytest

from transcribe.diarize import SpeakerTurn
from transcribe.export import render
from transcribe.i18n import UserFacingError
from transcribe.speakers import (
    SpeakerOptions,
    apply_names,
    apply_roles,
    assign_words,
    guess_roles,
    mark_overlaps,
    name_speakers,
    parse_names,
    rename_speaker,
    smooth_speakers,
    split_by_speaker,
    swap_speakers,
)
from transcribe.transcript import Segment, Transcript, Word


def segment_of(text: str, start: float = 0.0, step: float = 0.4) -> Segment:
    words = [Word(round(start + i * step, 3), round(start + (i + 1) * step - 0.05, 3), " " + w,
                  0.9) for i, w in enumerate(text.split())]
    return Segment(start, words[-1].end, text, words=words)


def test_words_go_to_the_speaker_who_covers_them():
    segment = segment_of("Vous travaillez où ? À Montreuil depuis dix ans.")
    turns = [SpeakerTurn(0.0, 1.55, "A"), SpeakerTurn(1.6, 4.0, "B")]
    assign_words([segment], turns)
    assert [w.speaker for w in segment.words] == ["A"] * 4 + ["B"] * 5


def test_a_flicker_inside_a_turn_is_removed():
    segment = segment_of("Je suis arrivée en mille neuf cent quatre-vingt-dix à Paris.")
    # A third of a second of the other voice (a cough, an "mm") in the middle.
    turns = [SpeakerTurn(0.0, 1.2, "B"), SpeakerTurn(1.2, 1.55, "A"), SpeakerTurn(1.6, 9.0, "B")]
    assign_words([segment], turns)
    assert {w.speaker for w in segment.words} == {"B", "A"}
    smooth_speakers(segment.words, turns)
    assert {w.speaker for w in segment.words} == {"B"}


def test_a_short_real_answer_is_kept():
    first = segment_of("Vous êtes d'accord ?", 0.0)
    answer = segment_of("Oui.", 2.0)
    turns = [SpeakerTurn(0.0, 1.6, "A"), SpeakerTurn(1.9, 2.5, "B")]
    words = first.words + answer.words
    assign_words([first, answer], turns)
    smooth_speakers(words, turns)
    assert answer.words[0].speaker == "B"


def test_boundary_moves_to_the_end_of_the_question():
    """The interviewer's last words must not go to the interviewee."""
    segment = segment_of("Et votre famille, elle vit où ? Mes parents vivent à Lyon.")
    # The diarization switches two words too early.
    turns = [SpeakerTurn(0.0, 1.58, "A"), SpeakerTurn(1.58, 5.0, "B")]
    assign_words([segment], turns)
    assert [w.word.strip() for w in segment.words if w.speaker == "A"][-1] == "elle"
    smooth_speakers(segment.words, turns)
    speakers = [(w.word.strip(), w.speaker) for w in segment.words]
    assert speakers[:7] == [(w, "A") for w in "Et votre famille, elle vit où ?".split()]
    assert all(s == "B" for _, s in speakers[7:])


def spoken(*parts: tuple[str, float, float]) -> list[Word]:
    """Words from (text, start, seconds per word) parts: exact times, gaps between parts."""
    words = []
    for text, start, step in parts:
        words += [Word(round(start + i * step, 3), round(start + (i + 1) * step - 0.05, 3),
                       " " + w, 0.9) for i, w in enumerate(text.split())]
    return words


def speakers_after_smoothing(words: list[Word], turns: list[SpeakerTurn]) -> list[str]:
    assign_words([Segment(0.0, words[-1].end, "", words=words)], turns)
    smooth_speakers(words, turns)
    return [w.speaker for w in words]


def test_an_unpunctuated_question_keeps_its_quick_answer():
    """No "?" after the question and no pause before the answer: the answer's capital
    says a new sentence starts there, so "Oui." stays the interviewee's."""
    words = spoken(("Vous êtes d'accord", 0.0, 0.4), ("Oui.", 1.2, 0.4))
    turns = [SpeakerTurn(0.0, 1.18, "A"), SpeakerTurn(1.18, 1.6, "B")]
    assert speakers_after_smoothing(words, turns) == ["A", "A", "A", "B"]


def test_a_change_at_a_pause_is_not_moved():
    """Unpunctuated, uncapitalised text: only the half-second pause says where the turn
    changes, and the sentence end three words later must not pull the answer back."""
    words = spoken(("vous êtes d'accord", 0.0, 0.4), ("oui bien sûr.", 1.7, 0.3))
    turns = [SpeakerTurn(0.0, 1.2, "A"), SpeakerTurn(1.6, 2.6, "B")]
    assert speakers_after_smoothing(words, turns) == ["A"] * 3 + ["B"] * 3


def test_a_silence_in_the_diarization_is_a_pause():
    """Whisper's word times stretch over pauses; the diarization's silence still counts."""
    words = spoken(("vous êtes d'accord", 0.0, 0.6), ("oui bien sûr.", 1.8, 0.3))
    for word in words:  # no gap between words
        word.end = round(word.end + 0.05, 3)
    turns = [SpeakerTurn(0.0, 1.3, "A"), SpeakerTurn(1.8, 2.7, "B")]
    assert speakers_after_smoothing(words, turns) == ["A"] * 3 + ["B"] * 3


def test_the_interviewers_last_words_stay_theirs():
    """A sentence end three words back must not hand an unpunctuated question to the
    interviewee when a pause marks the change."""
    words = spoken(("c'est intéressant. et vos enfants", 0.0, 0.35),
                   ("ils sont grands maintenant.", 2.3, 0.35))
    turns = [SpeakerTurn(0.0, 1.8, "A"), SpeakerTurn(2.3, 3.7, "B")]
    assert speakers_after_smoothing(words, turns) == ["A"] * 5 + ["B"] * 4


def test_a_word_stretched_over_a_pause_goes_with_its_sentence():
    """Seen on the English dialogue: Whisper times "What" from the end of the answer to
    the question after the pause (1.4 s), so it overlaps both speakers equally. The pause
    is inside the word, not between "What" and "has": the change moves to "school."."""
    words = spoken(("so I took the exam after school.", 22.0, 0.5))
    words += [Word(25.5, 26.86, " What", 0.9)]
    words += spoken(("has changed in your work since then?", 26.86, 0.4))
    turns = [SpeakerTurn(21.9, 25.74, "B"), SpeakerTurn(26.62, 29.4, "A")]
    assert speakers_after_smoothing(words, turns) == ["B"] * 7 + ["A"] * 8


def test_more_than_a_second_of_speech_is_not_moved():
    """Slow words: moving three of them to the sentence end would move 1.7 s of speech,
    more than a boundary error; the diarization's change stands."""
    words = spoken(("et votre famille elle vit où ? mes parents vivent à lyon.", 0.0, 0.6))
    turns = [SpeakerTurn(0.0, 2.38, "A"), SpeakerTurn(2.38, 8.0, "B")]
    assert speakers_after_smoothing(words, turns) == ["A"] * 4 + ["B"] * 8


def test_flicker_removal_is_linear_on_long_recordings():
    """Three hours of words (30 000) with a one-word flicker every eight words: one pass,
    not a rescan after each change."""
    words = spoken(("mot " * 30000, 0.0, 0.36))
    turns = []
    for first in range(0, len(words), 8):  # A, A, A, A, B (0.31 s: no real turn), A, A, A
        flicker = words[first + 4]
        turns += [SpeakerTurn(words[first].start, flicker.start, "A"),
                  SpeakerTurn(flicker.start, flicker.end, "B"),
                  SpeakerTurn(flicker.end, words[first + 7].end, "A")]
    assign_words([Segment(0.0, words[-1].end, "", words=words)], turns)
    assert sum(w.speaker == "B" for w in words) == 3750
    started = time.perf_counter()
    smooth_speakers(words, turns)
    assert time.perf_counter() - started < 5.0  # the rescanning version took minutes
    assert {w.speaker for w in words} == {"A"}


def test_segment_split_where_the_speaker_changes():
    segment = segment_of("Vous travaillez où ? À Montreuil.")
    for word, speaker in zip(segment.words, "AAAABB", strict=True):
        word.speaker = speaker
    parts = split_by_speaker([segment])
    assert [(p.speaker, p.text) for p in parts] == [("A", "Vous travaillez où ?"),
                                                   ("B", "À Montreuil.")]
    assert parts[0].end <= parts[1].start


def test_overlapping_speech_is_marked():
    segments = [segment_of("oui oui", 0.0), segment_of("non mais attendez", 2.0)]
    mark_overlaps(segments, [(2.0, 3.1)])
    assert [s.overlap for s in segments] == [False, True]


@pytest.fixture
def interview() -> Transcript:
    lines = [("S1", "Bonjour, pouvez-vous vous présenter ?"),
             ("S2", "Oui, je m'appelle Jeanne, j'ai quarante ans et je suis infirmière "
                    "depuis quinze ans dans un grand hôpital de la région parisienne."),
             ("S1", "Comment avez-vous choisi ce métier ?"),
             ("S2", "Par ma mère, qui était aide-soignante, et qui m'en parlait souvent le "
                    "soir quand elle rentrait du travail."),
             ("S1", "D'accord. Et aujourd'hui ?"),
             ("S2", "Aujourd'hui nous manquons de temps pour les patients.")]
    segments, start = [], 0.0
    for speaker, text in lines:
        segment = segment_of(text, start, 0.35)
        segment.speaker = speaker
        segments.append(segment)
        start = segment.end + 0.5
    transcript = Transcript("fr", start, segments)
    name_speakers(transcript, "fr")
    return transcript


def test_default_labels_follow_first_appearance(interview):
    assert {k: v.name for k, v in interview.speakers.items()} == {
        "S1": "Locuteur·rice 1", "S2": "Locuteur·rice 2"}
    assert interview.speakers["S2"].talk_time > interview.speakers["S1"].talk_time


def test_interviewer_is_the_one_asking_questions(interview):
    guess = guess_roles(interview)
    assert guess.interviewer == "S1"
    assert guess.confidence >= 0.8
    apply_roles(interview, guess, "fr")
    assert interview.speakers["S1"].name == "Enquêteur·rice"
    assert interview.speakers["S2"].name == "Enquêté·e"
    apply_roles(interview, guess, "en")
    assert [s.name for s in interview.speakers.values()] == ["Interviewer", "Interviewee"]


def test_names_swap_and_rename_reach_every_export(interview):
    apply_roles(interview, guess_roles(interview), "fr")
    unmatched = apply_names(interview, parse_names(
        "Enquêteur·rice=Camille, interviewee=M. D., Observer=Paul"))
    assert unmatched == ["Observer"]  # no one has that role: said, not silently ignored
    assert interview.speakers["S1"].name == "Camille"
    assert interview.speakers["S2"].name == "M. D."
    swap_speakers(interview, "S1", "S2")
    assert interview.speakers["S1"].name == "M. D."
    assert interview.speakers["S1"].role == "interviewee"
    rename_speaker(interview, "S1", "Jeanne")
    for fmt in ("txt", "srt", "vtt", "csv", "qda"):
        text = render(interview, fmt).decode("utf-8-sig")
        assert "Jeanne" in text and "Camille" in text, fmt
    with pytest.raises(ValueError):
        rename_speaker(interview, "S1", "   ")


@pytest.mark.parametrize("options, detail", [
    (SpeakerOptions(min_speakers=3, max_speakers=2), "min 3 > max 2"),
    (SpeakerOptions(num_speakers=0), "exact = 0"),
    (SpeakerOptions(num_speakers=2, max_speakers=4), "not both"),
    (SpeakerOptions(preset="crowd"), "unknown preset"),
])
def test_bad_counts_are_refused_clearly(options, detail):
    with pytest.raises(UserFacingError) as error:
        options.counts()
    assert detail in error.value.message("en")
    assert "locuteurs" in error.value.message("fr")


def test_presets():
    assert SpeakerOptions().counts() == (2, None, None)
    assert SpeakerOptions(preset="group").counts() == (None, 2, 6)
    assert SpeakerOptions(preset="single").counts() == (1, None, None)
    assert SpeakerOptions(min_speakers=2, max_speakers=4).counts() == (None, 2, 4)
    with pytest.raises(ValueError):
        parse_names("Camille")


def test_a_word_across_two_turns_goes_to_the_one_covering_most_of_it():
    segment = segment_of("oui alors")  # "oui" 0.0-0.35, "alors" 0.4-0.75
    # "oui": 0.25 s of A, 0.1 s of B; "alors": 0.05 s of A, 0.3 s of B (overlapping turns,
    # as pyannote gives them, A's split in two).
    turns = [SpeakerTurn(0.0, 0.1, "A"), SpeakerTurn(0.1, 0.25, "A"),
             SpeakerTurn(0.25, 0.7, "B"), SpeakerTurn(0.4, 0.45, "A")]
    assign_words([segment], turns)
    assert [w.speaker for w in segment.words] == ["A", "B"]


def test_default_labels_show_in_the_readers_language_and_given_names_never_change(interview):
    from transcribe.speakers.labels import in_language, shown_name

    apply_roles(interview, guess_roles(interview), "fr")
    assert [shown_name(name, "en") for name in (
        "Enquêteur·rice", "Enquêté·e 2", "Locuteur·rice 3", "Camille", "Enquêté·e x")] == [
        "Interviewer", "Interviewee 2", "Speaker 3", "Camille", "Enquêté·e x"]
    assert shown_name("Interviewee", "fr") == "Enquêté·e"
    english = in_language(interview, "en")
    assert [s.name for s in english.speakers.values()] == ["Interviewer", "Interviewee"]
    assert interview.speakers["S1"].name == "Enquêteur·rice"  # the stored one keeps its own
    assert in_language(interview, "fr") is interview
    text = render(interview, "txt", ui_language="en").decode()
    assert "Interviewer: " in text and "Enquêt" not in text
    rename_speaker(interview, "S2", "Enquêtée principale")
    assert "Enquêtée principale" in render(interview, "txt", ui_language="en").decode()
    assert "Enquêteur·rice" in render(interview, "txt").decode()  # the job's own language
