"""Corrections as changes: applied under the job's lock with a version, merged when an
older copy touched other segments, refused (with a reason) when it touched the same."""

from __future__ import annotations

import threading
import time

import pytest
from web.web_support import interview, seed_done

from transcribe.changes import (
    MAX_SPEAKERS,
    Conflict,
    apply,
    document,
    job_lock,
    update_conventions,
)
from transcribe.jobs import JobStore
from transcribe.pipeline import PipelineOptions
from transcribe.transcript import Gap, Segment


@pytest.fixture
def job(tmp_path):
    store = JobStore(tmp_path / "data")
    return store, seed_done(store)


def text_op(seg: int, start: float, old: str, new: str) -> dict:
    return {"op": "text", "seg": seg, "start": start, "old": old, "text": new}


def test_two_stale_copies_editing_different_things_are_both_kept(job):
    store, record = job
    # Two tabs opened at version 0; each edits its own segment and adds a pseudonym.
    a = apply(store, record.id, 0, [
        text_op(0, 0.0, "Bonjour Marie, merci d'être là.", "Bonjour Marie, merci d'être venue."),
        {"op": "pseudonym", "real": "Marie", "pseudonym": "P1"}])
    b = apply(store, record.id, 0, [
        text_op(3, 9.0, "Je suis infirmière depuis dix ans.",
                "Je suis infirmière depuis onze ans."),
        {"op": "pseudonym", "real": "Paul", "pseudonym": "P2"}])
    assert (a.version, a.stale, a.conflicts) == (1, False, [])
    assert (b.version, b.stale, b.conflicts) == (2, True, [])
    stored = store.load_transcript(store.get(record.id))
    assert stored.version == 2
    assert stored.segments[0].text.endswith("venue.") and "onze" in stored.segments[3].text
    assert store.conventions(store.get(record.id)).pseudonyms == {"Marie": "P1", "Paul": "P2"}


def test_an_edit_of_a_segment_changed_meanwhile_is_refused_with_a_reason(job):
    store, record = job
    old = "Avec plaisir, je viens de Lyon."
    apply(store, record.id, 0, [text_op(1, 3.0, old, "Avec plaisir, je viens de Lille.")])
    late = apply(store, record.id, 0, [text_op(1, 3.0, old, "Avec joie, je viens de Lyon.")])
    assert late.applied == 0 and late.conflicts[0]["reason"] == "changed" and late.stale
    stored = store.load_transcript(store.get(record.id))
    assert stored.segments[1].text == "Avec plaisir, je viens de Lille."
    assert stored.version == 1  # nothing applied: nothing saved


def test_operations_find_their_segment_after_another_tab_split_before_it(job):
    store, record = job
    apply(store, record.id, 0, [{"op": "split", "seg": 0, "start": 0.0,
                                 "old": "Bonjour Marie, merci d'être là.", "at": 2}])
    # A copy from before the split still names segment 2 by its old position.
    outcome = apply(store, record.id, 0, [
        {"op": "speaker", "seg": 2, "start": 6.0, "speaker": "SPEAKER_01"},
        {"op": "merge", "seg": 3, "start": 9.0, "prev": 6.0}])
    assert outcome.conflicts == [] and outcome.applied == 2
    segments = store.load_transcript(store.get(record.id)).segments
    assert [s.text for s in segments] == [
        "Bonjour Marie,", "merci d'être là.", "Avec plaisir, je viens de Lyon.",
        "Parlez-moi de votre travail. Je suis infirmière depuis dix ans."]
    assert segments[1].start == pytest.approx(0.8)  # the third word's own start
    assert segments[3].speaker == "SPEAKER_01"


