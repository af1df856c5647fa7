"""openai-whisper: the engine of the tutorial our users follow today, kept for parity and
side-by-side comparison. Loads the checkpoints that openai_checkpoint converts."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ..models import OPENAI_WHISPER, ModelStore
from ..transcript import Segment, SegmentStats, Word
from .base import AsrOptions, AsrResult, ModelSettings, Progress, limit_torch_threads


@lru_cache(maxsize=1)
def load_checkpoint(path: Path, device: str):
    import torch
    from whisper.model import ModelDimensions, Whisper

    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    dims = ModelDimensions(**checkpoint["dims"])
    model = Whisper(dims)
    model.load_state_dict(checkpoint["model_state_dict"])
    heads = checkpoint.get("alignment_heads")
    if heads:
        # The heads whose cross-attention follows the audio: word timestamps rely on them.
        mask = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    model = model.to(device)
    return model.half() if device == "cuda" else model.float()


class OpenAIWhisperEngine:
    name = "openai-whisper"
    model_kind = OPENAI_WHISPER

    def __init__(self, store: ModelStore, model: ModelSettings):
        self.store, self.model = store, model

    def transcribe(self, samples: np.ndarray, options: AsrOptions,
                   progress: Progress | None = None) -> AsrResult:
        import torch
        import whisper

        device = self.model.device
        if device == "cpu":
            limit_torch_threads(self.model.cpu_threads)
        model = load_checkpoint(self.store.openai_whisper_path(self.model.name), device)
        # Temperature fallback samples at random: seeded per recording, the same recording
        # gives the same transcript.
        torch.manual_seed(options.seed)
        decode_options = {"beam_size": options.beam_size, "best_of": options.beam_size}
        result = whisper.transcribe(
            model,
            samples.astype(np.float32),
            language=options.language,
            task="transcribe",
            temperature=options.temperatures,
            condition_on_previous_text=options.condition_on_previous_text,
            initial_prompt=options.initial_prompt or None,
            word_timestamps=options.word_timestamps,
            fp16=device == "cuda",
            verbose=None,
            **decode_options,
        )
        ours = AsrResult(segments=[], language=result.get("language") or "")
        for segment in result["segments"]:
            words = [Word(start=float(w["start"]), end=float(w["end"]), word=w["word"],
                          probability=float(w["probability"]))
                     for w in segment.get("words", [])]
            ours.segments.append(Segment(
                start=float(segment["start"]), end=float(segment["end"]),
                text=segment["text"].strip(), words=words,
                decoder=SegmentStats(float(segment["avg_logprob"]),
                                     float(segment["no_speech_prob"]),
                                     float(segment["compression_ratio"]),
                                     float(segment.get("temperature", 0.0)))))
        if progress:
            progress(1.0)
        return ours
