"""`transcribe-web` as a process: base path, bind address, nothing written to $HOME."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SERVE = str(Path(sys.executable).with_name("transcribe-web"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(tmp_path: Path, **env: str):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    port = free_port()
    environment = {**{k: v for k, v in os.environ.items() if not k.startswith("TRANSCRIBE_")},
                   "TRANSCRIBE_DATA_DIR": str(tmp_path / "data"), "TRANSCRIBE_PORT": str(port),
                   "HOME": str(home), **env}
    log = tmp_path / "server.log"
    process = subprocess.Popen([SERVE], env=environment, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)
    return process, port, log, home


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if get(url)[0] == 200:
                return
        except OSError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "no answer from transcribe-web"
        time.sleep(0.3)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def listening_on(port: int) -> set[str]:
    """The local addresses a socket listens on at `port`, read from the kernel's tables
    (/proc/net/tcp and tcp6: hex address, hex port, state 0A = LISTEN)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add("any" if set(address) == {"0"} else
                          "127.0.0.1" if address == "0100007F" else address)
    return found


def test_served_under_its_base_path_on_every_interface_when_protected(tmp_path):
    process, port, log, home = serve(tmp_path, TRANSCRIBE_PASSWORD="pw",
                                     TRANSCRIBE_BASE_PATH="/user-camille/transcription/")
    try:
        wait_healthy(f"http://127.0.0.1:{port}/user-camille/transcription/_stcore/health",
                     process, log)
        status, page = get(f"http://127.0.0.1:{port}/user-camille/transcription/login")
        assert status == 200 and "<html" in page.lower()
        assert 'action="/user-camille/transcription/login"' in page  # the form posts there
        request = urllib.request.Request(f"http://127.0.0.1:{port}/user-camille/transcription/")
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(request, timeout=5)
        assert refused.value.code == 303
        assert refused.value.headers["Location"] == "/user-camille/transcription/login"
        assert listening_on(port) == {"any"}
    finally:
        stop(process)
    output = log.read_text()
    assert "external IP" not in output  # no look-up of the public address (a web request)
    assert (tmp_path / "data").is_dir()
    assert list(home.iterdir()) == []


def test_a_local_run_without_password_listens_on_this_machine_only(tmp_path):
    process, port, log, home = serve(tmp_path)
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", process, log)
        assert listening_on(port) == {"127.0.0.1"}
        status, page = get(f"http://127.0.0.1:{port}/")  # no password: no gate
        assert status == 200 and "<html" in page.lower()
    finally:
        stop(process)
    assert list(home.iterdir()) == []
