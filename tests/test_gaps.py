"""Speech that no text covers becomes a gap: where the guard took a loop out, and where
the recogniser wrote nothing. Real speech (espeak-ng, with its exact word times) and the
real Silero VAD; the transcript keeps the gaps, and older files load with none."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import numpy as np
import pytest
from espeak_words import word_times

from transcribe.asr.base import AsrResult
from transcribe.asr.guard import apply_guard
from transcribe.audio import SAMPLE_RATE
from transcribe.bound import speech_for_bound
from transcribe.diarize import SpeakerTurn
from transcribe.gaps import MIN_GAP, find_gaps, gaps_notice, subtract
from transcribe.speakers import name_unheard_speakers
from transcribe.transcript import Gap, Segment, Speaker, Transcript, Word

QUESTION = "Tell me about your first job at the hospital."
ANSWER = "I started there as a night nurse in the children's ward and stayed for twelve years."
PAUSE = 1.0  # seconds of silence between the two


def spoken(text: str, offset: float) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """`text` as espeak-ng says it at 16 kHz, and its words' times shifted by `offset`."""
    rate, samples, words = word_times(text, "en")
    length = samples.size / rate
    at = np.arange(0, length, 1 / SAMPLE_RATE)
    resampled = np.interp(at, np.arange(samples.size) / rate, samples).astype(np.float32)
    return resampled, [(w, s + offset, e + offset) for w, s, e in words]


@pytest.fixture(scope="module")
def interview():
    """The question, a second of silence, the answer: samples, each one's words, and the
    speech regions the pipeline finds in it."""
    question, asked = spoken(QUESTION, 0.0)
    start = question.size / SAMPLE_RATE + PAUSE
    answer, answered = spoken(ANSWER, start)
    silence = np.zeros(int(PAUSE * SAMPLE_RATE), np.float32)
    samples = np.concatenate([question, silence, answer, silence])
    return samples, asked, answered, speech_for_bound(samples)


def segment(words: list[tuple[str, float, float]]) -> Segment:
    return Segment(words[0][1], words[-1][2], " ".join(w for w, _, _ in words),
                   words=[Word(s, e, " " + w, 0.9) for w, s, e in words])


def looping(answered: list[tuple[str, float, float]]) -> Segment:
    """What Whisper writes when it loops: the answer's first words, then "a night nurse"
    five times over the rest of the answer (each time its share of the answer's time)."""
    head = answered[:3]  # I started there
    start, end = head[-1][2], answered[-1][2]
    loop = ["as", "a", "night", "nurse"] * 5
    step = (end - start) / len(loop)
    return segment(head + [(w, start + k * step, start + (k + 1) * step)
                           for k, w in enumerate(loop)])


def test_a_loop_the_guard_removes_leaves_a_gap_over_the_speech_it_covered(interview):
    samples, asked, answered, speech = interview
    result = AsrResult([segment(asked), looping(answered)], "en", speech=None)
    report = apply_guard(result, samples)
    assert report.loops_removed == 1 and report.words_removed == 16
    kept_end = result.segments[-1].end  # "...as a night nurse": the first of the loop
    gaps = find_gaps(result.segments, {None: speech}, {None: result.removed})
    # One gap, from where the kept words stop to where the answer's speech stops (margin:
    # the VAD's padding, 0.1 s, and the words' slack, 0.15 s); none over the question.
    assert len(gaps) == 1, gaps
    gap = gaps[0]
    assert gap.reason == "guard"
    assert gap.start == pytest.approx(kept_end, abs=0.3)
    assert gap.end == pytest.approx(answered[-1][2], abs=0.3)
    notice = gaps_notice(gaps)
    assert notice.key == "gaps.found" and notice.params["count"] == 1
    assert "1 passage(s) de parole sans texte" in notice.text("fr")


def test_speech_with_no_segment_at_all_is_a_gap_of_its_speaker(interview):
    _, asked, answered, speech = interview
    turns = [SpeakerTurn(0.0, asked[-1][2] + 0.2, "SPEAKER_00"),
             SpeakerTurn(answered[0][1] - 0.2, answered[-1][2] + 0.2, "SPEAKER_01")]
    gaps = find_gaps([segment(answered)], {None: speech}, {}, turns)
    assert [(g.reason, g.speaker) for g in gaps] == [("no_text", "SPEAKER_00")]
    assert gaps[0].start == pytest.approx(asked[0][1], abs=0.3)
    assert gaps[0].end == pytest.approx(asked[-1][2], abs=0.3)
    # Fully transcribed: nothing.
    assert find_gaps([segment(asked), segment(answered)], {None: speech}) == []


def test_short_uncovered_stretches_are_not_gaps():
    # A breath of 0.6 s between two words: not reported; 1.2 s of speech: reported.
    words = [Segment(0.0, 1.0, "oui", words=[Word(0.0, 1.0, " oui")]),
             Segment(1.6, 2.0, "non", words=[Word(1.6, 2.0, " non")])]
    assert find_gaps(words, {None: [(0.0, 2.0)]}) == []
    gaps = find_gaps(words, {None: [(0.0, 2.0), (3.0, 3.0 + MIN_GAP + 0.2)]})
    assert [(g.start, g.end) for g in gaps] == [(3.0, 3.0 + MIN_GAP + 0.2)]
    assert subtract([(0, 10)], [(1, 2), (3, 4), (9, 12)]) == [(0, 1), (2, 3), (4, 9)]


def test_gaps_are_saved_and_older_transcripts_load_with_none():
    transcript = Transcript("fr", 20.0, [Segment(0.0, 2.0, "Bonjour.")],
                            gaps=[Gap(7.6, 14.1, "guard", "SPEAKER_01")])
    data = json.loads(transcript.to_json())
    assert data["gaps"] == [{"start": 7.6, "end": 14.1, "reason": "guard",
                             "speaker": "SPEAKER_01"}]
    schema = json.loads(resources.files("transcribe").joinpath("transcript.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    assert Transcript.from_json(transcript.to_json()).gaps == transcript.gaps
    del data["gaps"]
    assert Transcript.from_dict(data).gaps == []


def test_a_speaker_heard_only_where_there_is_no_text_is_still_a_speaker():
    transcript = Transcript("en", 20.0, [Segment(0.0, 2.0, "Hello.", "SPEAKER_00")],
                            speakers={"SPEAKER_00": Speaker("SPEAKER_00", "Camille")},
                            gaps=[Gap(3.0, 6.0, "no_text", "SPEAKER_01")])
    assert transcript.speaker_ids() == ["SPEAKER_00", "SPEAKER_01"]
    name_unheard_speakers(transcript, "en")
    assert transcript.speaker_name("SPEAKER_01") == "Speaker 2"
    assert transcript.speaker_name("SPEAKER_00") == "Camille"
