"""Speaker options: presets, counts, and a names table given on the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..i18n import UserFacingError

PRESETS = {
    # preset: (exact count, min, max); None: let diarization decide within the bounds
    "interview": (2, None, None),
    "group": (None, 2, 6),
    "single": (1, None, None),
}
MAX_SPEAKERS = 20


@dataclass
class SpeakerOptions:
    preset: str = "interview"  # interview | group | single
    num_speakers: int | None = None  # exact count: overrides the preset
    min_speakers: int | None = None
    max_speakers: int | None = None
    stereo: str = "auto"  # auto | on | off: one speaker per channel
    # Names to give: keys are roles ("interviewer", "Interviewer", "Enquêté·e"...),
    # default labels ("Speaker 2") or speaker ids ("SPEAKER_01").
    names: dict[str, str] = field(default_factory=dict)

    def counts(self) -> tuple[int | None, int | None, int | None]:
        """(exact, minimum, maximum) after the preset, validated."""
        if self.preset not in PRESETS:
            raise UserFacingError("speakers.invalid_count",
                                  detail=f"unknown preset '{self.preset}'")
        exact, minimum, maximum = PRESETS[self.preset]
        if self.num_speakers is not None or self.min_speakers is not None \
                or self.max_speakers is not None:
            exact, minimum, maximum = self.num_speakers, self.min_speakers, self.max_speakers
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
