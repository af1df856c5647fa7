"""Word times bounded by speech: the rule on hand-made words, then the whole pipeline on a
recording with a long pause inside one speaker's turn (real weights, mono and stereo)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from transcribe.asr import AsrOptions
from transcribe.audio import SAMPLE_RATE, load_audio
from transcribe.bound import best_region, bound_segments, intersect
from transcribe.pipeline import PipelineOptions, run
from transcribe.speakers import SpeakerOptions
from transcribe.transcript import Segment, Word

from dialogue import VOICES, _write_wav
from speech import synthesise


def segment(*words: tuple[str, float, float], speaker: str | None = None) -> Segment:
    items = [Word(start, end, " " + text, 0.9, speaker) for text, start, end in words]
    return Segment(items[0].start, items[-1].end, "".join(w.word for w in items).strip(),
                   speaker, items)


def test_a_word_stretched_over_a_pause_is_clipped_to_its_speech():
    # "menus." runs from 15.3 into a silence that lasts until 24.8 (issue 13's example).
    seg = segment(("display", 14.6, 15.2), ("with", 15.2, 15.4), ("menus.", 15.4, 19.2))
    report = bound_segments([seg], {None: [(13.0, 15.9), (24.8, 27.0)]})
    assert [(w.start, w.end) for w in seg.words] == [(14.6, 15.2), (15.2, 15.4), (15.4, 15.9)]
    assert (seg.start, seg.end) == (14.6, 15.9)  # the segment follows its words
    assert report.words_clipped == 1 and report.seconds_removed == pytest.approx(3.3)


def test_the_region_overlapping_most_wins_and_order_is_kept():
    # Starts early, in the previous region's padding: belongs to the next region.
    seg = segment(("So", 9.8, 11.0), ("what?", 11.0, 11.3))
    bound_segments([seg], {None: [(5.0, 10.0), (10.5, 12.0)]})
    assert [(w.start, w.end) for w in seg.words] == [(10.5, 11.0), (11.0, 11.3)]
    assert best_region(9.8, 11.0, [(5.0, 10.0), (10.5, 12.0)]) == (10.5, 12.0)
    assert best_region(1.0, 2.0, [(5.0, 10.0)]) is None


def test_words_without_speech_under_them_and_other_tracks_are_left_alone():
    lost = segment(("hm", 3.0, 3.2))
    other = segment(("yes", 1.0, 4.0), speaker="SPEAKER_01")
    report = bound_segments([lost, other], {None: [(5.0, 6.0)], "SPEAKER_01": [(2.0, 3.0)]})
    assert (lost.words[0].start, lost.words[0].end) == (3.0, 3.2)
    assert report.words_outside == 1
    # Each track's words are bounded by that track's speech only.
    assert (other.start, other.end) == (2.0, 3.0)


def test_a_segment_without_words_is_bounded_itself():
    seg = Segment(1.0, 9.0, "text without word times")
    bound_segments([seg], {None: [(2.0, 3.0), (4.0, 6.0)]})
    assert (seg.start, seg.end) == (2.0, 6.0)


# -- real weights ------------------------------------------------------------------------------

PAUSE = 6.0  # seconds of silence inside speaker A's turn
# Margin: Silero's regions are padded 0.1 s and its 32 ms frames place an edge within a
# frame or two; espeak's own leading and trailing silence only makes the reference wider.
# 0.3 s is the target; words measured here lie within 0.1 s on this machine.
TOLERANCE = 0.3


@dataclass
class PausedTurn:
    mono: Path
    stereo: Path
    speech: dict[str, list[tuple[float, float]]]  # per speaker, where they speak


@pytest.fixture(scope="module")
def paused_turn(tmp_path_factory) -> PausedTurn:
    """A says half a sentence, is silent for 6 s while B answers briefly (on B's own
    microphone in the stereo version, each voice reaching the other 26 dB quieter), then
    finishes the sentence."""
    folder = tmp_path_factory.mktemp("paused")

    def say(text: str, who: str, name: str) -> np.ndarray:
        voice, pitch = VOICES["en"][who]
        wav = synthesise(text, folder / name, voice=voice, pitch=pitch)
        return load_audio(wav, normalize=False).mono * 0.8

    first = say("So you have got a little display with", "A", "a1.wav")
    answer = say("Yes, I see.", "B", "b.wav")
    second = say("menus and buttons on the side, which is nice.", "A", "a2.wav")
    lead = 0.5
    first_end = lead + first.size / SAMPLE_RATE
    answer_start = first_end + 2.0
    second_start = first_end + PAUSE
    left = np.concatenate([np.zeros(int(lead * SAMPLE_RATE), np.float32), first,
                           np.zeros(int(PAUSE * SAMPLE_RATE), np.float32), second,
                           np.zeros(int(lead * SAMPLE_RATE), np.float32)])
    right = np.zeros_like(left)
    at = int(answer_start * SAMPLE_RATE)
    right[at: at + answer.size] = answer
    _write_wav(folder / "stereo.wav", np.stack([left + 0.05 * right, right + 0.05 * left]))
    _write_wav(folder / "mono.wav", (left + right)[None])
    return PausedTurn(folder / "mono.wav", folder / "stereo.wav", {
        "A": [(lead, first_end), (second_start, second_start + second.size / SAMPLE_RATE)],
        "B": [(answer_start, answer_start + answer.size / SAMPLE_RATE)]})


def outside(word: Word, regions: list[tuple[float, float]]) -> float:
    """Seconds of the word outside the nearest of `regions` (0 when inside one)."""
    return min(max(0.0, s - word.start) + max(0.0, word.end - e) for s, e in regions)


@pytest.mark.slow
@pytest.mark.parametrize("stereo", ["off", "auto"])
def test_words_lie_within_speech_in_a_turn_with_a_long_pause(store, paused_turn, stereo):
    clip = paused_turn.stereo if stereo == "auto" else paused_turn.mono
    transcript = run(clip, PipelineOptions(
        engine="faster-whisper", asr=AsrOptions(language="en"), diarize=True,
        speakers=SpeakerOptions(preset="interview", stereo=stereo), ui_language="en"),
        store)
    assert transcript.run.diarization == ("channels" if stereo == "auto"
                                                 else "pyannote")
    # Whisper starts the words after each silence up to 0.75 s early on this recording
    # (measured): the bound moved them.
    assert transcript.run.bound.words_clipped >= 1
    everyone = paused_turn.speech["A"] + paused_turn.speech["B"]
    words = [w for s in transcript.segments for w in s.words]
    assert len(words) >= 15
    for word in words:
        assert outside(word, everyone) <= TOLERANCE, (word, stereo)
    for seg in transcript.segments:  # segments follow their words
        assert (seg.start, seg.end) == (seg.words[0].start, max(w.end for w in seg.words))
    # Nothing is said in the pause but B's answer: no segment of A spans it.
    pause = (paused_turn.speech["A"][0][1], paused_turn.speech["A"][1][0])
    answer = paused_turn.speech["B"][0]
    for seg in transcript.segments:
        inside_pause = min(seg.end, pause[1]) - max(seg.start, pause[0])
        assert inside_pause <= answer[1] - answer[0] + 2 * TOLERANCE, seg


def test_regions_intersect():
    assert intersect([(0.0, 2.0), (3.0, 6.0)], [(1.0, 4.0), (5.0, 5.5), (7.0, 8.0)]) == \
        [(1.0, 2.0), (3.0, 4.0), (5.0, 5.5)]


def test_punctuation_alone_takes_no_time():
    """French puts a space before "?": Whisper makes it a word of its own, which it times
    over the silence after the question."""
    seg = segment(("vous", 1.0, 1.3), ("?", 1.3, 1.9))
    bound_segments([seg], {None: [(0.5, 1.4)]})
    assert (seg.words[1].start, seg.words[1].end) == (1.3, 1.3)
    assert seg.end == 1.3


def test_the_bound_reaches_past_speech_by_its_padding(tmp_path):
    """Words are clipped to regions wider than Silero's speech by PAD on each side, never
    narrower: a word's first and last sounds are not cut."""
    from transcribe.bound import MIN_SILENCE, PAD, speech_for_bound
    from transcribe.vad import detect_speech

    voice = load_audio(synthesise("I grew up in a small town.", tmp_path / "s.wav")).mono
    silence = np.zeros(SAMPLE_RATE, np.float32)
    samples = np.concatenate([silence, voice, silence])
    bare = detect_speech(samples, pad=0.0, min_silence=MIN_SILENCE)
    padded = speech_for_bound(samples)
    assert len(bare) == len(padded) >= 1
    assert padded[0][0] == pytest.approx(bare[0][0] - PAD, abs=1e-3)
    assert padded[-1][1] == pytest.approx(bare[-1][1] + PAD, abs=1e-3)
