"""faster-whisper's log-Mel spectrogram, its short-time Fourier transform computed a block
of frames at a time.

faster-whisper computes the spectrogram of all the audio it is given at once: its work
arrays (the windowed frames, their FFT, its complex64 copy, the magnitudes) peak at about
1 MB per second of audio, 617 MB for a 10-minute piece (numpy 2.4, tracemalloc), where the
spectrogram kept is 32 KB per second. Here the frames, their FFT and their magnitudes are
computed BLOCK_FRAMES frames at a time into one array laid out as the library's; the Mel
filter bank is then applied by one matrix product, the library's own. The values are the
library's, bit for bit (tested): each frame's FFT is computed alone either way, and a
block holds a multiple of 64 frames, so numpy's vector loops split the element-wise steps
at the same places (a loop's last, shorter step may round differently), and the one product
is the library's, with the same shapes and layout, so the same BLAS kernels.
"""

from __future__ import annotations

import numpy as np

# About 30 s of frames (10 ms each), a multiple of 64 (see above): work arrays of about
# 15 MB.
BLOCK_FRAMES = 47 * 64


class BlockwiseFeatures:
    """Stands for a faster-whisper model's feature extractor: the library's own for inputs
    up to a block, the same computation block by block beyond."""

    def __init__(self, extractor):
        self._extractor = extractor

    def __getattr__(self, name: str):
        return getattr(self._extractor, name)

    def __call__(self, waveform: np.ndarray, padding: int = 160,
                 chunk_length: int | None = None) -> np.ndarray:
        extractor = self._extractor
        if waveform.size + padding <= BLOCK_FRAMES * extractor.hop_length:
            return extractor(waveform, padding=padding, chunk_length=chunk_length)
        if chunk_length is not None:  # the library's side effect, kept
            extractor.n_samples = chunk_length * extractor.sampling_rate
            extractor.nb_max_frames = extractor.n_samples // extractor.hop_length
        return log_mel(extractor, waveform.astype(np.float32, copy=False), padding)


def log_mel(extractor, waveform: np.ndarray, padding: int) -> np.ndarray:
    """FeatureExtractor.__call__'s result, its STFT computed BLOCK_FRAMES frames at a
    time."""
    n_fft, hop = extractor.n_fft, extractor.hop_length
    if padding:
        waveform = np.pad(waveform, (0, padding))
    # What stft(center=True) pads, done once for the whole input, not per block.
    padded = np.pad(waveform, n_fft // 2, mode="reflect")
    del waveform
    window = np.hanning(n_fft + 1)[:-1].astype("float32")
    frames = 1 + (padded.size - n_fft) // hop - 1  # the library drops the last frame
    # The library's magnitudes are the transpose of its FFT's rows: column-major.
    magnitudes = np.empty((n_fft // 2 + 1, frames), dtype=np.float32, order="F")
    for first in range(0, frames, BLOCK_FRAMES):
        last = min(first + BLOCK_FRAMES, frames)
        # One frame more than the block, as the library's last frame, dropped alike.
        part = padded[first * hop: last * hop + n_fft]
        stft = extractor.stft(part, n_fft, hop, window=window, center=False,
                              return_complex=True).astype("complex64")
        magnitudes[:, first:last] = np.abs(stft[..., :-1]) ** 2
    del padded
    mel_spec = extractor.mel_filters @ magnitudes
    del magnitudes
    log_spec = np.log10(np.clip(mel_spec, a_min=1e-10, a_max=None))
    log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
    return (log_spec + 4.0) / 4.0
