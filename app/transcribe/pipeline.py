"""Run the stages in order on one recording: decode, ASR (with VAD), guard, alignment,
diarization, speaker assignment and roles. Reports progress per stage and times each.

The CLI and the web app's worker both call `run`; nothing else strings stages together.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .asr import DEFAULT_ENGINE, AsrOptions, get_engine, resolve_device
from .asr.guard import apply_guard
from .audio import Audio, load_audio
from .i18n import UserFacingError
from .models import ModelStore
from .transcript import Transcript

# Share of the total work per stage, for one overall progress figure and its ETA.
STAGE_WEIGHTS = {"decode": 0.03, "asr": 0.72, "align": 0.05, "diarize": 0.18, "assign": 0.02}

StageProgress = Callable[[str, float], None]  # (stage, fraction of that stage done)


class Cancelled(Exception):
    """The user cancelled the job."""


@dataclass
class PipelineOptions:
    engine: str = DEFAULT_ENGINE
    asr: AsrOptions = field(default_factory=AsrOptions)
    normalize: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


def overall_fraction(stage: str, fraction: float, stages: list[str]) -> float:
    """Progress over the whole run, from the progress of one of its stages."""
    weights = {s: STAGE_WEIGHTS.get(s, 0.0) for s in stages}
    total = sum(weights.values()) or 1.0
    before = 0.0
    for name in stages:
        if name == stage:
            return min(1.0, (before + weights[name] * fraction) / total)
        before += weights[name]
    return min(1.0, before / total)


def stages_for(options: PipelineOptions) -> list[str]:
    return ["decode", "asr"]


def run(path: str | Path, options: PipelineOptions | None = None,
        store: ModelStore | None = None, progress: StageProgress | None = None,
        cancelled: Callable[[], bool] | None = None) -> Transcript:
    options = options or PipelineOptions()
    store = store or ModelStore()
    path = Path(path)
    timings: dict[str, float] = {}

    def report(stage: str, fraction: float) -> None:
        if cancelled and cancelled():
            raise Cancelled()
        if progress:
            progress(stage, fraction)

    report("decode", 0.0)
    started = time.perf_counter()
    audio: Audio = load_audio(path, normalize=options.normalize)
    timings["decode"] = time.perf_counter() - started
    report("decode", 1.0)

    engine = get_engine(options.engine, store)
    report("asr", 0.0)
    started = time.perf_counter()
    samples = audio.mono
    result = engine.transcribe(samples, options.asr, lambda f: report("asr", f))
    guard_report = None
    if options.asr.guard:
        guard_report = apply_guard(result, samples, resolve_device(options.asr.device))
    timings["asr"] = time.perf_counter() - started
    report("asr", 1.0)

    transcript = Transcript(
        language=result.language or options.asr.language,
        duration=audio.duration,
        segments=result.segments,
        source=path.name,
        model=options.asr.model,
        engine=options.engine,
        timings=timings,
        options={
            **options.to_dict(),
            "warnings": [{"key": w.key, "params": w.params} for w in audio.warnings],
            "guard": asdict(guard_report) if guard_report else None,
            "gain": audio.gain,
        },
    )
    if not transcript.segments:
        # Not an error: the transcript is valid and empty, but the user must know why.
        transcript.options["warnings"].append(
            {"key": "asr.no_speech", "params": {"name": path.name}})
    return transcript


def check_options(options: PipelineOptions, store: ModelStore) -> None:
    """Fail before decoding when a model is missing (cheap, and the message is clear)."""
    if options.engine == "openai-whisper":
        store.openai_whisper_path(options.asr.model)
    else:
        store.whisper_path(options.asr.model)


__all__ = ["Cancelled", "PipelineOptions", "UserFacingError", "check_options",
           "overall_fraction", "run", "stages_for"]