def test_word_times_survive_a_text_edit_and_changed_words_are_interpolated(job):
    store, record = job
    apply(store, record.id, 0, [text_op(3, 9.0, "Je suis infirmière depuis dix ans.",
                                        "Je suis sage-femme depuis dix ans.")])
    doc = document(store.load_transcript(store.get(record.id)), 0.5)
    words = doc["segments"][3][3]
    assert [w[0] for w in words] == ["Je", "suis", "sage-femme", "depuis", "dix", "ans."]
    assert words[1][1:3] == pytest.approx([9.4, 9.7]) and words[3][1:3] == pytest.approx(
        [10.2, 10.5])  # unchanged
    assert 9.7 <= words[2][1] < words[2][2] <= 10.2  # the new word sits in the gap
    # Uncertain words are flagged by the threshold; "Marie" was recognised unsure.
    assert [w[0] for w in doc["segments"][0][3] if w[3]] == ["Marie,"]


def test_undoing_a_merge_restores_both_segments(job):
    store, record = job
    apply(store, record.id, None, [{"op": "merge", "seg": 1, "start": 3.0, "prev": 0.0}])
    merged = store.load_transcript(store.get(record.id)).segments[0]
    assert merged.end == 5.5 and len(merged.text.split()) == 11
    apply(store, record.id, None, [
        {"op": "split", "seg": 0, "start": 0.0, "old": merged.text, "at": 5, "cut": 3.0,
         "end": 2.5},
        {"op": "speaker", "seg": 1, "start": 3.0, "speaker": "SPEAKER_01"}])
    restored = store.load_transcript(store.get(record.id))
    assert [(s.start, s.end, s.speaker, s.text) for s in restored.segments[:2]] == [
        (s.start, s.end, s.speaker, s.text) for s in interview().segments[:2]]


