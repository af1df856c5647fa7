"""A real `transcribe-web` in a subprocess for the benches and the web tests: started with
the environment given on a free localhost port, ready once /_stcore/health answers,
terminated on exit."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

COMMAND = str(Path(sys.executable).with_name("transcribe-web"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def web_server(env: Mapping[str, str], log: Path | None = None,
               timeout: float = 60, grace: float = 10) -> Iterator[tuple[str, subprocess.Popen]]:
    """Runs `transcribe-web` with exactly `env` plus TRANSCRIBE_PORT (a free port), its
    output to `log` (or nowhere); yields (url, process) once it answers, within `timeout`
    seconds. A server that exits or stays silent raises RuntimeError with its log. On exit
    it is terminated, and killed if still running `grace` seconds later."""
    port = free_port()
    env = {**env, "TRANSCRIBE_PORT": str(port)}
    with open(log or "/dev/null", "w") as output:
        process = subprocess.Popen([COMMAND], env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    said = log.read_text() if log else ""
                    raise RuntimeError(f"transcribe-web did not start\n{said}") from None
                time.sleep(0.3)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
