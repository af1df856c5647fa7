"""CAM++ (speaker_embedding.py) with its batch norms folded into its convolutions: the
same embeddings as the model as trained, and the pipeline the product loads runs folded."""

from __future__ import annotations

import copy

import pytest
import torch
from pyannote.audio import Model
from torch import nn

from transcribe.audio import load_audio
from transcribe.diarize import load_pipeline
from transcribe.speaker_embedding import CamPlusPlus

from speech import dev_clip

pytestmark = pytest.mark.slow

LEFT = 52 + 3 + 1 + 1  # batch norms with no convolution before them


def batch_norms(model: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in model.modules())


def test_folded_batch_norms_give_the_same_embeddings(store):
    plain = Model.from_pretrained(
        str(store.diarization_path("embedded") / "embedding" / "pytorch_model.bin")).eval()
    assert isinstance(plain, CamPlusPlus)
    folded = copy.deepcopy(plain)
    folded.fuse_for_inference()
    # Every batch norm that follows a convolution is gone (65 of 122); the 57 left have
    # none before them: the 52 dense layers' and 3 transitions' first (after a
    # concatenation), the output's and the embedding's.
    assert (batch_norms(plain), batch_norms(folded)) == (122, LEFT)
    folded.fuse_for_inference()  # twice: nothing more to fold, nothing broken
    assert batch_norms(folded) == LEFT

    samples = torch.from_numpy(load_audio(dev_clip("leopard/test.wav")).mono.copy())
    chunks = torch.stack([samples[start: start + 3 * 16000]
                          for start in (0, 16000, 2 * 16000)])[:, None]
    weights = torch.rand(3, 3, 293, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        expected, found = plain(chunks, weights=weights), folded(chunks, weights=weights)
    # Measured: 3e-6 at most on embeddings of norm 6 to 7; rounding on another CPU moves
    # them by as little.
    torch.testing.assert_close(found, expected, rtol=1e-4, atol=1e-4)


def test_the_product_runs_the_folded_model(store):
    model = load_pipeline(store.diarization_path("embedded"), "cpu")._embedding.model_
    assert batch_norms(model) == LEFT
