"""The speakers stage on this machine, before and after diarize_tuning (`make bench`, or
alone: `bench/speakers.py`).

"Before" is the pipeline as pyannote loads it from its folder; "after" is what the product
runs (diarize.load_pipeline: windows sliding by a quarter of their length on a CPU, silent
speakers not embedded, CAM++ with its batch norms folded, clustering on a bounded
sample). Both are loaded once, as a worker does, and run in turn on each recording,
repeated, so that other work on the machine weighs on both alike: seconds per minute of
audio (median) and CPU seconds (all threads: less moved by other work than wall time,
though threads spinning while they wait for each other inflate it on a busy machine);
DER of the diarization (no collar, overlaps scored) on the dev AMI clips and synthetic
two-voice interviews, the 10-minute one included (`--short` leaves it out).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "app")]

import transcribe  # noqa: E402, F401 - offline environment first

from speech import DEV  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def recordings(results: Path, long: bool = True) -> list[tuple[str, object, object, object,
                                                                dict]]:
    """(name, samples, reference annotation, uem, speaker counts); without `long`, the
    10-minute interview left out."""
    from pyannote.database.util import load_rttm, load_uem

    from transcribe.audio import load_audio

    from dialogue import long_interview_script, make_dialogue

    cases = []
    ami = DEV / "ami_debug"
    if ami.is_dir():
        references, uems = load_rttm(ami / "debug.test.rttm"), load_uem(ami / "debug.test.uem")
        for uri in ("tst00", "tst01"):
            samples = load_audio(ami / f"{uri}.wav").mono
            cases.append((f"AMI {uri} (4 speakers given)", samples, references[uri],
                          uems[uri], {"num_speakers": 4}))
            cases.append((f"AMI {uri} (1 to 6)", samples, references[uri], uems[uri],
                          {"min_speakers": 1, "max_speakers": 6}))
    for language in ("fr", "en"):
        dialogue = make_dialogue(results / "dialogues" / language, language=language)
        cases.append((f"interview {language} (2 given)", load_audio(dialogue.path).mono,
                       dialogue.annotation(), None, {"num_speakers": 2}))
    if not long:
        return cases
    interview = make_dialogue(results / "dialogues" / "long10", script=long_interview_script(10),
                         language="fr")
    for label, counts in (("2 given", {"num_speakers": 2}),
                          ("1 to 6", {"min_speakers": 1, "max_speakers": 6})):
        cases.append((f"interview fr, 10 min ({label})", load_audio(interview.path).mono,
                      interview.annotation(), None, counts))
    return cases


def measure(device: str = "cpu", repeats: int = 2, results: Path = RESULTS,
            long: bool = True) -> list[dict]:
    import torch
    from pyannote.audio import Pipeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    from transcribe.asr import resolve_device
    from transcribe.audio import SAMPLE_RATE
    from transcribe.diarize import load_pipeline
    from transcribe.models import ModelStore

    device = resolve_device(device)  # make bench passes "auto"
    folder = ModelStore().diarization_path()
    started = time.perf_counter()
    before = Pipeline.from_pretrained(folder).to(torch.device(device))
    load_before = time.perf_counter() - started
    started = time.perf_counter()
    after = load_pipeline(folder, device)
    load_after = time.perf_counter() - started
    pipelines = {"before": before, "after": after}
    rows = []
    for name, samples, reference, uem, counts in recordings(results, long):
        audio = {"waveform": torch.from_numpy(samples)[None], "sample_rate": SAMPLE_RATE}
        seconds: dict[str, list[float]] = {label: [] for label in pipelines}
        cpu: dict[str, list[float]] = {label: [] for label in pipelines}
        ders, found, loads = {}, {}, []
        for repeat in range(repeats):
            order = list(pipelines) if repeat % 2 == 0 else list(pipelines)[::-1]
            for label in order:
                started, started_cpu = time.perf_counter(), time.process_time()
                with contextlib.redirect_stdout(sys.stderr):  # pyannote prints its notes
                    output = pipelines[label](audio, **counts)
                seconds[label].append(time.perf_counter() - started)
                cpu[label].append(time.process_time() - started_cpu)
                annotation = output.speaker_diarization
                ders[label] = DiarizationErrorRate()(reference, annotation, uem=uem)
                found[label] = len(annotation.labels())
            loads.append(os.getloadavg()[0])
        minutes = len(samples) / SAMPLE_RATE / 60
        per_minute = {label: statistics.median(values) / minutes
                      for label, values in seconds.items()}
        rows.append({"recording": name, "minutes": round(minutes, 2),
                     "seconds_per_minute": {k: round(v, 2) for k, v in per_minute.items()},
                     "seconds": {k: [round(v, 1) for v in values]
                                 for k, values in seconds.items()},
                     "speed_up": round(per_minute["before"] / per_minute["after"], 2),
                     # CPU time, all threads (less moved by other work than wall time)
                     "cpu_seconds_per_minute": {
                         k: round(statistics.median(values) / minutes, 2)
                         for k, values in cpu.items()},
                     "der": {k: round(v, 4) for k, v in ders.items()}, "found": found,
                     "load": round(statistics.mean(loads), 1)})
    rows.append({"recording": "loading the pipeline (once per worker)", "minutes": None,
                 "seconds": {"before": [round(load_before, 1)],
                             "after": [round(load_after, 1)]}})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| recording | audio | seconds per audio minute, before / after (runs) | "
             "speed-up | CPU seconds per audio minute, before / after | DER before / after "
             "| speakers found | load average |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["minutes"] is None:
            lines.append(f"| {r['recording']} | - | {r['seconds']['before'][0]:.1f} s / "
                         f"{r['seconds']['after'][0]:.1f} s | - | - | - | - | - |")
            continue
        spm, runs, cpu = r["seconds_per_minute"], r["seconds"], r["cpu_seconds_per_minute"]
        lines.append(
            f"| {r['recording']} | {60 * r['minutes']:.0f} s | {spm['before']:.2f} / "
            f"{spm['after']:.2f} ({', '.join(f'{v:.1f}' for v in runs['before'])} / "
            f"{', '.join(f'{v:.1f}' for v in runs['after'])} s) | {r['speed_up']:.1f}x | "
            f"{cpu['before']:.1f} / {cpu['after']:.1f} | "
            f"{100 * r['der']['before']:.1f} % / {100 * r['der']['after']:.1f} % | "
            f"{r['found']['before']} / {r['found']['after']} | {r['load']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--short", action="store_true",
                        help="leave out the 10-minute interview (its 'before' alone takes "
                             "13 CPU minutes)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = measure(args.device, args.repeats, long=not args.short)
    print(table(rows))
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
