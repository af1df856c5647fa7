"""A long recording decoded in pieces side by side on a CPU: cuts land in silences, no word
is lost at a cut, progress and cancellation still work."""

from __future__ import annotations

import os
import threading
from itertools import pairwise

import numpy as np
import pytest

from transcribe.asr import AsrOptions, ModelSettings, base, faster_whisper, get_engine
from transcribe.asr.base import available_cpus
from transcribe.asr.faster_whisper import CUT_FROM, cpu_layout, model_for
from transcribe.asr.pieces import MAX_PIECE, MIN_PIECE, plan_pieces
from transcribe.audio import SAMPLE_RATE, load_audio
from transcribe.vad import detect_speech

from dialogue import INTERVIEW_EN, make_dialogue
from speech import longest_lost_run, word_errors


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


def test_short_recordings_and_single_workers_are_not_cut():
    assert plan_pieces(silence(59), [(0.0, 59.0)], workers=2) == [(0.0, 59.0)]
    assert plan_pieces(silence(300), [(0.0, 300.0)], workers=1) == [(0.0, 300.0)]
    # Two pieces would fit only with a cut at exactly 30 s: none of 30 s or less.
    speech = [(0.0, 10.0), (12.0, 60.0)]
    assert plan_pieces(silence(60), speech, workers=2) == [(0.0, 60.0)]


def test_no_piece_is_shorter_than_a_window():
    speech = [(0.0, 20.0), (22.0, 70.0)]  # the only silence would leave a 21 s piece
    pieces = plan_pieces(silence(70), speech, workers=2)
    assert 21.0 not in {end for _, end in pieces}
    assert all(end - start >= MIN_PIECE for start, end in pieces)
    pieces = plan_pieces(silence(95), [(0.0, 30.5), (32.5, 95.0)], workers=3)
    assert all(end - start >= MIN_PIECE for start, end in pieces)


def test_cuts_fall_in_silences_and_pieces_cover_the_recording():
    duration = 1500.0  # 25 min: more pieces than workers, none longer than MAX_PIECE
    speech = [(start, start + 6.0) for start in np.arange(0.5, duration - 7, 7.0)]
    pieces = plan_pieces(silence(duration), speech, workers=2)
    assert len(pieces) == 3
    assert pieces[0][0] == 0.0 and pieces[-1][1] == duration
    assert all(a[1] == b[0] for a, b in pairwise(pieces))
    for _, cut in pieces[:-1]:
        assert not any(start < cut < end for start, end in speech), cut
    # 500 s each (25 min over the 3 pieces MAX_PIECE asks for), give or take a silence.
    assert all(abs(end - start - duration / 3) <= 7.0 for start, end in pieces)
    assert MAX_PIECE >= duration / 3


def test_without_a_silence_the_cut_is_at_the_quietest_moment():
    rng = np.random.default_rng(0)
    samples = rng.normal(0, 0.1, 80 * SAMPLE_RATE).astype(np.float32)
    samples[int(37.0 * SAMPLE_RATE): int(37.6 * SAMPLE_RATE)] *= 0.01  # a pause
    samples[int(41.0 * SAMPLE_RATE): int(41.1 * SAMPLE_RATE)] = 0.0  # a stop consonant
    (_, cut), _ = plan_pieces(samples, [(0.0, 80.0)], workers=2)
    assert 37.0 <= cut <= 37.6


def test_one_thread_per_worker_on_small_machines():
    assert cpu_layout(1) == (1, 1)
    assert cpu_layout(2) == (2, 1)
    assert cpu_layout(4) == (4, 1)
    assert cpu_layout(16) == (8, 2)
    assert cpu_layout(64) == (8, 8)  # workers are capped; threads are not wasted


