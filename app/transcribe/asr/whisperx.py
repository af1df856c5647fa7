"""WhisperX's fast path: pyannote VAD cuts the recording into chunks of up to 30 s of
speech, which are decoded in batches.

Decoding uses faster-whisper's batched decoder (the batching WhisperX wraps) in timestamp
mode with Whisper's own word timestamps: WhisperX's text-only pipeline gives one segment
per 30 s chunk with no word times, which diarization cannot split between speakers.

Batched decoding has no temperature fallback and can stop early in a chunk (measured:
only the first sentence of a 12 s French chunk came back). So every chunk is checked:
one whose decoding failed the quality thresholds is decoded again sequentially (with
temperature fallback), and speech the decoded words do not cover is decoded again on
its own. No word is lost to batching.
"""

from __future__ import annotations

import numpy as np

from ..audio import SAMPLE_RATE
from ..models import WHISPER, ModelStore
from ..transcript import Segment, SegmentStats
from ..vad import Chunk, detect_chunks, speech_regions
from .base import AsrOptions, AsrResult, ModelSettings, Progress
from .faster_whisper import convert_segment, decode_sequential, model_for

CHUNK_SIZE = 30.0
# Thresholds of Whisper's own temperature fallback.
COMPRESSION_RATIO_THRESHOLD = 2.4
LOG_PROB_THRESHOLD = -1.0
NO_SPEECH_THRESHOLD = 0.6
# Speech left without a word for this long inside a chunk is decoded again.
MIN_UNCOVERED_SPEECH = 1.5
WORD_PADDING = 0.4  # words' edges are imprecise by a few hundred ms


class WhisperXEngine:
    name = "whisperx"
    model_kind = WHISPER

    def __init__(self, store: ModelStore, model: ModelSettings):
        self.store, self.model = store, model

    def transcribe(self, samples: np.ndarray, options: AsrOptions,
                   progress: Progress | None = None) -> AsrResult:
        from faster_whisper import BatchedInferencePipeline

        model = model_for(self.store, self.model)
        chunks = detect_chunks(samples, CHUNK_SIZE, self.model.device)
        speech = speech_regions(chunks)
        if not chunks:
            return AsrResult(segments=[], language=options.language or "", speech=speech)

        pipeline = BatchedInferencePipeline(model)
        decoded, info = pipeline.transcribe(
            samples,
            language=options.language,
            task="transcribe",
            clip_timestamps=[{"start": c.start, "end": c.end} for c in chunks],
            batch_size=options.batch_size,
            beam_size=options.beam_size,
            temperature=options.temperatures[0],
            initial_prompt=options.initial_prompt or None,
            word_timestamps=True,
            without_timestamps=False,
            vad_filter=False,
        )
        per_chunk: list[list[Segment]] = [[] for _ in chunks]
        starts = np.array([c.start for c in chunks])
        done = -1
        for segment in decoded:
            index = int(np.argmin(np.abs(starts - segment.seek / 100.0)))
            per_chunk[index].append(convert_segment(segment))
            if progress and index > done:
                done = index
                progress(0.8 * index / len(chunks))

        language = info.language
        result = AsrResult(segments=[], language=language,
                           language_probability=float(info.language_probability),
                           speech=speech)
        for index, (chunk, decoded_here) in enumerate(zip(chunks, per_chunk, strict=True)):
            result.segments += self._recover(model, samples, chunk, decoded_here, options,
                                             language)
            if progress:
                progress(0.8 + 0.2 * (index + 1) / len(chunks))
        return result

    def _recover(self, model, samples: np.ndarray, chunk: Chunk, segments: list[Segment],
                 options: AsrOptions, language: str) -> list[Segment]:
        if any(failed_quality(s.decoder or SegmentStats()) for s in segments):
            return decode_sequential(model, _cut(samples, chunk.start, chunk.end), options,
                                     language, offset=chunk.start).segments
        for start, end in uncovered_speech(segments, chunk.speech):
            again = decode_sequential(model, _cut(samples, start, end), options, language,
                                      offset=start)
            segments = sorted(segments + again.segments, key=lambda s: s.start)
        return segments


def failed_quality(stats: SegmentStats) -> bool:
    """Whisper's own criteria for retrying at a higher temperature."""
    if stats.no_speech_prob > NO_SPEECH_THRESHOLD and stats.avg_logprob < LOG_PROB_THRESHOLD:
        return False  # silence, correctly left empty
    return (stats.compression_ratio > COMPRESSION_RATIO_THRESHOLD
            or stats.avg_logprob < LOG_PROB_THRESHOLD)


def uncovered_speech(segments: list[Segment], speech: list[tuple[float, float]],
                     min_duration: float = MIN_UNCOVERED_SPEECH,
                     padding: float = WORD_PADDING) -> list[tuple[float, float]]:
    """Spans of speech that no decoded word covers, merged, at least `min_duration` of
    speech long."""
    covered = sorted(
        (w.start - padding, w.end + padding)
        for s in segments
        for w in (s.words or [])
        if w.start is not None and w.end is not None
    )
    if not covered:  # no word times: trust segment times
        covered = sorted((s.start - padding, s.end + padding) for s in segments)
    gaps: list[tuple[float, float]] = []
    for start, end in speech:
        cursor = start
        for c_start, c_end in covered:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start > cursor:
                gaps.append((cursor, c_start))
            cursor = max(cursor, c_end)
        if cursor < end:
            gaps.append((cursor, end))
    merged: list[list[float]] = []
    for start, end in gaps:
        if merged and start - merged[-1][1] < 1.0:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    # Short leftovers are breaths and word edges, not lost sentences.
    return [(s, e) for s, e in merged if e - s >= min_duration]


def _cut(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    return samples[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)]

