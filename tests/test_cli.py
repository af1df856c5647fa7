"""The `transcribe` command as users run it: a real process, real models, real files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from speech import dev_clip, synthesise

CLI = [sys.executable, "-m", "transcribe.cli"]


def run_cli(*args, env_language="en"):
    env = {"PATH": "/usr/bin:/bin", "TRANSCRIBE_UI_LANGUAGE": env_language, "HOME": "/tmp"}
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.mark.slow
def test_writes_all_seven_formats(tmp_path):
    clip = dev_clip("jfk/jfk.flac")
    result = run_cli(clip, "--out", tmp_path, "--format", "txt,docx,srt,vtt,json,csv,qda")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["jfk.csv", "jfk.docx", "jfk.json", "jfk.qda.txt", "jfk.srt", "jfk.txt",
                     "jfk.vtt"]
    data = json.loads((tmp_path / "jfk.json").read_text())
    assert data["language"] == "en"
    assert data["engine"] == "faster-whisper"  # auto, on this machine's CPU
    assert "ask not what your country" in (tmp_path / "jfk.txt").read_text().lower()
    assert "%" in result.stderr  # the progress bar
    assert "7 file(s) written" in result.stdout


@pytest.mark.slow
def test_a_bad_file_fails_alone_and_is_named(tmp_path):
    good = synthesise("This recording is fine.", tmp_path / "good.wav")
    bad = tmp_path / "broken.mp3"
    bad.write_text("not audio")
    out = tmp_path / "out"
    result = run_cli(bad, good, "--out", out, "--format", "txt", "--engine", "faster-whisper")
    assert result.returncode == 1
    assert "broken.mp3" in result.stderr and "not a readable audio" in result.stderr
    assert "1 of 2 file(s) failed: broken.mp3" in result.stderr
    assert (out / "good.txt").read_text().strip()
    assert not (out / "broken.txt").exists()


def test_messages_in_french(tmp_path):
    empty = tmp_path / "vide.m4a"
    empty.write_bytes(b"")
    result = run_cli(empty, "--out", tmp_path, "--format", "txt", env_language="fr")
    assert result.returncode == 1
    assert "Échec pour vide.m4a" in result.stderr and "est vide" in result.stderr


def test_unknown_model_lists_those_on_disk(tmp_path):
    result = run_cli("x.wav", "--model", "large-v3", "--out", tmp_path)
    assert result.returncode == 2
    assert "large-v3" in result.stderr and "base" in result.stderr


def test_unknown_format_is_refused(tmp_path):
    result = run_cli("x.wav", "--format", "txt,pdf", "--out", tmp_path)
    assert result.returncode == 2 and "pdf" in result.stderr


def test_models_lists_what_is_on_disk():
    result = run_cli("models")
    assert result.returncode == 0
    assert "whisper" in result.stdout and "base" in result.stdout
    assert "openai-whisper" in result.stdout
