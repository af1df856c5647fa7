"""The GitHub Actions workflows, which cannot run here (no GitHub, no registry, no Docker
engine): their YAML, the inputs of the steps that matter, every shell step checked by
bash, and the steps whose logic can run here, run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from image_support import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as the boolean true.
    return workflow.get("on", workflow.get(True))


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def step_named(workflow: dict, name: str) -> dict:
    return next(step for step in steps(workflow) if step.get("name") == name)


def run_script(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True,
                          text=True, env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                                          **env}, timeout=300, check=False)


def project_version() -> str:
    return re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(),
                     re.MULTILINE).group(1)


@pytest.mark.parametrize("name", ["image.yml", "charts.yml"])
def test_workflow_is_valid_yaml_with_valid_shell_steps(name):
    workflow = load(name)
    assert workflow["name"] and triggers(workflow) and workflow["jobs"]
    for step in steps(workflow):
        assert "uses" in step or "run" in step, step
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", step["uses"]), step["uses"]
        if "run" in step:
            # GitHub substitutes ${{ ... }} before the shell sees the script.
            script = re.sub(r"\$\{\{[^}]*\}\}", "placeholder", step["run"])
            result = subprocess.run(["bash", "-n", "-c", script], capture_output=True,
                                    text=True, check=False)
            assert result.returncode == 0, (step.get("name"), result.stderr)


def test_image_workflow_builds_both_variants_on_version_tags():
    workflow = load("image.yml")
    assert triggers(workflow) == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read", "packages": "write"}
    job = next(iter(workflow["jobs"].values()))
    assert job["strategy"]["matrix"]["variant"] == ["gpu", "cpu"]
    build = next(s for s in steps(workflow)
                 if str(s.get("uses", "")).startswith("docker/build-push-action@"))["with"]
    assert build["file"] == "image/Dockerfile" and build["context"] == "."
    assert build["build-args"].strip().splitlines() == ["VARIANT=${{ matrix.variant }}"]
    assert build["push"] is True
    assert build["tags"] == ("${{ steps.version.outputs.image }}:"
                             "${{ steps.version.outputs.version }}-${{ matrix.variant }}")
    used = [s["uses"].split("@")[0] for s in steps(workflow) if "uses" in s]
    assert used.index("docker/login-action") < used.index("docker/build-push-action")
    assert used.index("docker/setup-buildx-action") < used.index("docker/build-push-action")


def test_version_step_checks_the_tag_and_names_the_image_the_chart_pulls(tmp_path):
    script = step_named(load("image.yml"), "Version")["run"]
    values = yaml.safe_load((ROOT / "charts/whisper-transcription/values.yaml").read_text())
    chart = yaml.safe_load((ROOT / "charts/whisper-transcription/Chart.yaml").read_text())
    version = project_version()
    assert chart["appVersion"] == version, "the chart pulls <appVersion>-gpu|cpu"

    output = tmp_path / "output"
    result = run_script(script, ROOT, GITHUB_REF_NAME=f"v{version}",
                        GITHUB_REPOSITORY="Whisper-Transcription/Whisper-Transcription",
                        GITHUB_OUTPUT=str(output))
    assert result.returncode == 0, result.stdout + result.stderr
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    assert outputs["version"] == version
    # ghcr.io wants lower case; for the upstream repository it is the chart's default.
    assert outputs["image"] == values["service"]["image"]["repository"]

    result = run_script(script, ROOT, GITHUB_REF_NAME="v99.0.0",
                        GITHUB_REPOSITORY="whisper-transcription/whisper-transcription",
                        GITHUB_OUTPUT=str(tmp_path / "other"))
    assert result.returncode == 1 and "must agree" in result.stdout


def test_charts_workflow_publishes_make_chart_output_to_gh_pages():
    workflow = load("charts.yml")
    assert workflow["permissions"] == {"contents": "write"}
    assert "v*" in triggers(workflow)["push"]["tags"]
    assert triggers(workflow)["push"]["paths"] == ["charts/**"]
    checkout_pages = [s for s in steps(workflow) if s.get("with", {}).get("ref") == "gh-pages"]
    assert checkout_pages and checkout_pages[0]["with"]["path"] == "dist/charts"
    package = step_named(workflow, "Package and index")["run"]
    assert "make -o venv chart" in package
    push = step_named(workflow, "Push to gh-pages")
    assert push["working-directory"] == "dist/charts"
    assert "HEAD:gh-pages" in push["run"]


def test_charts_workflow_make_invocation_packages_the_chart(tmp_path):
    """The workflow's `make` line, run on a copy of the files it needs, with this
    environment's Python (which has Helm's engine): it must not rebuild the app's
    environment, and must leave a chart repository in dist/charts."""
    pytest.importorskip("helm_python")
    package = step_named(load("charts.yml"), "Package and index")["run"]
    make_line = next(line.strip() for line in package.splitlines()
                     if line.strip().startswith("make "))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "charts", tmp_path / "charts")
    result = run_script(make_line, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / ".venv").exists(), "make built the app's environment"
    index = yaml.safe_load((tmp_path / "dist/charts/index.yaml").read_text())
    assert [e["version"] for e in index["entries"]["whisper-transcription"]] == [
        yaml.safe_load((ROOT / "charts/whisper-transcription/Chart.yaml").read_text())["version"]]


def test_charts_workflow_never_repackages_a_published_version(tmp_path):
    """Run twice over the same gh-pages folder, the workflow's `make` line leaves a
    published version byte for byte (its digest is what clients recorded); a changed
    chart under a published version fails and asks for a version bump."""
    pytest.importorskip("helm_python")
    package = step_named(load("charts.yml"), "Package and index")["run"]
    make_line = next(line.strip() for line in package.splitlines()
                     if line.strip().startswith("make "))
    assert "--keep-published" in make_line
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "charts", tmp_path / "charts")
    pages = tmp_path / "dist" / "charts"
    chart_file = tmp_path / "charts" / "whisper-transcription" / "Chart.yaml"
    version = yaml.safe_load(chart_file.read_text())["version"]
    archive = pages / f"whisper-transcription-{version}.tgz"

    assert run_script(make_line, tmp_path).returncode == 0  # the first publication
    published = {path.name: path.read_bytes() for path in pages.iterdir()}
    (tmp_path / "charts" / "whisper-transcription" / "values.yaml").touch()  # a new mtime

    result = run_script(make_line, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already published" in result.stdout
    assert {path.name: path.read_bytes() for path in pages.iterdir()} == published

    readme = tmp_path / "charts" / "whisper-transcription" / "README.md"
    readme.write_text(readme.read_text() + "\nA change.\n")
    result = run_script(make_line, tmp_path)
    assert result.returncode != 0
    assert "bump `version`" in result.stdout + result.stderr
    assert archive.read_bytes() == published[archive.name]

    chart_file.write_text(chart_file.read_text().replace(f"version: {version}",
                                                         "version: 99.0.0"))
    result = run_script(make_line, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    index = yaml.safe_load((pages / "index.yaml").read_text())
    assert sorted(e["version"] for e in index["entries"]["whisper-transcription"]) == [
        version, "99.0.0"]
    assert archive.read_bytes() == published[archive.name]
