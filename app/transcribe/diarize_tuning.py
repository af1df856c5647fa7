"""Speed and memory of pyannote's speaker-diarization pipeline, set once it is loaded.

Where the time goes on a CPU (measured on the embedded pipeline, README "Speakers"): the
speaker embeddings, one network pass per 10 s window, the windows sliding by a tenth of
their length; then the segmentation of those windows. Where memory grows with a
recording's length: the clustering, whose linkage holds a distance matrix over every
clean embedding (one per speaker per window: about 1.3 a second, 16 000 for 3 hours).

- On a CPU, the windows slide by CPU_SEGMENTATION_STEP of their length instead: fewer
  windows to segment and embed.
- The embedded pipeline's CAM++ runs with its batch norms folded into its convolutions.
- A speaker silent in a window (empty mask) is not embedded: pyannote's statistics pooling
  gives such a speaker the same embedding whatever the audio (checked at load, else every
  speaker is embedded), pyannote then leaves that speaker out. Windows where nobody speaks
  cost nothing.
- The clustering sees at most MAX_CLUSTERED embeddings, evenly spread over the recording
  (its minimum cluster size scaled alike); pyannote assigns every embedding to the nearest
  centroid of those clusters, as it always does. Both clusterings pyannote 4 offers go
  through this: the agglomerative one (the embedded pipeline) and VBx (community-1),
  whose initialisation is the same linkage.
"""

from __future__ import annotations

import numpy as np
import torch

# The window's step as a share of its length on a CPU (pyannote's default: 0.1): 2.5 s for
# the 10 s windows, four windows over each frame instead of ten. Measured on the dev
# recordings (bench/speakers.py, README): 0.2 and 0.25 give the interviews' DER within 0.1
# points of pyannote's; 0.3 lost 10 points on an AMI clip.
CPU_SEGMENTATION_STEP = 0.25
# Embeddings clustered at most: the linkage's distance matrices (8 N^2 bytes) stay under
# 100 MB; shorter recordings (about 40 minutes of interview) are clustered whole.
MAX_CLUSTERED = 3000


def tune_pipeline(pipeline, device: str) -> None:
    """Apply the settings above to a loaded SpeakerDiarization pipeline."""
    if device == "cpu":
        segmentation = pipeline._segmentation
        pipeline.segmentation_step = CPU_SEGMENTATION_STEP
        segmentation.step = CPU_SEGMENTATION_STEP * segmentation.duration
    embedding = getattr(pipeline, "_embedding", None)
    fuse = getattr(getattr(embedding, "model_", None), "fuse_for_inference", None)
    if fuse:  # CAM++ (speaker_embedding.py): batch norms folded into convolutions
        fuse()
    if embedding is not None and not isinstance(embedding, SilentSpeakersSkipped) \
            and silence_embeds_alike(embedding):
        pipeline._embedding = SilentSpeakersSkipped(embedding)
    bound_clustering(pipeline.clustering)


# -- speakers silent in a window -------------------------------------------------------------


def silence_embeds_alike(embedding) -> bool:
    """Whether an empty mask gives one embedding whatever the audio (pyannote's weighted
    statistics pooling: a zero mean and deviation)."""
    if not hasattr(embedding, "model_"):
        return False
    generator = torch.Generator().manual_seed(0)
    samples = int(embedding.sample_rate * 2)
    waveforms = torch.randn(2, 1, samples, generator=generator) * 0.1
    masks = torch.zeros(2, 100)
    try:
        first, second = embedding(waveforms, masks=masks)
    except Exception:  # noqa: BLE001 - a model that cannot take an empty mask: embed all
        return False
    return bool(np.isfinite(first).all() and np.array_equal(first, second))


class SilentSpeakersSkipped:
    """A pyannote speaker-embedding callable that runs the model only for speakers who
    speak in their window; the others get the embedding of silence, computed once."""

    def __init__(self, embedding):
        self.embedding = embedding
        self.silence: np.ndarray | None = None

    def __getattr__(self, name: str):
        return getattr(self.embedding, name)

    def __call__(self, waveforms: torch.Tensor, masks: torch.Tensor | None = None):
        if masks is None:
            return self.embedding(waveforms)
        speaking = (masks > 0).any(dim=1)
        if bool(speaking.all()):
            return self.embedding(waveforms, masks=masks)
        if self.silence is None:
            self.silence = self.embedding(waveforms[:1], masks=torch.zeros_like(masks[:1]))[0]
        embeddings = np.empty((waveforms.shape[0], self.silence.shape[0]),
                              dtype=self.silence.dtype)
        embeddings[:] = self.silence
        if bool(speaking.any()):
            embeddings[speaking.numpy()] = self.embedding(waveforms[speaking],
                                                          masks=masks[speaking])
        return embeddings


# -- clustering on a bounded sample ----------------------------------------------------------


def bound_clustering(clustering, limit: int = MAX_CLUSTERED) -> None:
    """Make `clustering` (a pyannote BaseClustering) cluster at most `limit` embeddings."""
    if getattr(clustering, "bounded", False):
        return
    select = clustering.filter_embeddings
    minimum = getattr(clustering, "min_cluster_size", None)

    def filter_embeddings(embeddings, segmentations=None, **kwargs):
        chosen, chunks, speakers = select(embeddings, segmentations=segmentations, **kwargs)
        kept = evenly_spread(len(chosen), limit)
        if minimum is not None:  # a speaker needs as large a share of the sample as before
            clustering.min_cluster_size = max(1, round(minimum * len(kept) / max(1, len(chosen))))
        return chosen[kept], chunks[kept], speakers[kept]

    clustering.filter_embeddings = filter_embeddings
    clustering.bounded = True


def evenly_spread(count: int, limit: int) -> np.ndarray:
    """Indices of at most `limit` of `count` items, evenly spread, first and last kept."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))
