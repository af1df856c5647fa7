import subprocess

import numpy as np
import pytest

from transcribe.audio import QUIET_PEAK, SAMPLE_RATE, AudioError, load_audio, probe

from speech import convert, dev_clip, synthesise

FORMATS = {
    "mp3": [],
    "m4a": ["-c:a", "aac"],
    "wav": [],
    "ogg": ["-c:a", "libopus"],
    "flac": [],
    "wma": ["-c:a", "wmav2"],
}


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech")
    return synthesise("Hello, thank you for taking part in this interview.",
                      folder / "hello.wav")


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_decodes_audio_formats(tmp_path, speech_wav, extension):
    encoded = convert(speech_wav, tmp_path / f"hello.{extension}", *FORMATS[extension])
    audio = load_audio(encoded)
    reference = load_audio(speech_wav)
    assert audio.sample_rate == SAMPLE_RATE
    assert audio.channels.dtype == np.float32
    assert abs(audio.duration - reference.duration) < 0.15  # codec padding only


@pytest.mark.parametrize("extension", ["mp4", "mov"])
def test_decodes_the_sound_of_videos(tmp_path, speech_wav, extension):
    video = tmp_path / f"call.{extension}"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=blue:s=64x64:d=4", "-i", str(speech_wav), "-shortest",
                    "-c:v", "mpeg4", "-c:a", "aac", str(video)], check=True)
    info = probe(video)
    assert info.has_video
    audio = load_audio(video)
    assert audio.duration > 2.0
    assert np.abs(audio.mono).max() > 0.05


def test_keeps_stereo_channels_apart(tmp_path, speech_wav):
    stereo = tmp_path / "stereo.wav"
    # Speech on the left only: the right channel must stay silent.
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(speech_wav), "-af",
                    "pan=stereo|c0=c0|c1=0*c0", str(stereo)], check=True)
    audio = load_audio(stereo)
    assert audio.n_channels == 2
    left, right = np.abs(audio.channels).max(axis=1)
    assert left > 0.05 and right < 1e-4
    assert audio.mono.shape == (audio.channels.shape[1],)


def test_real_stereo_dev_clip_has_two_different_channels():
    audio = load_audio(dev_clip("stereo_overlap/stereo_diarization.wav"))
    assert audio.n_channels == 2
    correlation = np.corrcoef(audio.channels)[0, 1]
    assert correlation < 0.9


def test_quiet_recording_is_raised(tmp_path, speech_wav):
    quiet = tmp_path / "quiet.wav"
    # -60 dB, kept in float: 16-bit samples would leave a few levels of speech.
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(speech_wav), "-af",
                    "volume=-60dB", "-c:a", "pcm_f32le", str(quiet)], check=True)
    raw = load_audio(quiet, normalize=False)
    normalised = load_audio(quiet)
    assert np.abs(raw.mono).max() < QUIET_PEAK
    assert 0.3 < np.abs(normalised.mono).max() <= 0.51
    assert normalised.gain > 100 and not normalised.sixteen_bits
    # Not on the 16-bit grid: the float samples were raised.
    assert not np.array_equal(np.rint(normalised.mono * 32768), normalised.mono * 32768)
    # A normal recording is left at its level.
    assert load_audio(speech_wav).gain == 1.0


@pytest.mark.parametrize("clip", ["fleurs_en/fleurs-en-002.ogg", "jfk/jfk.flac",
                                  "leopard/test_fr.wav"])
def test_samples_are_the_libraries(clip):
    """faster-whisper (PyAV) and openai-whisper (ffmpeg) decode to 16-bit samples: ours
    are the same, so the words are too. FLEURS en-002 is quiet (peak 0.006: rounding
    changed 3 of its words, the level raise 3 too); the JFK file is stereo, mixed down."""
    from faster_whisper import decode_audio

    path = dev_clip(clip)
    audio = load_audio(path)
    library = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    assert audio.gain == 1.0 and audio.sixteen_bits
    assert np.array_equal(audio.mono, library)
    audio.mix_to_mono()
    assert np.array_equal(audio.channels[0], library)


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(AudioError) as error:
        load_audio(empty)
    assert error.value.key == "audio.empty_file"
    assert "vide" in error.value.message("fr") and "empty" in error.value.message("en")


def test_missing_file(tmp_path):
    with pytest.raises(AudioError) as error:
        load_audio(tmp_path / "nowhere.wav")
    assert error.value.key == "audio.not_found"


