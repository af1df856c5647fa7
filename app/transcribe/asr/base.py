"""What every ASR engine takes and returns."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from ..models import ModelStore
from ..transcript import Segment

Progress = Callable[[float], None]  # fraction done, 0..1

DEFAULT_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass
class ModelSettings:
    """Load-time settings: which weights, on what hardware. An engine is made with them."""

    name: str = "base"
    device: str = "auto"  # auto: cuda when present, else cpu (resolved once, by the caller)
    compute_type: str | None = None  # None: float16 on cuda, int8 on cpu
    cpu_threads: int = 0  # 0: all cores

    def resolved(self) -> ModelSettings:
        """The same settings with "auto" replaced by the device it means here."""
        return replace(self, device=resolve_device(self.device))


@dataclass
class AsrOptions:
    """Decoding settings, given with each recording."""

    language: str | None = None  # None: detect
    # Names, places and jargon the recording contains: steers Whisper's spelling.
    initial_prompt: str | None = None
    beam_size: int = 5
    batch_size: int = 8
    # Off by default: conditioning on earlier text is what lets one error loop for minutes.
    condition_on_previous_text: bool = False
    temperatures: tuple[float, ...] = DEFAULT_TEMPERATURES
    word_timestamps: bool = True
    # Seeds whatever samples at random (the temperature fallback): the same recording,
    # options and model give the same transcript on the same machine (faster_whisper.py).
    seed: int = 1234


@dataclass
class SegmentStats:
    """Decoder confidence for one segment, used by the guard."""

    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    # The decoding temperature that produced it: above 0, every greedier try failed.
    temperature: float = 0.0


@dataclass
class AsrResult:
    segments: list[Segment]
    language: str
    language_probability: float | None = None
    stats: list[SegmentStats] = field(default_factory=list)
    # Speech regions (seconds) when the engine ran a VAD; the guard reuses them.
    speech: list[tuple[float, float]] | None = None


class Engine(Protocol):
    name: str
    model_kind: str  # the models.py kind of weights it loads: ModelStore.models(model_kind)

    def __init__(self, store: ModelStore, model: ModelSettings) -> None: ...

    def transcribe(self, samples: np.ndarray, options: AsrOptions,
                   progress: Progress | None = None) -> AsrResult: ...


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import ctranslate2

        if ctranslate2.get_cuda_device_count() > 0:
            return "cuda"
    except Exception:  # noqa: BLE001 - no CUDA runtime at all: CPU it is
        pass
    return "cpu"


def resolve_compute_type(device: str, compute_type: str | None) -> str:
    if compute_type:
        return compute_type
    return "float16" if device == "cuda" else "int8"


def cpu_threads(requested: int) -> int:
    return requested or available_cpus()


def available_cpus() -> int:
    """The CPUs this process may use: those it is pinned to, within its container's CPU
    limit (cgroup v2 cpu.max). os.cpu_count() says the node's, 64 where a pod gets 8."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            count = min(count, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return count
