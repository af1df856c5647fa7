#!/usr/bin/env python3
"""`make bench`: the engines side by side on the same weights and the dev clips, then the
speaker stages.

Table 1, per engine: WER (FLEURS + LibriSpeech + JFK dev clips, French and English, each
clip decoded alone), then on one long session per language made of those clips joined:
WER, seconds and real-time factor; peak memory, and speed relative to openai-whisper (the
tutorial's engine), all measured in one run, each engine in its own process so that peak
memory is its own. The session WER moves by a few points with where Whisper's 30 s windows
fall (a cut, or a recording starting a few seconds later): read it as a check that nothing
is lost, the clip WER as the accuracy.

Table 2, speakers: DER (pyannote.metrics) of the diarization on the dev AMI clips and of
the final transcript on synthetic two-voice interviews, speaker-attributed WER where
references exist (the interviews, the stereo dev clip), seconds per stage.

Then the web server's peak memory for a 2 GB upload and its transcription
(bench/memory.py), and a batch through the worker processes: the time from "Start" to the
first words, the worker's lifetime against the audio, the web app's memory without a
model (bench/workers.py).
`bench/embeddings.py` compares the speaker embeddings (CAM++, resemblyzer's GE2E).
Table 3, the correction editor on a 3-hour transcript, timed in Chromium (`bench/editor.py`).

Table 4, word timing before and after the bound (bench/timing.py): word time errors on
the synthetic interviews, words outside speech, DER of the final transcript.

Table 5, speech with no text (bench/gaps.py): per dev clip, the stretches of speech no
word covers and the gaps reported past the threshold.

Last, peak memory by a recording's length, 10 minutes to 3 hours (bench/length.py).

Results are printed and written to bench/results/ (markdown and JSON).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import transcribe  # noqa: F401 - offline environment first

from speech import DEV, reference, session, wer
from speech import DEV_SET as CLIPS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
ENGINES = ("openai-whisper", "faster-whisper", "whisperx")


# -- one engine, in its own process -------------------------------------------------------------


def measure_engine(engine: str, model: str, device: str) -> dict:
    from transcribe.asr import AsrOptions, ModelSettings, get_engine
    from transcribe.asr.guard import apply_guard
    from transcribe.audio import SAMPLE_RATE, load_audio

    asr = get_engine(engine, model=ModelSettings(name=model, device=device))
    result: dict = {"engine": engine, "model": model, "wer": {}, "clips": {}}
    for language, clips in CLIPS.items():
        audios = [load_audio(DEV / clip).mono for clip in clips]
        options = AsrOptions(language=language)
        # Warm-up: model loading is not what we compare.
        asr.transcribe(audios[0][: SAMPLE_RATE * 3], options)
        hypotheses = []
        for clip, samples in zip(clips, audios, strict=True):
            decoded = asr.transcribe(samples, options)
            apply_guard(decoded, samples)
            text = " ".join(s.text for s in decoded.segments)
            hypotheses.append(text)
            result["clips"][clip] = round(wer([reference(DEV / clip)], [text], language), 4)
        references = [reference(DEV / clip) for clip in clips]
        result["wer"][language] = round(wer(references, hypotheses, language), 4)
    sessions = {language: session(clips) for language, clips in CLIPS.items()}

    # Speed on one long session per language (per-file overheads would dominate clips of a
    # few seconds; interviews are hours long).
    seconds = 0.0
    audio_seconds = 0.0
    result["session_wer"] = {}
    for language, (samples, joined_reference) in sessions.items():
        options = AsrOptions(language=language)
        started = time.perf_counter()
        decoded = asr.transcribe(samples, options)
        apply_guard(decoded, samples)
        seconds += time.perf_counter() - started
        audio_seconds += len(samples) / SAMPLE_RATE
        text = " ".join(s.text for s in decoded.segments)
        result["session_wer"][language] = round(wer([joined_reference], [text], language), 4)
    result.update(
        seconds=round(seconds, 2),
        audio_seconds=round(audio_seconds, 1),
        rtf=round(seconds / audio_seconds, 3),
        peak_memory_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )
    return result


# -- speakers -------------------------------------------------------------------------------


def measure_speakers(device: str) -> list[dict]:
    from transcribe.asr import resolve_device
    from transcribe.models import ModelStore

    device = resolve_device(device)
    store = ModelStore()
    return _ami_rows(store, device) + _dialogue_rows(store, device) + \
        _stereo_rows(store, device)


def _ami_rows(store, device: str) -> list[dict]:
    """DER of the diarization alone (no transcript) on the AMI dev clips."""
    from pyannote.database.util import load_rttm, load_uem
    from pyannote.metrics.diarization import DiarizationErrorRate

    from transcribe.audio import load_audio
    from transcribe.diarize import diarize_with_pyannote

    ami = DEV / "ami_debug"
    if not ami.is_dir():
        return []
    rows = []
    references = load_rttm(ami / "debug.test.rttm")
    uems = load_uem(ami / "debug.test.uem")
    for uri in ("tst00", "tst01"):
        samples = load_audio(ami / f"{uri}.wav").mono
        for label, counts in (("4 speakers given", {"num_speakers": 4}),
                              ("auto, 1-6", {"min_speakers": 1, "max_speakers": 6})):
            started = time.perf_counter()
            diarization = diarize_with_pyannote(samples, store.diarization_path(), device,
                                                **counts)
            seconds = time.perf_counter() - started
            der = DiarizationErrorRate()(references[uri], _annotation(diarization.turns),
                                         uem=uems[uri])
            rows.append({"recording": f"AMI {uri} (30 s, 4 speakers, overlap)",
                         "setting": label, "der": round(der, 3), "der_of": "diarization",
                         "swer": None, "found": len(diarization.speakers),
                         "timings": {"diarize": round(seconds, 1)}})
    return rows


def _dialogue_rows(store, device: str) -> list[dict]:
    """The whole pipeline on synthetic interviews: DER of the final transcript's segments
    (after word assignment and smoothing), speaker-attributed WER."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    from transcribe.asr import AsrOptions, ModelSettings
    from transcribe.pipeline import PipelineOptions, run
    from transcribe.speakers import SpeakerOptions

    from dialogue import make_dialogue

    rows = []
    for language in ("fr", "en"):
        dialogue = make_dialogue(RESULTS / "dialogues" / language, language=language)
        options = PipelineOptions(model=ModelSettings(device=device),
                                  asr=AsrOptions(language=language), diarize=True,
                                  speakers=SpeakerOptions(preset="interview"),
                                  ui_language="en")
        transcript = run(dialogue.path, options, store)
        der = DiarizationErrorRate()(dialogue.annotation(), _annotation(transcript.segments))
        references = [dialogue.text_of(s) for s in ("A", "B")]
        rows.append({"recording": f"synthetic interview {language} "
                                  f"({transcript.duration:.0f} s, 2 voices)",
                     "setting": "interview preset", "der": round(der, 3),
                     "der_of": "final transcript",
                     "swer": round(_speaker_attributed_wer(references, transcript, language), 3),
                     "found": len(transcript.speakers),
                     "roles": {s.name: s.role_confidence for s in transcript.speakers.values()},
                     "timings": transcript.run.timings})
    return rows


