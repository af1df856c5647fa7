"""Run the stages in order on one recording: decode, ASR (with VAD), guard, alignment,
bound, diarization, speaker assignment and roles, then the speech left with no text
(gaps). Reports progress per stage and times each; what the run measured goes into the
transcript's `RunInfo`, apart from the options.

The CLI and the web app's worker both call `run`; nothing else strings stages together.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from copy import deepcopy
from pathlib import Path

import numpy as np

from .align import align_segments, fill_missing_times, find_aligner
from .asr import get_engine, model_kind
from .asr.base import limit_torch_threads
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
from .gaps import find_gaps, gaps_notice
from .i18n import UserFacingError
from .models import ModelStore
from .options import PipelineOptions
from .speakers import (
    TurnIndex,
    apply_names,
    apply_roles,
    assign_words,
    guess_roles,
    mark_overlaps,
    name_speakers,
    name_unheard_speakers,
    smooth_speakers,
    split_by_speaker,
)
from .transcript import Gap, Notice, RunInfo, Segment, Transcript

# Share of the total work per stage, for one overall progress figure and its ETA.
STAGE_WEIGHTS = {"decode": 0.03, "asr": 0.72, "align": 0.05, "diarize": 0.18, "assign": 0.02}

StageProgress = Callable[[str, float], None]  # (stage, fraction of that stage done)


class Cancelled(Exception):
    """The user cancelled the job."""


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
    """One recording through every stage, in order; each is a method of `_Run` below."""
    job = _Run(options or PipelineOptions(), store or ModelStore(), progress, cancelled)
    path = Path(path)
    if job.options.diarize:
        job.options.speakers.counts()  # bad counts fail before any work
    with job.stage("decode"):
        audio = job.decode(path)
    tracks = job.tracks(audio, path.name)  # the mix, or each person's own microphone
    with job.stage("asr"):
        segments, language = job.recognise(tracks)
    if job.options.align:
        with job.stage("align"):
            segments = job.align(segments, tracks, language)
    for segment in segments:  # words no stage could time: between their neighbours
        fill_missing_times(segment.words, segment.start, segment.end)
    if job.options.bound_words:
        with job.stage("bound", reported=False):  # part of word timing for progress
            job.bound(segments, audio, tracks)
    transcript = Transcript(language=language, duration=audio.duration, segments=segments,
                            source=path.name, model=job.model.name, engine=job.engine.name,
                            options=deepcopy(job.options), run=job.info, notices=job.notices)
    diarization = None
    if job.options.diarize:
        with job.stage("diarize"):
            diarization = job.diarize(audio)
        with job.stage("assign"):
            assign_speakers(transcript, diarization, job.channel_mode, job.options)
        if transcript.segments and (notice := speaker_count_notice(
                len(transcript.speakers), *job.options.speakers.counts(), path.name)):
            transcript.notices.append(notice)
    with job.stage("gaps", reported=False):  # a fraction of a second: no progress of its own
        transcript.gaps = job.gaps(transcript.segments, tracks, diarization)
    if transcript.speakers:
        name_unheard_speakers(transcript, job.options.ui_language)
    if notice := gaps_notice(transcript.gaps):
        transcript.notices.append(notice)
    if not transcript.segments:
        # Not an error: the transcript is valid and empty, but the user must know why.
        transcript.notices.append(Notice("asr.no_speech", {"name": path.name}))
    return transcript


Track = tuple[str | None, np.ndarray]  # (the speaker whose microphone it is, or None; samples)


class _Run:
    """One run's state: its options and models, what it has measured so far (`info`)
    and the notices for the reader; a method per stage."""

    def __init__(self, options: PipelineOptions, store: ModelStore,
                 progress: StageProgress | None, cancelled: Callable[[], bool] | None):
        self.options, self.store = options, store
        self.progress, self.cancelled = progress, cancelled
        self.model = options.model.resolved()  # the device, worked out once for every stage
        self.engine = get_engine(options.engine, store, self.model)
        self.torch_threads()
        self.info = RunInfo(device=self.model.device)
        self.notices: list[Notice] = []
        self.channel_mode = False  # one speaker per channel (two microphones)
        self.channels: Diarization | None = None  # their turns, once computed
        # Per track (its speaker, or None for the mix): speech regions as the bound found
        # them, and where the guard took text out.
        self.speech: dict[str | None, list[tuple[float, float]]] | None = None
        self.removed: dict[str | None, list[tuple[float, float]]] = {}

    def report(self, stage: str, fraction: float) -> None:
        if self.cancelled and self.cancelled():
            raise Cancelled()
        if self.progress:
            self.progress(stage, fraction)

    def torch_threads(self) -> None:
        """torch's stages (VAD, alignment, pyannote) on the CPUs this pod may use. Again
        after recognition: loading CTranslate2's weights sets this thread's OpenMP count,
        which torch shares, to its own per worker (one on 2 cores: pyannote 1.6 times
        slower on the 10-minute interview)."""
        if self.model.device == "cpu":
            limit_torch_threads(self.model.cpu_threads)

    def stage(self, name: str, reported: bool = True) -> _Stage:
        return _Stage(name, self.info.timings, self.report if reported else None)

    def decode(self, path: Path) -> Audio:
        audio = load_audio(path, normalize=self.options.normalize)
        self.info.gain = audio.gain
        self.notices += audio.notices
        return audio

    def tracks(self, audio: Audio, name: str) -> list[Track]:
        """What recognition hears: each channel on its own when each is one person's
        microphone, else the mix (one decoded copy from here on)."""
        speakers = self.options.speakers
        self.channel_mode = self.options.diarize and _one_speaker_per_channel(
            audio, speakers.stereo)
        if self.options.diarize and speakers.stereo == "on" and audio.n_channels != 2:
            # Asked for, but impossible: say so, and tell speakers apart by voice instead.
            self.notices.append(Notice("speakers.stereo_unavailable",
                                       {"name": name, "channels": audio.n_channels}))
        if not self.channel_mode:
            audio.mix_to_mono()
            return [(None, audio.mono)]
        return [(f"SPEAKER_{i:02d}", audio.channels[i]) for i in range(audio.n_channels)]

    def recognise(self, tracks: list[Track]) -> tuple[list[Segment], str | None]:
        """Whisper on each track, then the guard; the language asked, else detected."""
        segments: list[Segment] = []
        language = self.options.asr.language
        for index, (speaker, samples) in enumerate(tracks):
            def asr_progress(fraction: float, index: int = index) -> None:
                self.report("asr", (index + fraction) / len(tracks))

            result = self.engine.transcribe(samples, self.options.asr, asr_progress)
            if self.options.guard:
                self.info.guard.append(apply_guard(result, samples))
                self.removed[speaker] = result.removed
            language = language or result.language
            for segment in result.segments:
                segment.speaker = speaker
                for word in segment.words:
                    word.speaker = speaker
            segments += result.segments
        self.torch_threads()
        return sorted(segments, key=lambda s: s.start), language

    def align(self, segments: list[Segment], tracks: list[Track],
              language: str | None) -> list[Segment]:
        """wav2vec2 word times where the language has a model (found once), else
        Whisper's own."""
        aligner = find_aligner(self.store, language)
        self.info.alignment = "wav2vec2" if aligner else "whisper"
        aligned = []
        for speaker, samples in tracks:
            own = [s for s in segments if s.speaker == speaker]
            aligned += align_segments(own, samples, aligner, self.model.device)
        return sorted(aligned, key=lambda s: s.start)

    def bound(self, segments: list[Segment], audio: Audio, tracks: list[Track]) -> None:
        """Word times clipped to the speech of their own track."""
        if self.channel_mode:
            self.channels = diarize_by_channel(audio.channels, self.model.device)
        self.speech = own_speech(tracks, self.channels.turns if self.channels else None)
        self.info.bound = bound_segments(segments, self.speech)
        segments.sort(key=lambda s: s.start)

    def gaps(self, segments: list[Segment], tracks: list[Track],
             diarization: Diarization | None) -> list[Gap]:
        """The stretches of speech no word covers (gaps.py), on the regions the bound
        found (else found now: the same Silero VAD, under a second for 5 minutes)."""
        speech = self.speech
        if speech is None:
            speech = own_speech(tracks, diarization.turns if self.channel_mode
                                and diarization is not None else None)
        return find_gaps(segments, speech, self.removed,
                         diarization.turns if diarization is not None else None)

    def diarize(self, audio: Audio) -> Diarization:
        """Who speaks when: the channels, one speaker for one person, else pyannote."""
        if self.channel_mode:
            diarization = self.channels or diarize_by_channel(audio.channels,
                                                              self.model.device)
        elif not self.options.speakers.diarize:
            diarization = Diarization([SpeakerTurn(0.0, audio.duration, "SPEAKER_00")],
                                      "single")
        else:
            exact, minimum, maximum = self.options.speakers.counts()
            diarization = diarize_with_pyannote(
                audio.mono, self.store.diarization_path(), self.model.device,
                num_speakers=exact, min_speakers=minimum, max_speakers=maximum,
                progress=lambda f: self.report("diarize", f))
        self.info.diarization = diarization.method
        return diarization


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
        transcript.notices.append(Notice("speakers.unknown_names", {
            "names": ", ".join(unmatched),
            "speakers": ", ".join(s.name for s in transcript.speakers.values()) or "-"}))


