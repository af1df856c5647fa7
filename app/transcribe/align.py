"""Word timing: WhisperX's wav2vec2 forced alignment when the models folder has an
alignment model for the language, else Whisper's own word timestamps. Either way no word
is dropped: words the aligner cannot time (numbers, symbols) get interpolated times.

Precise word times matter for speakers: a word is given to whoever speaks at its time.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from .models import ModelStore
from .transcript import Segment, Word

# Punkt's parameter files; empty ones give rule-based sentence splitting, which is all
# WhisperX needs to cut our (already short) segments.
_PUNKT_FILES = ("collocations.tab", "sent_starters.txt", "abbrev_types.txt",
                "ortho_context.tab")
_PUNKT_LANGUAGES = {"fr": "french", "en": "english", "de": "german", "es": "spanish",
                    "it": "italian", "pt": "portuguese", "nl": "dutch"}


@dataclass(frozen=True)
class Aligner:
    """The wav2vec2 model of one language, found once per run (`find_aligner`)."""

    path: Path
    language: str
    models_root: Path  # where a baked NLTK data folder may be


def find_aligner(store: ModelStore, language: str | None) -> Aligner | None:
    """The alignment model for `language`, or None: Whisper's own word times stay."""
    path = store.alignment_path(language) if language else None
    return Aligner(path, language, store.root) if path and language else None


@lru_cache(maxsize=2)
def load_alignment_model(path: Path, language: str, device: str):
    import whisperx

    from .logs import quiet_libraries

    quiet_libraries()
    return whisperx.load_align_model(language, device, model_name=str(path),
                                     model_cache_only=True)


def align_segments(segments: list[Segment], samples: np.ndarray, aligner: Aligner | None,
                   device: str = "cpu") -> list[Segment]:
    """Segments with wav2vec2 word times (same texts, same order); the segments as they
    are without an aligner (no model for the language)."""
    if aligner is None or not segments:
        return segments
    import whisperx

    _ensure_sentence_splitter(aligner)
    model, metadata = load_alignment_model(aligner.path, aligner.language, device)
    aligned: list[Segment] = []
    for segment in segments:
        result = whisperx.align([{"start": segment.start, "end": segment.end,
                                  "text": segment.text}], model, metadata, samples, device)
        words = [Word(w.get("start"), w.get("end"), " " + w["word"], w.get("score"),
                      segment.speaker)
                 for s in result["segments"] for w in s.get("words", [])]
        aligned.append(_with_words(segment, words))
    return aligned


def _with_words(segment: Segment, aligned_words: list[Word]) -> Segment:
    """Keep the segment's text; take the aligner's words only if it returned every one
    of them (it may drop characters it cannot map, never our words)."""
    if [w.word.strip() for w in aligned_words] != segment.text.split():
        return segment
    # Probabilities stay Whisper's: the aligner's score is not a recognition confidence.
    previous = {i: w.probability for i, w in enumerate(segment.words)} \
        if len(segment.words) == len(aligned_words) else {}
    for index, word in enumerate(aligned_words):
        word.probability = previous.get(index, None)
    fill_missing_times(aligned_words, segment.start, segment.end)
    return Segment(segment.start, segment.end, segment.text, segment.speaker, aligned_words,
                   segment.overlap, segment.decoder)


class Timed(Protocol):
    start: float | None
    end: float | None


T = TypeVar("T", bound=Timed)


def interpolate_times(items: Sequence[T], start: float, end: float,
                      weight: Callable[[T], float] = lambda _: 1.0) -> None:
    """Give each run of items without times the gap their timed neighbours leave (`start`
    and `end` where there is none), shared in proportion to `weight`."""
    index = 0
    while index < len(items):
        if items[index].start is not None and items[index].end is not None:
            index += 1
            continue
        first = index
        while index < len(items) and (items[index].start is None or items[index].end is None):
            index += 1
        left = items[first - 1].end if first > 0 else start
        right = items[index].start if index < len(items) else end
        left = start if left is None else left
        right = max(left, end if right is None else right)
        gap = items[first:index]
        weights = [weight(item) for item in gap]
        total, done = sum(weights), 0.0
        for item, share in zip(gap, weights, strict=True):
            item.start = round(left + (right - left) * done / total, 3)
            done += share
            item.end = round(left + (right - left) * done / total, 3)


def fill_missing_times(words: list[Word], start: float, end: float) -> None:
    """Give words without times (the aligner could not place them) times interpolated
    between their timed neighbours, in proportion to their length."""
    interpolate_times(words, start, end, lambda word: len(word.word.strip()) or 1)


def _ensure_sentence_splitter(aligner: Aligner) -> None:
    """WhisperX splits segments into sentences with NLTK's Punkt data, which it would
    download on first use; use the models folder's copy, else empty parameters (rule-based
    splitting) written under the temporary folder. Never the network."""
    import nltk

    name = _PUNKT_LANGUAGES.get(aligner.language, "english")
    baked = aligner.models_root / "nltk_data"
    if baked.is_dir() and str(baked) not in nltk.data.path:
        nltk.data.path.insert(0, str(baked))
    try:
        nltk.data.find(f"tokenizers/punkt_tab/{name}/")
        return
    except LookupError:
        pass
    root = Path(tempfile.gettempdir()) / "transcribe-nltk"
    folder = root / "tokenizers" / "punkt_tab" / name
    folder.mkdir(parents=True, exist_ok=True)
    for file_name in _PUNKT_FILES:
        (folder / file_name).touch()
    if str(root) not in nltk.data.path:
        nltk.data.path.insert(0, str(root))
