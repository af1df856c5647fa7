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
DEFAULT_ENGINE = WhisperXEngine.name


def get_engine(name: str, store: ModelStore | None = None) -> Engine:
    try:
        engine_class = ENGINES[name]
    except KeyError:
        raise UserFacingError("engine.unknown", name=name,
                              available=", ".join(ENGINES)) from None
    return engine_class(store or ModelStore())


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "AsrOptions",
    "AsrResult",
    "Engine",
    "SegmentStats",
    "get_engine",
    "resolve_device",
]
