"""Decode any recording ffmpeg reads into 16 kHz float samples, channels kept.

Interviews arrive as phone memos (m4a), dictaphone files (mp3, wma), video calls (mp4,
mov) or WhatsApp notes (ogg/opus). ffmpeg reads them all; this module turns its failures
into errors a user understands, and sets the samples' level: the 16-bit samples that
faster-whisper and openai-whisper decode themselves (the same words as the libraries), or,
for a recording so quiet that 16 bits would leave Whisper nothing, the full float samples
raised.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .i18n import Notice, UserFacingError, format_duration

SAMPLE_RATE = 16000
# Channels kept for stereo handling (one speaker per channel); more are mixed down to two.
MAX_CHANNELS = 2
# A recording whose peak is below QUIET_PEAK (-52 dBFS) is raised towards TARGET_PEAK, in
# float. Measured on the dev clips (README, "Decoding"): above it, rounding to 16 bits, as
# the libraries decode, gives their words (4 fewer errors in 325 words than float samples,
# raised or not); below it, 16 bits leave a few levels of speech and Whisper writes text
# that was never said (dev clips 30 dB quieter, peaks 0.0001 to 0.0012: 582 errors in 325
# words, against 57 raised in float).
TARGET_PEAK = 0.5
QUIET_PEAK = 0.0025
MAX_GAIN = 1000.0  # +60 dB at most: beyond that it is noise, not speech
SIXTEEN_BITS = 32768.0
# A decoded duration below this share of the declared one means the file is truncated.
TRUNCATION_TOLERANCE = 0.9
SLACK = SAMPLE_RATE  # room beyond the declared duration before the array must grow
READ_FRAMES = 1 << 18  # frames read from ffmpeg at a time (2 MB for stereo)
MIX_BLOCK = 1 << 20  # samples mixed down at a time


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
    notices: list[Notice] = field(default_factory=list)  # read with the transcript
    # The mono samples on the 16-bit grid, as the libraries decode them (set_level): a mono
    # recording's at once, a stereo one's when mixed down (its channels stay as decoded).
    sixteen_bits: bool = False

    @property
    def mono(self) -> np.ndarray:
        if self.channels.shape[0] == 1:
            return self.channels[0]
        mixed = self.channels.mean(axis=0).astype(np.float32)
        if self.sixteen_bits:
            round_to_sixteen_bits(mixed)
        return mixed

    @property
    def duration(self) -> float:
        return self.channels.shape[1] / self.sample_rate

    @property
    def n_channels(self) -> int:
        return int(self.channels.shape[0])

    def mix_to_mono(self) -> None:
        """Two channels become their mean, computed in the first channel's memory; the
        second channel's memory is handed back when nothing else holds a view of it
        (else it is kept until this Audio goes: correct, only larger)."""
        if self.channels.shape[0] == 1:
            return
        samples, self.channels = self.channels, np.empty((0, 0), dtype=np.float32)
        length = samples.shape[1]
        for start in range(0, length, MIX_BLOCK):
            first = samples[0, start:start + MIX_BLOCK]
            np.add(first, samples[1, start:start + MIX_BLOCK], out=first)
            first *= np.float32(0.5)
            if self.sixteen_bits:
                round_to_sixteen_bits(first)
        del first
        owner = samples.base if samples.base is not None else samples
        del samples
        if owner.ndim == 2 and owner.flags.owndata and owner.flags.c_contiguous:
            with contextlib.suppress(ValueError):  # still viewed elsewhere: keep it whole
                owner.resize((1, owner.shape[1]))  # the first row is the first half
        self.channels = owner[:1, :length]


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
    """Decode the first audio stream at 16 kHz, keeping up to two channels; with
    `normalize`, at the level set_level chooses, else as ffmpeg decodes it (float).

    ffmpeg's output is read piece by piece straight into one array sized from the
    declared duration: a 3 h recording is held once (16 kHz float), never also as bytes
    or as a second copy."""
    path = Path(path)
    info = probe(path)
    channels = min(max(info.channels, 1), MAX_CHANNELS)
    expected = int((info.duration or 0) * SAMPLE_RATE) + SLACK
    process = subprocess.Popen(
        [_tool("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0",
         "-vn", "-ac", str(channels), "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errors = _Drain(process.stderr)  # read alongside: a full stderr pipe would stall ffmpeg
    try:
        samples, count = _read_planar(process.stdout, channels, expected)
    finally:
        process.stdout.close()
        returncode = process.wait()
        errors.join()
    if returncode != 0 and count == 0:
        raise AudioError("audio.unreadable", name=path.name)
    if count == 0:
        raise AudioError("audio.zero_length", name=path.name)
    if count < samples.shape[1] * TRUNCATION_TOLERANCE:
        samples = samples[:, :count].copy()  # far shorter than declared: free the rest
    audio = Audio(channels=samples[:, :count])
    del samples
    if info.duration and audio.duration < TRUNCATION_TOLERANCE * info.duration:
        audio.notices.append(Notice("audio.truncated", {
            "name": path.name, "decoded": format_duration(audio.duration),
            "declared": format_duration(info.duration)}))
    elif returncode != 0 or errors.text.strip():
        # ffmpeg skipped frames it could not decode (a damaged download, a bad sector):
        # what it read is kept, and the user is told where to look twice.
        audio.notices.append(Notice("audio.damaged", {"name": path.name}))
    if normalize:
        set_level(audio)
    return audio


def _read_planar(stream: BinaryIO, channels: int, expected: int) -> tuple[np.ndarray, int]:
    """Interleaved f32 samples from `stream` into a (channels, frames) array, a piece at a
    time; the array grows (a copy) only when the stream is longer than announced."""
    buffer = np.empty((channels, max(expected, SAMPLE_RATE)), dtype=np.float32)
    piece = np.empty(READ_FRAMES * channels, dtype=np.float32)
    raw = memoryview(piece).cast("B")
    frame_bytes = 4 * channels
    count = carried = 0
    while True:
        filled = carried + _read_into(stream, raw[carried:])
        frames = filled // frame_bytes
        if frames:
            if count + frames > buffer.shape[1]:
                bigger = np.empty((channels, max(2 * buffer.shape[1], count + frames)),
                                  dtype=np.float32)
                bigger[:, :count] = buffer[:, :count]
                buffer = bigger
            buffer[:, count:count + frames] = piece[:frames * channels].reshape(-1, channels).T
            count += frames
        carried = filled - frames * frame_bytes
        if carried:
            raw[:carried] = raw[frames * frame_bytes:filled]
        if filled < len(raw):  # end of stream
            return buffer, count


def _read_into(stream: BinaryIO, target: memoryview) -> int:
    """Fill `target` from a pipe; fewer bytes only at the end of the stream."""
    done = 0
    while done < len(target):
        got = stream.readinto(target[done:])  # type: ignore[attr-defined]
        if not got:
            break
        done += got
    return done


class _Drain(threading.Thread):
    """Reads a pipe to its end in the background, keeping its first few kilobytes."""

    def __init__(self, stream: BinaryIO):
        super().__init__(daemon=True)
        self.stream, self.kept = stream, bytearray()
        self.start()

    def run(self) -> None:
        while chunk := self.stream.read(4096):
            if len(self.kept) < 65536:
                self.kept += chunk

    @property
    def text(self) -> str:
        return self.kept.decode(errors="replace")


def set_level(audio: Audio) -> Audio:
    """A very quiet recording is raised (same gain on every channel, so that the balance
    between channels, which stereo speaker detection relies on, is kept); any other is
    rounded to 16-bit samples, the ones faster-whisper (PyAV) and openai-whisper (ffmpeg)
    decode: identical to theirs, so the words are too. A stereo recording is rounded when
    mixed down, as they round ffmpeg's mix. In place."""
    peak = (max(float(audio.channels.max()), -float(audio.channels.min()))
            if audio.channels.size else 0.0)
    if 0.0 < peak < QUIET_PEAK:
        gain = min(TARGET_PEAK / peak, MAX_GAIN)
        audio.channels *= np.float32(gain)
        audio.gain *= gain
        return audio
    if audio.n_channels == 1:
        round_to_sixteen_bits(audio.channels[0])
    audio.sixteen_bits = True
    return audio


def round_to_sixteen_bits(samples: np.ndarray) -> None:
    """Round float samples in [-1, 1] to the nearest 16-bit value, in place, block by
    block (what ffmpeg's conversion to s16 does: round half to even, clipped)."""
    for start in range(0, samples.size, MIX_BLOCK):
        block = samples[start:start + MIX_BLOCK]
        block *= np.float32(SIXTEEN_BITS)
        np.rint(block, out=block)
        np.clip(block, -SIXTEEN_BITS, SIXTEEN_BITS - 1, out=block)
        block /= np.float32(SIXTEEN_BITS)


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
