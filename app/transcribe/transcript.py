"""The transcript: the one data model every stage reads and writes.

Segments hold words; speakers are filled in by diarization; `options` are what the person
chose (`options.PipelineOptions`), `run` what the run measured (`RunInfo`: stage times, the
device, the guard's and the bound's reports...), `notices` what the reader must be told,
`gaps` the stretches of speech that no text covers (gaps.py).
It saves and loads as JSON with a schema version so that files written by an older
version can still be read (converted), or are refused with a clear message.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .i18n import Notice, notices_from
from .options import PipelineOptions
from .plain import from_known_fields
from .storage import write_atomically

__all__ = ["SCHEMA_VERSION", "BoundReport", "Gap", "GuardReport", "Notice", "RunInfo", "Segment",
           "SegmentStats", "Speaker", "Transcript", "TranscriptFormatError", "Word"]

# 2: notices in their own field (version 1 kept them in options["warnings"]).
# 3: options hold only what the person chose; what the run measured is in `run` (version 2
# kept timings beside the options, and the guard's reports, gain, alignment and diarization
# methods and bound counts among them); segments may carry their decoder statistics.
SCHEMA_VERSION = 3


class TranscriptFormatError(ValueError):
    """A transcript file that is not ours or comes from a newer schema."""


@dataclass
class Word:
    start: float | None
    end: float | None
    word: str
    probability: float | None = None
    speaker: str | None = None

    @property
    def duration(self) -> float:
        if self.start is None or self.end is None:
            return 0.0
        return max(0.0, self.end - self.start)


@dataclass
class SegmentStats:
    """How Whisper's decoder scored a segment (its own quality measures): the guard and
    WhisperX's recovery judge segments by them."""

    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0
    # The decoding temperature that produced it: above 0, every greedier try failed.
    temperature: float = 0.0


@dataclass
class Segment:
    start: float
    end: float
    text: str
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)
    # True where two speakers talk at once (marked //...// in exports).
    overlap: bool = False
    # The decoder's scores for the text it came from; None where no decoder said it.
    decoder: SegmentStats | None = None

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    def text_from_words(self) -> str:
        # Whisper's words carry their own leading space ("d'" + "avoir" has none).
        return "".join(w.word for w in self.words).strip()

    def words_match_text(self) -> bool:
        """The words still spell the text (false once a reviewer corrected the text)."""
        return bool(self.words) and \
            " ".join(self.text_from_words().split()) == " ".join(self.text.split())


@dataclass
class Gap:
    """A stretch of speech with no text: every export marks it, the editor plays it.
    `reason`: "guard" where the guard took invented text out of it (a loop, a guess),
    "no_text" where the recogniser wrote nothing."""

    start: float
    end: float
    reason: str  # GAP_REASONS
    speaker: str | None = None  # who speaks there, when diarization says

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


GAP_REASONS = ("guard", "no_text")


@dataclass
class GuardReport:
    """What the guard removed from one decoded track (asr/guard.py)."""

    loops_removed: int = 0
    words_removed: int = 0
    segments_removed: int = 0


@dataclass
class BoundReport:
    """What bounding word times by speech changed (bound.py)."""

    words_clipped: int = 0
    seconds_removed: float = 0.0
    words_outside: int = 0  # no speech under them: left as they are


@dataclass
class RunInfo:
    """What a run measured, apart from what the person chose (`Transcript.options`)."""

    device: str | None = None  # where it ran: cpu or cuda ("auto" resolved)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    gain: float = 1.0  # how much a quiet recording was raised when decoded
    guard: list[GuardReport] = field(default_factory=list)  # per track decoded; [] if off
    alignment: str | None = None  # "wav2vec2" or "whisper" (its own times); None: off
    bound: BoundReport | None = None  # None: word times not bounded by speech
    diarization: str | None = None  # "pyannote", "channels" or "single"; None: no speakers

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RunInfo:
        data = dict(data or {})
        bound = data.get("bound")
        return from_known_fields(cls, {
            **data, "timings": dict(data.get("timings") or {}),
            "guard": [from_known_fields(GuardReport, g) for g in data.get("guard") or []
                      if isinstance(g, dict)],
            "bound": from_known_fields(BoundReport, bound) if isinstance(bound, dict)
            else None})


@dataclass
class Speaker:
    """A speaker as diarization found it, with the name the user sees.

    `role` is "interviewer" / "interviewee" / None; `name` is what every export prints.
    """

    id: str
    name: str
    role: str | None = None
    role_confidence: float | None = None
    talk_time: float = 0.0


