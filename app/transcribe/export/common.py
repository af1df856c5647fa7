"""Shared by the exporters: time formats and the labels a document prints."""

from __future__ import annotations

from ..languages import ui_language
from ..transcript import Transcript


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
        "conventions": "Conventions :",
        "legend.pauses": "(.) pause d'une seconde par point, (12 s) pause longue",
        "legend.overlaps": "//...// paroles simultanées",
        "legend.fillers": "hésitations (euh, hum...) retirées",
        "legend.gaps": "[inaudible 00:07-00:14] parole sans texte, à écouter à ce moment",
        "legend.pseudonyms": "noms remplacés par des pseudonymes",
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
        "conventions": "Conventions:",
        "legend.pauses": "(.) one dot per second of pause, (12 s) long pause",
        "legend.overlaps": "//...// overlapping speech",
        "legend.fillers": "hesitations (uh, um...) removed",
        "legend.gaps": "[inaudible 00:07-00:14] speech with no text, to listen to at that time",
        "legend.pseudonyms": "names replaced by pseudonyms",
    },
}


def labels(language: str | None) -> dict[str, str]:
    """A document's labels in the interface's language (never the recording's)."""
    return LABELS[ui_language(language)]


def document_language(transcript: Transcript, asked: str | None = None) -> str:
    """The interface language a document is written in: the one asked for, else the one
    the job was submitted in (stored with its options)."""
    return ui_language(asked, ui_language(transcript.options.ui_language))
