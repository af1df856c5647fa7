"""Peak memory by a recording's length (`make bench`, or alone: `bench/length.py`).

A synthesised two-voice French interview (bench/dialogue.py, 10 minutes, repeated to 1
and 3 hours) goes, each length in its own process:
- through the whole pipeline as the CLI runs it (Whisper base, the embedded speaker
  pipeline, two speakers);
- through community-1's code path, diarization only: pyannote's VBx clustering (what
  community-1's config.yaml asks for) on the embedded models, with the identity PLDA the
  embedded folder holds. community-1's own weights are gated and not here: this measures
  its clustering and everything around it, not its models (which are smaller than Whisper's
  and do not grow with the recording).
The process's peak resident memory (ru_maxrss) is compared with the 10-minute one's: the
target is at most 0.5 GB more, plus the longer recording's decoded audio (16 kHz float).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "app")]

import transcribe  # noqa: E402, F401 - offline environment first

RESULTS = ROOT / "bench" / "results"
LENGTHS = {"10 min": 600, "1 h": 3600, "3 h": 10800}
MODES = ("pipeline", "vbx")
ALLOWANCE_MB = 512
MB = 1 << 20


def recording(seconds: int, results: Path = RESULTS) -> Path:
    """The 10-minute interview repeated (and cut) to `seconds`, as a 16-bit WAV."""
    from transcribe.audio import SAMPLE_RATE, load_audio

    from dialogue import _write_wav, long_interview_script, make_dialogue

    path = results / "dialogues" / f"interview-{seconds}s.wav"
    if not path.exists():
        base = make_dialogue(results / "dialogues" / "long10",
                             script=long_interview_script(10), language="fr")
        samples = load_audio(base.path, normalize=False).mono
        repeats = -(-seconds * SAMPLE_RATE // samples.size)
        _write_wav(path, np.tile(samples, repeats)[: seconds * SAMPLE_RATE][None])
    return path


def stand_in_folder(folder: Path) -> Path:
    """community-1's pipeline settings (VBx clustering, its default parameters) over the
    embedded models."""
    from transcribe.models import ModelStore

    embedded = ModelStore().diarization_path("embedded")
    config = yaml.safe_load((embedded / "config.yaml").read_text())
    config["pipeline"]["params"]["clustering"] = "VBxClustering"
    config["params"]["clustering"] = {"threshold": 0.6, "Fa": 0.07, "Fb": 0.8}
    for part in ("segmentation", "embedding", "plda"):
        (folder / part).symlink_to(embedded / part)
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder


def run_one(mode: str, path: Path) -> dict:
    """In the child process: one recording through `mode`; its peak memory."""
    from transcribe.asr import ModelSettings
    from transcribe.pipeline import PipelineOptions, run
    from transcribe.speakers import SpeakerOptions

    started = time.perf_counter()
    result: dict = {}
    if mode == "pipeline":
        options = PipelineOptions(model=ModelSettings(device="cpu"), diarize=True,
                                  speakers=SpeakerOptions(num_speakers=2), ui_language="fr")
        options.asr.language = "fr"
        transcript = run(path, options)
        result.update(speakers=len(transcript.speakers), timings=transcript.run.timings)
    else:
        from transcribe.audio import load_audio
        from transcribe.diarize import diarize_with_pyannote

        with tempfile.TemporaryDirectory() as folder:
            samples = load_audio(path).mono
            diarization = diarize_with_pyannote(samples, stand_in_folder(Path(folder)),
                                                "cpu", num_speakers=2)
        result.update(speakers=len(diarization.speakers))
    result.update(seconds=round(time.perf_counter() - started, 1),
                  peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    return result


def measure(modes=MODES, lengths=LENGTHS, results: Path = RESULTS) -> list[dict]:
    rows = []
    for mode in modes:
        for label, seconds in lengths.items():
            path = recording(seconds, results)
            child = subprocess.run([sys.executable, __file__, "--one", mode, str(path)],
                                   capture_output=True, text=True, check=False)
            if child.returncode != 0:
                raise RuntimeError(f"{mode} {label}: {child.stderr[-3000:]}")
            row = json.loads(child.stdout.strip().splitlines()[-1])
            rows.append({"mode": mode, "length": label, "audio_seconds": seconds,
                         "decoded_mb": seconds * 16000 * 4 // MB, **row})
            print(f"{mode} {label}: {row}", file=sys.stderr, flush=True)
    for row in rows:
        first = next(r for r in rows if r["mode"] == row["mode"])
        row["above_first_mb"] = row["peak_mb"] - first["peak_mb"]
        row["allowed_mb"] = ALLOWANCE_MB + row["decoded_mb"] - first["decoded_mb"]
        row["within"] = row["above_first_mb"] <= row["allowed_mb"]
    return rows


def table(rows: list[dict]) -> str:
    names = {"pipeline": "whole pipeline (Whisper base, embedded speakers)",
             "vbx": "community-1's code path (VBx), diarization only"}
    lines = ["| path | length | peak memory | above 10 min | decoded audio | allowed: 0.5 GB "
             "+ audio | within | seconds |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {names[r['mode']]} | {r['length']} | {r['peak_mb']} MB | "
                     f"{r['above_first_mb']:+d} MB | {r['decoded_mb']} MB | "
                     f"{r['allowed_mb']} MB | {'yes' if r['within'] else 'NO'} | "
                     f"{r['seconds']:.0f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--lengths", default=",".join(LENGTHS))
    parser.add_argument("--one", nargs=2, metavar=("MODE", "WAV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]))))
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = measure(args.modes.split(","),
                   {k: LENGTHS[k] for k in args.lengths.split(",")})
    print(table(rows))
    print(json.dumps(rows))
    return 0 if all(r["within"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