@dataclass
class Transcript:
    language: str | None
    duration: float
    segments: list[Segment] = field(default_factory=list)
    speakers: dict[str, Speaker] = field(default_factory=dict)
    source: str | None = None
    model: str | None = None
    engine: str | None = None
    # What the person chose (language asked, prompt, speakers...), for provenance.
    options: PipelineOptions = field(default_factory=PipelineOptions)
    run: RunInfo = field(default_factory=RunInfo)  # what the run measured
    notices: list[Notice] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)  # in time order
    # Bumped by every saved correction (changes.py): an edit made on an older copy is
    # merged or refused, never written over a newer one.
    version: int = 0
    schema_version: int = SCHEMA_VERSION

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def speaker_name(self, speaker_id: str | None) -> str | None:
        if speaker_id is None:
            return None
        speaker = self.speakers.get(speaker_id)
        return speaker.name if speaker else speaker_id

    def speaker_ids(self) -> list[str]:
        """Known speakers, then any a segment (or a gap) names without a record."""
        ids = list(self.speakers)
        for item in [*self.segments, *self.gaps]:
            if item.speaker is not None and item.speaker not in ids:
                ids.append(item.speaker)
        return ids

    # -- JSON ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["speakers"] = {key: asdict(value) for key, value in self.speakers.items()}
        data["options"] = self.options.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        if not isinstance(data, dict) or "segments" not in data:
            raise TranscriptFormatError("not a transcript: no 'segments'")
        version = int(data.get("schema_version", SCHEMA_VERSION))
        if version > SCHEMA_VERSION:
            raise TranscriptFormatError(
                f"transcript schema {version} is newer than this program's ({SCHEMA_VERSION})"
            )
        if version < 3:
            data = _upgraded(data)
        segments = [
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=s.get("text", ""),
                speaker=s.get("speaker"),
                words=[_word_from_dict(w) for w in s.get("words", [])],
                overlap=bool(s.get("overlap", False)),
                decoder=from_known_fields(SegmentStats, s["decoder"])
                if isinstance(s.get("decoder"), dict) else None,
            )
            for s in data["segments"]
        ]
        speakers = {}
        for key, value in (data.get("speakers") or {}).items():
            if isinstance(value, str):  # tolerate {"SPEAKER_00": "Camille"}
                value = {"name": value}
            speakers[key] = Speaker(
                id=value.get("id", key),
                name=value.get("name", key),
                role=value.get("role"),
                role_confidence=value.get("role_confidence"),
                talk_time=float(value.get("talk_time", 0.0)),
            )
        return cls(
            language=data.get("language"),
            duration=float(data.get("duration", 0.0)),
            segments=segments,
            speakers=speakers,
            source=data.get("source"),
            model=data.get("model"),
            engine=data.get("engine"),
            options=PipelineOptions.from_dict(data.get("options")),
            run=RunInfo.from_dict(data.get("run")),
            notices=notices_from(data.get("notices")),
            gaps=[_gap_from_dict(g) for g in data.get("gaps") or [] if isinstance(g, dict)],
            version=int(data.get("version", 0)),
            schema_version=SCHEMA_VERSION,
        )

    def to_json(self, indent: int | None = 2) -> str:
        """Indented (the JSON export), or compact with `indent=None`: through the C encoder,
        a 3-hour interview in a tenth of a second (saved at every batch of corrections).
        The dataclasses encode as their fields, as `to_dict` gives them."""
        separators = None if indent else (",", ":")
        return json.dumps(self, ensure_ascii=False, indent=indent, separators=separators,
                          default=vars)

    @classmethod
    def from_json(cls, text: str) -> Transcript:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise TranscriptFormatError(f"not valid JSON: {error}") from error
        return cls.from_dict(data)

    def save(self, path: str | Path) -> Path:
        """Write atomically: a crash mid-write never leaves a half transcript behind."""
        return write_atomically(path, self.to_json(indent=None))

    @classmethod
    def load(cls, path: str | Path) -> Transcript:
        return cls.from_json(Path(path).read_text(encoding="utf-8"))


def _word_from_dict(data: dict[str, Any]) -> Word:
    return Word(
        start=_optional_float(data.get("start")),
        end=_optional_float(data.get("end")),
        word=data.get("word", ""),
        probability=_optional_float(data.get("probability")),
        speaker=data.get("speaker"),
    )


def _gap_from_dict(data: dict[str, Any]) -> Gap:
    reason = data.get("reason")
    return Gap(start=float(data["start"]), end=float(data["end"]),
               reason=reason if reason in GAP_REASONS else "no_text",
               speaker=data.get("speaker"))


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """A transcript of schema 1 or 2 in schema 3's layout: notices out of the options
    (schema 1), then what the run measured out of them (and the timings beside them)."""
    options = dict(data.get("options") or {})
    notices = data.get("notices") or options.pop("warnings", None) or []
    guard = options.get("guard")
    if isinstance(guard, list):  # the guard's reports stood in for the switch
        options["guard"] = bool(guard)
    run = {"timings": data.get("timings") or {}, "gain": options.pop("gain", 1.0),
           "guard": guard if isinstance(guard, list) else [],
           **{key: options.pop(key, None) for key in ("alignment", "bound", "diarization")}}
    return {**data, "options": options, "run": run, "notices": notices}
