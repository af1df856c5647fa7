"""Shared by the exporters: time formats and the labels a document prints."""

from __future__ import annotations


def clock(seconds: float, fraction: str | None = None) -> str:
    """hh:mm:ss, with `fraction` "," or "." adding milliseconds (hh:mm:ss,mmm)."""
    millis = round(max(seconds, 0.0) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{text}{fraction}{millis:03d}" if fraction else text


LABELS = {
    "fr": {
        "transcript": "Transcription",
        "file": "Fichier",
        "date": "Date de transcription",
        "duration": "Durée",
        "language": "Langue",
        "model": "Modèle",
        "speakers": "Locuteurs",
        "uncertain": "Les mots surlignés sont incertains : à vérifier à l'écoute.",
        "conventions": "Conventions : (.) pause d'une seconde par point, (12 s) pause longue, "
                       "//...// paroles simultanées, [mot?] mot incertain.",
    },
    "en": {
        "transcript": "Transcript",
        "file": "File",
        "date": "Transcribed on",
        "duration": "Duration",
        "language": "Language",
        "model": "Model",
        "speakers": "Speakers",
        "uncertain": "Highlighted words are uncertain: check them by listening.",
        "conventions": "Conventions: (.) one dot per second of pause, (12 s) long pause, "
                       "//...// overlapping speech, [word?] uncertain word.",
    },
}


def labels(language: str | None) -> dict[str, str]:
    return LABELS.get((language or "")[:2], LABELS["en"])
