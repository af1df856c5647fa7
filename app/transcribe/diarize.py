"""Who speaks when: pyannote.audio's speaker-diarization pipeline loaded from a folder of
the model store, or, for recordings with one microphone per person, the channels.

Production loads pyannote/speaker-diarization-community-1 (baked into the image); the
embedded developer pipeline (segmentation-3.0 + CAM++, see speaker_embedding) goes
through the same `Pipeline.from_pretrained(folder)` call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from .audio import SAMPLE_RATE
from .vad import detect_chunks, speech_regions

Progress = Callable[[float], None]


@dataclass
class SpeakerTurn:
    start: float
    end: float
    speaker: str


@dataclass
class Diarization:
    """Speaker turns (they may overlap) and how they were found."""

    turns: list[SpeakerTurn]
    method: str  # "pyannote" | "channels" | "single"
    # Where two or more people speak at once.
    overlaps: list[tuple[float, float]] = field(default_factory=list)
    # pyannote 4's exclusive diarization: at most one speaker at a time, the likeliest
    # one where voices overlap (what words are assigned with); None when not given.
    exclusive_turns: list[SpeakerTurn] | None = None

    @property
    def speakers(self) -> list[str]:
        return sorted({t.speaker for t in self.turns})

    @property
    def word_turns(self) -> list[SpeakerTurn]:
        """The turns to give words to speakers with: one speaker at a time when the
        pipeline says who, so that overlapping turns do not split words arbitrarily."""
        return self.exclusive_turns if self.exclusive_turns else self.turns


# -- the embedded developer pipeline ---------------------------------------------------------

# Cosine distance (between unit-normalised CAM++ embeddings, centroid linkage) below which
# two clusters are one speaker. Chosen on the dev AMI clips and synthetic dialogues (make
# bench prints the DER); used only when the number of speakers is not given.
EMBEDDED_CLUSTERING_THRESHOLD = 0.9


def write_embedded_pipeline(folder: Path) -> None:
    """config.yaml for a folder holding segmentation/ and embedding/ checkpoints.

    pyannote's SpeakerDiarization always loads a PLDA, which only its VBx clustering uses;
    this pipeline clusters agglomeratively (no PLDA was ever trained for CAM++), so the
    folder holds an identity PLDA that is loaded and never applied."""
    dimension = 192
    plda = folder / "plda"
    plda.mkdir(parents=True, exist_ok=True)
    np.savez(plda / "xvec_transform.npz", mean1=np.zeros(dimension), mean2=np.zeros(dimension),
             lda=np.eye(dimension))
    np.savez(plda / "plda.npz", mu=np.zeros(dimension), tr=np.eye(dimension),
             psi=np.ones(dimension))
    (folder / "config.yaml").write_text(yaml.safe_dump(embedded_pipeline_config(),
                                                       sort_keys=False), encoding="utf-8")


def embedded_pipeline_config() -> dict:
    return {
        "pipeline": {
            "name": "pyannote.audio.pipelines.SpeakerDiarization",
            "params": {
                "segmentation": "$model/segmentation",
                "embedding": "$model/embedding",
                "plda": "$model/plda",
                "clustering": "AgglomerativeClustering",
                "embedding_exclude_overlap": True,
                "segmentation_batch_size": 16,
                # A multiple of the 3 local speakers per chunk: a chunk's embeddings share
                # one batch, so CAM++ runs once per chunk (see CamPlusPlus.forward).
                "embedding_batch_size": 15,
            },
        },
        "params": {
            "segmentation": {"min_duration_off": 0.0},
            "clustering": {"method": "centroid", "min_cluster_size": 12,
                           "threshold": EMBEDDED_CLUSTERING_THRESHOLD},
        },
    }


def embedded_pipeline_digest() -> str:
    """Changes when the embedded pipeline's configuration does (so `make models` rebuilds)."""
    text = yaml.safe_dump(embedded_pipeline_config(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


# -- pyannote ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def load_pipeline(folder: Path, device: str):
    """The pipeline in `folder`, loaded once per process (a worker runs many jobs) and
    tuned for speed and memory (diarize_tuning)."""
    import torch
    from pyannote.audio import Pipeline

    from .diarize_tuning import tune_pipeline
    from .logs import quiet_libraries

    quiet_libraries()
    pipeline = Pipeline.from_pretrained(folder)
    pipeline.to(torch.device(device))
    tune_pipeline(pipeline, device)
    return pipeline


def diarize_with_pyannote(samples: np.ndarray, folder: Path, device: str = "cpu",
                          num_speakers: int | None = None, min_speakers: int | None = None,
                          max_speakers: int | None = None,
                          progress: Progress | None = None) -> Diarization:
    import torch

    pipeline = load_pipeline(Path(folder), device)
    # Counts go by keyword: passed positionally, min_speakers would become the exact count.
    counts = {key: value for key, value in (("num_speakers", num_speakers),
                                            ("min_speakers", min_speakers),
                                            ("max_speakers", max_speakers))
              if value is not None}
    waveform = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))[None]
    output = pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE},
                      hook=_progress_hook(progress), **counts)
    # pyannote 4 returns a DiarizeOutput; older versions (and legacy mode) an Annotation.
    annotation = getattr(output, "speaker_diarization", output)
    exclusive = getattr(output, "exclusive_speaker_diarization", None)
    overlaps = [(float(s.start), float(s.end)) for s in annotation.get_overlap()]
    return Diarization(_turns_of(annotation), "pyannote", overlaps,
                       _turns_of(exclusive) if exclusive is not None else None)


