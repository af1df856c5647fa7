"""For the correction editor's browser tests and bench: a finished job seeded in a data
folder, with a real recording (speech synthesised by espeak-ng, or a long tone for the
3-hour bench) and its listening copy made by the app's own ffmpeg command."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

from transcribe.jobs import DONE, JobStore, listening_copy_command
from transcribe.pipeline import PipelineOptions
from transcribe.transcript import Segment, Speaker, Transcript, Word

# Two speakers, one line each, spoken by espeak-ng at a known rate; "Lyon" and "Marie"
# marked uncertain.
LINES = [
    ("SPEAKER_00", "en-us", "Good morning Marie, thank you for coming today."),
    ("SPEAKER_01", "en+f3", "Of course. I am a nurse at the hospital in Lyon."),
    ("SPEAKER_00", "en-us", "What do you like most about your job?"),
    ("SPEAKER_01", "en+f3", "I like helping people, and my colleagues are wonderful."),
    ("SPEAKER_00", "en-us", "Thank you very much for your time."),
]
UNSURE = {"Marie,", "Lyon."}
NAMES = {"SPEAKER_00": "Camille", "SPEAKER_01": "Dominique"}


def spoken_interview(folder: Path) -> tuple[Path, Transcript]:
    """A WAV of the five lines, 0.8 s apart, and a transcript whose word times spread each
    line's words over its measured length (close to the speech, exact enough to follow)."""
    for tool in ("espeak-ng", "ffmpeg"):
        if not shutil.which(tool):
            import pytest

            pytest.skip(f"{tool} not installed")
    parts, segments, at = [], [], 0.0
    for number, (speaker, voice, line) in enumerate(LINES):
        part = folder / f"line{number}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(part), line],
                       check=True)
        length = _duration(part)
        words = line.split()
        step = length / len(words)
        segments.append(Segment(round(at, 3), round(at + length, 3), line, speaker, [
            Word(round(at + k * step, 3), round(at + (k + 1) * step - 0.02, 3), " " + word,
                 0.3 if word in UNSURE else 0.95, speaker) for k, word in enumerate(words)]))
        parts.append(part)
        at += length + 0.8
    joined = folder / "interview.wav"
    pieces = []
    for part in parts:
        pieces += ["-i", str(part)]
    graph = "".join(f"[{n}:a]apad=pad_dur=0.8[p{n}];" for n in range(len(parts)))
    graph += "".join(f"[p{n}]" for n in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *pieces, "-filter_complex", graph,
                    "-ar", "16000", "-ac", "1", str(joined)], check=True)
    transcript = Transcript("en", round(_duration(joined), 3), segments, source="interview.wav",
                            model="base", engine="faster-whisper",
                            speakers={k: Speaker(k, v) for k, v in NAMES.items()})
    return joined, transcript


def long_transcript(hours: float = 3.0, segments: int = 2500, words: int = 30000,
                    seed: int = 7) -> Transcript:
    """A synthetic interview of `hours`: two speakers taking turns, `segments` segments and
    `words` words in all, one in forty uncertain."""
    rng = random.Random(seed)
    vocabulary = ("alors je pense que le travail à l'hôpital était difficile mais les "
                  "collègues nous aidaient beaucoup pendant les nuits de garde quand il "
                  "fallait tenir Lyon Marie Paul").split()
    duration = hours * 3600
    per_segment = duration / segments
    per_word = segments / words
    result = []
    speaker = "SPEAKER_00"
    for n in range(segments):
        start = n * per_segment
        count = max(1, round((n + 1) / per_word) - round(n / per_word))
        step = per_segment * 0.9 / count
        chosen = [rng.choice(vocabulary) for _ in range(count)]
        chosen[-1] += "."
        result.append(Segment(round(start, 3), round(start + per_segment * 0.9, 3),
                              " ".join(chosen), speaker, [
                                  Word(round(start + k * step, 3),
                                       round(start + (k + 1) * step, 3), " " + w,
                                       0.3 if rng.random() < 0.025 else 0.95, speaker)
                                  for k, w in enumerate(chosen)]))
        if rng.random() < 0.4:
            speaker = "SPEAKER_01" if speaker == "SPEAKER_00" else "SPEAKER_00"
    return Transcript("fr", duration, result, source="long.wav", model="base",
                      engine="faster-whisper",
                      speakers={k: Speaker(k, v) for k, v in NAMES.items()})


def tone(folder: Path, seconds: float) -> Path:
    """A quiet tone of `seconds` (the 3-hour bench: the player only needs a long file)."""
    path = folder / "long.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=220:duration={seconds}:sample_rate=8000", "-ac", "1",
                    str(path)], check=True)
    return path


def seed_job(data: Path, recording: Path, transcript: Transcript, name: str,
             listening: Path | None = None) -> str:
    """A finished job in `data` with the recording, its listening copy and the
    transcript; returns its id. It is made aside and moved in whole: a running server's
    worker would otherwise transcribe it while it is still queued."""
    staging = data.parent / f".staging-{data.name}"
    store = JobStore(staging)
    job = store.create(name, recording, PipelineOptions())
    if listening is None:
        subprocess.run(listening_copy_command(recording, store.listening_path(job)), check=True)
    else:  # already an MP3 (the bench's long tone)
        shutil.copyfile(listening, store.listening_path(job))
    store.save_transcript(job, transcript)
    store.update(job.id, status=DONE, fraction=1.0, notices=[])
    (data / "jobs").mkdir(parents=True, exist_ok=True)
    store.folder(job.id).rename(data / "jobs" / job.id)
    return job.id


def _duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                          "-of", "csv=p=0", str(path)], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip())
