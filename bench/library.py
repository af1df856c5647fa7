"""The faster-whisper engine against plain faster-whisper, same weights, options and samples
(`make bench`, or alone: `bench/library.py`).

The dev sessions (one per language, the dev clips joined) are decoded by this project's
engine (pieces side by side, seeded sampling) and by faster-whisper's own
`WhisperModel.transcribe` (sequential, one model, its default unseeded sampling), with the
temperature fallback on (0.0 to 1.0, the default) and off (0.0). Both run in this one
process, interleaved (ours then the library's, then the other way round) and repeated, so
that other work on the machine weighs on both alike; the table gives the median of each
and the ratio of medians (below 1.0: the project is faster), with the CPU time each
used. The load average is printed with it.
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


def measure(model: str = "base", repeats: int = 3) -> list[dict]:
    from faster_whisper import WhisperModel

    from transcribe.asr import AsrOptions, ModelSettings, get_engine
    from transcribe.asr.base import available_cpus
    from transcribe.models import ModelStore

    ours = get_engine("faster-whisper", model=ModelSettings(name=model, device="cpu"))
    library = WhisperModel(str(ModelStore().whisper_path(model)), device="cpu",
                           compute_type="int8", cpu_threads=available_cpus())
    sessions = {language: session(clips) for language, clips in DEV_SET.items()}

    def decode_ours(samples, language, temperatures) -> str:
        result = ours.transcribe(samples, AsrOptions(language=language,
                                                     temperatures=temperatures))
        return " ".join(s.text for s in result.segments)

    def decode_library(samples, language, temperatures) -> str:
        segments, _ = library.transcribe(
            samples, language=language, task="transcribe", beam_size=5,
            temperature=list(temperatures), condition_on_previous_text=False,
            word_timestamps=True, vad_filter=False)
        return " ".join(s.text.strip() for s in segments)

    decoders = {"project": decode_ours, "faster-whisper": decode_library}
    for decode in decoders.values():  # warm-up: loading is not what we compare
        decode(sessions["en"][0][: 16000 * 3], "en", (0.0,))
    rows = []
    for fallback, temperatures in FALLBACK.items():
        seconds: dict[str, list[float]] = {name: [] for name in decoders}
        cpu: dict[str, list[float]] = {name: [] for name in decoders}
        texts: dict[str, dict[str, str]] = {name: {} for name in decoders}
        loads = []
        for repeat in range(repeats):
            order = list(decoders) if repeat % 2 == 0 else list(decoders)[::-1]
            for name in order:
                started, started_cpu = time.perf_counter(), time.process_time()
                for language, (samples, _) in sessions.items():
                    texts[name][language] = decoders[name](samples, language, temperatures)
                seconds[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - started_cpu)
            loads.append(os.getloadavg()[0])
        audio = sum(len(samples) for samples, _ in sessions.values()) / 16000
        medians = {name: statistics.median(values) for name, values in seconds.items()}
        rows.append({
            "fallback": fallback, "audio_seconds": round(audio, 1),
            "seconds": {name: [round(v, 1) for v in values]
                        for name, values in seconds.items()},
            "median": {name: round(value, 1) for name, value in medians.items()},
            "ratio": round(medians["project"] / medians["faster-whisper"], 2),
            # CPU time, all threads: the work each did, whatever else the machine ran (on a
            # busy machine, pieces side by side gain nothing from the second core).
            "cpu_seconds": {name: round(statistics.median(values), 1)
                            for name, values in cpu.items()},
            "wer": {name: {language: round(wer([reference], [texts[name][language]],
                                                language), 3)
                           for language, (_, reference) in sessions.items()}
                    for name in decoders},
            "load": round(statistics.mean(loads), 1),
        })
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| fallback | audio | project: seconds (median of runs) | plain faster-whisper: "
             "seconds | ratio | CPU seconds, project / faster-whisper | WER fr / en, "
             "project | WER fr / en, faster-whisper | load average |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ours, theirs = r["seconds"]["project"], r["seconds"]["faster-whisper"]
        lines.append(
            f"| {r['fallback']} | {r['audio_seconds']:.0f} s | {r['median']['project']:.1f} "
            f"({', '.join(f'{v:.1f}' for v in ours)}) | {r['median']['faster-whisper']:.1f} "
            f"({', '.join(f'{v:.1f}' for v in theirs)}) | {r['ratio']:.2f} | "
            f"{r['cpu_seconds']['project']:.1f} / {r['cpu_seconds']['faster-whisper']:.1f} | "
            + " / ".join(f"{100 * r['wer']['project'][k]:.1f} %" for k in ("fr", "en"))
            + " | "
            + " / ".join(f"{100 * r['wer']['faster-whisper'][k]:.1f} %" for k in ("fr", "en"))
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
