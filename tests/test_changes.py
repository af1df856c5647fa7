"""Corrections as changes: applied under the job's lock with a version, merged when an
older copy touched other segments, refused (with a reason) when it touched the same."""

from __future__ import annotations

import threading

import pytest
from web.web_support import interview, seed_done

from transcribe.changes import apply, document
from transcribe.jobs import JobStore


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
