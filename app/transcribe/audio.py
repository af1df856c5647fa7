"""Decode any recording ffmpeg reads into 16 kHz float samples, channels kept.

Interviews arrive as phone memos (m4a), dictaphone files (mp3, wma), video calls (mp4,
mov) or WhatsApp notes (ogg/opus). ffmpeg reads them all; this module turns its failures
into errors a user understands, and raises the level of very quiet recordings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .i18n import UserFacingError, format_duration
from .transcript import Notice

SAMPLE_RATE = 16000
# Channels kept for stereo handling (one speaker per channel); more are mixed down to two.
MAX_CHANNELS = 2
# Very quiet recordings (a phone far from the speakers) are raised towards this peak level.
TARGET_PEAK = 0.5
QUIET_PEAK = 0.1  # -20 dBFS: below this, a recording counts as quiet
MAX_GAIN = 100.0  # +40 dB at most: beyond that it is noise, not speech
# A decoded duration below this share of the declared one means the file is truncated.
TRUNCATION_TOLERANCE = 0.9


class AudioError(UserFacingError):
    """A recording that cannot be decoded; `key` says why (see i18n.MESSAGES)."""


@dataclass
class AudioInfo:
    duration: float | None
    channels: int
    sample_rate: int | None
    codec: str | None
    has_video: bool


@dataclass
class Audio:
    """Decoded audio: `channels` has shape (n_channels, n_samples), float32 in [-1, 1]."""

    channels: np.ndarray
    sample_rate: int = SAMPLE_RATE
    gain: float = 1.0
    warnings: list[Notice] = field(default_factory=list)

    @property
    def mono(self) -> np.ndarray:
        if self.channels.shape[0] == 1:
            return self.channels[0]
        return self.channels.mean(axis=0).astype(np.float32)

    @property
    def duration(self) -> float:
        return self.channels.shape[1] / self.sample_rate

    @property
    def n_channels(self) -> int:
        return int(self.channels.shape[0])


def probe(path: str | Path) -> AudioInfo:
    path = Path(path)
    _check_file(path)
    ffprobe = _tool("ffprobe")
    result = subprocess.run(
        [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
         str(path)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise AudioError("audio.unreadable", name=path.name)
    data = json.loads(result.stdout or "{}")
    streams = data.get("streams", [])
    audio_streams = [s for s in streams if s.get("codec_type") == "audio"]
    if not audio_streams:
        raise AudioError("audio.no_audio_stream", name=path.name)
    stream = audio_streams[0]
    duration = _float(stream.get("duration")) or _float(data.get("format", {}).get("duration"))
    return AudioInfo(
        duration=duration,
        channels=int(stream.get("channels") or 1),
        sample_rate=int(stream["sample_rate"]) if stream.get("sample_rate") else None,
        codec=stream.get("codec_name"),
        has_video=any(s.get("codec_type") == "video" and
                      not s.get("disposition", {}).get("attached_pic") for s in streams),
    )


def load_audio(path: str | Path, normalize: bool = True) -> Audio:
    """Decode the first audio stream at 16 kHz, keeping up to two channels."""
    path = Path(path)
    info = probe(path)
    channels = min(max(info.channels, 1), MAX_CHANNELS)
    result = subprocess.run(
        [_tool("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0",
         "-vn", "-ac", str(channels), "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
        capture_output=True,
    )
    samples = np.frombuffer(result.stdout, dtype=np.float32)
    if result.returncode != 0 and samples.size == 0:
        raise AudioError("audio.unreadable", name=path.name)
    samples = samples[: samples.size - samples.size % channels]
    if samples.size == 0:
        raise AudioError("audio.zero_length", name=path.name)
    audio = Audio(channels=samples.reshape(-1, channels).T.copy())
    if info.duration and audio.duration < TRUNCATION_TOLERANCE * info.duration:
        audio.warnings.append(Notice("audio.truncated", {
            "name": path.name, "decoded": format_duration(audio.duration),
            "declared": format_duration(info.duration)}))
    elif result.returncode != 0 or result.stderr.strip():
        # ffmpeg skipped frames it could not decode (a damaged download, a bad sector):
        # what it read is kept, and the user is told where to look twice.
        audio.warnings.append(Notice("audio.damaged", {"name": path.name}))
    if normalize:
        audio = normalize_loudness(audio)
    return audio


def normalize_loudness(audio: Audio) -> Audio:
    """Raise a quiet recording's level (same gain on every channel, so that the balance
    between channels, which stereo speaker detection relies on, is kept)."""
    peak = float(np.max(np.abs(audio.channels))) if audio.channels.size else 0.0
    if peak == 0.0 or peak >= QUIET_PEAK:
        return audio
    gain = min(TARGET_PEAK / peak, MAX_GAIN)
    return Audio(channels=(audio.channels * gain).astype(np.float32),
                 sample_rate=audio.sample_rate, gain=audio.gain * gain,
                 warnings=audio.warnings)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise AudioError("audio.not_found", name=path.name)
    if path.stat().st_size == 0:
        raise AudioError("audio.empty_file", name=path.name)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise AudioError("audio.ffmpeg_missing")
    return found


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
