"""What every ASR engine takes and returns."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ..models import ModelStore
from ..options import AsrOptions, ModelSettings, resolve_device
from ..transcript import Segment, SegmentStats

Progress = Callable[[float], None]  # fraction done, 0..1

__all__ = ["AsrOptions", "AsrResult", "Engine", "ModelSettings", "Progress", "SegmentStats",
           "available_cpus", "cpu_threads", "limit_torch_threads", "resolve_compute_type",
           "resolve_device"]

# A container's CPU limit (cgroup v2): "<quota> <period>" in microseconds, or "max <period>".
CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


@dataclass
class AsrResult:
    segments: list[Segment]  # each with its decoder statistics (Segment.decoder)
    language: str
    language_probability: float | None = None
    # Speech regions (seconds) when the engine ran a VAD; the guard reuses them.
    speech: list[tuple[float, float]] | None = None
    # Where the guard took text out (asr/guard.py): loops, guesses, repeated sentences.
    removed: list[tuple[float, float]] = field(default_factory=list)


class Engine(Protocol):
    name: str
    model_kind: str  # the models.py kind of weights it loads: ModelStore.models(model_kind)

    def __init__(self, store: ModelStore, model: ModelSettings) -> None: ...

    def transcribe(self, samples: np.ndarray, options: AsrOptions,
                   progress: Progress | None = None) -> AsrResult: ...


def resolve_compute_type(device: str, compute_type: str | None) -> str:
    if compute_type:
        return compute_type
    return "float16" if device == "cuda" else "int8"


def cpu_threads(requested: int) -> int:
    return requested or available_cpus()


def limit_torch_threads(requested: int) -> None:
    """torch's CPU stages (VAD, alignment, pyannote) on the CPUs this process may use.
    torch's default counts the cores it sees: in a pod, the node's, not its CPU limit, and
    threads beyond the quota wait their turn (8 threads on 2 cores: pyannote 1.8 times
    slower on the 10-minute interview, README)."""
    import torch

    threads = cpu_threads(requested)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def available_cpus() -> int:
    """The CPUs this process may use: those it is pinned to, within its container's CPU
    limit (cgroup v2 cpu.max). os.cpu_count() says the node's, 64 where a pod gets 8."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    try:
        quota, period = CPU_MAX.read_text().split()[:2]
        if quota != "max":
            count = min(count, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return count
