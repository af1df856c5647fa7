"""The `process` launcher driven directly, its worker replaced by a tiny shell child (no
model, no protocol): what the child is given and denied, that a stop kills that child only
and an ended one is left alone, what its exit reads as, that the shutdown ends every child
(SIGTERM, then SIGKILL after the grace) and removes their scratch space. Seconds in all:
fast enough for `make mutate`."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from transcribe.i18n import Notice
from transcribe.workers import process as process_module
from transcribe.workers.launches import ENDED, RUNNING, Launch
from transcribe.workers.process import ProcessLauncher, exit_reason

# The child: writes its environment where the test says, then waits (as `sleep`, so that
# SIGTERM and SIGKILL reach it directly); IGNORE_TERM: it ignores SIGTERM.
CHILD = ('env > "$ENV_OUT"; if [ -n "$IGNORE_TERM" ]; then trap "" TERM; fi; '
         'echo ready >> "$ENV_OUT.ready"; exec sleep 60')


@pytest.fixture
def launcher(tmp_path, monkeypatch):
    monkeypatch.setattr(process_module, "worker_command", lambda: ["/bin/sh", "-c", CHILD])
    monkeypatch.setenv("TRANSCRIBE_PASSWORD", "the-users-password")
    monkeypatch.delenv("TRANSCRIBE_DEVICE", raising=False)
    launcher = ProcessLauncher(tmp_path / "scratch")
    yield launcher
    launcher.close()


def start(launcher: ProcessLauncher, launch_id: str, folder: Path, **extra: str) -> Launch:
    launch = Launch(id=launch_id, pool="main", launcher="process", token_hash="h",
                    created=time.time())
    out = folder / f"{launch_id}.env"
    launch.handle = launcher.launch(launch, f"token-{launch_id}", {"ENV_OUT": str(out),
                                                                   **extra})
    deadline = time.monotonic() + 30
    while not Path(f"{out}.ready").exists():  # the shell has set its traps
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.02)
    return launch


def child_env(folder: Path, launch_id: str) -> dict[str, str]:
    lines = (folder / f"{launch_id}.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_the_child_gets_its_token_and_scratch_never_the_password(launcher, tmp_path, caplog):
    with caplog.at_level("INFO", logger="transcribe.workers"):
        launch = start(launcher, "aaa111", tmp_path, EXTRA="1")
    assert caplog.messages == [f"worker aaa111: started (process {launch.handle})"]
    env = child_env(tmp_path, "aaa111")
    assert "TRANSCRIBE_PASSWORD" not in env
    assert env["TRANSCRIBE_WORKER_TOKEN"] == "token-aaa111" and env["EXTRA"] == "1"
    assert env["TMPDIR"] == str(tmp_path / "scratch" / "aaa111")
    assert env["TRANSCRIBE_WORKER_PARENT_PID"] == str(os.getpid())
    assert "TRANSCRIBE_DEVICE" not in env
    assert env["PATH"] == os.environ["PATH"]  # the rest of the web app's environment
    assert (tmp_path / "scratch" / "aaa111").is_dir()
    assert launch.handle == str(launcher._children["aaa111"].pid)
    status = launcher.poll(launch)
    assert status.state == RUNNING and status.started == status.since
    assert time.time() - 60 < status.started <= time.time()
    assert launcher.recover([launch]) == set()


def test_a_forced_device_reaches_the_child_and_old_scratch_is_no_obstacle(launcher, tmp_path):
    fallback = ProcessLauncher(tmp_path / "scratch", device="cpu")  # the CPU fallback
    (tmp_path / "scratch" / "aaa111").mkdir(parents=True)  # left by a crash
    start(fallback, "aaa111", tmp_path)
    assert child_env(tmp_path, "aaa111")["TRANSCRIBE_DEVICE"] == "cpu"
    fallback.close()


def test_stop_kills_that_child_only_and_ends_its_launch(launcher, tmp_path, caplog):
    one, two = start(launcher, "aaa111", tmp_path), start(launcher, "bbb222", tmp_path)
    began = launcher.poll(one).started
    with caplog.at_level("INFO", logger="transcribe.workers"):
        launcher.stop(one)
    assert caplog.messages == ["worker aaa111: stopped"]  # by id, nothing else
    assert launcher._children["aaa111"].wait(10) == -signal.SIGKILL
    status = launcher.poll(one)
    assert (status.state, status.reason) == (ENDED, Notice("worker.killed"))
    assert status.started == began and began < status.ended <= time.time()
    assert launcher.poll(one).ended == status.ended  # the first look's time, kept
    assert not (tmp_path / "scratch" / "aaa111").exists()
    assert launcher._children["bbb222"].poll() is None
    assert launcher.poll(two).state == RUNNING
    assert (tmp_path / "scratch" / "bbb222").is_dir()


def test_a_stop_of_an_ended_or_unknown_launch_is_harmless(launcher, tmp_path):
    launch = start(launcher, "aaa111", tmp_path)
    child = launcher._children["aaa111"]
    child.terminate()
    child.wait(10)
    launcher.stop(launch)  # ended already: its exit stays what it was
    assert child.returncode == -signal.SIGTERM
    assert launcher.poll(launch).reason == Notice("worker.crashed", {"code": "SIGTERM"})
    stranger = Launch(id="zzz000", pool="main", launcher="process", token_hash="h",
                      created=time.time(), started=12.0)
    launcher.stop(stranger)  # a previous web app's child: not ours
    before = time.time()
    status = launcher.poll(stranger)
    assert before <= status.ended <= time.time()
    assert (status.state, status.started, status.reason) == (
        ENDED, 12.0, Notice("worker.lost"))


def test_close_ends_every_child_and_kills_one_that_ignores_sigterm(
        launcher, tmp_path, monkeypatch):
    monkeypatch.setattr(process_module, "STOP_GRACE", 1.0)
    start(launcher, "aaa111", tmp_path)
    start(launcher, "bbb222", tmp_path, IGNORE_TERM="1")
    ended = start(launcher, "ccc333", tmp_path)
    launcher._children["ccc333"].kill()
    launcher._children["ccc333"].wait(10)
    began = time.monotonic()
    launcher.close()
    assert launcher._children["aaa111"].returncode == -signal.SIGTERM
    assert launcher._children["bbb222"].returncode == -signal.SIGKILL
    assert 0.9 < time.monotonic() - began < 10  # the grace, then SIGKILL
    assert not any((tmp_path / "scratch").iterdir())
    assert ended.id == "ccc333"


def test_exit_reasons():
    assert exit_reason(0) is None
    assert exit_reason(-signal.SIGKILL) == Notice("worker.killed")
    assert exit_reason(-signal.SIGSEGV) == Notice("worker.crashed", {"code": "SIGSEGV"})
    assert exit_reason(3) == Notice("worker.crashed", {"code": 3})


def test_the_worker_command_is_this_pythons_worker_module():
    assert ProcessLauncher.kind == "process" and ProcessLauncher.gpu is False
    assert process_module.worker_command() == [sys.executable, "-m", "transcribe.workers.worker"]