def test_video_without_sound(tmp_path):
    silent_video = tmp_path / "screen.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=red:s=64x64:d=1", "-c:v", "mpeg4", str(silent_video)], check=True)
    with pytest.raises(AudioError) as error:
        load_audio(silent_video)
    assert error.value.key == "audio.no_audio_stream"
    assert "piste audio" in error.value.message("fr")


def test_not_an_audio_file(tmp_path):
    fake = tmp_path / "notes.mp3"
    fake.write_text("Interview notes, not a recording.\n" * 20)
    with pytest.raises(AudioError) as error:
        load_audio(fake)
    assert error.value.key == "audio.unreadable"


def test_truncated_header(tmp_path, speech_wav):
    broken = tmp_path / "broken.m4a"
    data = convert(speech_wav, tmp_path / "full.m4a", "-c:a", "aac").read_bytes()
    broken.write_bytes(data[:200])  # the download stopped early
    with pytest.raises(AudioError) as error:
        load_audio(broken)
    assert error.value.key in {"audio.unreadable", "audio.no_audio_stream"}


def test_truncated_recording_keeps_what_is_there_and_warns(tmp_path, speech_wav):
    # A phone's m4a whose upload stopped halfway: the header still declares the full length.
    full = convert(speech_wav, tmp_path / "full.m4a", "-c:a", "aac", "-movflags", "+faststart")
    cut = tmp_path / "cut.m4a"
    data = full.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    audio = load_audio(cut)
    assert 0.3 < audio.duration / load_audio(full).duration < 0.7
    assert [w.key for w in audio.notices] == ["audio.truncated"]


def test_damaged_middle_keeps_the_rest_and_warns(tmp_path, speech_wav):
    # Bytes garbled in the middle of an mp3 (a bad copy): frames there cannot be decoded.
    data = convert(speech_wav, tmp_path / "full.mp3", "-b:a", "64k").read_bytes()
    middle = len(data) // 2
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(data[:middle] + bytes(range(256)) * 2 + data[middle + 512:])
    audio = load_audio(damaged)
    assert audio.duration > 0.8 * load_audio(tmp_path / "full.mp3").duration
    assert [w.key for w in audio.notices] == ["audio.damaged"]
    assert load_audio(tmp_path / "full.mp3").notices == []


def test_zero_length_audio(tmp_path):
    zero = tmp_path / "zero.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "anullsrc=r=16000:cl=mono", "-t", "0", str(zero)], check=True)
    with pytest.raises(AudioError) as error:
        load_audio(zero)
    assert error.value.key == "audio.zero_length"


# -- memory: one decoded copy ----------------------------------------------------------------

@pytest.fixture(scope="module")
def field_wav(tmp_path_factory):
    from field_recording import field_recording

    return field_recording(tmp_path_factory.mktemp("field") / "field.wav", 300)


def ffmpeg_reference(path, channels: int = 2) -> np.ndarray:
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-ac", str(channels),
                          "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(out, np.float32).reshape(-1, channels).T


def test_decoding_holds_one_copy_and_mixing_down_frees_the_second_channel(field_wav):
    """A 5 min stereo recording: numpy's allocations (tracemalloc sees them) peak at the
    decoded array plus the read piece, not at the bytes plus a copy (three times it);
    the mono mix is made in place and the second channel's memory handed back."""
    import tracemalloc

    tracemalloc.start()
    try:
        audio = load_audio(field_wav, normalize=False)
        _, peak = tracemalloc.get_traced_memory()
        decoded = audio.channels.nbytes
        assert audio.channels.shape[0] == 2
        assert peak < decoded + (4 << 20), f"{peak >> 20} MB for {decoded >> 20} MB decoded"
        tracemalloc.reset_peak()
        audio.mix_to_mono()
        current, peak = tracemalloc.get_traced_memory()
        assert peak < decoded + (1 << 20)  # no temporary mix of the whole recording
        assert current < decoded / 2 + (1 << 20)  # the second channel is gone
    finally:
        tracemalloc.stop()
    assert np.array_equal(audio.channels[0], ffmpeg_reference(field_wav).mean(axis=0))


@pytest.mark.parametrize("declared", [None, 60.0])
def test_a_stream_longer_than_announced_is_read_whole(field_wav, monkeypatch, declared):
    """The array is sized from ffprobe's duration; when that is missing or short, it
    grows and nothing is lost or reordered."""
    from transcribe import audio as audio_module

    real_probe = audio_module.probe
    monkeypatch.setattr(audio_module, "probe", lambda path: audio_module.AudioInfo(
        declared, 2, 44100, "pcm_s16le", False) if real_probe(path) else None)
    decoded = load_audio(field_wav, normalize=False)
    assert np.array_equal(decoded.channels, ffmpeg_reference(field_wav))