GROUP_ROLE_CONFIDENCE = 0.6


def speaker_count_notice(found: int, exact: int | None, minimum: int | None,
                         maximum: int | None, name: str) -> Notice | None:
    """A notice when the transcript has another number of speakers than was asked for
    (pyannote cannot make a cluster of a voice heard for a second or two)."""
    if exact is not None:
        if found == exact:
            return None
        asked = str(exact)
    elif (minimum or 1) <= found <= (maximum or found):
        return None
    else:
        asked = f"{minimum or 1}-{maximum}" if maximum else f">= {minimum}"
    return Notice("speakers.count_mismatch", {"name": name, "found": found, "asked": asked})


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


def own_speech(tracks: list[Track],
               turns: list[SpeakerTurn] | None) -> dict[str | None, list[tuple[float, float]]]:
    """Each track's speech (Silero, tight: `speech_for_bound`); with one microphone per
    person (`turns`: the channels' own), only where the track's speaker's turns say it is
    theirs (loose edges, but no crosstalk)."""
    regions = {speaker: speech_for_bound(samples) for speaker, samples in tracks}
    if turns is None:
        return regions
    return {speaker: intersect(found, [(t.start, t.end) for t in turns if t.speaker == speaker])
            for speaker, found in regions.items()}


def _one_speaker_per_channel(audio: Audio, stereo: str) -> bool:
    if stereo == "off" or audio.n_channels != 2:
        return False
    return stereo == "on" or analyse_stereo(audio.channels).one_speaker_per_channel


class _Stage:
    """Times a stage and reports its start and end (unless `report` is None)."""

    def __init__(self, name: str, timings: dict[str, float],
                 report: StageProgress | None):
        self.name, self.timings = name, timings
        self.report = report or (lambda stage, fraction: None)

    def __enter__(self) -> _Stage:
        self.report(self.name, 0.0)
        self.started = time.perf_counter()
        return self

    def __exit__(self, kind, value, traceback) -> bool:
        if kind is None:
            self.timings[self.name] = round(time.perf_counter() - self.started, 3)
            self.report(self.name, 1.0)
        return False


def check_options(options: PipelineOptions, store: ModelStore) -> None:
    """Fail before decoding when a model is missing or an option is wrong (cheap, and the
    message is clear)."""
    store.model_path(model_kind(options.engine), options.model.name)
    if options.diarize:
        options.speakers.counts()  # bad counts fail here
        if options.speakers.diarize and options.speakers.stereo != "on":
            store.diarization_path()


__all__ = ["Cancelled", "PipelineOptions", "StageProgress", "UserFacingError", "check_options",
           "overall_fraction", "run", "stages_for"]
