"""Two-voice interviews synthesised with espeak-ng: exact words and exact speaker turns."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from transcribe.audio import SAMPLE_RATE, load_audio

from speech import synthesise

# Distinct voices: CAM++ embeddings of these two are far apart (cosine about 0.45).
VOICES = {"fr": {"A": ("fr+f3", 60), "B": ("fr+m3", 35)},
          "en": {"A": ("en+f4", 60), "B": ("en-us+m3", 35)}}

INTERVIEW_FR = [
    ("A", "Bonjour, merci d'avoir accepté cet entretien. Pouvez-vous vous présenter ?"),
    ("B", "Bien sûr. J'ai quarante-deux ans et je travaille comme infirmière à l'hôpital "
          "de Montreuil depuis quinze ans. J'aime beaucoup mon métier."),
    ("A", "Comment avez-vous choisi ce métier ?"),
    ("B", "C'est ma mère qui m'en a parlé. Elle était aide-soignante et elle rentrait "
          "tard le soir, fatiguée mais contente. Alors j'ai passé le concours après le bac."),
    ("A", "Et aujourd'hui, qu'est-ce qui a changé dans votre travail ?"),
    ("B", "Nous avons moins de temps pour les patients. Les équipes sont plus petites et "
          "les horaires plus longs. Mais je reste attachée au service public."),
    ("A", "Merci beaucoup. Voulez-vous ajouter quelque chose ?"),
    ("B", "Non, je crois que j'ai tout dit. Merci à vous."),
]

INTERVIEW_EN = [
    ("A", "Good morning, and thank you for taking part. Could you introduce yourself?"),
    ("B", "Of course. I am a nurse, and I have worked at the city hospital for fifteen "
          "years. I really like my job."),
    ("A", "How did you choose this profession?"),
    ("B", "My mother told me about it. She was a care assistant and she came home late, "
          "tired but happy. So I took the exam after school."),
    ("A", "What has changed in your work since then?"),
    ("B", "We have less time for patients. Teams are smaller and the hours are longer. "
          "But I still believe in public service."),
]


# A longer interview (make bench: speed, DER and memory by length): questions, answers in
# two parts with a short acknowledgement between them, as interviewers do.
QUESTIONS_FR = [
    "Pouvez-vous me raconter une journée de travail ordinaire ?",
    "Qu'est-ce qui vous a le plus surprise au début ?",
    "Comment se passent les relations avec vos collègues ?",
    "Et avec les familles des patients ?",
    "Avez-vous pensé à changer de métier ?",
    "Que faites-vous quand une journée s'est mal passée ?",
    "Comment votre service a-t-il vécu la période du covid ?",
    "Qu'aimeriez-vous que les responsables comprennent ?",
]
ANSWERS_FR = [
    ("J'arrive à sept heures, je lis les transmissions de la nuit et je fais le tour des "
     "chambres.", "Ensuite viennent les soins, les prises de sang et les pansements, "
     "jusqu'au repas de midi."),
    ("Le rythme, surtout. À l'école on apprend les gestes, mais pas à faire dix choses à "
     "la fois.", "Il m'a fallu presque un an pour ne plus rentrer épuisée chaque soir."),
    ("Plutôt bien. On se connaît depuis longtemps et on se remplace quand il le faut.",
     "Les nouvelles arrivent souvent en intérim, alors on prend le temps de les former."),
    ("C'est plus délicat. Les familles sont inquiètes et elles ont besoin qu'on les écoute.",
     "Parfois on n'a que deux minutes à leur donner, et ça, c'est difficile à vivre."),
    ("Oui, deux fois. La première après une nuit très dure aux urgences.",
     "Mais je suis restée, parce que je ne me vois pas faire autre chose de mes journées."),
    ("J'en parle avec mon mari, ou je vais marcher au bord du canal.",
     "Le lendemain, on en discute en équipe, et ça aide à passer à autre chose."),
    ("On a tout réorganisé en quelques jours. Des collègues sont tombées malades.",
     "On a tenu grâce à la solidarité, mais beaucoup sont parties juste après."),
    ("Qu'on ne soigne pas des chiffres. Chaque patient demande du temps.",
     "Si on nous donnait ce temps, on garderait les infirmières qui s'en vont."),
]
ACKNOWLEDGEMENTS_FR = ["D'accord.", "Je vois.", "Oui.", "Hum hum.", "Ah oui ?"]


def long_interview_script(minutes: float) -> list[tuple[str, str]]:
    """A French interview script of about `minutes` (espeak, pauses included, says 160
    words a minute): the question-and-answer pairs in turn, each answer split by an
    acknowledgement."""
    script: list[tuple[str, str]] = [("A", INTERVIEW_FR[0][1]), ("B", INTERVIEW_FR[1][1])]
    words = sum(len(text.split()) for _, text in script)
    index = 0
    while words < minutes * 160:
        question = QUESTIONS_FR[index % len(QUESTIONS_FR)]
        first, second = ANSWERS_FR[index % len(ANSWERS_FR)]
        acknowledgement = ACKNOWLEDGEMENTS_FR[index % len(ACKNOWLEDGEMENTS_FR)]
        script += [("A", question), ("B", first), ("A", acknowledgement), ("B", second)]
        words += sum(len(text.split()) for text in (question, first, acknowledgement, second))
        index += 1
    return script


@dataclass
class Dialogue:
    path: Path
    turns: list[tuple[str, float, float, str]]  # (speaker, start, end, text)

    def rttm(self, uri: str = "dialogue") -> str:
        return "".join(f"SPEAKER {uri} 1 {start:.3f} {end - start:.3f} <NA> <NA> {speaker} "
                       "<NA> <NA>\n" for speaker, start, end, _ in self.turns)

    def annotation(self):
        from pyannote.core import Annotation, Segment

        annotation = Annotation(uri="dialogue")
        for index, (speaker, start, end, _) in enumerate(self.turns):
            annotation[Segment(start, end), index] = speaker
        return annotation

    # (speaker, word, start, end) from espeak's word events, with make_dialogue(words=True).
    words: list[tuple[str, str, float, float]] = field(default_factory=list)

    def text_of(self, speaker: str) -> str:
        return " ".join(text for who, _, _, text in self.turns if who == speaker)


def make_dialogue(folder: Path, script=None, language: str = "fr", pause: float = 0.6,
                  stereo: bool = False, crosstalk_db: float | None = None,
                 words: bool = False) -> Dialogue:
    """Synthesise each turn in its speaker's voice and join them with pauses. With
    `stereo`, speaker A is on the left channel and B on the right (one microphone each),
    each voice also reaching the other microphone `crosstalk_db` quieter. With `words`,
    each word's exact times too (espeak_words)."""
    script = script or (INTERVIEW_FR if language == "fr" else INTERVIEW_EN)
    folder.mkdir(parents=True, exist_ok=True)
    gap = np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32)
    left: list[np.ndarray] = [gap]
    right: list[np.ndarray] = [gap]
    turns = []
    timed: list[tuple[str, str, float, float]] = []
    cursor = pause
    for index, (speaker, text) in enumerate(script):
        voice, pitch = VOICES[language][speaker]
        wav = synthesise(text, folder / f"turn{index}.wav", voice=voice, pitch=pitch)
        samples = load_audio(wav, normalize=False).mono * 0.8
        duration = len(samples) / SAMPLE_RATE
        turns.append((speaker, cursor, cursor + duration, text))
        if words:
            from espeak_words import word_times

            timed += [(speaker, word, cursor + start, cursor + end)
                      for word, start, end in word_times(text, voice, pitch=pitch)[2]]
        bleed = samples * (10 ** (-crosstalk_db / 20)) if crosstalk_db else samples * 0
        own, other = (left, right) if speaker == "A" else (right, left)
        own += [samples, gap]
        other += [bleed, gap]
        cursor += duration + pause
    path = folder / ("dialogue-stereo.wav" if stereo else "dialogue.wav")
    left_track, right_track = np.concatenate(left), np.concatenate(right)
    channels = np.stack([left_track, right_track]) if stereo else \
        (left_track + right_track)[None]
    _write_wav(path, channels)
    return Dialogue(path, turns, timed)


def _write_wav(path: Path, channels: np.ndarray) -> None:
    pcm = (np.clip(channels.T, -1, 1) * 32767).astype("<i2")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "s16le", "-ar", str(SAMPLE_RATE),
                    "-ac", str(channels.shape[0]), "-i", "-", str(path)], input=pcm.tobytes(),
                   check=True)
