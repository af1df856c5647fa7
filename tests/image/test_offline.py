"""The app as the container runs it: cut off from the network, on a read-only filesystem
but for its /tmp and /data, reading the baked models. In network and mount namespaces
(unshare) where this machine allows them; otherwise with connections refused by a
sitecustomize and the filesystem left writable (the test says so when it falls back)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from image_support import (
    IMAGE,
    ROOT,
    attempts,
    check_image,
    container_env,
    sandbox_prefix,
    sandboxed,
    wrap,
)

from dialogue import INTERVIEW_EN, make_dialogue
from speech import DEV, synthesise


def test_sandbox_cuts_the_network_and_write_access(tmp_path):
    if sandbox_prefix() is None:
        pytest.skip("unshare cannot create namespaces here: the offline tests refuse "
                    "connections through sitecustomize instead")
    writable = tmp_path / "writable"
    writable.mkdir()
    probe = ("import socket, sys\n"
             "open(sys.argv[1] + '/ok', 'w').write('x')\n"
             "for path in (sys.argv[2], '/etc/probe', sys.argv[3] + '/probe'):\n"
             "    try: open(path, 'w')\n"
             "    except OSError as e: print('read-only', e.errno)\n"
             "try: socket.create_connection(('1.1.1.1', 443), timeout=3)\n"
             "except OSError as e: print('offline', e.errno)\n")
    result = subprocess.run(
        sandboxed([sys.executable, "-c", probe, str(writable), str(tmp_path / "outside"),
                   str(ROOT)], [writable]),
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert (writable / "ok").exists() and not (tmp_path / "outside").exists()
    lines = result.stdout.splitlines()
    assert lines[:3] == ["read-only 30"] * 3  # EROFS
    assert lines[3].startswith("offline")


@pytest.mark.slow
def test_cli_transcribes_offline_on_a_read_only_filesystem(baked, tmp_path):
    writable = tmp_path / "writable"
    log = tmp_path / "network-attempts.log"
    env = container_env(baked.root, writable, log, TRANSCRIBE_UI_LANGUAGE="en")
    if (DEV / "jfk" / "jfk.flac").exists():
        clip, expected = DEV / "jfk" / "jfk.flac", "ask not what your country"
    else:
        clip = synthesise("We are recording the second interview today.", tmp_path / "a.wav")
        expected = "recording the second"
    out = writable / "data" / "out"
    command = [sys.executable, "-m", "transcribe.cli", str(clip), "--out", str(out),
               "--format", "txt,json,docx,srt", "--model", "tiny.en", "--language", "en"]
    result = subprocess.run(wrap(command, writable), capture_output=True, text=True, env=env,
                            cwd=writable / "data", timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    stem = clip.stem
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{stem}.{ext}" for ext in ("txt", "json", "docx", "srt"))
    assert expected in (out / f"{stem}.txt").read_text().lower()
    # Nothing even tried to reach another machine (telemetry, hub lookups, downloads).
    assert attempts(log) == []


@pytest.mark.slow
def test_cli_diarizes_offline_on_a_read_only_filesystem(baked, tmp_path):
    """Speakers too: a two-voice interview (espeak-ng) transcribed with --diarize on the
    baked embedded models (pyannote pipeline included), cut off from the network."""
    # Three short turns (14 s): diarization's cost grows with the length, keep it quick.
    script = [INTERVIEW_EN[0], ("B", "Of course. I am a nurse, and I work at the city "
                                     "hospital."), INTERVIEW_EN[2]]
    dialogue = make_dialogue(tmp_path / "dialogue", script=script, language="en")
    writable = tmp_path / "writable"
    log = tmp_path / "network-attempts.log"
    env = container_env(baked.root, writable, log, TRANSCRIBE_UI_LANGUAGE="en")
    out = writable / "data" / "out"
    command = [sys.executable, "-m", "transcribe.cli", str(dialogue.path), "--out", str(out),
               "--format", "txt,json", "--model", "tiny.en", "--language", "en",
               "--diarize", "--speakers", "2"]
    result = subprocess.run(wrap(command, writable), capture_output=True, text=True, env=env,
                            cwd=writable / "data", timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    stem = dialogue.path.stem
    data = json.loads((out / f"{stem}.json").read_text())
    assert {s["role"] for s in data["speakers"].values()} == {"interviewer", "interviewee"}
    paragraphs = (out / f"{stem}.txt").read_text().strip().split("\n\n")
    assert all(p.startswith(("Interviewer: ", "Interviewee: ")) for p in paragraphs)
    labels = [p.split(":")[0] for p in paragraphs]  # one paragraph per turn
    assert labels == ["Interviewer", "Interviewee", "Interviewer"]
    assert "hospital" in (out / f"{stem}.txt").read_text().lower()
    assert attempts(log) == []


def test_check_image_passes_on_this_checkout(baked, tmp_path):
    """image/check_image.py, the image's last build step, against this environment and,
    like that step (RUN --network=none), without network: the variant matching this torch
    passes, the other fails for the right reason. (Its --load check, loading every model,
    runs in test_models_baked.py.)"""
    import torch

    variant, other = ("gpu", "cpu") if torch.version.cuda else ("cpu", "gpu")
    writable = tmp_path / "writable"
    log = tmp_path / "network-attempts.log"
    env = container_env(baked.root, writable, log)
    if variant == "gpu":  # the image registers these folders with ldconfig (cuda_libs.py)
        folders = subprocess.run([sys.executable, str(IMAGE / "cuda_libs.py")],
                                 capture_output=True, text=True, check=True).stdout.split()
        env["LD_LIBRARY_PATH"] = ":".join(folders)
    command = [sys.executable, str(IMAGE / "check_image.py"), "--paths-from-env", "--verify"]
    result = subprocess.run(wrap([*command, "--variant", variant], writable),
                            capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sum(line.startswith("ok ") for line in result.stdout.splitlines()) == 7
    assert attempts(log) == []
    result = subprocess.run([*command, "--variant", other], capture_output=True, text=True,
                            env=env, timeout=600, check=False)
    assert result.returncode == 1
    assert f"FAIL  {other} variant" in result.stdout


@pytest.mark.slow
def test_web_app_starts_offline_as_the_chart_runs_it(baked, tmp_path, chart_container):
    """entrypoint.sh -> transcribe-web -> Streamlit, with the chart's environment, read-only
    and offline; image/healthcheck.py finds it healthy at the chart's probe path; SIGTERM
    (what Kubernetes sends) stops it."""
    chart = chart_container({"networking": {"basePath": "/user/jdoe/transcription"},
                             "gpu": {"enabled": False}})
    writable = tmp_path / "writable"
    log = tmp_path / "network-attempts.log"
    env = {**chart.env, **container_env(baked.root, writable, log)}
    port = chart.port
    if sandbox_prefix() is None:  # the host's network: 8501 may be taken (make run)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env["TRANSCRIBE_PORT"] = str(port)
    healthcheck = [sys.executable, str(IMAGE / "healthcheck.py")]
    script = f"""
