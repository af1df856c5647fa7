"""Word timing, before and after the bound (app/transcribe/bound.py), part of `make bench`.

On the synthetic interviews (espeak's word events give each word's exact start and the end
of its sound): median and 90th percentile of |start error| and |end error| of the words
Whisper got right (matched by text). On every recording: words lying more than 0.3 s
outside reference speech (the synthetic words, AMI's reference turns, each channel's own
speech by Silero VAD for the stereo clip), the most any word lies outside, and the DER of
the final transcript's segments (no collar, overlaps scored). Each recording goes through
the whole pipeline twice, `bound_words` off then on: the transcript is the same (seeded),
only the times differ.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import numpy as np

from speech import DEV

OUTSIDE = 0.3  # the target: no word more than this outside speech

Regions = list[tuple[float, float]]


def measure_timing(device: str, results: Path) -> list[dict]:
    from transcribe.asr import resolve_device
    from transcribe.models import ModelStore

    device = resolve_device(device)
    store = ModelStore()
    rows = []
    for bound in (False, True):
        rows += _dialogue_rows(store, device, results, bound)
        rows += _ami_rows(store, device, bound)
        rows += _stereo_rows(store, device, bound)
    return sorted(rows, key=lambda r: (r["recording"], r["bound"]))


def _options(language: str, device: str, bound: bool, **speakers):
    from transcribe.asr import AsrOptions, ModelSettings
    from transcribe.pipeline import PipelineOptions
    from transcribe.speakers import SpeakerOptions

    return PipelineOptions(model=ModelSettings(device=device), asr=AsrOptions(language=language),
                           diarize=True, speakers=SpeakerOptions(**speakers), ui_language="en",
                           bound_words=bound)


def _dialogue_rows(store, device: str, results: Path, bound: bool) -> list[dict]:
    from pyannote.metrics.diarization import DiarizationErrorRate

    from transcribe.pipeline import run

    from dialogue import make_dialogue

    rows = []
    for language in ("fr", "en"):
        dialogue = make_dialogue(results / "timing" / language, language=language,
                                 words=True)
        transcript = run(dialogue.path, _options(language, device, bound, preset="interview"),
                         store)
        speech = merge([(start, end) for _, _, start, end in dialogue.words])
        row = _row(f"synthetic interview {language}", bound, transcript, {None: speech})
        row.update(word_errors(dialogue.words, transcript))
        row["der"] = DiarizationErrorRate()(dialogue.annotation(), annotation(transcript))
        rows.append(row)
    return rows


def _ami_rows(store, device: str, bound: bool) -> list[dict]:
    from pyannote.database.util import load_rttm, load_uem
    from pyannote.metrics.diarization import DiarizationErrorRate

    from transcribe.pipeline import run

    ami = DEV / "ami_debug"
    if not ami.is_dir():
        return []
    references = load_rttm(ami / "debug.test.rttm")
    uems = load_uem(ami / "debug.test.uem")
    rows = []
    for uri in ("tst00", "tst01"):
        transcript = run(ami / f"{uri}.wav", _options("en", device, bound, num_speakers=4),
                         store)
        speech = merge([(s.start, s.end) for s in references[uri].get_timeline()])
        row = _row(f"AMI {uri}", bound, transcript, {None: speech})
        row["der"] = DiarizationErrorRate()(references[uri], annotation(transcript),
                                            uem=uems[uri])
        rows.append(row)
    return rows


def _stereo_rows(store, device: str, bound: bool) -> list[dict]:
    """Each channel's own speech by Silero VAD (unpadded): not what the bound uses in
    channel mode (pyannote's VAD and the channels' energies)."""
    from transcribe.audio import load_audio
    from transcribe.pipeline import run
    from transcribe.vad import detect_speech

    clip = DEV / "stereo_overlap" / "stereo_diarization.wav"
    if not clip.exists():
        return []
    channels = load_audio(clip).channels
    speech = {f"SPEAKER_{i:02d}": detect_speech(channel, pad=0.0, min_silence=0.1)
              for i, channel in enumerate(channels)}
    transcript = run(clip, _options("en", device, bound, stereo="auto"), store)
    return [_row("stereo_overlap (channels)", bound, transcript, speech)]


def _row(recording: str, bound: bool, transcript, speech: dict[str | None, Regions]) -> dict:
    outside = [seconds_outside(w.start, w.end, speech.get(w.speaker, speech.get(None, [])))
               for s in transcript.segments for w in s.words if w.start is not None]
    return {"recording": recording, "bound": bound, "words": len(outside),
            "outside": sum(o > OUTSIDE for o in outside),
            "most_outside": round(max(outside, default=0.0), 2),
            "clipped": transcript.run.bound.words_clipped if transcript.run.bound else 0}


def word_errors(reference: list[tuple[str, str, float, float]], transcript) -> dict:
    """Start and end errors of the words Whisper wrote as the reference has them."""
    words = [w for s in transcript.segments for w in s.words if w.start is not None]
    words.sort(key=lambda w: w.start)
    hypothesis = [_key(w.word) for w in words]
    expected = [_key(word) for _, word, _, _ in reference]
    matcher = difflib.SequenceMatcher(None, expected, hypothesis, autojunk=False)
    starts, ends = [], []
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            _, _, start, end = reference[block.a + offset]
            word = words[block.b + offset]
            starts.append(abs(word.start - start))
            ends.append(abs(word.end - end))
    return {"matched": len(starts), "reference_words": len(reference),
            "start_error": _percentiles(starts), "end_error": _percentiles(ends)}


def _percentiles(values: list[float]) -> list[float] | None:
    if not values:
        return None
    return [round(float(np.percentile(values, q)), 3) for q in (50, 90)]


def _key(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower().replace("’", "'"))


def merge(regions: Regions, gap: float = 0.0) -> Regions:
    merged: list[list[float]] = []
    for start, end in sorted(regions):
        if merged and start <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def seconds_outside(start: float, end: float, speech: Regions) -> float:
    covered = sum(max(0.0, min(end, e) - max(start, s)) for s, e in speech)
    return max(0.0, end - start - covered)


def annotation(transcript):
    from pyannote.core import Annotation, Segment

    result = Annotation(uri="transcript")
    for index, segment in enumerate(transcript.segments):
        result[Segment(segment.start, segment.end), index] = segment.speaker
    return result


def timing_table(rows: list[dict]) -> str:
    lines = ["| recording | bound | words | start error median / p90 | end error median / p90 "
             f"| words > {OUTSIDE} s outside speech | most outside | DER (final transcript) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        def seconds(pair):
            return f"{pair[0]:.2f} / {pair[1]:.2f} s" if pair else "-"

        words = f"{r['matched']} of {r['reference_words']} matched" if "matched" in r \
            else str(r["words"])
        der = f"{100 * r['der']:.1f} %" if r.get("der") is not None else "-"
        lines.append(f"| {r['recording']} | {'on' if r['bound'] else 'off'} | {words} | "
                     f"{seconds(r.get('start_error'))} | {seconds(r.get('end_error'))} | "
                     f"{r['outside']} of {r['words']} | {r['most_outside']:.2f} s | {der} |")
    return "\n".join(lines)
