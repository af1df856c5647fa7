"""The guard removes repetition loops and text over silence, and nothing else."""

from __future__ import annotations

import numpy as np
import pytest

from transcribe.asr import AsrOptions, get_engine
from transcribe.asr.base import AsrResult, SegmentStats
from transcribe.asr.guard import apply_guard, remove_loops
from transcribe.audio import SAMPLE_RATE, load_audio
from transcribe.transcript import Segment, Word

from speech import synthesise


def words_segment(text: str, start: float = 0.0, step: float = 0.3) -> Segment:
    words = [Word(start + i * step, start + (i + 1) * step, " " + w, 0.9)
             for i, w in enumerate(text.split())]
    return Segment(start, start + len(words) * step, text, words=words)


def test_long_loop_collapses_to_one_occurrence():
    segment = words_segment("alors je pense que " + "c'est vraiment important " * 6 + "voilà")
    removed = remove_loops(segment)
    assert removed == 15  # five of the six repetitions, three words each
    assert segment.text == "alors je pense que c'est vraiment important voilà"
    assert [w.word.strip() for w in segment.words][-1] == "voilà"
    assert segment.end == pytest.approx(segment.words[-1].end)


@pytest.mark.parametrize("text", [
    "non non non je ne crois pas",
    "je sais pas je sais pas je sais pas ce qu'il voulait",
    "very very very good",
])
def test_human_repetitions_are_kept(text):
    segment = words_segment(text)
    assert remove_loops(segment) == 0
    assert segment.text == text


def test_loop_without_word_times():
    segment = Segment(0, 10, "merci " * 12)
    assert remove_loops(segment) == 11
    assert segment.text == "merci"


@pytest.fixture(scope="module")
def speech_then_silence(tmp_path_factory):
    """Four seconds of speech, then twelve of faint noise: a pause in an interview."""
    folder = tmp_path_factory.mktemp("guard")
    speech = load_audio(synthesise("Thank you for coming today, let us begin with your work.",
                                   folder / "speech.wav")).mono
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(12 * SAMPLE_RATE) * 0.001).astype(np.float32)
    return np.concatenate([speech, noise]), len(speech) / SAMPLE_RATE


def test_text_over_silence_is_removed(speech_then_silence):
    samples, speech_end = speech_then_silence
    spoken = words_segment("Thank you for coming today", 0.2, 0.5)
    invented = words_segment("Sous-titres réalisés par la communauté d'Amara.org",
                             speech_end + 3, 0.6)
    invented_plain = words_segment("and then we went to the market", speech_end + 7, 0.5)
    result = AsrResult([spoken, invented, invented_plain], "en")
    report = apply_guard(result, samples)
    assert [s.text for s in result.segments] == ["Thank you for coming today"]
    assert report.segments_removed == 2
    assert result.speech and result.speech[0][1] <= speech_end + 0.5


def test_repeated_sentence_across_segments_is_cut(speech_then_silence):
    samples, _ = speech_then_silence
    segments = [words_segment("Thank you.", 0.2 + i * 0.6, 0.3) for i in range(5)]
    result = AsrResult(segments, "en")
    apply_guard(result, samples)
    assert [s.text for s in result.segments] == ["Thank you.", "Thank you."]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["faster-whisper", "whisperx", "openai-whisper"])
def test_no_text_in_a_long_pause(store, speech_then_silence, engine):
    samples, speech_end = speech_then_silence
    result = get_engine(engine, store).transcribe(samples, AsrOptions(language="en"))
    apply_guard(result, samples)
    assert result.segments, "the speech itself must be kept"
    assert "thank you" in " ".join(s.text for s in result.segments).lower()
    for segment in result.segments:
        assert segment.start < speech_end + 1.0, segment


def test_hot_low_confidence_guesses_are_removed(speech_then_silence):
    samples, _ = speech_then_silence
    spoken = words_segment("Thank you for coming today", 0.2, 0.5)
    guessed = words_segment("Bonjour.", 2.8, 0.5)  # over speech, but a hot random guess
    kept_hot = words_segment("let us begin", 2.0, 0.3)
    kept_hot.decoder = SegmentStats(avg_logprob=-0.6, temperature=0.8)
    guessed.decoder = SegmentStats(avg_logprob=-1.4, temperature=1.0)
    result = AsrResult([spoken, kept_hot, guessed], "en")
    apply_guard(result, samples)
    assert [s.text for s in result.segments] == ["Thank you for coming today", "let us begin"]


def test_a_loop_of_exactly_the_minimum_length_is_collapsed():
    # Four repetitions of two words: exactly MIN_REPEATS times, exactly MIN_LOOP_WORDS words.
    segment = words_segment("alors " + "c'est important " * 4 + "voilà")
    assert remove_loops(segment) == 6
    assert segment.text == "alors c'est important voilà"
    # One repetition fewer is a human's: kept.
    human = words_segment("alors " + "c'est important " * 3 + "voilà")
    assert remove_loops(human) == 0
