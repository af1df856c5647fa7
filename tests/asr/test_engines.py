"""Every engine on real weights and real recordings: accuracy bounds and parity with
plain faster-whisper (sequential, same weights)."""

from __future__ import annotations

import pytest

from transcribe.asr import (
    ENGINES,
    AsrOptions,
    ModelSettings,
    engine_for,
    get_engine,
    model_kind,
    resolve_device,
)
from transcribe.asr.guard import apply_guard
from transcribe.audio import load_audio
from transcribe.i18n import UserFacingError

from speech import (
    DEV,
    DEV_SET,
    convert,
    dev_clip,
    longest_lost_run,
    reference,
    synthesise,
    word_errors,
)

pytestmark = pytest.mark.slow

REFERENCE_ENGINE = "faster-whisper"


def transcribe_text(store, engine: str, clip, language: str | None, guard: bool = True,
                    model: str = "base", **options) -> tuple[str, str]:
    audio = load_audio(clip)
    asr_options = AsrOptions(**{"language": language, **options})
    result = get_engine(engine, store, ModelSettings(model)).transcribe(audio.mono, asr_options)
    if guard:
        apply_guard(result, audio.mono)
    return " ".join(s.text for s in result.segments), result.language


@pytest.fixture(scope="session")
def dev_hypotheses(store):
    """Hypotheses per (engine, language, guard), computed once per session."""
    if not DEV.is_dir():
        pytest.skip("../shared/eval-audio/dev not available")
    cache: dict[tuple[str, str, bool], tuple[list[str], list[str]]] = {}

    def get(engine: str, language: str, guard: bool = True):
        if (engine, language, guard) not in cache:
            clips = [DEV / c for c in DEV_SET[language]]
            hypotheses = [transcribe_text(store, engine, c, language, guard)[0] for c in clips]
            cache[(engine, language, guard)] = ([reference(c) for c in clips], hypotheses)
        return cache[(engine, language, guard)]

    return get


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_jfk_and_librispeech_are_near_perfect(store, engine):
    """Clean read English: measured 0 errors for faster-whisper (22 and 17 words); two
    words of margin per clip for another engine or CPU, well below what a real regression
    costs on these clips."""
    for clip in ("jfk/jfk.flac", "leopard/test.wav"):
        path = dev_clip(clip)
        text, _ = transcribe_text(store, engine, path, "en")
        errors, _ = word_errors([reference(path)], [text], "en")
        assert errors <= 2, (engine, clip, text)


def test_reference_engine_on_fleurs_french(dev_hypotheses):
    references, hypotheses = dev_hypotheses(REFERENCE_ENGINE, "fr")
    # Whisper base on FLEURS French (174 words): 28.7 % (another EPYC) to 31.6 % (here)
    # measured; 37 % leaves 9 words (5 %) above the worst, and a regression shows here.
    errors, words = word_errors(references, hypotheses, "fr")
    assert errors <= round(0.37 * words)


# Parity margins. Another CPU's floating point rounding moves Whisper's beam by a word or
# two per clip (issue 13: on another 2-core EPYC, openai-whisper 31.6 % and whisperx 30.5 %
# against faster-whisper's 28.7 % on the French set, 174 words: 5 and 3 words), so a WER
# point (under 2 words here) is noise, not a loss. Losing words is what parity is about:
# a dropped chunk or a decoding cut short leaves a run of reference words with nothing in
# their place, and such runs are 0 or 1 word long for plain faster-whisper on these clips
# (measured); a run LOST_RUN_SLACK words longer than the reference engine's is a loss.
# The error count keeps a tolerance of ERROR_SLACK_SHARE of the reference words (9 words
# in French, 8 in English), above the 5-word spread seen between machines.
LOST_RUN_SLACK = 3
ERROR_SLACK_SHARE = 0.05


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_no_engine_loses_words(dev_hypotheses, engine, language):
    """Each engine as the product runs it (guard on) against plain faster-whisper, guard
    off: neither the engine nor the guard may lose words."""
    references, reference_hypotheses = dev_hypotheses(REFERENCE_ENGINE, language, guard=False)
    _, hypotheses = dev_hypotheses(engine, language)
    for reference_text, baseline, hypothesis in zip(references, reference_hypotheses,
                                                    hypotheses, strict=True):
        allowed = max(1, longest_lost_run(reference_text, baseline, language)) + LOST_RUN_SLACK
        assert longest_lost_run(reference_text, hypothesis, language) <= allowed, \
            (engine, reference_text, hypothesis)
    errors, words = word_errors(references, hypotheses, language)
    baseline_errors, _ = word_errors(references, reference_hypotheses, language)
    assert errors <= baseline_errors + round(ERROR_SLACK_SHARE * words), (engine, language)


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_language_is_detected(store, engine):
    _, language = transcribe_text(store, engine, dev_clip("leopard/test_fr.wav"), None)
    assert language == "fr"


