"""Word alignment: the WhisperX wav2vec2 code path loads a model from the models folder and
never loses a word; without a model, Whisper's own word times stay."""

from __future__ import annotations

import json

import numpy as np
import pytest

from transcribe.align import align_segments, fill_missing_times, find_aligner
from transcribe.audio import load_audio
from transcribe.models import ModelStore
from transcribe.transcript import Segment, Word

from speech import synthesise


def test_fill_missing_times_interpolates_by_length():
    words = [Word(1.0, 1.4, " Il"), Word(None, None, " avait"), Word(None, None, " 42"),
             Word(2.6, 3.0, " ans.")]
    fill_missing_times(words, 1.0, 3.0)
    assert [w.word for w in words] == [" Il", " avait", " 42", " ans."]
    assert words[1].start == pytest.approx(1.4) and words[2].end == pytest.approx(2.6)
    assert words[1].end == pytest.approx(words[2].start)
    assert words[1].end - words[1].start > words[2].end - words[2].start  # longer word
    edge = [Word(None, None, " 1789"), Word(0.5, 1.0, " fin")]
    fill_missing_times(edge, 0.0, 1.0)
    assert (edge[0].start, edge[0].end) == (0.0, 0.5)


@pytest.fixture(scope="module")
def store_with_an_alignment_model(tmp_path_factory):
    """A models folder with a wav2vec2 CTC model for English in the layout the image
    bakes (Hugging Face files). No trained wav2vec2 ships on PyPI, so its weights are
    random: this checks the loading and alignment code path and that no word is lost,
    not the precision of the times (measured in production)."""
    from transformers import (
        Wav2Vec2Config,
        Wav2Vec2CTCTokenizer,
        Wav2Vec2FeatureExtractor,
        Wav2Vec2ForCTC,
        Wav2Vec2Processor,
    )

    root = tmp_path_factory.mktemp("models")
    folder = root / "alignment" / "en"
    folder.mkdir(parents=True)
    letters = list("abcdefghijklmnopqrstuvwxyz'")
    vocabulary = {"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3, "|": 4}
    vocabulary.update({c: i + 5 for i, c in enumerate(letters)})
    (folder / "vocab.json").write_text(json.dumps(vocabulary))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000,
                                         return_attention_mask=False)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    config = Wav2Vec2Config(vocab_size=len(vocabulary), hidden_size=32, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=64,
                            conv_dim=(32,) * 7, num_conv_pos_embeddings=16,
                            num_conv_pos_embedding_groups=4)
    Wav2Vec2ForCTC(config).save_pretrained(folder)
    return ModelStore(root)


def test_alignment_model_is_found_per_language(store_with_an_alignment_model):
    found = find_aligner(store_with_an_alignment_model, "en")
    assert found and found.path == store_with_an_alignment_model.alignment_path("en")
    assert find_aligner(store_with_an_alignment_model, "fr") is None
    assert find_aligner(store_with_an_alignment_model, None) is None
    assert store_with_an_alignment_model.alignment_languages() == ["en"]


def test_wav2vec2_alignment_keeps_every_word(store_with_an_alignment_model, tmp_path):
    clip = synthesise("In 1998 we paid 40 euros, that is 50% more.", tmp_path / "n.wav")
    samples = load_audio(clip).mono
    text = "In 1998 we paid 40 euros, that is 50% more."
    words = [Word(None, None, " " + w, 0.9) for w in text.split()]
    segment = Segment(0.0, len(samples) / 16000, text, "SPEAKER_00", words)
    aligned = align_segments([segment], samples,
                             find_aligner(store_with_an_alignment_model, "en"))
    assert len(aligned) == 1
    result = aligned[0]
    assert result.text == text
    assert [w.word.strip() for w in result.words] == text.split()  # no word lost
    for word in result.words:
        assert word.start is not None and word.end is not None  # numbers interpolated
        assert segment.start - 0.01 <= word.start <= word.end <= segment.end + 0.01
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    assert all(w.speaker == "SPEAKER_00" for w in result.words)


def test_without_a_model_the_segments_are_unchanged(store):
    segment = Segment(0.0, 1.0, "bonjour", words=[Word(0.1, 0.5, " bonjour", 0.9)])
    assert align_segments([segment], np.zeros(16000, np.float32),
                          find_aligner(store, "fr")) == [segment]