def test_cpus_are_counted_within_the_process_limits(tmp_path, monkeypatch):
    assert 1 <= available_cpus() <= len(os.sched_getaffinity(0))
    pinned = len(os.sched_getaffinity(0))
    cpu_max = tmp_path / "cpu.max"
    monkeypatch.setattr(base, "CPU_MAX", cpu_max)
    for limit, expected in (("max 100000", pinned), ("50000 100000", 1),
                            ("150000 100000", min(pinned, 2)),  # 1.5 CPUs: two threads
                            ("6400000 100000", pinned)):  # a limit above the pinned cores
        cpu_max.write_text(limit + "\n")
        assert available_cpus() == expected, limit


# -- real weights on a long synthetic interview ----------------------------------------------


@pytest.fixture(scope="module")
def long_interview(tmp_path_factory):
    # 80 s: long enough for two pieces on two workers.
    return make_dialogue(tmp_path_factory.mktemp("long"), script=INTERVIEW_EN * 2,
                         language="en")


def transcribe(store, path, cpu_threads: int = 0, model: str = "base", **options):
    samples = load_audio(path).mono
    reports: list[float] = []
    engine = get_engine("faster-whisper", store, ModelSettings(model, cpu_threads=cpu_threads))
    result = engine.transcribe(samples, AsrOptions(**{"language": "en", **options}),
                               reports.append)
    return result, reports


@pytest.mark.slow
def test_pieces_lose_no_words(store, long_interview):
    samples = load_audio(long_interview.path).mono
    pieces = plan_pieces(samples, detect_speech(samples), workers=2)
    assert len(pieces) == 2
    cut_at = int(pieces[0][1] * SAMPLE_RATE)
    assert np.abs(samples[cut_at - 1600: cut_at + 1600]).max() < 0.01  # in a pause

    reference = " ".join(text for *_, text in long_interview.turns)
    whole, _ = transcribe(store, long_interview.path, cpu_threads=1)  # one worker: no cut
    cut, reports = transcribe(store, long_interview.path, cpu_threads=2)
    assert whole.speech is None and cut.speech  # the cut ran the VAD the guard reuses

    def text(result):
        return " ".join(s.text for s in result.segments)

    # A cut in a pause loses no word: no run of reference words missing beyond what the
    # uncut decoding misses, plus 2 (the same pause, decoded from another window start, may
    # drop or add a short word on another CPU). Whole-text errors may differ by a few words
    # as with any shift of Whisper's windows (README, make bench): 5 % of the ~190 words.
    lost_whole = longest_lost_run(reference, text(whole), "en")
    assert longest_lost_run(reference, text(cut), "en") <= max(1, lost_whole) + 2
    cut_errors, words = word_errors([reference], [text(cut)], "en")
    whole_errors, _ = word_errors([reference], [text(whole)], "en")
    assert cut_errors <= whole_errors + round(0.05 * words)
    starts = [w.start for s in cut.segments for w in s.words]
    assert starts == sorted(starts) and starts[-1] > pieces[0][1]
    assert reports == sorted(reports) and reports[-1] >= 0.9


