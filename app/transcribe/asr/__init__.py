"""ASR engines behind one interface, chosen by name."""

from __future__ import annotations

from ..i18n import UserFacingError
from ..models import ModelStore
from .base import AsrOptions, AsrResult, Engine, SegmentStats, resolve_device
from .faster_whisper import FasterWhisperEngine
from .openai_whisper import OpenAIWhisperEngine
from .whisperx import WhisperXEngine

ENGINES: dict[str, type] = {
    WhisperXEngine.name: WhisperXEngine,
    FasterWhisperEngine.name: FasterWhisperEngine,
    OpenAIWhisperEngine.name: OpenAIWhisperEngine,
}
# "auto": WhisperX's batched decoding where it pays (a GPU); on a CPU, batches gain
# nothing and its pyannote VAD costs 2 % of real time, so sequential faster-whisper is
# faster (make bench).
AUTO = "auto"
DEFAULT_ENGINE = AUTO
# What a user may choose, in the order the CLI and the web app show.
ENGINE_CHOICES = (AUTO, *sorted(ENGINES))


def engine_for(name: str, device: str = "auto") -> str:
    if name != AUTO:
        return name
    return WhisperXEngine.name if resolve_device(device) == "cuda" else FasterWhisperEngine.name


def get_engine(name: str, store: ModelStore | None = None, device: str = "auto") -> Engine:
    try:
        engine_class = ENGINES[engine_for(name, device)]
    except KeyError:
        raise UserFacingError("engine.unknown", name=name,
                              available=", ".join(ENGINE_CHOICES)) from None
    return engine_class(store or ModelStore())


__all__ = [
    "AUTO",
    "DEFAULT_ENGINE",
    "ENGINES",
    "ENGINE_CHOICES",
    "AsrOptions",
    "AsrResult",
    "Engine",
    "SegmentStats",
    "engine_for",
    "get_engine",
    "resolve_device",
]
