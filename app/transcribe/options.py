"""What a person chooses for a run, and the rules that read those choices.

`PipelineOptions` holds the engine, its load-time `ModelSettings` (model, device, compute
type, threads), the decoding `AsrOptions` (language, prompt, beam, temperatures...), the
stage switches and the `SpeakerOptions` (a preset, counts, names). Nothing here is
measured: what a run measured is the transcript's `RunInfo`. Every part goes to JSON
with `to_dict` and comes back with `from_dict` (unknown keys ignored, older layouts
converted), so that a job's options can be stored and sent to another program.

The CLI and the web app build these from their own inputs through the helpers below (one
rule each: the spoken language, the device, what a preset means).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .i18n import UserFacingError
from .languages import DEFAULT_LANGUAGE, SPOKEN_LANGUAGES
from .plain import from_known_fields

AUTO = "auto"  # an engine, a device or a spoken language left to the program
DEFAULT_ENGINE = AUTO
DEVICES = (AUTO, "cpu", "cuda")  # auto: cuda when present, else cpu
DEFAULT_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def resolve_device(device: str) -> str:
    """The device "auto" means on this machine (cuda when CTranslate2 sees a GPU)."""
    if device != AUTO:
        return device
    try:
        import ctranslate2

        if ctranslate2.get_cuda_device_count() > 0:
            return "cuda"
    except Exception:  # noqa: BLE001 - no CUDA runtime at all: CPU it is
        pass
    return "cpu"


def device_setting(value: str | None) -> str:
    """A device as configured ("CUDA ", "cpu"...): one of DEVICES, else "auto"."""
    device = (value or "").strip().lower()
    return device if device in DEVICES else AUTO


def spoken_language(value: str | None, known: Collection[str] = SPOKEN_LANGUAGES) -> str | None:
    """The language a recording is in, as Whisper takes it: None (detect) for "auto" or
    nothing; a known code as it is; anything else is refused with a message in the user's
    language, never handed to Whisper."""
    code = (value or AUTO).strip().lower()
    if code == AUTO:
        return None
    if code not in known:
        raise UserFacingError("language.unknown", code=str(value),
                              available=", ".join((AUTO, *known)))
    return code


@dataclass
class ModelSettings:
    """Load-time settings: which weights, on what hardware. An engine is made with them."""

    name: str = "base"  # what a caller that names none gets; the apps pick the best on disk
    device: str = AUTO  # one of DEVICES; "auto" is resolved once per run, by the caller
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AsrOptions:
        data = dict(data or {})
        if "temperatures" in data:
            data["temperatures"] = tuple(data["temperatures"])
        return from_known_fields(cls, data)


# -- speakers --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    """What a preset means: how many speakers to look for, and whom a form may name."""

    exact: int | None = None  # None: let diarization decide within the bounds
    minimum: int | None = None
    maximum: int | None = None
    roles: tuple[str, ...] = ()  # the people the upload form asks the names of


PRESETS = {
    "interview": Preset(exact=2, roles=("interviewer", "interviewee")),
    "group": Preset(minimum=2, maximum=6),
    # One person: nobody to tell apart, so no diarization (the CLI and the web app alike).
    "single": Preset(exact=1),
}
MAX_SPEAKERS = 20


@dataclass
class SpeakerOptions:
    preset: str = "interview"  # a key of PRESETS
    num_speakers: int | None = None  # exact count: overrides the preset
    min_speakers: int | None = None
    max_speakers: int | None = None
    stereo: str = AUTO  # auto | on | off: one speaker per channel
    # Names to give: keys are roles ("interviewer", "Interviewer", "Enquêté·e"...),
    # default labels ("Speaker 2") or speaker ids ("SPEAKER_01").
    names: dict[str, str] = field(default_factory=dict)

    def _asked(self) -> tuple[int | None, int | None, int | None]:
        if self.num_speakers is not None or self.min_speakers is not None \
                or self.max_speakers is not None:
            return self.num_speakers, self.min_speakers, self.max_speakers
        preset = PRESETS.get(self.preset, Preset())
        return preset.exact, preset.minimum, preset.maximum

    def counts(self) -> tuple[int | None, int | None, int | None]:
        """(exact, minimum, maximum) after the preset, validated."""
        if self.preset not in PRESETS:
            raise UserFacingError("speakers.invalid_count",
                                  detail=f"unknown preset '{self.preset}'")
        exact, minimum, maximum = self._asked()
        for label, value in (("exact", exact), ("min", minimum), ("max", maximum)):
            if value is not None and not 1 <= value <= MAX_SPEAKERS:
                raise UserFacingError("speakers.invalid_count",
                                      detail=f"{label} = {value}, expected 1 to {MAX_SPEAKERS}")
        if minimum is not None and maximum is not None and minimum > maximum:
            raise UserFacingError("speakers.invalid_count",
                                  detail=f"min {minimum} > max {maximum}")
        if exact is not None and (minimum is not None or maximum is not None):
            raise UserFacingError("speakers.invalid_count",
                                  detail="give an exact count or min/max, not both")
        return exact, minimum, maximum

    @property
    def diarize(self) -> bool:
        """Whether there are speakers to tell apart: not for one person ("single", or an
        exact count of 1), whose words are never run through diarization."""
        return self._asked()[0] != 1

    @property
    def names_allowed(self) -> bool:
        """Names go to speakers told apart: none for one person."""
        return self.diarize

    def role_names(self, given: dict[str, str]) -> dict[str, str]:
        """The names a form gave by role, kept for the roles this preset has (an
        interview's interviewer and interviewee), blanks dropped."""
        roles = PRESETS.get(self.preset, Preset()).roles
        return {role: name.strip() for role, name in given.items()
                if role in roles and name.strip()}


def parse_names(value: str) -> dict[str, str]:
    """'Interviewer=Camille,Interviewee=M. D.' -> {'Interviewer': 'Camille', ...}"""
    names = {}
    for item in value.split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise ValueError(f"expected ROLE=Name, got '{item.strip()}'")
        key, name = item.split("=", 1)
        names[key.strip()] = name.strip()
    return names


# -- the whole run ---------------------------------------------------------------------------

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
    # Speakers: who speaks when (pyannote or the channels; one speaker for one person),
    # then interviewer / interviewee roles.
    diarize: bool = False
    speakers: SpeakerOptions = field(default_factory=SpeakerOptions)
    # Language of speaker labels (Enquêteur·rice / Interviewer) and of the docx's labels.
    ui_language: str = DEFAULT_LANGUAGE
    # Word times clipped to detected speech (bound.py); off only to measure it (bench).
    bound_words: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values (lists, not tuples): what `from_dict` reads back."""
        data = asdict(self)
        data["asr"]["temperatures"] = list(self.asr.temperatures)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PipelineOptions:
        """The inverse of to_dict(); unknown keys (from an older or newer version) are
        ignored rather than fatal."""
        data = dict(data or {})
        asr_data = dict(data.pop("asr", {}) or {})
        model_data = data.pop("model", None)
        if not isinstance(model_data, dict):  # older records: all of it under "asr"
            model_data = {**asr_data, "name": asr_data.get("model", ModelSettings.name)}
            data.setdefault("guard", asr_data.get("guard", True))
        if not isinstance(data.get("guard", True), bool):  # transcripts of schema 1-2 kept
            data["guard"] = bool(data["guard"])  # the guard's reports in its place
        speakers = from_known_fields(SpeakerOptions, dict(data.pop("speakers", {}) or {}))
        return from_known_fields(cls, {**data, "asr": AsrOptions.from_dict(asr_data),
                                       "model": from_known_fields(ModelSettings, model_data),
                                       "speakers": speakers})