@pytest.mark.slow
def test_sampling_pieces_are_reproducible_and_decoded_once(store, long_interview,
                                                           monkeypatch):
    """Every window samples (temperature 1.0 only), two pieces side by side: two runs give
    the same words, each piece is decoded by one pass (no window decoded again) and loads
    one sampler, seeded from the job's seed and where the piece starts."""
    from faster_whisper import WhisperModel

    passes: list[float] = []
    windows: list[int] = []
    seeds: list[int] = []
    sampled: list[int] = []
    transcribe_pass, load_sampler = WhisperModel.transcribe, faster_whisper.load_sampler
    encode = WhisperModel.encode

    def counting_encode(self, features):
        windows.append(1)
        return encode(self, features)

    def counting_pass(self, audio, *args, **kwargs):
        passes.append(len(audio) / SAMPLE_RATE)
        return transcribe_pass(self, audio, *args, **kwargs)

    def counting_sampler(model, seed, encoded):
        seeds.append(seed)
        sampler = load_sampler(model, seed, encoded)

        class Counting:  # a CTranslate2 model cannot take new attributes
            def generate(self, *args, **kwargs):
                sampled.append(seed)
                return sampler.generate(*args, **kwargs)

        return Counting()

    monkeypatch.setattr(WhisperModel, "transcribe", counting_pass)
    monkeypatch.setattr(WhisperModel, "encode", counting_encode)
    monkeypatch.setattr(faster_whisper, "load_sampler", counting_sampler)
    samples = load_audio(long_interview.path).mono
    pieces = plan_pieces(samples, detect_speech(samples), workers=2)
    engine = get_engine("faster-whisper", store, ModelSettings(cpu_threads=2))

    def decode():
        result = engine.transcribe(samples, AsrOptions(language="en", temperatures=(1.0,)))
        return [(w.word, w.start, w.end) for s in result.segments for w in s.words]

    first = decode()
    assert len(passes) == len(pieces) == 2  # one pass per piece: nothing decoded again
    assert sorted(seeds) == sorted(faster_whisper.piece_seed(1234, start)
                                   for start, _ in pieces)
    # Each window is encoded once and sampled once, by its piece's sampler.
    assert len(sampled) == len(windows) and set(sampled) == set(seeds)
    assert decode() == first
    assert len(passes) == 4


@pytest.mark.slow
def test_language_is_detected_once_for_all_pieces(store, long_interview, monkeypatch):
    model = model_for(store, ModelSettings(cpu_threads=2).resolved(), parallel=True)
    detections: list[int] = []
    given: list[str | None] = []
    detect, decode = model.detect_language, model.transcribe

    def counting_detect(*args, **kwargs):
        detections.append(1)
        return detect(*args, **kwargs)

    def recording_decode(*args, **kwargs):
        given.append(kwargs.get("language"))
        return decode(*args, **kwargs)

    monkeypatch.setattr(model, "detect_language", counting_detect)
    monkeypatch.setattr(model, "transcribe", recording_decode)
    result, _ = transcribe(store, long_interview.path, language=None, cpu_threads=2)
    assert result.language == "en" and result.language_probability > 0.5
    assert len(detections) == 1 and given == ["en", "en"]


@pytest.mark.slow
def test_english_only_model_needs_no_detection(store, long_interview):
    result, _ = transcribe(store, long_interview.path, language=None, cpu_threads=2,
                           model="tiny.en")
    assert result.language == "en" and result.speech  # cut in pieces
    assert "nurse" in " ".join(s.text for s in result.segments).lower()


@pytest.mark.slow
def test_conditioning_on_previous_text_is_never_cut(store, long_interview):
    result, _ = transcribe(store, long_interview.path, cpu_threads=2,
                           condition_on_previous_text=True)
    assert result.speech is None  # decoded whole: no VAD ran to plan pieces
    assert "public service" in " ".join(s.text for s in result.segments).lower()


class Cancelled(Exception):
    pass


@pytest.mark.slow
def test_cancelling_stops_every_piece(store, long_interview, monkeypatch):
    samples = load_audio(long_interview.path).mono
    cancelled = threading.Event()
    after_cancel: list[str] = []
    convert = faster_whisper.convert_segment

    def counting_convert(segment):
        if cancelled.is_set():
            after_cancel.append(segment.text)
        return convert(segment)

    def cancel(fraction: float) -> None:
        if fraction > 0:  # once the pieces are under way
            cancelled.set()
            raise Cancelled()

    monkeypatch.setattr(faster_whisper, "convert_segment", counting_convert)
    with pytest.raises(Cancelled):
        get_engine("faster-whisper", store, ModelSettings(cpu_threads=2)).transcribe(
            samples, AsrOptions(language="en"), cancel)
    # Each of the two pieces stops at its next segment, not at its end (about 10 each).
    assert len(after_cancel) <= 2, after_cancel
    assert not [t for t in threading.enumerate() if t.name.startswith("asr-piece")]