def test_words_have_times_and_probabilities(store):
    audio = load_audio(dev_clip("jfk/jfk.flac"))
    result = get_engine("whisperx", store).transcribe(audio.mono, AsrOptions(language="en"))
    words = [w for s in result.segments for w in s.words]
    assert len(words) >= 20
    assert all(w.start is not None and w.end >= w.start for w in words)
    assert all(0.0 <= w.probability <= 1.0 for w in words)
    assert words[-1].end <= audio.duration + 0.1
    assert [round(w.start, 2) for w in words] == sorted(round(w.start, 2) for w in words)


def test_a_very_quiet_recording_is_transcribed(store, tmp_path):
    """A recording 70 dB below full scale (peak 0.0003, kept in float by its format) is
    raised before Whisper hears it: 0 errors measured, where its 16-bit samples (a few
    levels of speech) gave Whisper text that was never said. Two words of margin, as for
    the clip at its own level."""
    path = dev_clip("jfk/jfk.flac")
    quiet = convert(path, tmp_path / "far.wav", "-af", "volume=-70dB", "-c:a", "pcm_f32le")
    text, _ = transcribe_text(store, "faster-whisper", quiet, "en")
    errors, _ = word_errors([reference(path)], [text], "en")
    assert errors <= 2, text


def test_english_only_model(store):
    text, language = transcribe_text(store, "faster-whisper", dev_clip("jfk/jfk.flac"), None,
                                     model="tiny.en")
    assert language == "en"
    assert "country" in text.lower()


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_vocabulary_hint_fixes_names(store, tmp_path, engine):
    """Names the model cannot know are written right once the prompt spells them."""
    clip = synthesise("Yesterday I interviewed Anouk Martin at the Insee office in Montrouge.",
                      tmp_path / "names.wav", speed=140)
    plain, _ = transcribe_text(store, engine, clip, "en")
    hinted, _ = transcribe_text(store, engine, clip, "en",
                                initial_prompt="Anouk Martin, Insee, Montrouge.")
    assert "Anouk Martin" not in plain
    assert "Anouk Martin" in hinted and "Montrouge" in hinted


def test_auto_device_and_engine():
    assert resolve_device("auto") in {"cpu", "cuda"}
    assert resolve_device("cpu") == "cpu"
    # Batched decoding where it pays (a GPU), sequential on a CPU.
    assert engine_for("auto", "cuda") == "whisperx"
    assert engine_for("auto", "cpu") == "faster-whisper"
    assert engine_for("openai-whisper", "cuda") == "openai-whisper"


def test_engines_name_the_models_they_load(store):
    assert model_kind("auto") == model_kind("whisperx") == model_kind("faster-whisper") \
        == "whisper"
    assert model_kind("openai-whisper") == "openai-whisper"
    assert store.models(model_kind("openai-whisper")) == store.openai_whisper_models()
    assert store.models(model_kind("auto")) == store.whisper_models()
    with pytest.raises(UserFacingError):
        model_kind("no-such-engine")


@pytest.mark.parametrize("engine", ["faster-whisper", "openai-whisper"])
def test_sampling_is_seeded(store, engine, monkeypatch):
    """Decoding hot (temperature 1.0 only: every window samples) gives the same words and
    times twice with the same seed, and others with another seed (so it did sample)."""
    from transcribe.asr import faster_whisper

    seeded: list[int] = []
    original = faster_whisper.load_sampler
    monkeypatch.setattr(faster_whisper, "load_sampler",
                        lambda model, seed, encoded: seeded.append(seed)
                        or original(model, seed, encoded))
    audio = load_audio(dev_clip("jfk/jfk.flac"))
    asr = get_engine(engine, store, ModelSettings())

    def decode(seed: int):
        result = asr.transcribe(audio.mono, AsrOptions(language="en", temperatures=(1.0,),
                                                       seed=seed))
        return [(s.text, [(w.word, w.start, w.end) for w in s.words]) for s in result.segments]

    first = decode(1234)
    assert decode(1234) == first
    assert decode(7) != first
    if engine == "faster-whisper":  # one sampler per decoding (11 s: one piece)
        assert seeded == [1234, 1234, 7]
