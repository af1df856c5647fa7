"""The transcript: the one data model every stage reads and writes.

Segments hold words; speakers are filled in by diarization; timings record how long each
stage took. It saves and loads as JSON with a schema version so that files written by an
older version can still be read (or refused with a clear message).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# 2: notices in their own field (version 1 kept them in options["warnings"]).
SCHEMA_VERSION = 2


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
class Segment:
    start: float
    end: float
    text: str
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)
    # True where two speakers talk at once (marked //...// in exports).
    overlap: bool = False

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
class Notice:
    """Something the user must read with the transcript (a damaged file, no speech, fewer
    speakers than asked): an i18n message key and its parameters, worded where shown."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notice:
        return cls(key=str(data.get("key", "")), params=dict(data.get("params") or {}))


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
    # Seconds per stage, e.g. {"decode": 0.4, "asr": 12.1}.
    timings: dict[str, float] = field(default_factory=dict)
    # Options the run used (language asked, prompt, diarization...), for provenance.
    options: dict[str, Any] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
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
        """Known speakers, then any a segment names without a record."""
        ids = list(self.speakers)
        for segment in self.segments:
            if segment.speaker is not None and segment.speaker not in ids:
                ids.append(segment.speaker)
        return ids

    # -- JSON ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["speakers"] = {key: asdict(value) for key, value in self.speakers.items()}
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
        segments = [
            Segment(
                start=float(s["start"]),
                end=float(s["end"]),
                text=s.get("text", ""),
                speaker=s.get("speaker"),
                words=[_word_from_dict(w) for w in s.get("words", [])],
                overlap=bool(s.get("overlap", False)),
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
        options = dict(data.get("options") or {})
        # Version 1 kept notices among the options, as plain dicts.
        old_notices = options.pop("warnings", None) or []
        notices = [Notice.from_dict(n) for n in data.get("notices") or old_notices
                   if isinstance(n, dict)]
        return cls(
            language=data.get("language"),
            duration=float(data.get("duration", 0.0)),
            segments=segments,
            speakers=speakers,
            source=data.get("source"),
            model=data.get("model"),
            engine=data.get("engine"),
            timings=dict(data.get("timings") or {}),
            options=options,
            notices=notices,
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
        path = Path(path)
        temporary = path.with_name(path.name + ".tmp")
        try:
            temporary.write_text(self.to_json(indent=None), encoding="utf-8")
            temporary.replace(path)
        except BaseException:
            temporary.unlink(missing_ok=True)  # a full disk leaves no half file behind
            raise
        return path

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


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