def _stereo_rows(store, device: str) -> list[dict]:
    """The stereo dev clip (one person per channel, talking at once): each channel as a
    speaker, against pyannote on the mix. No RTTM exists, so no DER; the left and right
    references give the speaker-attributed WER."""
    from transcribe.asr import AsrOptions, ModelSettings
    from transcribe.pipeline import PipelineOptions, run
    from transcribe.speakers import SpeakerOptions

    clip = DEV / "stereo_overlap" / "stereo_diarization.wav"
    if not clip.exists():
        return []
    references = [clip.with_name(f"stereo_diarization.{side}.txt").read_text()
                  for side in ("left", "right")]
    rows = []
    for stereo, label in (("auto", "stereo auto (channels)"), ("off", "stereo off (mix)")):
        options = PipelineOptions(model=ModelSettings(device=device),
                                  asr=AsrOptions(language="en"), diarize=True,
                                  speakers=SpeakerOptions(stereo=stereo), ui_language="en")
        transcript = run(clip, options, store)
        rows.append({"recording": f"stereo_overlap ({transcript.duration:.0f} s, 2 voices "
                                  "at once, one per channel)",
                     "setting": f"{label}: {transcript.run.diarization}",
                     "der": None, "der_of": None,
                     "swer": round(_speaker_attributed_wer(references, transcript, "en"), 3),
                     "found": len(transcript.speakers), "timings": transcript.run.timings})
    return rows


