"""The scripts the image runs: the entry point, the healthcheck, the Python installer (in
dry-run mode) and the registration of torch's CUDA libraries."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from image_support import IMAGE, ROOT

sys.path.insert(0, str(IMAGE))
import healthcheck  # image/ is not a package: found through sys.path

ENTRYPOINT = IMAGE / "entrypoint.sh"
# Stands in for transcribe-web / transcribe: prints its arguments and environment.
FAKE_COMMAND = """#!/bin/sh
exec "{python}" -c 'import json, os, sys; print(json.dumps({{"argv": sys.argv[1:], \
"env": dict(os.environ)}}))' "$@"
"""


def run_entrypoint(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("transcribe-web", "transcribe"):
        fake = bin_dir / name
        fake.write_text(FAKE_COMMAND.format(python=sys.executable))
        fake.chmod(0o755)
    base = {"PATH": f"{bin_dir}:/usr/bin:/bin", "XDG_CACHE_HOME": str(tmp_path / "t/cache"),
            "MPLCONFIGDIR": str(tmp_path / "t/matplotlib"),
            "NUMBA_CACHE_DIR": str(tmp_path / "t/numba")}
    return subprocess.run(["bash", str(ENTRYPOINT), *args], capture_output=True, text=True,
                          env={**base, **env}, timeout=60, check=False)


def test_entrypoint_runs_the_web_app_with_the_defaults(tmp_path):
    result = run_entrypoint(tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["argv"] == []  # transcribe-web, with no arguments
    assert {k: seen["env"][k] for k in ("TRANSCRIBE_PORT", "TRANSCRIBE_BASE_PATH",
                                        "TRANSCRIBE_DATA_DIR", "TRANSCRIBE_MODELS_DIR")} == {
        "TRANSCRIBE_PORT": "8501", "TRANSCRIBE_BASE_PATH": "/",
        "TRANSCRIBE_DATA_DIR": "/data", "TRANSCRIBE_MODELS_DIR": "/opt/models"}
    for name in ("cache", "matplotlib", "numba"):
        assert (tmp_path / "t" / name).is_dir()


def test_entrypoint_keeps_what_the_chart_sets(tmp_path):
    result = run_entrypoint(tmp_path, TRANSCRIBE_PORT="9000",
                            TRANSCRIBE_BASE_PATH="/user/jdoe", TRANSCRIBE_DATA_DIR="/srv/d")
    env = json.loads(result.stdout)["env"]
    assert (env["TRANSCRIBE_PORT"], env["TRANSCRIBE_BASE_PATH"],
            env["TRANSCRIBE_DATA_DIR"]) == ("9000", "/user/jdoe", "/srv/d")


def test_entrypoint_builds_the_streamlit_command_the_app_serves(tmp_path):
    """What transcribe-web makes of the entry point's environment: Streamlit's port and
    base path, which the probes and the healthcheck knock on."""
    from transcribe.web.serve import streamlit_flags
    from transcribe.web.settings import load_settings

    result = run_entrypoint(tmp_path, TRANSCRIBE_PORT="9000", TRANSCRIBE_BASE_PATH="/user/x/",
                            TRANSCRIBE_PASSWORD="p")
    flags = streamlit_flags(load_settings(json.loads(result.stdout)["env"]))
    assert "--server.port=9000" in flags and "--server.baseUrlPath=user/x" in flags
    assert "--browser.gatherUsageStats=false" in flags and "--server.headless=true" in flags
    assert healthcheck.health_url(9000, "/user/x/") == "http://127.0.0.1:9000/user/x/_stcore/health"


def test_entrypoint_runs_any_other_command(tmp_path):
    result = run_entrypoint(tmp_path, "transcribe", "interview.m4a", "--out", "/data")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["argv"] == ["interview.m4a", "--out", "/data"]


@pytest.mark.parametrize("port", ["80a", "", "-1"])
def test_entrypoint_refuses_a_bad_port(tmp_path, port):
    result = run_entrypoint(tmp_path, TRANSCRIBE_PORT=port)
    if port == "":  # empty means unset: the default
        assert result.returncode == 0
    else:
        assert result.returncode == 64 and "TRANSCRIBE_PORT" in result.stderr


def test_entrypoint_fails_when_tmp_is_not_writable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_entrypoint(tmp_path, XDG_CACHE_HOME=str(blocker / "cache"))
    assert result.returncode == 1
    assert f"entrypoint: cannot create {blocker / 'cache'}" in result.stderr


# -- healthcheck -------------------------------------------------------------------------


HEALTH_ROUTES = {"/user/x/_stcore/health": 200, "/starting/_stcore/health": 503}


class _Health(BaseHTTPRequestHandler):
    def do_GET(self):  # the http.server interface
        status = HEALTH_ROUTES.get(self.path, 404)
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok" if status == 200 else b"no")

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def run_healthcheck(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(IMAGE / "healthcheck.py")], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", **env}, timeout=30,
                          check=False)


def test_healthcheck_is_healthy_on_200_at_the_base_path(health_server):
    result = run_healthcheck(TRANSCRIBE_PORT=str(health_server),
                             TRANSCRIBE_BASE_PATH="/user/x/")
    assert result.returncode == 0, result.stderr
    assert "HTTP 200" in result.stdout


@pytest.mark.parametrize(("base_path", "why"), [("/", "HTTP 404"), ("/starting", "HTTP 503")])
def test_healthcheck_is_unhealthy_otherwise(health_server, base_path, why):
    result = run_healthcheck(TRANSCRIBE_PORT=str(health_server), TRANSCRIBE_BASE_PATH=base_path)
    assert result.returncode == 1 and why in result.stderr


def test_healthcheck_is_unhealthy_when_nothing_listens(health_server):
    import socket

    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_healthcheck(TRANSCRIBE_PORT=str(port))
    assert result.returncode == 1 and "refused" in result.stderr.lower()


def test_healthcheck_ignores_proxies(health_server):
    result = run_healthcheck(TRANSCRIBE_PORT=str(health_server), TRANSCRIBE_BASE_PATH="/user/x",
                             http_proxy="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    assert result.returncode == 0, result.stderr


def test_health_urls():
    assert healthcheck.health_url(8501) == "http://127.0.0.1:8501/_stcore/health"
    assert healthcheck.health_url("80", "", "0.0.0.0") == "http://127.0.0.1:80/_stcore/health"
    assert healthcheck.health_url(1, "/a/b/", "::1") == "http://[::1]:1/a/b/_stcore/health"
    assert healthcheck.health_url(1, "a", "10.0.0.5") == "http://10.0.0.5:1/a/_stcore/health"


@pytest.mark.parametrize("base_path", ["/", "/user/jdoe", "/user/jdoe/"])
def test_healthcheck_asks_where_the_chart_probes(chart_container, base_path):
    chart = chart_container({"networking": {"basePath": base_path}})
    url = healthcheck.health_url(chart.env["TRANSCRIBE_PORT"], chart.env["TRANSCRIBE_BASE_PATH"])
    assert url == f"http://127.0.0.1:{chart.port}{chart.probe_path}"


# -- install-python.sh ---------------------------------------------------------------------


def install_plan(variant: str) -> list[str]:
    result = subprocess.run(["bash", str(IMAGE / "install-python.sh"), variant,
                             str(ROOT / "pyproject.toml")], capture_output=True, text=True,
                            env={**os.environ, "DRY_RUN": "1", "VENV": "/opt/venv"},
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def installed(name: str) -> str:
    """The version installed here, without a local label: pip resolved it for the pinned
    torch (whisperx's ~= pins), so the image's pins must be the same."""
    return importlib.metadata.version(name).split("+")[0]


def test_cpu_variant_takes_torch_from_the_cpu_index():
    plan = install_plan("cpu")
    assert plan[:3] == [f"constraint: {name}=={installed(name)}+cpu"
                        for name in ("torch", "torchaudio", "torchvision")]
    torch_step = next(line for line in plan if line.endswith("torch torchaudio torchvision"))
    assert "--index-url https://download.pytorch.org/whl/cpu" in torch_step
    requirements_step = next(line for line in plan if "--requirement" in line)
    assert "--constraint" in requirements_step and "--index-url" not in requirements_step
    assert not [line for line in plan if "cuda_libs.py" in line or line == "ldconfig"]


def test_gpu_variant_takes_torch_from_pypi_and_registers_its_cuda_libraries():
    plan = install_plan("gpu")
    assert not [line for line in plan if "--index-url" in line]
    assert [line for line in plan if line.startswith("constraint:")] == [
        f"constraint: {name}=={installed(name)}" for name in ("torch", "torchaudio", "torchvision")]
    assert any("cuda_libs.py --require --write /etc/ld.so.conf.d/" in line for line in plan)
    assert plan.index("ldconfig") > next(i for i, line in enumerate(plan)
                                         if "cuda_libs.py" in line)
    assert "/opt/venv/bin/python -m pip check" in plan


def test_unknown_variant_is_refused():
    result = subprocess.run(["bash", str(IMAGE / "install-python.sh"), "tpu",
                             str(ROOT / "pyproject.toml")], capture_output=True, text=True,
                            env={**os.environ, "DRY_RUN": "1"}, check=False)
    assert result.returncode == 64 and "gpu or cpu" in result.stderr


# -- cuda_libs.py --------------------------------------------------------------------------


def test_cuda_libraries_are_found_by_name_through_the_loader_cache(tmp_path):
    """What install-python.sh does for the gpu image, replayed here: an ld.so.conf.d file
    for torch's CUDA wheels, a loader cache built from it, then libcublas.so.12 opened by
    name (as CTranslate2 does) in a process that sees that cache as /etc/ld.so.cache."""
    import torch

    if not torch.version.cuda:
        pytest.skip("this environment has a CPU build of torch: no CUDA wheels to register")
    conf = tmp_path / "torch-cuda.conf"
    result = subprocess.run([sys.executable, str(IMAGE / "cuda_libs.py"), "--require",
                             "--write", str(conf)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    folders = conf.read_text().split()
    assert {Path(f).parent.name for f in folders} == {"cublas", "cudnn"}
    assert all(Path(f).is_absolute() and "site-packages/nvidia" in f for f in folders)

    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    if not Path(ldconfig).exists():
        pytest.skip("ldconfig not found")
    system = tmp_path / "ld.so.conf"
    system.write_text(f"include /etc/ld.so.conf\n{conf.read_text()}")
    cache = tmp_path / "ld.so.cache"
    subprocess.run([ldconfig, "-X", "-f", str(system), "-C", str(cache)], check=True,
                   capture_output=True)
    listing = subprocess.run([ldconfig, "-p", "-C", str(cache)], capture_output=True,
                             text=True, check=True).stdout
    assert "libcublas.so.12 (" in listing and "libcudnn.so.9 (" in listing

    load = ("import ctypes; ctypes.CDLL('libcublas.so.12'); ctypes.CDLL('libcudnn.so.9'); "
            "print([p for p in open('/proc/self/maps').read().split() "
            "if p.endswith('libcublas.so.12')][0])")
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    plain = subprocess.run([sys.executable, "-c", load], capture_output=True, text=True,
                           env=env, check=False)
    assert plain.returncode != 0, "found without the cache: the test would prove nothing"
    swapped = subprocess.run(
        ["unshare", "--map-root-user", "--mount", "sh", "-c",
         f'mount --bind "{cache}" /etc/ld.so.cache && exec "$0" -c "$1"', sys.executable,
         load], capture_output=True, text=True, env=env, check=False)
    if swapped.returncode != 0 and "unshare" in swapped.stderr:
        pytest.skip(f"no mount namespace here: {swapped.stderr.strip()}")
    assert swapped.returncode == 0, swapped.stderr
    assert swapped.stdout.strip().startswith(folders[0])


def test_cuda_libs_finds_nothing_without_the_wheels(tmp_path):
    """The CPU image: nothing to register, and --require says so."""
    result = subprocess.run([sys.executable, "-S", "-I", str(IMAGE / "cuda_libs.py")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and result.stdout == ""
    result = subprocess.run([sys.executable, "-S", "-I", str(IMAGE / "cuda_libs.py"),
                             "--require"], capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "libcublas.so.12" in result.stderr