set -u
bash {IMAGE / "entrypoint.sh"} > "$TMPDIR/server.log" 2>&1 &
server=$!
healthy=1
for _ in $(seq 240); do
  if {" ".join(healthcheck)} >"$TMPDIR/health.log" 2>&1; then healthy=0; break; fi
  kill -0 $server 2>/dev/null || break
  sleep 0.5
done
cat "$TMPDIR/health.log"
kill -TERM $server 2>/dev/null
for _ in $(seq 40); do kill -0 $server 2>/dev/null || break; sleep 0.25; done
if kill -0 $server 2>/dev/null; then echo "still running after SIGTERM"; kill -KILL $server; fi
exit $healthy
"""
    result = subprocess.run(wrap(["bash", "-c", script], writable), capture_output=True,
                            text=True, env=env, timeout=300, check=False)
    server_log = (writable / "tmp" / "server.log").read_text(errors="replace")
    assert result.returncode == 0, result.stdout + result.stderr + server_log[-3000:]
    assert f"healthy: http://127.0.0.1:{port}{chart.probe_path}: HTTP 200" in result.stdout
    assert "still running after SIGTERM" not in result.stdout
    assert "transcribe-web:" in server_log  # the real app said where it listens
    assert attempts(log) == []


def test_check_image_load_flag_adds_the_loading_check():
    """What the Dockerfile's `check_image.py --load` adds: the check that
    test_models_baked.py runs offline (load_every_model)."""
    args = check_image.parse_args(["--variant", "cpu", "--load"])
    names = dict(check_image.build_checks(args))
    assert names["models load"] is check_image.check_loading
    assert "models load" not in dict(check_image.build_checks(
        check_image.parse_args(["--variant", "cpu"])))


def test_libraries_keep_their_caches_under_tmp(baked, tmp_path):
    """What the app imports, with HOME read-only: each library writes its cache where the
    image points it (under /tmp), without complaining or failing."""
    if sandbox_prefix() is None:
        pytest.skip("needs a read-only filesystem (unshare)")
    writable = tmp_path / "writable"
    env = container_env(baked.root, writable, tmp_path / "log")
    code = "; ".join(f"import {module}" for module in (
        "transcribe.pipeline", "whisperx", "pyannote.audio", "matplotlib.pyplot", "numba",
        "whisper", "streamlit"))
    result = subprocess.run(wrap([sys.executable, "-c", code], writable), capture_output=True,
                            text=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    for complaint in ("not a writable directory", "Read-only file system", "Permission denied"):
        assert complaint not in result.stderr
    assert (writable / "tmp" / "matplotlib").is_dir()
