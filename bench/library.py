"""The faster-whisper engine against plain faster-whisper, same weights, options and samples
(`make bench`, or alone: `bench/library.py`).

The dev sessions (one per language, the dev clips joined), where Whisper's first try
nearly always passes, and the French synthetic interview, where the fallback samples, are
decoded by this project's engine (pieces side by side, seeded sampling) and by
faster-whisper's own `WhisperModel.transcribe` (sequential, one model, its default
unseeded sampling), with the temperature fallback on (0.0 to 1.0, the default) and off
(0.0); the segments that came from a sampled window are counted. Both run in this one
process, interleaved (ours then the library's, then the other way round) and repeated, so
that other work on the machine weighs on both alike; the table gives the median of each
and the ratio of medians (below 1.0: the project is faster), with the CPU time each
used. The load average is printed with it. Each set's recordings are decoded by the
project in one layout (pieces from a minute on, else one decoding with every thread), loaded
before the set's runs: loading is not what is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "app")]

import transcribe  # noqa: E402, F401 - offline environment first

from speech import DEV_SET, session, wer  # noqa: E402

FALLBACK = {"on": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0), "off": (0.0,)}


def recordings() -> dict[str, list[tuple[str, object, str]]]:
    """Sets of (language, samples, reference): the dev sessions, where Whisper's first try
    passes nearly everywhere, and the French synthetic interview, where the fallback
    samples (espeak's French voice: low log-probabilities)."""
    from transcribe.audio import load_audio

    from dialogue import make_dialogue

    interview = make_dialogue(ROOT / "bench" / "results" / "dialogues" / "fr", language="fr")
    return {
        "dev sessions": [(language, *session(clips)) for language, clips in DEV_SET.items()],
        "synthetic interview fr": [("fr", load_audio(interview.path).mono,
                                    " ".join(text for *_, text in interview.turns))],
    }


def measure(model: str = "base", repeats: int = 3) -> list[dict]:
    from faster_whisper import WhisperModel

    from transcribe.asr import AsrOptions, ModelSettings, get_engine
    from transcribe.asr.base import available_cpus
    from transcribe.asr.faster_whisper import CUT_FROM, model_for
    from transcribe.models import ModelStore

    ours = get_engine("faster-whisper", model=ModelSettings(name=model, device="cpu"))
    library = WhisperModel(str(ModelStore().whisper_path(model)), device="cpu",
                           compute_type="int8", cpu_threads=available_cpus())
    sets = recordings()

    # Each returns the text and how many segments came from a window that sampled.
    def decode_ours(samples, language, temperatures) -> tuple[str, int]:
        result = ours.transcribe(samples, AsrOptions(language=language,
                                                     temperatures=temperatures))
        return (" ".join(s.text for s in result.segments),
                sum(bool(s.decoder and s.decoder.temperature > 0) for s in result.segments))

    def decode_library(samples, language, temperatures) -> tuple[str, int]:
        segments, _ = library.transcribe(
            samples, language=language, task="transcribe", beam_size=5,
            temperature=list(temperatures), condition_on_previous_text=False,
            word_timestamps=True, vad_filter=False)
        segments = list(segments)
        return (" ".join(s.text.strip() for s in segments),
                sum((s.temperature or 0.0) > 0 for s in segments))

    decoders = {"project": decode_ours, "faster-whisper": decode_library}
    warm_up = sets["dev sessions"][1][1][: 16000 * 3]
    for decode in decoders.values():
        decode(warm_up, "en", (0.0,))
    rows = []
    for set_name, items in sets.items():
        # The layout the project decodes this set's recordings in (all of one kind here).
        model_for(ours.store, ours.model,
                  parallel=min(len(samples) for _, samples, _ in items) >= CUT_FROM * 16000)
        for fallback, temperatures in FALLBACK.items():
            rows.append(_measure_set(set_name, items, fallback, temperatures, decoders,
                                     repeats))
    return rows


def _measure_set(set_name, items, fallback, temperatures, decoders, repeats) -> dict:
    seconds: dict[str, list[float]] = {name: [] for name in decoders}
    cpu: dict[str, list[float]] = {name: [] for name in decoders}
    texts: dict[str, list[str]] = {}
    sampled: dict[str, int] = {}
    loads = []
    for repeat in range(repeats):
        order = list(decoders)[repeat % len(decoders):] + list(decoders)[:repeat % len(decoders)]
        order = order if repeat % 2 == 0 else order[::-1]
        for name in order:
            started, started_cpu = time.perf_counter(), time.process_time()
            outputs = [decoders[name](samples, language, temperatures)
                       for language, samples, _ in items]
            seconds[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - started_cpu)
            texts[name] = [text for text, _ in outputs]
            sampled[name] = sum(count for _, count in outputs)
        loads.append(os.getloadavg()[0])
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    return {
        "recordings": set_name, "fallback": fallback,
        "audio_seconds": round(sum(len(samples) for _, samples, _ in items) / 16000, 1),
        "seconds": {name: [round(v, 1) for v in values] for name, values in seconds.items()},
        "median": {name: round(value, 1) for name, value in medians.items()},
        "ratio": {name: round(medians[name] / medians["faster-whisper"], 2)
                  for name in decoders if name != "faster-whisper"},
        # CPU time, all threads: less moved by other work than wall time (threads spinning
        # while they wait inflate it on a busy machine, where pieces side by side also gain
        # nothing from a second core that is never free).
        "cpu_seconds": {name: round(statistics.median(values), 1)
                        for name, values in cpu.items()},
        "sampled_segments": sampled,
        "wer": {name: {language: round(wer([reference], [text], language), 3)
                       for (language, _, reference), text in zip(items, texts[name],
                                                                 strict=True)}
                for name in decoders},
        "load": round(statistics.mean(loads), 1),
    }


def table(rows: list[dict]) -> str:
    names = list(rows[0]["seconds"])
    others = [name for name in names if name != "faster-whisper"]
    lines = ["| recordings | fallback | audio | " + " | ".join(
        f"{name}: seconds (runs)" for name in names) + " | " + " | ".join(
        f"ratio, {name}" for name in others) + " | CPU seconds, " + " / ".join(names)
        + " | segments sampled, " + " / ".join(names) + " | WER, " + " / ".join(names)
        + " | load average |",
        "|---|---|---|" + "---|" * (len(names) + len(others)) + "---|---|---|---|"]

    def wers(values: dict[str, float]) -> str:
        return " ".join(f"{language} {100 * value:.1f} %" for language, value in
                        values.items())

    for r in rows:
        lines.append(
            f"| {r['recordings']} | {r['fallback']} | {r['audio_seconds']:.0f} s | "
            + " | ".join(f"{r['median'][name]:.1f} "
                         f"({', '.join(f'{v:.1f}' for v in r['seconds'][name])})"
                         for name in names)
            + " | " + " | ".join(f"**{r['ratio'][name]:.2f}**" if name == "project"
                                 else f"{r['ratio'][name]:.2f}" for name in others)
            + " | " + " / ".join(f"{r['cpu_seconds'][name]:.1f}" for name in names)
            + " | " + " / ".join(str(r["sampled_segments"][name]) for name in names)
            + " | " + " / ".join(wers(r["wer"][name]) for name in names)
            + f" | {r['load']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = measure(args.model, args.repeats)
    print(table(rows))
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
