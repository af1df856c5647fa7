#!/usr/bin/env python3
"""Workers (`make bench`, or alone: `bench/workers.py`): a batch transcribed by a real
`transcribe-web` through its `process` launcher, as `make run` serves it.

Reported: for each file, the time from "Start" (the job queued) to the worker running, to
the job claimed (the worker's imports), to transcription starting (decoding done and the
model loaded) and to the first words decoded (the first segment's progress), and to the
end; the time left the page showed (jobs/eta.py, read from the record as the page reads
it, each second while the job ran) against the time the job actually had left: the median
and the worst ratio per job and over all, and how often it read "less than a minute" with
90 s or more still to go; the worker's lifetime (ledger: process start to exit, its idle
grace included) against the batch's audio length; the web app's resident memory idle, at
its peak during the batch and after (it loads no model), and the worker's peak (what the
web app held when it transcribed in process). On a GPU (`--device cuda --model
large-v3-turbo`, with the models baked in the image) the same figures give the GPU-seconds
a batch holds, less the pod's start, which only a cluster shows (README, "Workers").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "app"), str(ROOT / "bench")]

from webserver import web_server  # noqa: E402

MB = 1024 ** 2
TEXT = ("Good morning and thank you for coming today. Can you tell me about your work at "
        "the hospital, and what you like most about it? I have worked there for ten years, "
        "mostly at night, with a small team that I know very well.")


def rss(pid: int, field: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def recording(folder: Path, seconds: int) -> Path:
    voice = folder / "voice.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(voice), TEXT], check=True)
    path = folder / f"speech-{seconds}.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", "-1", "-i", str(voice),
                    "-t", str(seconds), "-ar", "16000", "-ac", "1", str(path)], check=True)
    return path


def measure(files: int, seconds: int, model: str, device: str, idle: float,
            workdir: Path, speakers: bool = True) -> dict:
    from transcribe.asr import AsrOptions, ModelSettings
    from transcribe.jobs import JobStore, estimate_remaining
    from transcribe.pipeline import PipelineOptions
    from transcribe.speakers import SpeakerOptions
    from transcribe.workers.launches import Launches

    clip = recording(workdir, seconds)
    data = workdir / "data"
    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith("TRANSCRIBE_") or k == "TRANSCRIBE_MODELS_DIR"},
           "TRANSCRIBE_DATA_DIR": str(data), "HOME": str(workdir),
           "TRANSCRIBE_WORKER_IDLE_SECONDS": str(idle)}
    # As the upload form queues an interview: speakers found (the stage whose time left
    # was most wrong), unless --no-speakers.
    people = SpeakerOptions(preset="interview" if speakers else "single")
    options = PipelineOptions(model=ModelSettings(model, device=device),
                              asr=AsrOptions(language="en"), diarize=people.diarize,
                              speakers=people)
    with web_server(env, workdir / "server.log", timeout=120) as (_, server):
        time.sleep(2.0)
        idle_rss = rss(server.pid)
        store = JobStore(data)
        started = time.time()  # "Start": the jobs queued, as the upload page queues them
        jobs = [store.create(f"file-{n}.wav", clip, options, duration=float(seconds))
                for n in range(files)]
        marks: dict[str, dict[str, float]] = {job.id: {} for job in jobs}
        # (when, the time left shown) while each job runs, as the page computes it.
        shown: dict[str, list[tuple[float, float | None]]] = {job.id: [] for job in jobs}
        stages: dict[str, list[tuple[float, str]]] = {job.id: [] for job in jobs}
        worker_peak = server_peak = 0
        launches = Launches(data)
        while True:
            server_peak = max(server_peak, rss(server.pid))
            for launch in launches.live():
                if launch.handle:
                    worker_peak = max(worker_peak, rss(int(launch.handle)))
            for job in jobs:
                record = store.get(job.id)
                seen = marks[job.id]
                now = time.time() - started
                if record.worker and "worker" not in seen:
                    launch = launches.get(record.worker)
                    seen["worker"] = (launch.created if launch else time.time()) - started
                if record.status in ("running", "done") and "claimed" not in seen:
                    seen["claimed"] = (record.started or time.time()) - started
                if record.stage == "asr" and "asr" not in seen:
                    seen["asr"] = now
                if ((record.stage == "asr" and record.stage_fraction > 0) or
                        record.stage not in (None, "decode", "asr")) and "first" not in seen:
                    seen["first"] = now
                if record.status == "running" and (
                        not shown[job.id] or now - shown[job.id][-1][0] >= 1.0):
                    # None: "estimating the time left…"
                    shown[job.id].append((now, estimate_remaining(record)))
                    stages[job.id].append((round(now, 1), record.stage or ""))
                if not record.active and "end" not in seen:
                    seen["end"] = now
                    seen["status"] = record.status
            if all("end" in seen for seen in marks.values()) and not launches.live():
                break
            time.sleep(0.1)
        after_rss = rss(server.pid)
    ended = [launch for launch in launches.all() if launch.held_seconds is not None]
    lifetime = sum(launch.held_seconds for launch in ended)
    return {"files": files, "seconds_each": seconds, "model": model, "device": device,
            "speakers": speakers,
            "idle_grace": idle, "marks": list(marks.values()), "workers": len(ended),
            "time_left": [time_left_error(shown[job.id], marks[job.id].get("end"))
                          for job in jobs],
            # What the estimate started from and what each stage took, per job.
            "stage_times": [{"expected": (record := store.get(job.id)).expected,
                             "took": record.stage_seconds, "samples": list(zip(
                                 stages[job.id],
                                 [left and round(left) for _, left in shown[job.id]],
                                 strict=True))}
                            for job in jobs],
            "worker_lifetime": round(lifetime, 1),
            "audio_seconds": float(files * seconds),
            "server_idle_mb": round(idle_rss / MB), "server_peak_mb": round(server_peak / MB),
            "server_after_mb": round(after_rss / MB), "worker_peak_mb": round(worker_peak / MB)}


# Seconds left under which a ratio says little (a second off reads as "twice as long").
RATIO_FLOOR = 10.0


def time_left_error(shown: list[tuple[float, float | None]], end: float | None) -> dict:
    """How far the time left shown was from the time the job actually had left: ratios
    estimate / actual (1 is right, 0.5 half, 2 twice), the worst the farthest from 1; and
    the seconds it said "estimating" instead."""
    if end is None:
        return {}
    ratios = sorted(left / (end - when) for when, left in shown
                    if left is not None and end - when > RATIO_FLOOR)
    if not ratios:
        return {}
    return {"samples": len(ratios), "ratios": [round(r, 3) for r in ratios],
            "median": round(ratios[len(ratios) // 2], 2),
            "worst": round(max(ratios, key=lambda r: max(r, 1 / r)), 2),
            "estimating": sum(1 for _, left in shown if left is None),
            "under_a_minute_with_90s_left": sum(1 for when, left in shown
                                                if left is not None and end - when >= 90
                                                and left < 60)}


def time_left_table(errors: list[dict]) -> list[str]:
    lines = ["", "| file | time left shown / actual: median | worst | seconds shown | "
             "\"estimating\" | \"less than a minute\" with 90 s or more to go |",
             "|---|---|---|---|---|---|"]
    for number, error in enumerate(errors, 1):
        if error:
            lines.append(f"| {number} | {error['median']:.2f} | {error['worst']:.2f} | "
                         f"{error['samples']} | {error['estimating']} s | "
                         f"{error['under_a_minute_with_90s_left']} |")
    pooled = sorted(r for e in errors if e for r in e["ratios"])
    if pooled:
        worst = max(pooled, key=lambda r: max(r, 1 / r))
        lines.append(f"| all | {pooled[len(pooled) // 2]:.2f} | {worst:.2f} | "
                     f"{sum(e['samples'] for e in errors if e)} | "
                     f"{sum(e['estimating'] for e in errors if e)} s | "
                     f"{sum(e['under_a_minute_with_90s_left'] for e in errors if e)} |")
    return lines


def table(result: dict) -> str:
    lines = [f"Workers (process launcher; {result['files']} files of {result['seconds_each']} s, "
             f"Whisper {result['model']} on {result['device']}, "
             f"{'speakers found' if result.get('speakers') else 'no speakers'}, idle grace "
             f"{result['idle_grace']:g} s):", "",
             "| file | worker started | claimed | transcription starts | first words | done |",
             "|---|---|---|---|---|---|"]
    for number, seen in enumerate(result["marks"], 1):
        cells = [f"{seen[k]:.1f} s" if k in seen else "-"
                 for k in ("worker", "claimed", "asr", "first", "end")]
        lines.append(f"| {number} | " + " | ".join(cells) + " |")
    audio = result["audio_seconds"]
    lifetime = result["worker_lifetime"]
    busy = lifetime - result["workers"] * result["idle_grace"]
    lines += ["", "| worker lifetime | of which idle grace | audio | lifetime per hour of "
              "audio, less the grace | web app RSS idle / peak / after | worker peak RSS |",
              "|---|---|---|---|---|---|",
              f"| {lifetime:.0f} s | {result['workers'] * result['idle_grace']:.0f} s | "
              f"{audio:.0f} s | {busy * 3600 / audio / 60:.1f} min | "
              f"{result['server_idle_mb']} / {result['server_peak_mb']} / "
              f"{result['server_after_mb']} MB | {result['worker_peak_mb']} MB |"]
    lines += time_left_table(result.get("time_left", []))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=60, help="audio per file")
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--idle", type=float, default=10.0, help="the worker's idle grace")
    parser.add_argument("--speakers", action=argparse.BooleanOptionalAction, default=True,
                        help="find speakers, as the upload form's interview does")
    args = parser.parse_args()
    for tool in ("espeak-ng", "ffmpeg"):
        if not shutil.which(tool):
            print(f"{tool} is needed", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as folder:
        result = measure(args.files, args.seconds, args.model, args.device, args.idle,
                         Path(folder), args.speakers)
    print(table(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
