"""Run the stages in order on one recording: decode, ASR (with VAD), guard, alignment,
diarization, speaker assignment and roles. Reports progress per stage and times each.

The CLI and the web app's worker both call `run`; nothing else strings stages together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .align import align_segments, alignment_available, fill_missing_times
from .asr import DEFAULT_ENGINE, AsrOptions, ModelSettings, get_engine, model_kind
from .asr.guard import apply_guard
from .audio import Audio, load_audio
from .bound import bound_segments, intersect, speech_for_bound
from .diarize import (
    Diarization,
    SpeakerTurn,
    analyse_stereo,
    diarize_by_channel,
    diarize_with_pyannote,
)
from .i18n import UserFacingError
from .models import ModelStore
from .plain import from_known_fields
from .speakers import (
    SpeakerOptions,
    TurnIndex,
    apply_names,
    apply_roles,
    assign_words,
    guess_roles,
    mark_overlaps,
    name_speakers,
    smooth_speakers,
    split_by_speaker,
)
from .transcript import Notice, Segment, Transcript

# Share of the total work per stage, for one overall progress figure and its ETA.
STAGE_WEIGHTS = {"decode": 0.03, "asr": 0.72, "align": 0.05, "diarize": 0.18, "assign": 0.02}

StageProgress = Callable[[str, float], None]  # (stage, fraction of that stage done)


class Cancelled(Exception):
    """The user cancelled the job."""


@dataclass
class PipelineOptions:
    engine: str = DEFAULT_ENGINE
    model: ModelSettings = field(default_factory=ModelSettings)  # loaded once per run
    asr: AsrOptions = field(default_factory=AsrOptions)  # decoding
    # Remove repetition loops and text written over silence.
    guard: bool = True
    normalize: bool = True
    # Word alignment with wav2vec2 when a model for the language is on disk.
    align: bool = True
    # Who speaks when, then interviewer / interviewee roles.
    diarize: bool = False
    speakers: SpeakerOptions = field(default_factory=SpeakerOptions)
    # Language of speaker labels (Enquêteur·rice / Interviewer).
    ui_language: str = "fr"
    # Word times clipped to detected speech (bound.py); off only to measure it (bench).
    bound_words: bool = True

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PipelineOptions:
        """The inverse of to_dict(); unknown keys (from an older or newer version) are
        ignored rather than fatal."""
        data = dict(data or {})
        asr_data = dict(data.pop("asr", {}) or {})
        if "temperatures" in asr_data:
            asr_data["temperatures"] = tuple(asr_data["temperatures"])
        model_data = data.pop("model", None)
        if not isinstance(model_data, dict):  # older records: all of it under "asr"
            model_data = {**asr_data, "name": asr_data.get("model", ModelSettings.name)}
            data.setdefault("guard", asr_data.get("guard", True))
        speakers = from_known_fields(SpeakerOptions, dict(data.pop("speakers", {}) or {}))
        return from_known_fields(cls, {**data, "asr": from_known_fields(AsrOptions, asr_data),
                                       "model": from_known_fields(ModelSettings, model_data),
                                       "speakers": speakers})


def pipeline_options_from_dict(data: dict[str, Any]) -> PipelineOptions:
    return PipelineOptions.from_dict(data)


def overall_fraction(stage: str, fraction: float, stages: list[str],
                     weights: Mapping[str, float] | None = None) -> float:
    """Progress over the whole run, from the progress of one of its stages, each stage
    weighted by `weights` (by default fixed shares: `STAGE_WEIGHTS`)."""
    weights = {s: (STAGE_WEIGHTS if weights is None else weights).get(s, 0.0) for s in stages}
    total = sum(weights.values()) or 1.0
    before = 0.0
    for name in stages:
        if name == stage:
            return min(1.0, (before + weights[name] * fraction) / total)
        before += weights[name]
    return min(1.0, before / total)


def stages_for(options: PipelineOptions) -> list[str]:
    stages = ["decode", "asr"]
    if options.align:
        stages.append("align")
    if options.diarize:
        stages += ["diarize", "assign"]
    return stages


def run(path: str | Path, options: PipelineOptions | None = None,
        store: ModelStore | None = None, progress: StageProgress | None = None,
        cancelled: Callable[[], bool] | None = None) -> Transcript:
    options = options or PipelineOptions()
    store = store or ModelStore()
    path = Path(path)
    model = options.model.resolved()  # the device, worked out once for every stage
    device = model.device
    timings: dict[str, float] = {}
    notes: dict[str, object] = {}

    def report(stage: str, fraction: float) -> None:
        if cancelled and cancelled():
            raise Cancelled()
        if progress:
            progress(stage, fraction)

    def timed(stage: str):
        return _Stage(stage, timings, report)

    if options.diarize:
        exact, minimum, maximum = options.speakers.counts()  # bad counts fail before work

    with timed("decode"):
        audio: Audio = load_audio(path, normalize=options.normalize)

    channel_mode = options.diarize and _one_speaker_per_channel(audio, options.speakers.stereo)
    notices = list(audio.warnings)
    if options.diarize and options.speakers.stereo == "on" and audio.n_channels != 2:
        # Asked for, but impossible: say so, and tell speakers apart by voice instead.
        notices.append(Notice("speakers.stereo_unavailable",
                              {"name": path.name, "channels": audio.n_channels}))
    if not channel_mode:
        audio.mix_to_mono()  # one decoded copy from here on, not channels and a mix
    # What each ASR pass hears: the mix, or each person's own microphone.
    tracks = ([(f"SPEAKER_{i:02d}", audio.channels[i]) for i in range(audio.n_channels)]
              if channel_mode else [(None, audio.mono)])

    engine = get_engine(options.engine, store, model)
    segments: list[Segment] = []
    language = options.asr.language
    guard_reports = []
    with timed("asr"):
        for index, (speaker, samples) in enumerate(tracks):
            def asr_progress(fraction: float, index: int = index) -> None:
                report("asr", (index + fraction) / len(tracks))

            result = engine.transcribe(samples, options.asr, asr_progress)
            if options.guard:
                guard_reports.append(asdict(apply_guard(result, samples)))
            language = language or result.language
            for segment in result.segments:
                segment.speaker = speaker
                for word in segment.words:
                    word.speaker = speaker
            segments += result.segments
    segments.sort(key=lambda s: s.start)

    if options.align:
        with timed("align"):
            notes["alignment"] = "wav2vec2" if alignment_available(store, language) \
                else "whisper"
            aligned = []
            for speaker, samples in tracks:
                own = [s for s in segments if s.speaker == speaker]
                aligned += align_segments(own, samples, store, language or "", device)
            segments = sorted(aligned, key=lambda s: s.start)
    for segment in segments:
        fill_missing_times(segment.words, segment.start, segment.end)

    channels = None  # the channel diarization: computed once, for the bound and speakers
    if options.bound_words:
        # Part of word timing for progress; timed on its own.
        with _Stage("bound", timings, lambda stage, fraction: None):
            if channel_mode:
                channels = diarize_by_channel(audio.channels, device)
                # A channel's speech (tight) where its speaker's turns say it is theirs
                # (loose edges, but no crosstalk).
                regions = {speaker: intersect(speech_for_bound(samples),
                                              [(t.start, t.end) for t in channels.turns
                                               if t.speaker == speaker])
                           for speaker, samples in tracks}
            else:
                regions = {None: speech_for_bound(audio.mono)}
            notes["bound"] = asdict(bound_segments(segments, regions))
        segments.sort(key=lambda s: s.start)

    transcript = Transcript(
        language=language,
        duration=audio.duration,
        segments=segments,
        source=path.name,
        model=model.name,
        engine=engine.name,
        timings=timings,
        options={
            **options.to_dict(),
            "guard": guard_reports,
            "gain": audio.gain,
        },
        notices=notices,
    )

    if options.diarize:
        with timed("diarize"):
            if channel_mode:
                diarization = channels or diarize_by_channel(audio.channels, device)
            elif exact == 1:
                diarization = Diarization([SpeakerTurn(0.0, audio.duration, "SPEAKER_00")],
                                          "single")
            else:
                diarization = diarize_with_pyannote(
                    audio.mono, store.diarization_path(), device, num_speakers=exact,
                    min_speakers=minimum, max_speakers=maximum,
                    progress=lambda f: report("diarize", f))
        notes["diarization"] = diarization.method
        with timed("assign"):
            assign_speakers(transcript, diarization, channel_mode, options)
        if transcript.segments:
            transcript.notices.extend(count_warnings(
                len(transcript.speakers), exact, minimum, maximum, path.name))
    transcript.options.update(notes)

    if not transcript.segments:
        # Not an error: the transcript is valid and empty, but the user must know why.
        warn(transcript, "asr.no_speech", name=path.name)
    return transcript


def assign_speakers(transcript: Transcript, diarization: Diarization, channel_mode: bool,
                    options: PipelineOptions) -> None:
    """Words to speakers, speakers to turns, then names and roles."""
    if channel_mode:
        transcript.segments = drop_crosstalk(transcript.segments, diarization.turns)
    else:
        assign_words(transcript.segments, diarization.word_turns)
        words = [w for s in sorted(transcript.segments, key=lambda s: s.start) for w in s.words]
        # Smoothing needs the overlapping turns: a short turn over someone else's speech
        # is not a real answer.
        smooth_speakers(words, diarization.turns)
        transcript.segments = split_by_speaker(transcript.segments)
    mark_overlaps(transcript.segments, diarization.overlaps)
    name_speakers(transcript, options.ui_language)
    guess = guess_roles(transcript)
    # Two people: interviewer and interviewee. A group: only when the interviewer is clear.
    if len(transcript.speakers) == 2 or (len(transcript.speakers) > 2
                                         and guess.confidence >= GROUP_ROLE_CONFIDENCE):
        apply_roles(transcript, guess, options.ui_language)
    unmatched = apply_names(transcript, options.speakers.names)
    if unmatched:
        warn(transcript, "speakers.unknown_names", names=", ".join(unmatched),
             speakers=", ".join(s.name for s in transcript.speakers.values()) or "-")


def warn(transcript: Transcript, key: str, **params: object) -> None:
    """A message (i18n key) the user must read with the transcript."""
    transcript.notices.append(Notice(key, params))


GROUP_ROLE_CONFIDENCE = 0.6


def count_warnings(found: int, exact: int | None, minimum: int | None,
                   maximum: int | None, name: str) -> list[Notice]:
    """A warning when the transcript has another number of speakers than was asked for
    (pyannote cannot make a cluster of a voice heard for a second or two)."""
    if exact is not None:
        if found == exact:
            return []
        asked = str(exact)
    elif (minimum or 1) <= found <= (maximum or found):
        return []
    else:
        asked = f"{minimum or 1}-{maximum}" if maximum else f">= {minimum}"
    return [Notice("speakers.count_mismatch", {"name": name, "found": found, "asked": asked})]


def drop_crosstalk(segments: list[Segment], turns: list[SpeakerTurn]) -> list[Segment]:
    """With one microphone per person, each microphone also picks up the other voice,
    quieter; a word a channel's recognition heard while its own speaker was silent is the
    other person's, already transcribed on their channel."""
    kept = []
    index = TurnIndex(turns)
    for segment in segments:
        words = [w for w in segment.words
                 if w.start is None or any(t.speaker == segment.speaker for t in
                                           index.overlapping(w.start - 0.3, w.end + 0.3))]
        if not words:
            continue
        if len(words) < len(segment.words):
            segment.words = words
            segment.text = "".join(w.word for w in words).strip()
            segment.start = words[0].start if words[0].start is not None else segment.start
            segment.end = words[-1].end if words[-1].end is not None else segment.end
        kept.append(segment)
    return sorted(kept, key=lambda s: s.start)


def _one_speaker_per_channel(audio: Audio, stereo: str) -> bool:
    if stereo == "off" or audio.n_channels != 2:
        return False
    return stereo == "on" or analyse_stereo(audio.channels).one_speaker_per_channel


class _Stage:
    """Times a stage and reports its start and end."""

    def __init__(self, name: str, timings: dict[str, float], report):
        self.name, self.timings, self.report = name, timings, report

    def __enter__(self):
        self.report(self.name, 0.0)
        self.started = time.perf_counter()
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.timings[self.name] = round(time.perf_counter() - self.started, 3)
            self.report(self.name, 1.0)
        return False


def check_options(options: PipelineOptions, store: ModelStore) -> None:
    """Fail before decoding when a model is missing or an option is wrong (cheap, and the
    message is clear)."""
    store.model_path(model_kind(options.engine), options.model.name)
    if options.diarize:
        exact, _, _ = options.speakers.counts()
        if exact != 1 and options.speakers.stereo != "on":
            store.diarization_path()


__all__ = ["Cancelled", "PipelineOptions", "UserFacingError", "check_options",
           "overall_fraction", "pipeline_options_from_dict", "run", "stages_for"]
