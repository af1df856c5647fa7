"""The workers' tests: fake_kube (a fake Kubernetes API server) sits beside them; the
recordings they share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from speech import synthesise

SPEECH = "We are recording the interview today at the hospital in the morning."


@pytest.fixture(autouse=True)
def quick_listener_close(monkeypatch):
    """Each test's worker listener closes at once, not after the serving loop's half-second
    look (seconds over a run, more under `make mutate`)."""
    from transcribe.workers.api import WorkerListener

    monkeypatch.setattr(WorkerListener, "poll_seconds", 0.01)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Espeak speech: a short clip, and loops of it still running when a test acts:
    minutes of speech (never run to the end), and about a quarter of a minute (run to the
    end after a restart)."""
    folder = tmp_path_factory.mktemp("clips")
    short = synthesise(SPEECH, folder / "short.wav")
    clips = {"short": short}
    for name, loops in (("long", 40), ("medium", 3)):
        clips[name] = folder / f"{name}.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops), "-i",
                        str(short), "-ar", "16000", "-ac", "1", str(clips[name])], check=True)
    return clips
