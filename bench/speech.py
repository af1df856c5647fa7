"""Evaluation audio, for tests and `make bench` alike: the dev clips in
../shared/eval-audio/dev (skipped when absent) and speech synthesised with espeak-ng, whose
references are exact."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
# TRANSCRIBE_EVAL_AUDIO: another checkout's copy (a git worktree has no ../shared).
EVAL_AUDIO = Path(os.environ.get("TRANSCRIBE_EVAL_AUDIO", ROOT.parent / "shared" / "eval-audio"))
DEV = EVAL_AUDIO / "dev"  # never read EVAL_AUDIO / "acceptance": reserved for acceptance

# The dev clips with references, by language: engine tests and `make bench` use them all.
DEV_SET = {
    "fr": ["fleurs_fr/fleurs-fr-000.ogg", "fleurs_fr/fleurs-fr-001.ogg",
           "fleurs_fr/fleurs-fr-002.ogg", "fleurs_fr/fleurs-fr-003.ogg",
           "fleurs_fr/fleurs-fr-004.ogg", "leopard/test_fr.wav"],
    "en": ["fleurs_en/fleurs-en-000.ogg", "fleurs_en/fleurs-en-001.ogg",
           "fleurs_en/fleurs-en-002.ogg", "fleurs_en/fleurs-en-003.ogg",
           "fleurs_en/fleurs-en-004.ogg", "leopard/test.wav", "jfk/jfk.flac",
           "speechbrain/example1.wav"],
}


def dev_clip(relative: str) -> Path:
    path = DEV / relative
    if not path.exists():
        pytest.skip(f"dev clip {relative} not available (../shared/eval-audio absent)")
    return path


def dev_clips(folder: str, pattern: str) -> list[Path]:
    base = DEV / folder
    clips = sorted(base.glob(pattern)) if base.is_dir() else []
    if not clips:
        pytest.skip(f"dev clips {folder}/{pattern} not available")
    return clips


def reference(clip: Path) -> str:
    return clip.with_suffix(".txt").read_text(encoding="utf-8").strip()


# The level each dev clip is brought to in a session: one recording has one level, where
# the clips' own peaks range from 0.003 to 0.8 (Whisper would miss a quiet clip next to a
# loud one in the same 30 s window).
SESSION_PEAK = 0.5


def session(clips: list[str]) -> tuple[np.ndarray, str]:
    """One long recording made of dev clips (each at SESSION_PEAK, a second apart) and its
    reference text."""
    from transcribe.audio import SAMPLE_RATE, load_audio

    gap = np.zeros(SAMPLE_RATE, dtype=np.float32)
    parts = []
    for clip in clips:
        samples = load_audio(DEV / clip).mono
        parts += [samples * np.float32(SESSION_PEAK / max(np.abs(samples).max(), 1e-6)), gap]
    return np.concatenate(parts), " ".join(reference(DEV / clip) for clip in clips)


def synthesise(text: str, path: Path, voice: str = "en", speed: int = 150,
               pitch: int = 50) -> Path:
    """Speech for `text` as a 16 kHz mono wav."""
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed")
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w",
                    str(raw), text], check=True, capture_output=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(raw), "-ar", "16000", "-ac", "1",
                    str(path)], check=True)
    raw.unlink()
    return path


def convert(source: Path, target: Path, *args: str) -> Path:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), *args, str(target)],
                   check=True)
    return target


def wer(references: list[str], hypotheses: list[str], language: str) -> float:
    import jiwer
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    normalise = EnglishTextNormalizer() if language == "en" else BasicTextNormalizer()
    return jiwer.wer([normalise(r) for r in references], [normalise(h) for h in hypotheses])


def _normaliser(language: str):
    from whisper.normalizers import BasicTextNormalizer, EnglishTextNormalizer

    return EnglishTextNormalizer() if language == "en" else BasicTextNormalizer()


def word_errors(references: list[str], hypotheses: list[str], language: str) -> tuple[int, int]:
    """(errors, reference words): compare counts with a tolerance in words, not a WER
    point (one point is one word on a hundred-word set)."""
    import jiwer

    normalise = _normaliser(language)
    output = jiwer.process_words([normalise(r) for r in references],
                                 [normalise(h) for h in hypotheses])
    words = sum(len(normalise(r).split()) for r in references)
    return output.substitutions + output.deletions + output.insertions, words


def longest_lost_run(reference: str, hypothesis: str, language: str) -> int:
    """The most consecutive reference words with no hypothesis word in their place
    (deleted, not misheard): what a dropped chunk or a decoding cut short leaves."""
    import jiwer

    normalise = _normaliser(language)
    output = jiwer.process_words(normalise(reference), normalise(hypothesis))
    return max((chunk.ref_end_idx - chunk.ref_start_idx for chunk in output.alignments[0]
                if chunk.type == "delete"), default=0)
