"""Where espeak-ng puts each word: libespeak-ng's word events (the audio position at which
each word starts, exact: espeak itself synthesises the speech), and where the word's sound
ends. References for word-timing figures (make bench)."""

from __future__ import annotations

import ctypes
import ctypes.util
import re

import numpy as np

# speak_lib.h
_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: the callback gets the audio and events
_EVENT_WORD = 1
_RATE, _PITCH = 1, 3
_POS_CHARACTER, _CHARS_UTF8 = 1, 1
# A word's sound ends at its last 10 ms frame louder than this, relative to the turn's peak.
SILENCE_DB = -35.0


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                             ctypes.POINTER(_Event))
_library: tuple[ctypes.CDLL, int] | None = None


def _espeak() -> tuple[ctypes.CDLL, int]:
    """The library, initialised once, and its sample rate (22 050 Hz, as the CLI writes)."""
    global _library
    if _library is None:
        library = ctypes.CDLL(ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1")
        _library = library, library.espeak_Initialize(_SYNCHRONOUS, 0, None, 0)
    return _library


def word_times(text: str, voice: str, speed: int = 150,
               pitch: int = 50) -> tuple[int, np.ndarray, list[tuple[str, float, float]]]:
    """(sample rate, samples, [(word, start, end)]) for `text` as `espeak-ng -v voice -s
    speed -p pitch` says it (the same samples as the command's, checked; the command only
    adds a near-silent tail)."""
    library, rate = _espeak()
    chunks: list[np.ndarray] = []
    starts: list[tuple[int, int]] = []  # (text position, sample)

    def collect(wav, count, events) -> int:
        if count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        index = 0
        while events[index].type != 0:
            event = events[index]
            if event.type == _EVENT_WORD:
                starts.append((event.text_position, event.sample))
            index += 1
        return 0

    callback = _CALLBACK(collect)
    library.espeak_SetSynthCallback(callback)
    library.espeak_SetVoiceByName(voice.encode())
    library.espeak_SetParameter(_RATE, speed, 0)
    library.espeak_SetParameter(_PITCH, pitch, 0)
    encoded = text.encode("utf-8")
    library.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None,
                         None)
    samples = np.concatenate(chunks).astype(np.float32) / 32768 if chunks else \
        np.zeros(0, np.float32)
    words = []
    # Positions count characters from 1; a word runs to the next one ("d'avoir" and
    # "Pouvez-vous" are one event each but their reported length stops at the apostrophe
    # or hyphen).
    for index, (position, sample) in enumerate(starts):
        following = starts[index + 1] if index + 1 < len(starts) else (len(text) + 1,
                                                                        samples.size)
        word = text[position - 1: following[0] - 1].strip(" ,.;:!?…")
        words.append((word, sample / rate, _sound_end(samples, sample, following[1]) / rate))
    return rate, samples, [(w, s, e) for w, s, e in words if re.search(r"\w", w)]


def _sound_end(samples: np.ndarray, start: int, stop: int) -> int:
    frame = 220  # 10 ms at 22 050 Hz
    peak = float(np.abs(samples).max()) or 1.0
    threshold = peak * 10 ** (SILENCE_DB / 20)
    end = start
    for first in range(start, max(stop, start + 1), frame):
        if np.sqrt(np.mean(np.square(samples[first: first + frame]))) > threshold:
            end = min(first + frame, stop)
    return end
