"""The `transcribe` command as users run it: a real process, real models, real files."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import webvtt
from docx import Document

from transcribe.asr import engine_for, resolve_device

from speech import dev_clip, synthesise

CLI = [sys.executable, "-m", "transcribe.cli"]
INSTALLED = Path(sys.executable).with_name("transcribe")  # the console script users run
SCHEMA = Path(__file__).resolve().parents[1] / "app" / "transcribe" / "transcript.schema.json"


def run_cli(*args, env_language="en", command=CLI):
    env = {"PATH": "/usr/bin:/bin", "TRANSCRIBE_UI_LANGUAGE": env_language, "HOME": "/tmp"}
    if "PYTHONPATH" in os.environ:  # a git worktree runs its own package, not the install's
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=600)


@pytest.mark.slow
def test_writes_all_seven_formats(tmp_path):
    """The README's command, with the installed `transcribe`; every file read back."""
    clip = dev_clip("jfk/jfk.flac")
    result = run_cli(clip, "--out", tmp_path, "--format", "txt,docx,srt,vtt,json,csv,qda",
                     "--timestamps", command=[str(INSTALLED)])
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["jfk.csv", "jfk.docx", "jfk.json", "jfk.qda.txt", "jfk.srt", "jfk.txt",
                     "jfk.vtt"]
    said = "ask not what your country can do for you"

    data = json.loads((tmp_path / "jfk.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert data["language"] == "en" and data["engine"] == engine_for("auto", resolve_device("auto"))
    assert said in " ".join(s["text"] for s in data["segments"]).lower()
    txt = (tmp_path / "jfk.txt").read_text(encoding="utf-8")
    assert re.match(r"^\[00:00:0\d\] \S", txt) and said in txt.lower()
    docx_text = " ".join(p.text for p in Document(str(tmp_path / "jfk.docx")).paragraphs)
    assert said in docx_text.lower()
    for subtitles in (webvtt.from_srt(str(tmp_path / "jfk.srt")),
                      webvtt.read(str(tmp_path / "jfk.vtt"))):
        assert said in " ".join(c.text for c in subtitles).lower().replace("\n", " ")
        assert subtitles[-1].end_in_seconds <= 11.5
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "jfk.csv").read_text(encoding="utf-8-sig"))))
    assert said in " ".join(r["text"] for r in rows).lower()
    qda = (tmp_path / "jfk.qda.txt").read_text(encoding="utf-8")
    assert all(re.match(r"^\[\d\d:\d\d:\d\d\] \S", p) for p in qda.strip().split("\n\n"))

    assert re.search(r"\d+%\|.*\[\d\d:\d\d<\d\d:\d\d\]", result.stderr)  # bar, elapsed<ETA
    assert "7 file(s) written" in result.stdout


@pytest.mark.slow
def test_each_file_of_a_batch_in_its_own_spoken_language(tmp_path):
    english = synthesise("Good morning, thank you for coming.", tmp_path / "english.wav")
    french = synthesise("Bonjour, merci d'être venue.", tmp_path / "french.wav",
                        voice="fr")
    result = run_cli(english, french, "--out", tmp_path, "--format", "json",
                     "--language", "en,fr", "--no-align")
    assert result.returncode == 0, result.stderr
    languages = {name: json.loads((tmp_path / f"{name}.json").read_text())["language"]
                 for name in ("english", "french")}
    assert languages == {"english": "en", "french": "fr"}


@pytest.mark.slow
def test_recordings_with_the_same_name_do_not_overwrite_each_other(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    first = synthesise("The first interview.", tmp_path / "a" / "interview.wav")
    second = synthesise("The second interview.", tmp_path / "b" / "interview.wav")
    out = tmp_path / "out"
    result = run_cli(first, second, "--out", out, "--format", "txt", "--language", "en",
                     "--temperature", "0")
    assert result.returncode == 0, result.stderr
    assert "first" in (out / "interview.txt").read_text().lower()
    assert "second" in (out / "interview-2.txt").read_text().lower()
    assert "(interview-2.*)" in result.stdout


def test_bad_temperatures_are_refused(tmp_path):
    result = run_cli("x.wav", "--temperature", "0,2", "--out", tmp_path)
    assert result.returncode == 2 and "temperatures go from 0 to 1" in result.stderr


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


def options_for(*args):
    from transcribe.cli import build_parser, pipeline_options
    from transcribe.models import ModelStore

    return pipeline_options(build_parser().parse_args(["x.wav", *args]), ModelStore(), "en")


def test_single_means_one_speaker_and_no_diarization_as_in_the_web_app():
    """--preset single: no diarization, as the upload form's "one person" (both ask
    SpeakerOptions); speaker options that cannot apply to one person are refused."""
    from transcribe.i18n import UserFacingError
    from transcribe.web.submission import FormChoices, pipeline_options

    single = options_for("--preset", "single")
    assert not single.diarize and single.speakers.preset == "single"
    assert single.diarize == pipeline_options(FormChoices(preset="single")).diarize
    assert options_for("--preset", "group").diarize and options_for("--names", "A=B").diarize
    for extra in (["--diarize"], ["--names", "Interviewer=Camille"], ["--stereo", "on"]):
        with pytest.raises(UserFacingError) as refused:
            options_for("--speakers", "1", *extra)
        assert refused.value.key == "speakers.one_speaker"


def test_an_unknown_spoken_language_is_refused_before_any_work(tmp_path):
    result = run_cli("x.wav", "--language", "xx", "--out", tmp_path)
    assert result.returncode == 2 and "Unknown spoken language 'xx'" in result.stderr
    # One language per file of a batch: each checked, the count too, before any work.
    result = run_cli("a.wav", "b.wav", "--language", "fr,xx", "--out", tmp_path)
    assert result.returncode == 2 and "Unknown spoken language 'xx'" in result.stderr
    result = run_cli("a.wav", "b.wav", "--language", "fr,en,de", "--out", tmp_path,
                     env_language="fr")
    assert result.returncode == 2 and "--language : 3 langues pour 2 fichiers" in result.stderr
    assert not list(tmp_path.iterdir())
    assert options_for("--language", "auto").asr.language is None
    assert options_for("--language", "FR").asr.language == "fr"
