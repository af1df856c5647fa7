#!/usr/bin/env python3
"""Server memory for a large upload and its transcription (`make bench`, or alone:
`bench/memory.py --size-gb 2`).

A field recorder's file (44.1 kHz, stereo, 16-bit WAV; 2 GB, decimal, is about 3 h 9 min:
silence with a tone each minute, so that it transcribes in minutes) is
uploaded through Debian's headless Chromium to a real `transcribe-web`, then transcribed
with the "one speaker" preset and the smallest Whisper model on disk. The server's
resident memory is read from /proc: idle (the page loaded), its peak during the upload,
and its peak from the start of the job to its end; the job runs in a worker process
(workers/), whose peak is read too. Target (issue 12): each peak at most 1.5 GB above the
idle server plus the decoded 16 kHz mono audio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "app"), str(ROOT / "tests")]

from field_recording import field_recording  # noqa: E402
from webserver import web_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
GB = 1024 ** 3
MB = 1024 ** 2
ALLOWANCE = 1.5 * GB
BYTES_PER_SECOND = 44100 * 2 * 2


def memory(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def smallest_model() -> str:
    from transcribe.models import ModelStore

    on_disk = ModelStore().whisper_models()
    return next((m for m in ("tiny.en", "tiny", "base.en", "base") if m in on_disk),
                on_disk[0])


def measure(size_gb: float, workdir: Path) -> dict:
    from playwright.sync_api import expect, sync_playwright

    seconds = int(size_gb * 1e9 / BYTES_PER_SECOND)
    recording = field_recording(workdir / "terrain.wav", seconds)
    model = smallest_model()
    data = workdir / "data"
    env = {**{k: v for k, v in os.environ.items()
              if not k.startswith("TRANSCRIBE_") or k == "TRANSCRIBE_MODELS_DIR"},
           "TRANSCRIBE_DATA_DIR": str(data),
           "TRANSCRIBE_UI_LANGUAGE": "en", "TRANSCRIBE_DEFAULT_MODEL": model,
           # Streamlit's uploader counts megabytes as 10**6 bytes, the server as 2**20.
           "TRANSCRIBE_MAX_UPLOAD_MB": str(int(size_gb * 1000) + 64),
           "HOME": str(workdir)}
    result = {"file_mb": recording.stat().st_size // MB, "audio_hours": round(seconds / 3600, 2),
              "model": model, "decoded_mono_mb": seconds * 16000 * 4 // MB}
    with web_server(env, workdir / "server.log", timeout=120, grace=20) as (url, server):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(120_000)
            page.goto(url)
            expect(page.get_by_role("heading", name="Transcribe recordings")).to_be_visible()
            time.sleep(2)
            result["idle_mb"] = memory(server.pid, "VmRSS") // MB
            reset_peak(server.pid)
            started = time.monotonic()
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(recording))
            start = page.get_by_role("button", name="Transcribe (1 file(s))")
            expect(start).to_be_enabled(timeout=1_800_000)
            result["upload_seconds"] = round(time.monotonic() - started, 1)
            result["upload_peak_mb"] = memory(server.pid, "VmHWM") // MB
            page.get_by_text("One speaker").click()
            page.get_by_role("button", name="Transcribe (1 file(s))").click()
            expect(page.get_by_text("1 file(s) added to the queue.")).to_be_visible()
            browser.close()
        reset_peak(server.pid)
        started = time.monotonic()
        record, worker_peak = wait_for_job(data, server)
        result["job_seconds"] = round(time.monotonic() - started, 1)
        result["job_status"] = record["status"]
        result["job_peak_mb"] = memory(server.pid, "VmHWM") // MB
        result["worker_peak_mb"] = worker_peak // MB
    peak = max(result["upload_peak_mb"], result["job_peak_mb"], result["worker_peak_mb"])
    result["target_mb"] = result["idle_mb"] + int(ALLOWANCE // MB) + result["decoded_mono_mb"]
    result["peak_above_idle_mb"] = peak - result["idle_mb"]
    result["within_target"] = peak <= result["target_mb"]
    return result


def wait_for_job(data: Path, server: subprocess.Popen) -> tuple[dict, int]:
    """The job's final record, and the peak resident memory of the workers that ran it."""
    peak = 0
    while True:
        for launch in worker_launches(data):
            try:
                peak = max(peak, memory(int(launch["handle"]), "VmHWM"))
            except (OSError, KeyError, TypeError, ValueError):
                pass  # not started yet, or gone
        records = [json.loads(p.read_text()) for p in (data / "jobs").glob("*/job.json")]
        if records and records[0]["status"] not in ("uploading", "queued", "running"):
            return records[0], peak
        if server.poll() is not None:
            raise RuntimeError("transcribe-web stopped during the job")
        time.sleep(0.5)


def worker_launches(data: Path) -> list[dict]:
    try:
        return list(json.loads((data / "workers" / "launches.json").read_text()).values())
    except (OSError, ValueError):
        return []


def table(result: dict) -> str:
    return "\n".join([
        "| upload | audio | model | idle server | peak, upload | peak, transcription "
        "| worker's peak | decoded mono | target | within |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| {result['file_mb']} MB WAV 44.1 kHz stereo | {result['audio_hours']} h "
        f"| {result['model']} | {result['idle_mb']} MB | {result['upload_peak_mb']} MB "
        f"| {result['job_peak_mb']} MB ({result['job_status']}, {result['job_seconds']} s) "
        f"| {result['worker_peak_mb']} MB | {result['decoded_mono_mb']} MB "
        f"| {result['target_mb']} MB "
        f"| {'yes' if result['within_target'] else 'NO'} |",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="transcribe-memory-") as folder:
        result = measure(args.size_gb, Path(folder))
    print(table(result))
    print(json.dumps(result))
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
