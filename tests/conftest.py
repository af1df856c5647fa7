from __future__ import annotations

import pytest

import transcribe  # noqa: F401 - sets the offline environment before any model library
from transcribe.models import ModelStore


@pytest.fixture(scope="session")
def store() -> ModelStore:
    store = ModelStore()
    if not store.whisper_models():
        pytest.fail(f"no Whisper model in {store.root}: run `make models` first")
    return store