def _annotation(items):
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri="dialogue")
    for index, item in enumerate(items):
        annotation[Segment(item.start, item.end), index] = item.speaker
    return annotation


def _speaker_attributed_wer(references: list[str], transcript, language: str) -> float:
    """WER of each reference speaker's words against the words of the hypothesis speaker
    mapped to them (best mapping), over all speakers: words given to the wrong speaker
    count as errors."""
    from itertools import permutations

    hypotheses = {sid: " ".join(s.text for s in transcript.segments if s.speaker == sid)
                  for sid in transcript.speakers}
    ids = list(hypotheses) + [None] * max(0, len(references) - len(hypotheses))
    best = 1.0e9
    for mapping in permutations(ids, len(references)):
        texts = [hypotheses.get(h, "") if h else "" for h in mapping]
        best = min(best, wer(references, texts, language))
    return best


# -- report ---------------------------------------------------------------------------------


def engines_table(results: list[dict]) -> str:
    baseline = next((r for r in results if r["engine"] == "openai-whisper"), None)
    lines = ["| engine | model | WER fr | WER en | session WER fr / en | seconds | "
             "real-time factor | peak memory | speed vs openai-whisper |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ratio = f"{baseline['seconds'] / r['seconds']:.1f}x" if baseline else "-"
        session = r["session_wer"]
        lines.append(f"| {r['engine']} | {r['model']} | {100 * r['wer']['fr']:.1f} % | "
                     f"{100 * r['wer']['en']:.1f} % | {100 * session['fr']:.1f} % / "
                     f"{100 * session['en']:.1f} % | {r['seconds']:.1f} | {r['rtf']:.3f} | "
                     f"{r['peak_memory_mb']} MB | {ratio} |")
    return "\n".join(lines)


def speakers_table(rows: list[dict]) -> str:
    lines = ["| recording | setting | DER | speaker-attributed WER | speakers found | "
             "seconds per stage |", "|---|---|---|---|---|---|"]
    for r in rows:
        # DER of the diarization alone, or of the final transcript's segments.
        der = f"{100 * r['der']:.1f} % ({r['der_of']})" if r["der"] is not None else "-"
        swer = f"{100 * r['swer']:.1f} %" if r["swer"] is not None else "-"
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r["timings"].items())
        lines.append(f"| {r['recording']} | {r['setting']} | {der} | {swer} | "
                     f"{r['found']} | {stages} |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    gpu = ""
    try:
        import torch

        if torch.cuda.is_available():
            gpu = f", GPU {torch.cuda.get_device_name(0)}"
    except Exception:  # noqa: BLE001
        pass
    return f"{cpu}, {os.cpu_count()} cores{gpu}, Python {platform.python_version()}"


def load() -> str:
    """The load averages (1, 5, 15 minutes): other work on the machine, for the reader of
    the timings."""
    import os

    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--skip-speakers", action="store_true")
    parser.add_argument("--skip-editor", action="store_true")
    parser.add_argument("--skip-engines", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    parser.add_argument("--skip-gaps", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-library", action="store_true")
    parser.add_argument("--skip-length", action="store_true")
    parser.add_argument("--skip-workers", action="store_true")
    parser.add_argument("--memory-gb", type=float, default=2.0,
                        help="size of the upload whose server memory is measured")
    parser.add_argument("--one-engine", help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()

    if args.one_engine:
        print(json.dumps(measure_engine(args.one_engine, args.model, args.device)))
        return 0
    if not DEV.is_dir():
        print(f"{DEV} not found: the bench needs the dev clips.", file=sys.stderr)
        return 1
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = []
    failed: list[str] = []
    for engine in [] if args.skip_engines else args.engines.split(","):
        print(f"measuring {engine}...", file=sys.stderr, flush=True)
        child = subprocess.run([sys.executable, __file__, "--one-engine", engine, "--model",
                                args.model, "--device", args.device],
                               capture_output=True, text=True, check=False)
        if child.returncode != 0:  # one engine failing must not hide the others' figures
            print(f"{engine} failed:\n{child.stderr[-3000:]}", file=sys.stderr, flush=True)
            failed.append(engine)
            continue
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    report = [f"Machine: {machine()}; load average at the start: {load()}"]
    if results:
        report += ["", engines_table(results)]
    children: dict[str, list] = {}

    def child_bench(name: str, *options: str) -> None:
        """bench/<name>.py in its own process: its table, then its rows as JSON."""
        print(f"measuring {name}...", file=sys.stderr, flush=True)
        child = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}.py"), *options],
                               capture_output=True, text=True, check=False)
        lines = child.stdout.strip().splitlines()
        if lines:
            report.extend(["", *lines[:-1]])
            children[name] = json.loads(lines[-1])
        if child.returncode != 0:
            print(f"{name}: {child.stderr[-3000:]}", file=sys.stderr, flush=True)
            failed.append(name)

    if not args.skip_library and args.device != "cuda":  # the CPU path: pieces, seeding
        child_bench("library", "--model", args.model)
    speakers: list[dict] = []
    if not args.skip_speakers:
        print("measuring speakers...", file=sys.stderr, flush=True)
        speakers = measure_speakers(args.device)
        report += ["", speakers_table(speakers)]
        child_bench("speakers", "--device", args.device)
    timing: list[dict] = []
    if not args.skip_timing:
        from timing import measure_timing, timing_table

        print("measuring word timing...", file=sys.stderr, flush=True)
        timing = measure_timing(args.device, RESULTS)
        report += ["", timing_table(timing)]
    gap_rows: list[dict] = []
    if not args.skip_gaps:
        from gaps import gaps_table, measure_gaps

        print("measuring speech with no text...", file=sys.stderr, flush=True)
        gap_rows = measure_gaps(args.model, args.device)
        report += ["", gaps_table(gap_rows)]
    editing: dict = {}
    if not args.skip_editor:  # the correction editor on a 3-hour transcript, in Chromium
        print("measuring the editor...", file=sys.stderr, flush=True)
        import editor

        editing = editor.measure()
        report += ["", editor.table(editing)]
    if not args.skip_memory:
        # Server memory for a large upload and its transcription (bench/memory.py), in
        # its own process: it runs transcribe-web and Chromium.
        print("measuring server memory for a large upload...", file=sys.stderr, flush=True)
        child = subprocess.run([sys.executable, str(ROOT / "bench" / "memory.py"),
                                "--size-gb", str(args.memory_gb)],
                               capture_output=True, text=True, check=False)
        report += ["", *child.stdout.strip().splitlines()[:-1]]
        if child.returncode != 0:
            print(f"memory: {child.stderr[-3000:]}", file=sys.stderr, flush=True)
            failed.append("memory")
    if not args.skip_workers:
        # A batch through the process launcher (bench/workers.py), in its own process.
        print("measuring the workers...", file=sys.stderr, flush=True)
        child = subprocess.run([sys.executable, str(ROOT / "bench" / "workers.py"),
                                "--model", args.model,
                                "--device", "cpu" if args.device == "auto" else args.device],
                               capture_output=True, text=True, check=False)
        report += ["", *child.stdout.strip().splitlines()[:-1]]
        if child.returncode != 0:
            print(f"workers: {child.stderr[-3000:]}", file=sys.stderr, flush=True)
            failed.append("workers")
    if not args.skip_length:
        # Last: its figures are peak memory, which the machine's load does not change, and
        # its 3-hour runs are most of the bench's time; the timed stages above run first.
        child_bench("length")
    report.append(f"\nLoad average at the end: {load()}")
    text = "\n".join(report)
    print(text)
    (RESULTS / "latest.md").write_text(text + "\n", encoding="utf-8")
    (RESULTS / "latest.json").write_text(json.dumps(
        {"machine": machine(), "engines": results, "speakers": speakers, "editor": editing,
         "timing": timing, "gaps": gap_rows, **children},
        indent=2),
        encoding="utf-8")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
