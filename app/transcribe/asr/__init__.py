"""ASR engines behind one interface, chosen by name."""

from __future__ import annotations

from ..i18n import UserFacingError
from ..models import ModelStore
from ..options import AUTO, DEFAULT_ENGINE
from .base import AsrOptions, AsrResult, Engine, ModelSettings, SegmentStats, resolve_device
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
AUTO_ENGINES = {"cuda": WhisperXEngine.name, "cpu": FasterWhisperEngine.name}
# What a user may choose, in the order the CLI and the web app show.
ENGINE_CHOICES = (AUTO, *sorted(ENGINES))


def engine_for(name: str, device: str) -> str:
    """The engine a choice means on a device already resolved (cpu or cuda)."""
    if name != AUTO:
        return name
    return AUTO_ENGINES["cuda" if device == "cuda" else "cpu"]


def model_kind(name: str) -> str:
    """The kind of model (models.py) an engine choice loads; "auto" picks among engines
    of one kind, so the answer needs no device."""
    names = AUTO_ENGINES.values() if name == AUTO else [name]
    kinds = {ENGINES[n].model_kind for n in names if n in ENGINES}
    if len(kinds) != 1:
        raise _unknown(name)
    return kinds.pop()


def get_engine(name: str, store: ModelStore | None = None,
               model: ModelSettings | None = None) -> Engine:
    """An engine for `model`; the pipeline passes its device resolved, other callers
    (tests, bench) may leave it "auto"."""
    model = (model or ModelSettings()).resolved()
    try:
        engine_class = ENGINES[engine_for(name, model.device)]
    except KeyError:
        raise _unknown(name) from None
    return engine_class(store or ModelStore(), model)


def _unknown(name: str) -> UserFacingError:
    return UserFacingError("engine.unknown", name=name, available=", ".join(ENGINE_CHOICES))


__all__ = [
    "AUTO",
    "AUTO_ENGINES",
    "DEFAULT_ENGINE",
    "ENGINES",
    "ENGINE_CHOICES",
    "AsrOptions",
    "AsrResult",
    "Engine",
    "ModelSettings",
    "SegmentStats",
    "engine_for",
    "get_engine",
    "model_kind",
    "resolve_device",
]