def test_concurrent_batches_never_lose_one(job):
    store, record = job
    names = [f"Nom{n}" for n in range(12)]
    threads = [threading.Thread(target=apply, args=(store, record.id, 0, [
        {"op": "pseudonym", "real": name, "pseudonym": f"P{n}"}])) for n, name in
        enumerate(names)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(store.conventions(store.get(record.id)).pseudonyms) == set(names)
    assert store.load_transcript(store.get(record.id)).version == 12


def test_removing_a_pseudonym_and_bad_operations(job):
    store, record = job
    apply(store, record.id, 0, [{"op": "pseudonym", "real": "Marie", "pseudonym": "P1"}])
    outcome = apply(store, record.id, 1, [
        {"op": "pseudonym", "real": "Marie", "pseudonym": None},
        {"op": "explode"}, {"op": "text", "seg": 0}, {"op": "rename", "speaker": "X",
                                                      "name": "  "}])
    assert outcome.applied == 1 and [c["reason"] for c in outcome.conflicts] == ["invalid"] * 3
    assert store.conventions(store.get(record.id)).pseudonyms == {}


def test_a_batch_that_adds_a_pseudonym_then_removes_an_unknown_one_keeps_the_first(job):
    store, record = job
    outcome = apply(store, record.id, 0, [
        {"op": "pseudonym", "real": "Marie", "pseudonym": "P1"},
        {"op": "pseudonym", "real": "Inconnu", "pseudonym": None}])  # changes nothing
    assert outcome.applied == 2 and outcome.conflicts == []
    assert store.conventions(store.get(record.id)).pseudonyms == {"Marie": "P1"}


def test_a_merge_whose_previous_segment_moved_is_refused(job):
    store, record = job
    # The browser saw a segment starting at 2.0 before segment 2; the stored one starts at 3.0.
    outcome = apply(store, record.id, 0, [{"op": "merge", "seg": 2, "start": 6.0,
                                           "prev": 2.0}])
    assert outcome.applied == 0 and [c["reason"] for c in outcome.conflicts] == ["changed"]
    stored = store.load_transcript(store.get(record.id))
    assert len(stored.segments) == 4 and stored.version == 0  # nothing merged, nothing saved


def test_the_editor_flags_the_same_words_as_the_exports(job):
    store, record = job
    transcript = store.load_transcript(store.get(record.id))
    for word, probability in zip(transcript.segments[2].words, (0.5, 0.4999, 0.51, 0.9),
                                 strict=True):
        word.probability = probability
    flags = [token[3] for token in document(transcript, 0.5)["segments"][2][3]]
    assert flags == [0, 1, 0, 0]  # below the threshold only, as conventions.py


def test_refusals_name_the_operation_and_its_reason(job):
    store, record = job
    ops = [{"op": "pseudonym", "real": "  ", "pseudonym": "P1"},
           {"op": "pseudonym", "pseudonym": "P2"},  # no real name
           {"op": "split", "seg": 0, "start": 0.0, "old": "Bonjour Marie, merci d'être là.",
            "at": "x"},
           {"op": "merge", "seg": 0, "start": 0.0, "prev": 0.0},  # nothing before it
           {"op": "merge", "seg": 1, "start": 3.0},  # no previous start
           {"op": "rename", "name": "Mme B."},  # no speaker
           {"op": "rename", "speaker": "SPEAKER_01"}]  # no name
    outcome = apply(store, record.id, 0, ops)
    assert outcome.applied == 0 and outcome.version == 0 and not outcome.stale
    reasons = ["invalid", "invalid", "invalid", "changed", "invalid", "invalid", "invalid"]
    assert outcome.conflicts == [{"op": op, "reason": reason, "index": index} for index, (
        op, reason) in enumerate(zip(ops, reasons, strict=True))]
    assert str(Conflict("changed")) == "changed"
    stored = store.load_transcript(store.get(record.id))
    assert stored.speakers["SPEAKER_01"].name == "Enquêté·e" and len(stored.segments) == 4
    assert store.conventions(store.get(record.id)).pseudonyms == {}


def test_names_swap_and_rename_and_pseudonyms_are_tidied(job):
    store, record = job
    outcome = apply(store, record.id, 0, [
        {"op": "rename", "speaker": "SPEAKER_01", "name": "Mme B."},
        {"op": "swap", "a": "SPEAKER_00", "b": "SPEAKER_01"},
        {"op": "pseudonym", "real": "  Marie \t Dupont ", "pseudonym": " Mme   A. "}])
    assert (outcome.applied, outcome.conflicts, outcome.version) == (3, [], 1)
    stored = store.load_transcript(store.get(record.id))
    assert stored.speaker_name("SPEAKER_00") == "Mme B."
    assert stored.speaker_name("SPEAKER_01") == "Enquêteur·rice"
    assert store.conventions(store.get(record.id)).pseudonyms == {"Marie Dupont": "Mme A."}
    shown = document(stored, 0.5)
    assert shown["speakers"] == [["SPEAKER_00", "Mme B."], ["SPEAKER_01", "Enquêteur·rice"]]
    assert (shown["version"], shown["duration"]) == (1, 12.0)


def test_a_segment_is_found_at_its_position_among_identical_ones(tmp_path):
    store = JobStore(tmp_path / "data")
    same = interview()
    same.segments[1] = Segment(0.0, 2.5, "Bonjour Marie, merci d'être là.", "SPEAKER_01")
    same.segments.sort(key=lambda s: s.start)
    record = seed_done(store, same)
    text = "Bonjour Marie, merci d'être là."
    # Two segments start at 0.0 with the same text: the position tells them apart.
    for seg in (0, 1):
        outcome = apply(store, record.id, None, [
            {"op": "speaker", "seg": seg, "start": 0.0, "speaker": None}])
        assert outcome.conflicts == [], seg
        assert store.load_transcript(store.get(record.id)).segments[seg].speaker is None
    # Without a position that still fits, it is ambiguous: refused.
    outcome = apply(store, record.id, None, [text_op(4, 0.0, text, "Salut.")])
    assert [c["reason"] for c in outcome.conflicts] == ["changed"]
    # A position past the end is no position; the start and text find the segment.
    outcome = apply(store, record.id, None, [text_op(4, 9.0, "Je suis infirmière depuis dix "
                                                     "ans.", "Je suis sage-femme.")])
    assert outcome.conflicts == []
    assert store.load_transcript(store.get(record.id)).segments[3].text == "Je suis sage-femme."


def test_starts_match_within_a_millisecond(job):
    store, record = job
    outcome = apply(store, record.id, 0, [
        {"op": "speaker", "seg": 0, "start": 0.001, "speaker": "SPEAKER_01"},
        {"op": "merge", "seg": 1, "start": 3.0, "prev": 0.001}])
    assert (outcome.applied, outcome.conflicts) == (2, [])
    late = apply(store, record.id, 1, [
        {"op": "speaker", "seg": 1, "start": 6.0011, "speaker": "SPEAKER_01"}])
    assert [c["reason"] for c in late.conflicts] == ["changed"]


def test_a_text_without_text_empties_the_segment_and_a_split_keeps_its_cut(job):
    store, record = job
    outcome = apply(store, record.id, 0, [
        {"op": "text", "seg": 2, "start": 6.0, "old": "Parlez-moi de votre travail."},
        {"op": "split", "seg": 3, "start": 9.0, "old": "Je suis infirmière depuis dix ans.",
         "at": 2, "cut": 9.5}])
    assert outcome.conflicts == []
    segments = store.load_transcript(store.get(record.id)).segments
    assert segments[2].text == "" and segments[2].words == []
    assert (segments[3].end, segments[4].start) == (9.5, 9.5)  # not the word's own 9.8
    assert segments[4].text == "infirmière depuis dix ans."


def test_a_merge_without_its_previous_start_is_refused(tmp_path):
    store = JobStore(tmp_path / "data")
    transcript = interview()
    for number, segment in enumerate(transcript.segments):  # starts 1.0, 2.0, ...
        segment.start, segment.end = number + 1.0, number + 1.5
        segment.words = []
    record = seed_done(store, transcript)
    outcome = apply(store, record.id, 0, [{"op": "merge", "seg": 1, "start": 2.0}])
    assert [c["reason"] for c in outcome.conflicts] == ["invalid"]


def test_edits_of_an_unknown_or_unfinished_job_are_refused(job):
    store, _ = job
    with pytest.raises(KeyError, match="20990101-000000-00000000"):
        apply(store, "20990101-000000-00000000", 0, [])
    queued = store.create("autre.wav", b"RIFF....", PipelineOptions())
    with pytest.raises(KeyError, match=queued.id):
        apply(store, queued.id, 0, [{"op": "pseudonym", "real": "A", "pseudonym": "B"}])
    with pytest.raises(KeyError, match="20990101-000000-00000000"):
        update_conventions(store, "20990101-000000-00000000", lambda c: None)


def test_export_options_are_saved_under_the_lock_and_keep_the_pseudonyms(job):
    store, record = job
    apply(store, record.id, 0, [{"op": "pseudonym", "real": "Marie", "pseudonym": "P1"}])
    update_conventions(store, record.id, lambda c: setattr(c, "mark_pauses", True))
    conventions = store.conventions(store.get(record.id))
    assert conventions.mark_pauses and conventions.pseudonyms == {"Marie": "P1"}
    # A batch without pseudonyms leaves the table's file alone.
    path = store.folder(record.id)
    before = {p.name: p.stat().st_mtime_ns for p in path.iterdir()}
    time.sleep(0.01)
    apply(store, record.id, None, [{"op": "speaker", "seg": 0, "start": 0.0,
                                    "speaker": "SPEAKER_01"}])
    after = {p.name: p.stat().st_mtime_ns for p in path.iterdir()}
    changed = {name for name in before if after.get(name) != before[name]}
    assert changed and all("conventions" not in name for name in changed), changed


def test_each_job_has_its_own_lock(tmp_path):
    first, second = JobStore(tmp_path / "a"), JobStore(tmp_path / "b")
    x, y = "20260101-000000-0000000a", "20260101-000000-0000000b"
    assert job_lock(first, x) is job_lock(first, x)
    assert job_lock(first, x) is not job_lock(first, y)
    assert job_lock(first, x) is not job_lock(second, x)


def test_operations_are_checked_before_they_touch_the_transcript(job):
    """Whatever a browser sends (a NaN time, a position that is no number, an unknown
    speaker, a huge text) is refused with a reason; the transcript stays readable."""
    store, record = job
    before = store.load_transcript(store.get(record.id))
    first = before.segments[0]
    seg = {"seg": 0, "start": first.start, "old": first.text}
    bad = [
        {"op": "split", **seg, "at": 2, "cut": "nan"},
        {"op": "split", **seg, "at": 2, "cut": float("nan")},
        {"op": "split", **seg, "at": 2, "cut": float("inf")},
        {"op": "split", **seg, "at": 2, "cut": 1e9},  # after the recording's end
        {"op": "split", **seg, "at": 2, "end": -5},
        {"op": "split", **seg, "at": "2"},
        {"op": "split", **seg, "at": True},
        {"op": "split", "seg": 0, "start": float("nan"), "old": first.text, "at": 2},
        {"op": "text", **seg, "text": 42},
        {"op": "text", **seg, "text": "x" * 100_001},
        {"op": "text", "seg": 0, "start": first.start, "old": ["list"], "text": "x"},
        {"op": "merge", "seg": 1, "start": before.segments[1].start, "prev": "0"},
        {"op": "speaker", "seg": 0, "start": first.start, "speaker": "SPEAKER_99"},
        {"op": "speaker", "seg": 0, "start": first.start, "speaker": 7},
        {"op": "swap", "a": "SPEAKER_00", "b": "nobody"},
        {"op": "rename", "speaker": None, "name": "Paul"},
        {"op": "rename", "speaker": "S" * 65, "name": "Paul"},
        {"op": "rename", "speaker": "SPEAKER_00", "name": "P" * 201},
        {"op": "pseudonym", "real": 5, "pseudonym": "P1"},
        {"op": "pseudonym", "real": "Marie", "pseudonym": "P" * 201},
    ]
    outcome = apply(store, record.id, 0, bad)
    assert outcome.applied == 0 and [c["reason"] for c in outcome.conflicts] == \
        ["invalid"] * len(bad)
    after = store.load_transcript(store.get(record.id))
    assert after.to_dict() == before.to_dict()  # untouched, its version too
    # Refused whole: a batch larger than any editor sends.
    huge = apply(store, record.id, 0, [{"op": "pseudonym", "real": "A", "pseudonym": "B"}]
                 * 20_001)
    assert huge.applied == 0 and [c["reason"] for c in huge.conflicts] == ["invalid"]
    # What the editor does send still goes through, times and speakers checked.
    good = apply(store, record.id, 0, [
        {"op": "split", **seg, "at": 2, "cut": first.words[2].start},
        {"op": "speaker", "seg": 1, "start": first.words[2].start, "speaker": "SPEAKER_01"},
        {"op": "rename", "speaker": "SPEAKER_02", "name": "Paul"},
        {"op": "swap", "a": "SPEAKER_00", "b": "SPEAKER_02"}])
    assert good.applied == 4 and not good.conflicts
    document(store.load_transcript(store.get(record.id)), 0.5)  # readable


def test_a_speaker_change_on_a_stale_copy_is_merged_unless_another_speaker_was_chosen(job):
    """One sentence's speaker, changed alone inside a turn; from a copy that did not see
    someone else's change: merged when no one else touched that segment's speaker (or chose
    the same), refused when they chose another; refusals name their place in the batch."""
    store, record = job
    # Another tab split the second sentence, then gave its first half to SPEAKER_00.
    apply(store, record.id, 0, [{"op": "split", "seg": 1, "start": 3.0,
                                 "old": "Avec plaisir, je viens de Lyon.", "at": 2}])
    apply(store, record.id, 1, [{"op": "speaker", "seg": 1, "start": 3.0,
                                 "speaker": "SPEAKER_00", "from": "SPEAKER_01"}])
    outcome = apply(store, record.id, 0, [
        {"op": "speaker", "seg": 3, "start": 9.0, "speaker": "SPEAKER_00",
         "from": "SPEAKER_01"},  # untouched: merged
        {"op": "speaker", "seg": 1, "start": 3.0, "speaker": "SPEAKER_00",
         "from": "SPEAKER_01"},  # the same choice: fine
        {"op": "text", "seg": 0, "start": 0.0, "old": "wrong", "text": "x"},
        {"op": "speaker", "seg": 1, "start": 3.0, "speaker": None, "from": "SPEAKER_01"}])
    assert outcome.stale and outcome.applied == 2
    assert [(c["index"], c["reason"]) for c in outcome.conflicts] == [(2, "changed"),
                                                                      (3, "changed")]
    segments = store.load_transcript(store.get(record.id)).segments
    assert [s.speaker for s in segments] == ["SPEAKER_00", "SPEAKER_00", "SPEAKER_01",
                                             "SPEAKER_00", "SPEAKER_00"]
    assert all(w.speaker == "SPEAKER_00" for w in segments[4].words)
    assert [c["reason"] for c in apply(store, record.id, None, [
        {"op": "speaker", "seg": 0, "start": 0.0, "speaker": "SPEAKER_01", "from": 3},
        "not an operation"]).conflicts] == ["invalid", "invalid"]


def test_times_are_taken_up_to_the_recordings_end_and_a_millisecond_either_side(job):
    store, record = job  # the interview lasts 12.0 s; its last segment ends at 11.5 s
    far = apply(store, record.id, None, [
        {"op": "merge", "seg": 1, "start": 3.0, "prev": 12.001},  # a time, not this one
        {"op": "merge", "seg": 1, "start": 3.0, "prev": 12.0011},  # past the end
        {"op": "split", "seg": 0, "start": 0.0, "old": "Bonjour Marie, merci d'être là.",
         "at": 99}])  # no such token
    assert [c["reason"] for c in far.conflicts] == ["changed", "invalid", "invalid"]
    near = apply(store, record.id, None, [
        {"op": "merge", "seg": 1, "start": 3.0, "prev": -0.001}])  # 0.0, to a millisecond
    assert near.applied == 1 and near.conflicts == []


def test_speakers_are_named_and_added_within_bounds(job):
    store, record = job
    refused = apply(store, record.id, None, [
        {"op": "rename", "speaker": "", "name": "Paul"},
        {"op": "rename", "speaker": "SPEAKER_01", "name": ""}])
    assert [c["reason"] for c in refused.conflicts] == ["invalid", "invalid"]
    stored = store.load_transcript(store.get(record.id))
    assert set(stored.speakers) == {"SPEAKER_00", "SPEAKER_01"}
    # Up to MAX_SPEAKERS speakers in all; renaming one that exists is always possible.
    room = MAX_SPEAKERS - len(stored.speakers)
    added = apply(store, record.id, None, [
        {"op": "rename", "speaker": f"S{n}", "name": f"P{n}"} for n in range(room + 1)])
    assert added.applied == room and [c["reason"] for c in added.conflicts] == ["invalid"]
    again = apply(store, record.id, None, [
        {"op": "rename", "speaker": "S0", "name": "Paul"}])
    assert again.applied == 1 and not again.conflicts


def test_a_gap_mark_is_taken_away_and_put_back_as_changes(job):
    store, record = job
    transcript = store.load_transcript(store.get(record.id))
    transcript.gaps = [Gap(1.0, 2.5, "guard", "SPEAKER_01"), Gap(4.0, 6.0, "no_text")]
    store.save_transcript(store.get(record.id), transcript)
    assert document(transcript, 0.5)["gaps"] == [[1.0, 2.5, "SPEAKER_01", "guard"],
                                                 [4.0, 6.0, None, "no_text"]]
    away = {"op": "gap", "start": 1.0, "end": 2.5, "keep": False}
    back = {**away, "keep": True, "speaker": "SPEAKER_01", "reason": "guard"}
    outcome = apply(store, record.id, 0, [away, away])  # twice: the same as once
    assert outcome.applied == 2 and not outcome.conflicts
    stored = store.load_transcript(store.get(record.id))
    assert [(g.start, g.end) for g in stored.gaps] == [(4.0, 6.0)]
    apply(store, record.id, 1, [back])
    assert store.load_transcript(store.get(record.id)).gaps == transcript.gaps
    bad = [{**away, "keep": "no"}, {**away, "end": 0.5}, {**back, "reason": "other"},
           {**back, "speaker": "SPEAKER_99"}, {**away, "start": float("nan")},
           {**away, "text": 5}]
    refused = apply(store, record.id, 2, bad)
    assert [c["reason"] for c in refused.conflicts] == ["invalid"] * len(bad)

    # The words typed for it: a segment of its own in its place, timed over the stretch;
    # undone, the segment goes and the mark comes back. Text for a gap gone is refused.
    fill = {**away, "text": "Yes  indeed.", "speaker": "SPEAKER_01"}
    assert apply(store, record.id, 2, [fill]).applied == 1
    stored = store.load_transcript(store.get(record.id))
    made = next(s for s in stored.segments if s.start == 1.0)
    assert (made.text, made.end, made.speaker) == ("Yes indeed.", 2.5, "SPEAKER_01")
    assert [(w.word, w.start, w.end) for w in made.words] == [
        (" Yes", 1.0, 1.75), (" indeed.", 1.75, 2.5)]
    assert [s.start for s in stored.segments] == sorted(s.start for s in stored.segments)
    assert [(g.start, g.end) for g in stored.gaps] == [(4.0, 6.0)]
    assert [c["reason"] for c in apply(store, record.id, 3, [fill]).conflicts] == ["changed"]
    assert apply(store, record.id, 3, [{**back, "old": "Yes indeed."}]).applied == 1
    assert store.load_transcript(store.get(record.id)).to_dict()["segments"] == \
        transcript.to_dict()["segments"]
    assert store.load_transcript(store.get(record.id)).gaps == transcript.gaps


def test_a_gap_is_matched_by_both_ends_within_a_millisecond_and_has_a_length(job):
    store, record = job
    transcript = store.load_transcript(store.get(record.id))
    transcript.gaps = [Gap(0.0, 0.007, "no_text"), Gap(4.0, 6.0, "no_text")]
    store.save_transcript(store.get(record.id), transcript)
    outcome = apply(store, record.id, None, [
        {"op": "gap", "start": 4.0, "end": 4.0, "keep": True, "reason": "no_text"},
        {"op": "gap", "start": 4.0, "end": 5.0, "keep": False},  # another stretch
        # Exactly a millisecond off at both ends (0.001 - 0.0 is exact in floats).
        {"op": "gap", "start": 0.001, "end": 0.008, "keep": False}])
    assert [(c["index"], c["reason"]) for c in outcome.conflicts] == [(0, "invalid")]
    stored = store.load_transcript(store.get(record.id))
    assert [(g.start, g.end) for g in stored.gaps] == [(4.0, 6.0)]


def test_bounds_are_inclusive_and_a_refused_batch_is_reported_whole(job):
    store, record = job
    full = {f"Name {n}": f"P{n}" for n in range(2_000)}
    assert apply(store, record.id, None, [
        {"op": "pseudonym", "real": real, "pseudonym": fake}
        for real, fake in full.items()]).applied == 2_000
    late = apply(store, record.id, None, [
        {"op": "pseudonym", "real": "One more", "pseudonym": "P"},  # the table is full
        {"op": "pseudonym", "real": "Name 7", "pseudonym": "Q" * 200}])  # a change fits
    assert [(c["index"], c["reason"]) for c in late.conflicts] == [(0, "invalid")]
    table = store.conventions(store.get(record.id)).pseudonyms
    assert len(table) == 2_000 and table["Name 7"] == "Q" * 200
    # 20,000 operations are looked at; one more and the batch is refused whole.
    most = apply(store, record.id, None, [
        {"op": "pseudonym", "real": "Name 1", "pseudonym": "B"}] * 20_000)
    assert most.applied == 20_000 and not most.conflicts
    huge = apply(store, record.id, None, [{"op": "explode"}] * 20_001)
    assert huge.applied == 0 and huge.conflicts == [
        {"op": {"op": "batch", "count": 20_001}, "reason": "invalid", "index": None}]


def test_the_editor_is_told_the_language_spoken(job):
    store, record = job
    transcript = store.load_transcript(store.get(record.id))
    assert document(transcript, 0.5)["language"] == transcript.language == "fr"
