#!/usr/bin/env python3
"""Workers (`make bench`, or alone: `bench/workers.py`): a batch transcribed by a real
`transcribe-web` through its `process` launcher, as `make run` serves it.

Reported: for each file, the time from "Start" (the job queued) to the worker running,
to the job claimed (the worker's imports), to transcription starting (decoding done and
the model loaded) and to the first words decoded (the first segment's progress), and to
the end; the worker's lifetime (ledger: process start to exit, its idle grace included)
against the batch's audio length; the web app's resident memory idle, at its peak during
the batch and after (it loads no model), and the worker's peak (what the web app held
when it transcribed in process). On a GPU (`--device cuda --model large-v3-turbo`, with
the models baked in the image) the same figures give the GPU-seconds a batch holds, less
the pod's start, which only a cluster shows (README, "Workers").
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
            workdir: Path) -> dict:
    from transcribe.asr import AsrOptions, ModelSettings
    from transcribe.jobs import JobStore
    from transcribe.pipeline import PipelineOptions
    from transcribe.workers.launches import Launches

    clip = recording(workdir, seconds)
    data = workdir / "data"
    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith("TRANSCRIBE_") or k == "TRANSCRIBE_MODELS_DIR"},
           "TRANSCRIBE_DATA_DIR": str(data), "HOME": str(workdir),
           "TRANSCRIBE_WORKER_IDLE_SECONDS": str(idle)}
    options = PipelineOptions(model=ModelSettings(model, device=device),
                              asr=AsrOptions(language="en"))
    with web_server(env, workdir / "server.log", timeout=120) as (_, server):
        time.sleep(2.0)
        idle_rss = rss(server.pid)
        store = JobStore(data)
        started = time.time()  # "Start": the jobs queued, as the upload page queues them
        jobs = [store.create(f"file-{n}.wav", clip, options, duration=float(seconds))
                for n in range(files)]
        marks: dict[str, dict[str, float]] = {job.id: {} for job in jobs}
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
            "idle_grace": idle, "marks": list(marks.values()), "workers": len(ended),
            "worker_lifetime": round(lifetime, 1),
            "audio_seconds": float(files * seconds),
            "server_idle_mb": round(idle_rss / MB), "server_peak_mb": round(server_peak / MB),
            "server_after_mb": round(after_rss / MB), "worker_peak_mb": round(worker_peak / MB)}


def table(result: dict) -> str:
    lines = [f"Workers (process launcher; {result['files']} files of {result['seconds_each']} s, "
             f"Whisper {result['model']} on {result['device']}, idle grace "
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
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=60, help="audio per file")
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--idle", type=float, default=10.0, help="the worker's idle grace")
    args = parser.parse_args()
    for tool in ("espeak-ng", "ffmpeg"):
        if not shutil.which(tool):
            print(f"{tool} is needed", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as folder:
        result = measure(args.files, args.seconds, args.model, args.device, args.idle,
                         Path(folder))
    print(table(result))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
