"""The log-Mel spectrogram computed block by block: the library's values, bit for bit, with
work arrays that do not grow with the audio's length."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from faster_whisper.feature_extractor import FeatureExtractor

from transcribe.asr import ModelSettings
from transcribe.asr.faster_whisper import model_for
from transcribe.asr.spectrogram import BLOCK_FRAMES, BlockwiseFeatures
from transcribe.audio import SAMPLE_RATE

WINDOW_PADDING = 30 * SAMPLE_RATE  # what faster-whisper's transcribe() pads with


def audio(seconds: float, seed: int = 0) -> np.ndarray:
    """A voice-like level of noise with a louder tone in it (values a spectrogram can tell
    apart), on the 16-bit grid as decoded audio is."""
    rng = np.random.default_rng(seed)
    count = int(seconds * SAMPLE_RATE)
    samples = rng.normal(0.0, 0.05, count) + 0.3 * np.sin(np.arange(count) * 0.07)
    return (np.round(samples * 32768) / 32768).astype(np.float32)


@pytest.mark.parametrize(("seconds", "padding"), [
    (10.0, 160),  # under a block: the library's own call
    # around one block's frames (one frame more than a block: a last block of one)
    (29.99, 160), (30.07, 160), (30.08, 160), (30.09, 160), (30.2, 160),
    (61.237, 160), (95.0, 0), (95.0, WINDOW_PADDING), (301.5, WINDOW_PADDING),
])
def test_the_same_values_as_the_library(seconds, padding):
    samples = audio(seconds)
    expected = FeatureExtractor()(samples, padding=padding)
    found = BlockwiseFeatures(FeatureExtractor())(samples, padding=padding)
    assert found.dtype == expected.dtype and found.shape == expected.shape
    assert np.array_equal(found, expected)


def test_the_same_values_whatever_the_last_block():
    """A last block of 1 to 40 frames: numpy's vector loops and BLAS's kernels handle a
    short remainder their own way, so a step that splits them elsewhere than the library's
    one computation may round a last bit differently (a Mel product per block did, here,
    for remainders under 16 frames)."""
    for tail in range(1, 41):
        samples = audio((BLOCK_FRAMES + tail - 1) * 160 / SAMPLE_RATE, seed=tail)
        expected = FeatureExtractor()(samples, padding=160)
        assert expected.shape[1] == BLOCK_FRAMES + tail
        found = BlockwiseFeatures(FeatureExtractor())(samples, padding=160)
        assert np.array_equal(found, expected), tail


def test_a_chunk_length_is_kept_as_the_library_keeps_it():
    library, ours = FeatureExtractor(), BlockwiseFeatures(FeatureExtractor())
    samples = audio(40.0)
    assert np.array_equal(ours(samples, padding=160, chunk_length=20),
                          library(samples, padding=160, chunk_length=20))
    assert (ours.n_samples, ours.nb_max_frames) == (library.n_samples, library.nb_max_frames)
    assert ours.nb_max_frames == 2000 and ours.time_per_frame == library.time_per_frame


def peak_mb(compute, samples: np.ndarray) -> float:
    tracemalloc.start()
    try:
        compute(samples, padding=WINDOW_PADDING)
        return tracemalloc.get_traced_memory()[1] / (1 << 20)
    finally:
        tracemalloc.stop()


def test_work_memory_does_not_grow_with_the_length():
    """A 10-minute piece: the library's work arrays peak at about 1 MB per second of audio
    (617 MB with numpy 2.4); block by block, at what grows with the length (the padded
    audio, twice, the magnitudes and the spectrogram: about 0.2 MB per second) plus one
    block's arrays. tracemalloc counts numpy's allocations exactly: the bounds only leave
    room for another numpy's buffers."""
    samples = audio(600.0)
    library = peak_mb(FeatureExtractor(), samples)
    ours = peak_mb(BlockwiseFeatures(FeatureExtractor()), samples)
    short = peak_mb(BlockwiseFeatures(FeatureExtractor()), samples[: 120 * SAMPLE_RATE])
    assert library > 400
    assert ours < 200 and ours < library / 3
    assert ours - short < 150  # 8 more minutes: their padded audio and spectrogram only
    assert BLOCK_FRAMES % 64 == 0


def test_every_loaded_model_computes_block_by_block(store):
    for parallel in (False, True):
        model = model_for(store, ModelSettings(cpu_threads=2).resolved(), parallel=parallel)
        assert isinstance(model.feature_extractor, BlockwiseFeatures)
        assert model.feature_extractor.sampling_rate == SAMPLE_RATE
