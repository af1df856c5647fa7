"""helm lint, packaging, the repository index and the Onyxia catalog entry."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

helm = pytest.importorskip("helm_python")

ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "charts" / "whisper-transcription"
PASSWORD = {"security": {"password": "s3cret-pass"}}

LINT_VALUE_SETS = {
    "defaults": PASSWORD,
    "cpu-only": {**PASSWORD, "gpu": {"enabled": False}},
    "whole-service": {**PASSWORD, "gpu": {"mode": "whole-service"}},
    "workers-and-delete-button": {**PASSWORD, "autoDelete": {"fromApp": True},
                                  "worker": {"maxParallel": 3}},
    "ingress": {
        **PASSWORD,
        "ingress": {
            "enabled": True,
            "hostname": "w.example.org",
            "useCertManager": True,
        },
    },
    "route": {**PASSWORD, "route": {"enabled": True, "hostname": "w.example.org"}},
    # In RAM, the files must fit in the memory limit (32Gi): 8Gi + the 20Gi of /tmp.
    "memory": {**PASSWORD, "data": {"inMemory": True, "sizeLimit": "8Gi"}},
    "dns": {**PASSWORD, "security": {**PASSWORD["security"], "dns": {"enabled": True}}},
}


@pytest.mark.parametrize("name", sorted(LINT_VALUE_SETS))
def test_helm_lint_is_clean(name):
    report = helm.lint(
        CHART_DIR, LINT_VALUE_SETS[name], strict=True, kube_version="v1.30.0"
    )
    assert report["messages"] == [] and report["errors"] == []


def test_helm_lint_is_clean_with_onyxia_values(onyxia_values):
    report = helm.lint(CHART_DIR, onyxia_values, strict=True)
    assert report["messages"] == []


def test_helm_lint_without_password_points_at_it():
    report = helm.lint(CHART_DIR)
    assert report["errors"] and all("password" in error for error in report["errors"])


def test_chart_metadata(chart):
    meta = chart.metadata
    assert meta["name"] == "whisper-transcription"
    assert meta["version"] == "0.1.0" and meta["appVersion"] == "0.1.0"
    assert meta["icon"].startswith("https://") and meta["icon"].endswith(".png")
    assert meta["description"] and meta["keywords"] and meta["home"] and meta["sources"]
    assert not meta.get("dependencies"), "no library chart: it must build offline"
    # CronJob timeZone (the deletion schedule) is stable from Kubernetes 1.27.
    assert meta["kubeVersion"] == ">=1.27.0-0"


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("charts")
    done = subprocess.run(
        [sys.executable, str(ROOT / "charts" / "build_repo.py"), "--out", str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_build_repo_packages_the_chart_and_indexes_it(repo):
    archive = repo / "whisper-transcription-0.1.0.tgz"
    assert archive.is_file() and (repo / "icon.png").is_file()
    index = yaml.safe_load((repo / "index.yaml").read_text())
    assert index["apiVersion"] == "v1" and "generated" in index
    (entry,) = index["entries"]["whisper-transcription"]
    assert entry["version"] == "0.1.0" and entry["appVersion"] == "0.1.0"
    assert entry["urls"] == ["whisper-transcription-0.1.0.tgz"]
    assert entry["digest"] == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert entry["created"]
    assert helm.digest(archive) == "sha256:" + entry["digest"]


def test_packaged_chart_is_complete_and_renders(repo):
    archive = repo / "whisper-transcription-0.1.0.tgz"
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    prefix = "whisper-transcription/"
    for needed in (
        "Chart.yaml",
        "values.yaml",
        "values.schema.json",
        "README.md",
        "templates/NOTES.txt",
        "templates/self-delete-cronjob.yaml",
    ):
        assert prefix + needed in names
    assert prefix + "icon.png" not in names and not any(
        n.startswith(prefix + "ci/") for n in names
    )
    with helm.Chart.load(archive) as packaged:
        manifests = packaged.render(PASSWORD, name="w", namespace="n")
    assert "whisper-transcription/templates/statefulset.yaml" in manifests


def test_build_repo_with_absolute_url(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "charts" / "build_repo.py"),
            "--out",
            str(tmp_path),
            "--url",
            "https://example.github.io/whisper",
            "--no-lint",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    index = yaml.safe_load((tmp_path / "index.yaml").read_text())
    assert index["entries"]["whisper-transcription"][0]["urls"] == [
        "https://example.github.io/whisper/whisper-transcription-0.1.0.tgz"
    ]


def test_catalog_entry():
    catalog = yaml.safe_load((ROOT / "catalog.yaml").read_text())
    (entry,) = catalog["onyxia"]["api"]["catalogs"]
    assert entry["type"] == "helm" and entry["status"] == "PROD"
    assert entry["id"] == "whisper-transcription"
    assert set(entry["name"]) >= {"en", "fr"} and set(entry["description"]) >= {
        "en",
        "fr",
    }
    assert entry["location"].startswith("https://") and not entry["location"].endswith(
        "index.yaml"
    )
    assert entry["highlightedCharts"] == ["whisper-transcription"]
    assert entry["maintainer"]
    # The icon is served from the catalog's location (build_repo.py copies it there).
    icon = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["icon"]
    assert icon == entry["location"].rstrip("/") + "/icon.png"
