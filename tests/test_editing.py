from transcribe.editing import edit_text, merge_with_next, replace_all, set_speaker, split
from transcribe.transcript import Segment, Transcript, Word


def transcript() -> Transcript:
    return Transcript("fr", 10.0, [
        Segment(0.0, 4.0, "Bonjour, d'accord. Merci bien.", "A",
                [Word(0.0, 1.0, " Bonjour,"), Word(1.0, 1.5, " d'"), Word(1.5, 2.0, "accord."),
                 Word(2.5, 3.0, " Merci"), Word(3.0, 4.0, " bien.")]),
        Segment(5.0, 6.0, "Au revoir Marie.", "B",
                [Word(5.0, 5.3, " Au"), Word(5.3, 5.6, " revoir"), Word(5.6, 6.0, " Marie.")]),
    ])


def test_split_at_a_word_boundary_keeps_order_and_times():
    t = transcript()
    split(t, 0, 19)
    assert [s.text for s in t.segments] == ["Bonjour, d'accord.", "Merci bien.",
                                            "Au revoir Marie."]
    assert t.segments[0].end == 2.5 and t.segments[1].start == 2.5
    assert [w.word for w in t.segments[1].words] == [" Merci", " bien."]


def test_split_snaps_to_the_nearest_space():
    t = transcript()
    split(t, 1, 5)  # inside "revoir"
    assert [s.text for s in t.segments[1:]] == ["Au", "revoir Marie."] or \
        [s.text for s in t.segments[1:]] == ["Au revoir", "Marie."]


def test_merge_edit_speaker_and_replace():
    t = transcript()
    merge_with_next(t, 0)
    assert len(t.segments) == 1 and t.segments[0].end == 6.0
    assert t.segments[0].text.endswith("Au revoir Marie.")
    assert all(w.speaker is None or w.speaker == "A" for w in t.segments[0].words)
    set_speaker(t, 0, "B")
    assert {w.speaker for w in t.segments[0].words} == {"B"}
    assert replace_all(t, "marie", "Anne") == 1
    assert "Anne." in t.segments[0].text and t.segments[0].words[-1].word == " Anne."
    edit_text(t, 0, "  Tout   autre  texte ")
    assert t.segments[0].text == "Tout autre texte"


def test_changed_words_share_the_gap_their_neighbours_leave_evenly():
    t = transcript()
    edit_text(t, 0, "Bonjour, d'accord. Un deux bien.")
    assert [(w.word, w.start, w.end) for w in t.segments[0].words] == [
        (" Bonjour,", 0.0, 1.0), (" d'accord.", 1.0, 2.0), (" Un", 2.0, 2.5),
        (" deux", 2.5, 3.0), (" bien.", 3.0, 4.0)]
