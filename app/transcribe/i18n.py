"""Messages in the user's language (French and English).

Every error a user can meet has a key here; code raises errors carrying a key and its
parameters, and the CLI or the web app renders them with `message(key, language)`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .languages import DEFAULT_LANGUAGE, ui_language

MESSAGES: dict[str, dict[str, str]] = {
    "audio.not_found": {
        "fr": "Fichier introuvable : {name}.",
        "en": "File not found: {name}.",
    },
    "audio.empty_file": {
        "fr": "Le fichier {name} est vide (0 octet). Vérifiez qu'il a été entièrement copié.",
        "en": "The file {name} is empty (0 bytes). Check that it was copied completely.",
    },
    "audio.no_audio_stream": {
        "fr": "Le fichier {name} ne contient pas de piste audio.",
        "en": "The file {name} has no audio track.",
    },
    "audio.unreadable": {
        "fr": "Le fichier {name} n'est pas un fichier audio ou vidéo lisible "
              "(format non reconnu ou fichier endommagé).",
        "en": "The file {name} is not a readable audio or video file "
              "(unknown format or damaged file).",
    },
    "audio.zero_length": {
        "fr": "Le fichier {name} ne contient aucun son (durée nulle).",
        "en": "The file {name} contains no sound (zero duration).",
    },
    "audio.truncated": {
        "fr": "Le fichier {name} semble tronqué : seules {decoded} sur {declared} ont pu être "
              "lues. La transcription porte sur cette partie.",
        "en": "The file {name} seems truncated: only {decoded} of {declared} could be read. "
              "The transcript covers that part.",
    },
    "audio.damaged": {
        "fr": "Une partie du fichier {name} est endommagée et n'a pas pu être lue : la "
              "transcription peut y manquer quelques mots.",
        "en": "Part of the file {name} is damaged and could not be read: the transcript may "
              "miss a few words there.",
    },
    "audio.ffmpeg_missing": {
        "fr": "ffmpeg est introuvable : installez-le (make test l'installe).",
        "en": "ffmpeg was not found: install it (make test installs it).",
    },
    "model.not_found": {
        "fr": "Le modèle {kind} « {name} » n'est pas disponible. Modèles présents : {available}.",
        "en": "The {kind} model '{name}' is not available. Models on disk: {available}.",
    },
    "engine.unknown": {
        "fr": "Moteur inconnu « {name} ». Moteurs disponibles : {available}.",
        "en": "Unknown engine '{name}'. Available engines: {available}.",
    },
    "asr.no_speech": {
        "fr": "Aucune parole détectée dans {name}.",
        "en": "No speech found in {name}.",
    },
    "gaps.found": {
        "fr": "{count} passage(s) de parole sans texte ({seconds} s) : marqués [inaudible] "
              "dans les exports et dans l'éditeur, où un clic les fait écouter.",
        "en": "{count} passage(s) of speech with no text ({seconds} s): marked [inaudible] "
              "in the exports and in the editor, where a click plays them.",
    },
    "speakers.invalid_count": {
        "fr": "Nombre de locuteurs invalide : {detail}.",
        "en": "Invalid number of speakers: {detail}.",
    },
    "speakers.count_mismatch": {
        "fr": "{name} : {found} locuteur(s) trouvé(s) pour {asked} demandé(s). Vérifiez qui "
              "parle : un enregistrement court, des voix proches ou quelqu'un qui parle très "
              "peu peuvent tromper la diarisation.",
        "en": "{name}: {found} speaker(s) found where {asked} were asked for. Check who is "
              "speaking: a short recording, similar voices or someone who barely speaks can "
              "mislead the diarization.",
    },
    "speakers.stereo_unavailable": {
        "fr": "{name} n'a pas deux canaux ({channels}) : « un locuteur par canal » ne "
              "s'applique pas, les locuteurs ont été distingués à la voix.",
        "en": "{name} does not have two channels ({channels}): one speaker per channel "
              "cannot apply, so speakers were told apart by voice.",
    },
    "speakers.unknown_names": {
        "fr": "Noms non appliqués : aucun locuteur ne correspond à {names} (locuteurs : "
              "{speakers}).",
        "en": "Names not applied: no speaker matches {names} (speakers: {speakers}).",
    },
    "speakers.one_speaker": {
        "fr": "Une seule personne (--preset single ou --speakers 1) : pas de diarisation, "
              "donc --diarize, --stereo et --names ne s'appliquent pas.",
        "en": "One speaker (--preset single or --speakers 1): no diarization, so "
              "--diarize, --stereo and --names do not apply.",
    },
    "language.unknown": {
        "fr": "Langue parlée inconnue « {code} ». Langues possibles : {available}.",
        "en": "Unknown spoken language '{code}'. Possible languages: {available}.",
    },
    "cli.language_count": {
        "fr": "--language : {given} langues pour {files} fichiers. Donnez-en une pour tous, "
              "ou une par fichier, dans l'ordre des fichiers (fr,en).",
        "en": "--language: {given} languages for {files} files. Give one for all of them, "
              "or one per file, in the order of the files (fr,en).",
    },
    "cli.failed": {
        "fr": "Échec pour {name} : {reason}",
        "en": "Failed for {name}: {reason}",
    },
    "cli.summary_failed": {
        "fr": "{failed} fichier(s) sur {total} en échec : {names}.",
        "en": "{failed} of {total} file(s) failed: {names}.",
    },
    "cli.written": {
        "fr": "{name} : {count} fichier(s) écrit(s) dans {folder} ({stem}.*)",
        "en": "{name}: {count} file(s) written to {folder} ({stem}.*)",
    },
    # Job queue (web app): reasons a job stopped that are not the recording's fault.
    "job.failed_unexpected": {
        "fr": "La transcription a échoué à cause d'une erreur inattendue ({error}). "
              "Relancez-la ; si l'erreur revient, signalez-la avec l'heure à laquelle "
              "elle s'est produite.",
        "en": "The transcription failed because of an unexpected error ({error}). "
              "Try again; if it happens again, report it with the time it occurred.",
    },
    "job.out_of_memory": {
        "fr": "Mémoire insuffisante pour ce fichier avec ce modèle. Choisissez un modèle "
              "plus petit, ou découpez l'enregistrement.",
        "en": "Not enough memory for this file with this model. Choose a smaller model, "
              "or split the recording.",
    },
    "upload.unsupported": {
        "fr": "{name} n'est pas un fichier audio ou vidéo pris en charge. Formats acceptés : "
              "{extensions}.",
        "en": "{name} is not a supported audio or video file. Accepted formats: {extensions}.",
    },
    "upload.too_large": {
        "fr": "{name} est trop volumineux : {limit} Mo au plus par fichier.",
        "en": "{name} is too large: {limit} MB at most per file.",
    },
    "upload.no_space": {
        "fr": "Plus assez d'espace pour enregistrer {name}. Supprimez des fichiers déjà "
              "transcrits (page Confidentialité), puis réessayez.",
        "en": "Not enough space left to store {name}. Delete files already transcribed "
              "(Privacy page), then try again.",
    },
    "upload.save_failed": {
        "fr": "{name} n'a pas pu être enregistré sur le serveur. Réessayez ; si cela se "
              "reproduit, signalez-le avec l'heure.",
        "en": "{name} could not be saved on the server. Try again; if it happens again, "
              "report it with the time.",
    },
    "upload.deleted_meanwhile": {
        "fr": "{name} n'a pas été enregistré : tous les fichiers ont été supprimés pendant "
              "son envoi (« Supprimer tous mes fichiers »). Déposez-le à nouveau si besoin.",
        "en": "{name} was not saved: every file was deleted while it was being sent "
              "(\"Delete all my files\"). Drop it again if needed.",
    },
    "job.no_space": {
        "fr": "Le disque du service était plein : le résultat n'a pas pu être enregistré. "
              "Supprimez des fichiers déjà transcrits (page Confidentialité), puis relancez "
              "la transcription.",
        "en": "The service's disk was full: the result could not be saved. Delete files "
              "already transcribed (Privacy page), then run the transcription again.",
    },
    "job.interrupted": {
        "fr": "Le serveur s'est arrêté à plusieurs reprises pendant la transcription de ce "
              "fichier ; elle n'a pas été relancée une nouvelle fois.",
        "en": "The server stopped several times while transcribing this file; it was not "
              "started again.",
    },
    # A worker (the process that transcribes, on this machine or on a GPU) that ended
    # while it held a job.
    "worker.killed": {
        "fr": "Le système a arrêté le processus de transcription, le plus souvent faute de "
              "mémoire. Choisissez un modèle plus petit ou découpez l'enregistrement, puis "
              "relancez.",
        "en": "The system stopped the transcription process, most often for lack of "
              "memory. Choose a smaller model or cut the recording, then run it again.",
    },
    "worker.out_of_memory": {
        "fr": "Le processus de transcription a manqué de mémoire et a été arrêté. Choisissez "
              "un modèle plus petit ou découpez l'enregistrement, puis relancez.",
        "en": "The transcription process ran out of memory and was stopped. Choose a "
              "smaller model or cut the recording, then run it again.",
    },
    "worker.crashed": {
        "fr": "Le processus de transcription s'est arrêté de façon inattendue (code {code}). "
              "Relancez la transcription ; si cela revient, signalez-le avec l'heure.",
        "en": "The transcription process stopped unexpectedly (code {code}). Run it again; "
              "if it happens again, report it with the time.",
    },
    "worker.lost": {
        "fr": "Le processus de transcription a disparu (supprimé ou arrêté par la "
              "plateforme) pendant ce fichier. Relancez la transcription.",
        "en": "The transcription process disappeared (deleted or stopped by the platform) "
              "while working on this file. Run it again.",
    },
    "worker.time_limit": {
        "fr": "La transcription a dépassé la durée maximale permise ({limit}) et a été "
              "arrêtée.",
        "en": "The transcription went over the time allowed ({limit}) and was stopped.",
    },
}


@dataclass
class Notice:
    """Something a person must read: a warning with a transcript (a damaged file, no
    speech, fewer speakers than asked) or the reason a job or an upload failed. A message
    key and its parameters, worded in the reader's language where it is shown; as JSON,
    `{"key": ..., "params": {...}}` (job records, transcripts, and whatever crosses the
    wire)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, language: str | None = None) -> str | None:
        """The message in `language`; None when this version cannot word it (a newer
        version's key, or parameters that do not fit): left out, never a crash."""
        if self.key not in MESSAGES:
            return None
        try:
            return message(self.key, language, **self.params)
        except (KeyError, IndexError, ValueError):
            return None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": dict(self.params)}

    @classmethod
    def checked(cls, data: Any) -> Notice:
        """A notice another program sent (a worker's failure): ValueError unless it is
        `{"key": str, "params": {...}}`; parameters kept plain (numbers, text)."""
        key = data.get("key") if isinstance(data, dict) else None
        params = data.get("params") or {} if isinstance(data, dict) else None
        if not isinstance(key, str) or not isinstance(params, dict):
            raise ValueError("a notice is {key, params}")
        return cls(key, {str(k): v if isinstance(v, (int, float, str)) else str(v)
                         for k, v in params.items()})

    @classmethod
    def from_dict(cls, data: Any) -> Notice:
        """A notice from its JSON (a Notice passes through unchanged)."""
        if isinstance(data, Notice):
            return data
        data = data if isinstance(data, dict) else {}
        return cls(key=str(data.get("key", "")), params=dict(data.get("params") or {}))


def notices_from(items: Any) -> list[Notice]:
    """The notices of a stored list (records of any version: dicts or notices)."""
    return [Notice.from_dict(item) for item in items or [] if isinstance(item, (dict, Notice))]


class UserFacingError(Exception):
    """An error with a message key: rendered in the user's language where it is shown."""

    def __init__(self, key: str, **params: object):
        self.key = key
        self.params = params
        super().__init__(message(key, "en", **params))

    def message(self, language: str | None = None) -> str:
        return message(self.key, language, **self.params)

    @property
    def notice(self) -> Notice:
        """What a record keeps of it: the key and plain parameters (a path becomes text)."""
        return Notice.checked({"key": self.key, "params": self.params})


def message(key: str, language: str | None = None, **params: object) -> str:
    texts = MESSAGES[key]
    text = texts.get(normalise_language(language)) or texts[DEFAULT_LANGUAGE]
    return text.format(**params)


def normalise_language(language: str | None) -> str:
    """'fr_FR.UTF-8' -> 'fr'; unknown or missing -> the environment's, else the default."""
    return ui_language(language or os.environ.get("TRANSCRIBE_UI_LANGUAGE")
                       or os.environ.get("LANG"))


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