def _turns_of(annotation) -> list[SpeakerTurn]:
    turns = [SpeakerTurn(float(segment.start), float(segment.end), str(label))
             for segment, _, label in annotation.itertracks(yield_label=True)]
    return sorted(turns, key=lambda t: t.start)


def _progress_hook(progress: Progress | None):
    # Share of the diarization time each step takes on CPU (measured on dev clips).
    steps = {"segmentation": (0.0, 0.3), "embeddings": (0.3, 0.95)}

    def hook(step: str, artefact=None, file=None, total=None, completed=None) -> None:
        if progress is None or step not in steps:
            return
        start, end = steps[step]
        if total and completed is not None:
            progress(start + (end - start) * completed / total)
        else:
            progress(end)

    return hook


# -- one speaker per channel ------------------------------------------------------------------

FRAME = 0.02  # seconds per analysis frame
# In a recording with one microphone per person, each voice also reaches the other
# microphone, quieter: a channel quieter than the loudest by more than this is crosstalk.
CROSSTALK_DB = 12.0
# A frame within this many dB of the recording's loud speech (95th percentile) is speech.
SPEAKING_DB = 30.0
MIN_TURN = 0.3
MAX_GAP = 0.4
SMOOTHING = 0.3  # seconds


@dataclass
class StereoAnalysis:
    correlation: float
    dominance: float  # share of speech frames where one channel clearly dominates
    balance: float  # share of those frames won by the less frequent channel

    @property
    def one_speaker_per_channel(self) -> bool:
        return self.correlation < 0.6 and self.dominance > 0.5 and self.balance > 0.1


# Samples per block when scanning a whole recording: temporaries stay a few megabytes
# instead of copies of a 3 h recording (700 MB per channel in float32, twice in float64).
BLOCK = 1 << 20


