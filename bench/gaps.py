#!/usr/bin/env python3
"""Speech with no text on the dev clips (`make bench`, table "gaps"): every stretch of
speech that no word covers, at any length, and the gaps reported (gaps.MIN_GAP). On
clips whose speech is all recognised, the longest stretch says how much room the
threshold leaves; on the AMI meeting clips, where several people talk at once, the gaps
are speech the recogniser left out.

    PYTHONPATH=app .venv/bin/python bench/gaps.py [--model base]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import transcribe  # noqa: F401 - offline environment first
from transcribe import gaps, pipeline
from transcribe.options import ModelSettings, PipelineOptions

sys.path.insert(0, str(Path(__file__).parent))
from speech import DEV


def measure_gaps(model: str = "base", device: str = "auto") -> list[dict]:
    """Per dev clip: its length, every uncovered stretch (seconds) and the gaps kept."""
    stretches: list[float] = []
    real = pipeline.find_gaps

    def every_stretch(segments, speech, removed=None, turns=None, min_gap=gaps.MIN_GAP):
        stretches.extend(g.duration for g in real(segments, speech, removed, turns, 0.0))
        return real(segments, speech, removed, turns, min_gap)

    pipeline.find_gaps = every_stretch  # the pipeline's own stage, also asked for all
    rows = []
    try:
        for clip in sorted(p for p in DEV.rglob("*") if p.suffix in (".wav", ".ogg", ".flac")):
            stretches.clear()
            options = PipelineOptions(model=ModelSettings(name=model, device=device),
                                      diarize=False)
            transcript = pipeline.run(clip, options)
            rows.append({"clip": str(clip.relative_to(DEV)), "seconds": transcript.duration,
                         "stretches": sorted(round(s, 2) for s in stretches),
                         "gaps": [[g.start, g.end, g.reason] for g in transcript.gaps]})
    finally:
        pipeline.find_gaps = real
    return rows


def gaps_table(rows: list[dict]) -> str:
    lines = [f"Speech with no text (dev clips, threshold {gaps.MIN_GAP} s; uncovered "
             "stretches at any length)", "",
             "| clip | seconds | stretches | longest (s) | gaps kept (s) |",
             "|---|---|---|---|---|"]
    for row in rows:
        kept = ", ".join(f"{s:.1f}-{e:.1f}" for s, e, _ in row["gaps"]) or "-"
        longest = max(row["stretches"], default=0.0)
        lines.append(f"| {row['clip']} | {row['seconds']:.1f} | {len(row['stretches'])} | "
                     f"{longest:.2f} | {kept} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    print(gaps_table(measure_gaps(args.model, args.device)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
