"""faster-whisper, sequential: the reference every other engine is measured against."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ..audio import SAMPLE_RATE
from ..models import ModelStore
from ..transcript import Segment, Word
from .base import (
    AsrOptions,
    AsrResult,
    Progress,
    SegmentStats,
    cpu_threads,
    resolve_compute_type,
    resolve_device,
)


@lru_cache(maxsize=2)
def load_whisper_model(path: Path, device: str, compute_type: str, threads: int):
    from faster_whisper import WhisperModel

    return WhisperModel(str(path), device=device, compute_type=compute_type,
                        cpu_threads=threads, local_files_only=True)


def model_for(store: ModelStore, options: AsrOptions):
    device = resolve_device(options.device)
    return load_whisper_model(store.whisper_path(options.model), device,
                              resolve_compute_type(device, options.compute_type),
                              cpu_threads(options.cpu_threads))


def convert_segment(segment) -> tuple[Segment, SegmentStats]:
    """A faster-whisper segment as ours."""
    words = [Word(start=float(w.start), end=float(w.end), word=w.word,
                  probability=float(w.probability)) for w in (segment.words or [])]
    ours = Segment(start=float(segment.start), end=float(segment.end),
                   text=segment.text.strip(), words=words)
    stats = SegmentStats(float(segment.avg_logprob), float(segment.no_speech_prob),
                         float(segment.compression_ratio), float(segment.temperature or 0.0))
    return ours, stats


def decode_sequential(model, samples: np.ndarray, options: AsrOptions, language: str | None,
                      offset: float = 0.0, progress: Progress | None = None) -> AsrResult:
    """One sequential faster-whisper pass over `samples` (times shifted by `offset`)."""
    segments, info = model.transcribe(
        samples,
        language=language,
        task="transcribe",
        beam_size=options.beam_size,
        temperature=list(options.temperatures),
        condition_on_previous_text=options.condition_on_previous_text,
        initial_prompt=options.initial_prompt or None,
        word_timestamps=options.word_timestamps,
        vad_filter=False,
    )
    duration = max(samples.size / SAMPLE_RATE, 1e-6)
    result = AsrResult(segments=[], language=info.language,
                       language_probability=float(info.language_probability))
    for segment in segments:
        ours, stats = convert_segment(segment)
        if offset:
            shift(ours, offset)
        result.segments.append(ours)
        result.stats.append(stats)
        if progress:
            progress(min(1.0, segment.end / duration))
    return result


def shift(segment: Segment, offset: float) -> None:
    segment.start += offset
    segment.end += offset
    for word in segment.words:
        if word.start is not None:
            word.start += offset
        if word.end is not None:
            word.end += offset


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(self, store: ModelStore):
        self.store = store

    def transcribe(self, samples: np.ndarray, options: AsrOptions,
                   progress: Progress | None = None) -> AsrResult:
        model = model_for(self.store, options)
        return decode_sequential(model, samples, options, options.language, progress=progress)