def frame_energies_db(channels: np.ndarray) -> np.ndarray:
    """(channels, frames) energy in dB per 20 ms frame, computed block by block."""
    size = int(FRAME * SAMPLE_RATE)
    count, frames = channels.shape[0], channels.shape[1] // size
    power = np.empty((count, frames), dtype=np.float32)
    step = max(BLOCK // size, 1)
    for first in range(0, frames, step):
        last = min(first + step, frames)
        block = channels[:, first * size: last * size].reshape(count, last - first, size)
        power[:, first:last] = np.einsum("cfs,cfs->cf", block, block) / size
    return 10 * np.log10(power + 1e-10)


def analyse_stereo(channels: np.ndarray) -> StereoAnalysis:
    """Tell a two-microphone recording (one person per channel) from ordinary stereo."""
    if channels.shape[0] != 2 or channels.shape[1] < SAMPLE_RATE:
        return StereoAnalysis(1.0, 0.0, 0.0)
    correlation, identical = channel_correlation(channels)
    if identical:
        return StereoAnalysis(1.0, 0.0, 0.0)
    energies = frame_energies_db(channels)
    loudest = energies.max(axis=0)
    active = loudest > np.percentile(loudest, 95) - SPEAKING_DB  # someone speaking
    difference = energies[0] - energies[1]
    dominant = active & (np.abs(difference) > 6.0)
    if not dominant.any():
        return StereoAnalysis(correlation, 0.0, 0.0)
    left_share = float((difference[dominant] > 0).mean())
    return StereoAnalysis(correlation, float(dominant.sum() / max(active.sum(), 1)),
                          min(left_share, 1 - left_share))


def channel_correlation(channels: np.ndarray) -> tuple[float, bool]:
    """Pearson correlation of two channels, and whether they are the same signal.

    Sums are accumulated in float64 block by block (np.corrcoef would copy the whole
    recording to float64). A silent channel correlates as 1.0: no sign of two people."""
    left, right = channels
    sums = np.zeros(5)
    identical = True
    for start in range(0, left.size, BLOCK):
        a = left[start: start + BLOCK].astype(np.float64)
        b = right[start: start + BLOCK].astype(np.float64)
        identical = identical and bool(np.allclose(a, b, atol=1e-4))
        sums += (a.sum(), b.sum(), a @ a, b @ b, a @ b)
    n = left.size
    total_a, total_b, squares_a, squares_b, products = sums
    variance_a = squares_a - total_a ** 2 / n
    variance_b = squares_b - total_b ** 2 / n
    if variance_a <= 0 or variance_b <= 0:
        return 1.0, identical
    covariance = products - total_a * total_b / n
    return float(covariance / np.sqrt(variance_a * variance_b)), identical


def channel_activity(channels: np.ndarray, device: str = "cpu") -> np.ndarray:
    """(channels, frames) booleans: this channel's own speaker speaks in this frame.
    Speech by the VAD on each channel, minus what is only crosstalk from the other.
    Energies are smoothed over a few hundred milliseconds so that the short silences
    between one person's words do not look like the other person's turn."""
    energies = _smoothed(frame_energies_db(channels), int(SMOOTHING / FRAME))
    loudest = energies.max(axis=0)
    # Where both channels are silent, each is "within 12 dB of the loudest": a channel
    # must also be heard (the level analyse_stereo calls someone speaking), else the VAD's
    # early onset makes a turn of silence, and the other voice's crosstalk in it is kept.
    heard = np.percentile(loudest, 95) - SPEAKING_DB
    activity = np.zeros_like(energies, dtype=bool)
    for index, channel in enumerate(channels):
        speech = np.zeros(energies.shape[1], dtype=bool)
        for start, end in speech_regions(detect_chunks(channel, device=device)):
            speech[int(start / FRAME): int(np.ceil(end / FRAME))] = True
        activity[index] = speech & (energies[index] > loudest - CROSSTALK_DB) & \
            (energies[index] > heard)
    return activity


def _smoothed(energies_db: np.ndarray, width: int) -> np.ndarray:
    """Moving average of power (not of decibels), back in decibels."""
    power = 10 ** (energies_db / 10)
    kernel = np.ones(max(width, 1)) / max(width, 1)
    smoothed = np.stack([np.convolve(row, kernel, mode="same") for row in power])
    return 10 * np.log10(smoothed + 1e-10)


def diarize_by_channel(channels: np.ndarray, device: str = "cpu") -> Diarization:
    activity = channel_activity(channels, device)
    turns = []
    for index, active in enumerate(activity):
        speaker = f"SPEAKER_{index:02d}"
        turns += [SpeakerTurn(s, e, speaker) for s, e in _runs(active)]
    turns.sort(key=lambda t: t.start)
    both = activity.all(axis=0)
    return Diarization(turns, "channels", _runs(both, min_turn=0.1))


def _runs(active: np.ndarray, min_turn: float = MIN_TURN,
          max_gap: float = MAX_GAP) -> list[tuple[float, float]]:
    """Intervals where `active` holds, short gaps filled, short runs dropped."""
    runs: list[list[float]] = []
    index = 0
    while index < len(active):
        if not active[index]:
            index += 1
            continue
        start = index
        while index < len(active) and active[index]:
            index += 1
        begin, end = start * FRAME, index * FRAME
        if runs and begin - runs[-1][1] <= max_gap:
            runs[-1][1] = end
        else:
            runs.append([begin, end])
    return [(s, e) for s, e in runs if e - s >= min_turn]