@pytest.mark.slow
def test_a_short_recording_is_decoded_whole_with_every_thread(store, long_interview,
                                                              monkeypatch):
    """Under CUT_FROM (too short for two pieces), one decoding by one worker with both
    threads, as the library decodes, not one of the pieces' one-thread workers; its sampler
    is loaded with the same threads (load_args)."""
    layouts: list[tuple[int, int]] = []
    decode = faster_whisper._decode_once

    def recording_decode(model, *args, **kwargs):
        layouts.append((model.model.num_workers, model.load_args[3]))
        return decode(model, *args, **kwargs)

    monkeypatch.setattr(faster_whisper, "_decode_once", recording_decode)
    samples = load_audio(long_interview.path).mono[: 50 * SAMPLE_RATE]
    assert samples.size < CUT_FROM * SAMPLE_RATE
    engine = get_engine("faster-whisper", store, ModelSettings(cpu_threads=2))
    result = engine.transcribe(samples, AsrOptions(language="en", temperatures=(0.0,)))
    assert result.segments and result.speech is None  # no VAD run for cuts
    assert layouts == [(1, 2)]


def test_the_weights_are_loaded_once_when_the_plan_finds_no_cut(store, long_interview,
                                                              monkeypatch):
    """Exactly CUT_FROM long, the one cut allowed is at the middle to the sample, which a
    silence or the quietest point almost never is: the plan is one piece. The engine plans
    before loading, so only the whole layout is loaded (not the pieces' one, then the
    whole, evicting the first under the one-copy rule)."""
    requested: list[tuple[int, int]] = []
    load = faster_whisper.load_whisper_model

    def recording_load(path, device, compute_type, threads, workers=1):
        requested.append((workers, threads))
        return load(path, device, compute_type, threads, workers)

    monkeypatch.setattr(faster_whisper, "load_whisper_model", recording_load)
    samples = load_audio(long_interview.path).mono[: int(CUT_FROM * SAMPLE_RATE)]
    assert plan_pieces(samples, detect_speech(samples), workers=2) == [(0.0, CUT_FROM)]
    engine = get_engine("faster-whisper", store, ModelSettings(cpu_threads=2))
    result = engine.transcribe(samples, AsrOptions(language="en", temperatures=(0.0,)))
    assert result.segments and result.speech is not None  # planned with the VAD's speech
    assert requested == [(1, 2)]


def test_each_piece_hands_its_free_memory_back(store, long_interview, monkeypatch):
    """In the one heap allocator.py sets up, what a piece freed is not always reusable by
    the next pieces: a 3-hour recording held about 1 GB more by the end of its pieces.
    Each piece, finished or stopped, gives the free memory back."""
    released: list[str] = []
    monkeypatch.setattr(faster_whisper, "release_memory",
                        lambda: released.append(threading.current_thread().name))
    result, _ = transcribe(store, long_interview.path, cpu_threads=2, temperatures=(0.0,))
    assert len(result.segments) > 1
    assert len(released) == 2 and all(n.startswith("asr-piece") for n in released)


def test_one_copy_of_the_weights_is_kept_whatever_the_layout(store):
    """A worker given a short recording after a long one (or the other way round) loads the
    weights again in the other layout rather than hold two copies; the same layout asked
    again is the same model."""
    cuttable = model_for(store, ModelSettings(cpu_threads=2).resolved(), parallel=True)
    assert model_for(store, ModelSettings(cpu_threads=2).resolved(), parallel=True) is cuttable
    whole = model_for(store, ModelSettings(cpu_threads=2).resolved())
    assert (cuttable.layout, whole.layout) == ((1, 2), (2, 1))
    held = list(faster_whisper._LOADED.values())
    assert any(model is whole for model in held)
    assert not any(model is cuttable for model in held)
