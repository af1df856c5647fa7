"""faster-whisper, sequential: the reference every other engine is measured against.

On a CPU, a recording of a minute or more (CUT_FROM) is cut in silences into pieces decoded
side by side, one thread each (see pieces.py): decoding stays sequential within each piece.
A shorter one (one piece at most) is decoded whole by one worker with every thread, as by
the library."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..allocator import release_memory
from ..audio import SAMPLE_RATE
from ..models import WHISPER, ModelStore
from ..transcript import Segment, SegmentStats, Word
from ..vad import detect_speech
from .base import (
    AsrOptions,
    AsrResult,
    ModelSettings,
    Progress,
    cpu_threads,
    resolve_compute_type,
)
from .pieces import MIN_PIECE, plan_pieces
from .spectrogram import BlockwiseFeatures

# How often the main thread reports the progress of pieces decoded side by side.
PROGRESS_INTERVAL = 0.5


# Loaded models, most recently used last: two sets of weights at most, and each set in one
# layout (workers x threads) only: a worker given a short recording after long ones loads
# the weights again rather than hold a second copy (large-v3 on a CPU: 1.5 GB more).
_LOADED: OrderedDict[tuple, object] = OrderedDict()
_LOADED_MAX = 2
_LOADING = threading.Lock()


def load_whisper_model(path: Path, device: str, compute_type: str, threads: int,
                       workers: int = 1):
    """`workers` decodings may run at once, each with `threads` threads."""
    from faster_whisper import WhisperModel

    weights, layout = (path, device, compute_type), (threads, workers)
    with _LOADING:
        if (found := _LOADED.get(weights)) is not None and found.layout == layout:
            _LOADED.move_to_end(weights)
            return found
        _LOADED.pop(weights, None)  # its memory goes before the new copy's comes
        while len(_LOADED) >= _LOADED_MAX:
            _LOADED.popitem(last=False)
        model = WhisperModel(str(path), device=device, compute_type=compute_type,
                             cpu_threads=threads, num_workers=workers, local_files_only=True)
        model.load_args = (path, device, compute_type, threads)  # for load_sampler
        model.layout = layout
        model.feature_extractor = BlockwiseFeatures(model.feature_extractor)
        _LOADED[weights] = model
        return model


def _forget_loaded() -> None:
    with _LOADING:
        _LOADED.clear()


# As the other loaders' (functools.lru_cache): what the image's check calls between models.
load_whisper_model.cache_clear = _forget_loaded

# Held while a sampler's thread draws its first random number (load_sampler).
_SEEDING = threading.Lock()


def load_sampler(model, seed: int, encoded):
    """A one-worker CTranslate2 copy of `model`'s weights whose worker thread samples from
    `seed`; `encoded` is an encoder output to draw its first number with. It has as many
    threads as each of `model`'s workers (every thread for a recording decoded whole):
    CTranslate2 draws in the worker's own thread, the others only multiply matrices.

    CTranslate2 keeps one random generator per decoding thread, seeded from the global
    seed (ctranslate2.set_random_seed) when that thread first samples and never again, and
    a model with several workers hands each window to whichever thread is free: sampling
    through the shared model would differ from run to run. A new model has a new thread;
    it samples once here, under a lock, so that its generator starts from `seed` whatever
    other pieces set meanwhile."""
    import ctranslate2

    path, device, compute_type, threads = model.load_args
    sampler = ctranslate2.models.Whisper(str(path), device=device, compute_type=compute_type,
                                         intra_threads=threads, inter_threads=1)
    with _SEEDING:
        ctranslate2.set_random_seed(seed)
        start = model.hf_tokenizer.token_to_id("<|startoftranscript|>")
        # One token sampled after the encoder output given: a decoder step, no encoding.
        sampler.generate(encoded, [[start]], max_length=2, beam_size=1, sampling_topk=0,
                         sampling_temperature=1.0)
    return sampler


class _SeededSampling:
    """Stands for a model's CTranslate2 Whisper in one sequential decoding: greedy and beam
    windows go to the shared model, windows that fall back to sampling go to a sampler of
    this decoding's own (load_sampler), loaded when it first samples. Its generator then
    sees this decoding's windows only, in order: the same draws at every run, without
    decoding anything twice."""

    def __init__(self, model, seed: int):
        self._model, self._seed = model, seed
        self._shared, self._sampler = model.model, None

    def __getattr__(self, name: str):
        return getattr(self._shared, name)

    def generate(self, encoded, prompts, **kwargs):
        if kwargs.get("sampling_temperature", 0.0) > 0 and kwargs.get("sampling_topk", 1) != 1:
            if self._sampler is None:
                self._sampler = load_sampler(self._model, self._seed, encoded)
            return self._sampler.generate(encoded, prompts, **kwargs)
        return self._shared.generate(encoded, prompts, **kwargs)

    def close(self) -> None:
        self._sampler = None  # its memory and thread go now, not at the next collection


@contextmanager
def seeded_sampling(model, seed: int):
    """`model` as one decoding sees it: its sampling seeded with `seed` (_SeededSampling).
    A shallow copy: weights, tokenizer and feature extractor are shared."""
    view = copy.copy(model)
    view.model = _SeededSampling(model, seed)
    try:
        yield view
    finally:
        view.model.close()


def piece_seed(seed: int, offset: float) -> int:
    """The seed of the decoding that starts `offset` seconds into the recording: the job's
    seed for the first (a recording decoded whole), a different one for each piece."""
    return (seed + round(offset * 1000)) % (1 << 32)


def layout_for(model: ModelSettings, parallel: bool = False) -> tuple[int, int]:
    """(workers, threads per worker) of `model_for(store, model, parallel)`."""
    threads = cpu_threads(model.cpu_threads)
    return cpu_layout(threads) if model.device == "cpu" and parallel else (1, threads)


def piece_workers(model: ModelSettings) -> int:
    """How many pieces `model_for(..., parallel=True)` decodes side by side."""
    return layout_for(model, parallel=True)[0]


def model_for(store: ModelStore, model: ModelSettings, parallel: bool = False):
    """The model for `model` (its device resolved: cpu or cuda); with `parallel` on a CPU,
    loaded for pieces decoded side by side (cpu_layout). Its `model.num_workers` says how
    many."""
    workers, threads = layout_for(model, parallel)
    return load_whisper_model(store.whisper_path(model.name), model.device,
                              resolve_compute_type(model.device, model.compute_type),
                              threads, workers)


# A recording is cut in pieces from this length (two windows: every piece at least one).
# On the 71 and 69 s dev sessions, two pieces each, decoded side by side on an otherwise
# idle 2-core machine: 8.3 s where one decoding with both threads (ours or the library's)
# takes 14.2 to 15.3 s, although each piece's last window, mostly padding, makes it 10
# windows encoded for 7 (bench/library.py, README). Only a machine whose second core is
# busy with other work makes the pieces cost more than they gain.
CUT_FROM = 2 * MIN_PIECE

# Workers beyond this gain little and each holds its own buffers (and shares one malloc
# arena, allocator.py): larger machines give each worker more threads instead.
MAX_WORKERS = 8


def cpu_layout(threads: int) -> tuple[int, int]:
    """(workers, threads per worker) for `threads` CPU threads. One thread per worker
    decodes fastest on 2 cores (measured); on larger machines two or more per worker keep
    the number of pieces, and the memory each worker needs, reasonable (not measured)."""
    workers = min(MAX_WORKERS, threads if threads <= 4 else threads // 2)
    return max(1, workers), max(1, threads // max(1, workers))


def convert_segment(segment) -> Segment:
    """A faster-whisper segment as ours, with its decoder statistics."""
    words = [Word(start=float(w.start), end=float(w.end), word=w.word,
                  probability=float(w.probability)) for w in (segment.words or [])]
    return Segment(start=float(segment.start), end=float(segment.end),
                   text=segment.text.strip(), words=words,
                   decoder=SegmentStats(float(segment.avg_logprob),
                                        float(segment.no_speech_prob),
                                        float(segment.compression_ratio),
                                        float(segment.temperature or 0.0)))


def decode_sequential(model, samples: np.ndarray, options: AsrOptions, language: str | None,
                      offset: float = 0.0, progress: Progress | None = None) -> AsrResult:
    """One sequential faster-whisper pass over `samples` (times shifted by `offset`),
    reproducible: windows that fall back to sampling draw from a generator seeded with
    `options.seed` and `offset` (seeded_sampling). Every window is decoded once, as by
    plain faster-whisper; the fallback costs at most one model load more."""
    with seeded_sampling(model, piece_seed(options.seed, offset)) as view:
        return _decode_once(view, samples, options, language, offset, progress)


def _decode_once(model, samples: np.ndarray, options: AsrOptions, language: str | None,
                 offset: float = 0.0, progress: Progress | None = None) -> AsrResult:
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
        ours = convert_segment(segment)
        if offset:
            shift(ours, offset)
        result.segments.append(ours)
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
    model_kind = WHISPER

    def __init__(self, store: ModelStore, model: ModelSettings):
        self.store, self.model = store, model

    def transcribe(self, samples: np.ndarray, options: AsrOptions,
                   progress: Progress | None = None) -> AsrResult:
        pieces, speech = [(0.0, samples.size / SAMPLE_RATE)], None
        # Pieces only where they pay (CUT_FROM) and where nothing links Whisper's windows
        # (conditioning on previous text would break at each cut). The plan comes before
        # any loading: the weights are loaded once, in the layout the plan needs.
        workers = piece_workers(self.model)
        if (workers > 1 and not options.condition_on_previous_text
                and samples.size >= CUT_FROM * SAMPLE_RATE):
            # The guard needs these speech regions anyway: they cost nothing extra.
            speech = detect_speech(samples)
            pieces = plan_pieces(samples, speech, workers)
            if progress:
                progress(0.0)  # a chance to cancel before decoding starts
        if len(pieces) == 1:
            # One decoding: one worker with every thread, as the library decodes.
            result = decode_sequential(model_for(self.store, self.model), samples, options,
                                       options.language, progress=progress)
        else:
            result = decode_pieces(model_for(self.store, self.model, parallel=True), samples,
                                   pieces, options, workers, progress)
        if speech is not None:
            result.speech = speech
        return result


def decode_pieces(model, samples: np.ndarray, pieces: list[tuple[float, float]],
                  options: AsrOptions, workers: int,
                  progress: Progress | None = None) -> AsrResult:
    """Decode `pieces` of `samples` side by side and join them in order. Progress is
    reported from the calling thread only; if reporting raises (the job was cancelled),
    the pieces stop at their next segment and the exception goes on."""
    language, probability = options.language, None
    if language is None and not model.model.is_multilingual:
        language, probability = "en", 1.0  # an English-only model (tiny.en)
    elif language is None:  # once for all pieces, on the first 30 s as without pieces
        language, probability, _ = model.detect_language(samples[: 30 * SAMPLE_RATE])
        if progress:
            progress(0.0)
    done = [0.0] * len(pieces)
    stop = threading.Event()
    total = samples.size / SAMPLE_RATE

    def decode(index: int) -> AsrResult:
        start, end = pieces[index]

        def piece_progress(fraction: float) -> None:
            if stop.is_set():
                raise _Stopped()
            done[index] = fraction * (end - start)

        try:
            return decode_sequential(model, samples[int(start * SAMPLE_RATE):
                                                    int(end * SAMPLE_RATE)],
                                     options, language, offset=start,
                                     progress=piece_progress)
        finally:
            # The buffers a piece freed go back to the system: in the one heap
            # (allocator.py) the next pieces' could not always reuse them, and a 3-hour
            # recording's 18 pieces left about 1 GB held (bench/length.py).
            release_memory()

    with ThreadPoolExecutor(workers, thread_name_prefix="asr-piece") as pool:
        futures = [pool.submit(decode, index) for index in range(len(pieces))]
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, PROGRESS_INTERVAL, FIRST_EXCEPTION)
                for future in finished:
                    future.result()  # a failed piece fails the recording
                if progress:
                    progress(min(1.0, sum(done) / total))
        except BaseException:
            stop.set()
            for future in futures:
                future.cancel()
            raise
    results = [future.result() for future in futures]
    joined = AsrResult(segments=[], language=language,
                       language_probability=(probability if probability is not None
                                             else results[0].language_probability))
    for result in results:
        joined.segments.extend(result.segments)
    return joined


class _Stopped(Exception):
    """A piece stops because another failed or the job was cancelled."""
