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

from speech import DEV, DEV_SET, dev_clip, reference, synthesise, wer

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
    for clip, bound in (("jfk/jfk.flac", 0.05), ("leopard/test.wav", 0.1)):
        path = dev_clip(clip)
        text, _ = transcribe_text(store, engine, path, "en")
        assert wer([reference(path)], [text], "en") <= bound, (engine, clip, text)


def test_reference_engine_on_fleurs_french(dev_hypotheses):
    references, hypotheses = dev_hypotheses(REFERENCE_ENGINE, "fr")
    # Whisper base on FLEURS French: about 30 % WER (measured); a regression shows here.
    assert wer(references, hypotheses, "fr") <= 0.35


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_engine_within_one_point_of_faster_whisper(dev_hypotheses, engine, language):
    """Each engine as the product runs it (guard on) against plain faster-whisper, guard
    off: neither the engine nor the guard may lose words."""
    references, reference_hypotheses = dev_hypotheses(REFERENCE_ENGINE, language, guard=False)
    _, hypotheses = dev_hypotheses(engine, language)
    baseline = wer(references, reference_hypotheses, language)
    assert wer(references, hypotheses, language) <= baseline + 0.01, (engine, language)


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
