#!/usr/bin/env python3
"""Check a built image from the inside, as its user: the Dockerfile's last build step.

Offline settings, commands, libraries, the CUDA libraries CTranslate2 opens by name (gpu)
or their absence (cpu), the baked models against the manifest, who may write where, and
with --load every baked model loaded by the app's own loaders (the Dockerfile runs that
step without network: the build proves that each model loads offline).
Prints one line per check and exits 1 if any failed. tests/image runs it on this checkout.

    python check_image.py --variant gpu|cpu [--verify] [--load]
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

# What the Dockerfile sets for run time (tests/image checks that it does).
EXPECTED_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "PYANNOTE_METRICS_ENABLED": "false",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "TRANSCRIBE_MODELS_DIR": "/opt/models",
    "TRANSCRIBE_DATA_DIR": "/data",
}
COMMANDS = ("ffmpeg", "ffprobe")
CONSOLE_SCRIPTS = ("transcribe", "transcribe-web", "transcribe-worker", "transcribe-self-delete")
LIBRARIES = ("torch", "torchaudio", "ctranslate2", "faster_whisper", "whisperx", "whisper",
             "pyannote.audio", "transformers", "streamlit", "transcribe.pipeline")
# What CTranslate2 dlopen()s by name on a GPU (see cuda_libs.py).
CUDA_LIBRARIES = ("libcublas.so.12", "libcudnn.so.9")
# Opens libraries by name, as CTranslate2 does, and prints the files the loader picked.
_LOAD_BY_NAME = """
import ctypes, sys
for name in sys.argv[1:]:
    ctypes.CDLL(name)
maps = open("/proc/self/maps").read().split()
print(", ".join(sorted({p for p in maps if any(p.endswith("/" + n) for n in sys.argv[1:])})))
"""


def check_environment(paths_from_env: bool) -> str:
    expected = dict(EXPECTED_ENV)
    if paths_from_env:  # a test points these at temporary folders
        expected.pop("TRANSCRIBE_MODELS_DIR")
        expected.pop("TRANSCRIBE_DATA_DIR")
    wrong = {k: os.environ.get(k) for k, v in expected.items() if os.environ.get(k) != v}
    if wrong:
        raise AssertionError(f"unexpected values: {wrong}")
    return ", ".join(sorted(expected))


def check_commands() -> str:
    missing = [c for c in COMMANDS if shutil.which(c) is None]
    if missing:
        raise AssertionError(f"not on PATH: {', '.join(missing)}")
    return ", ".join(COMMANDS)


def check_console_scripts() -> str:
    points = {ep.name: ep for ep in importlib.metadata.entry_points(group="console_scripts")}
    for name in CONSOLE_SCRIPTS:
        if shutil.which(name) is None:
            raise AssertionError(f"{name} is not on PATH")
        if name not in points:
            raise AssertionError(f"{name} is not a console script of an installed package")
        points[name].load()  # its module imports
    return ", ".join(CONSOLE_SCRIPTS)


def check_libraries() -> str:
    for name in LIBRARIES:
        importlib.import_module(name)
    return ", ".join(LIBRARIES)


def check_gpu_variant() -> str:
    import torch

    if not (torch.version.cuda or "").startswith("12."):
        raise AssertionError(f"torch {torch.__version__} is not built for CUDA 12")
    # In a fresh process: this one has torch loaded, hence cuBLAS already.
    found = subprocess.run([sys.executable, "-c", _LOAD_BY_NAME, *CUDA_LIBRARIES],
                           capture_output=True, text=True, check=False)
    if found.returncode != 0:
        raise AssertionError(f"not found by name: {found.stderr.strip().splitlines()[-1]}")
    return f"torch {torch.__version__} (CUDA {torch.version.cuda}); {found.stdout.strip()}"


def check_cpu_variant() -> str:
    import torch

    if torch.version.cuda is not None:
        raise AssertionError(f"torch {torch.__version__} is built for CUDA {torch.version.cuda}")
    if importlib.util.find_spec("nvidia") is not None:
        raise AssertionError("nvidia-* CUDA wheels are installed: the CPU image does not need "
                             "them")
    return f"torch {torch.__version__}, no CUDA libraries"


def check_models(verify: bool) -> str:
    from transcribe.models import WHISPER, ModelStore

    store = ModelStore()
    entries = store.read_manifest()
    if not entries:
        raise AssertionError(f"no manifest in {store.root}")
    listed = {(info.kind, info.name) for info in store.list()}
    unlisted = [f"{e.kind}/{e.name}" for e in entries if (e.kind, e.name) not in listed]
    if unlisted:
        raise AssertionError(f"in the manifest but not usable: {', '.join(unlisted)}")
    if store.default_model(WHISPER) is None:
        raise AssertionError("no Whisper model")
    if verify and (problems := store.verify()):
        raise AssertionError("; ".join(problems))
    size = sum(e.size for e in entries) / 1e9
    return f"{len(entries)} models, {size:.1f} GB in {store.root}"


def _load_whisper(path: Path, name: str, device: str) -> None:
    from transcribe.asr.base import cpu_threads, resolve_compute_type
    from transcribe.asr.faster_whisper import load_whisper_model

    model = load_whisper_model(path, device, resolve_compute_type(device, None), cpu_threads(0))
    load_whisper_model.cache_clear()
    # English-only models (".en") have no language token: a sign the files were read.
    if model.model.is_multilingual == name.endswith(".en"):
        raise AssertionError(f"whisper/{name}: unexpected vocabulary")


def _load_openai_whisper(path: Path, name: str, device: str) -> None:
    from transcribe.asr.openai_whisper import load_checkpoint

    model = load_checkpoint(path, device)
    load_checkpoint.cache_clear()
    if model.dims.n_vocab < 50000:
        raise AssertionError(f"openai-whisper/{name}: unexpected vocabulary")


def _load_alignment(path: Path, language: str, device: str) -> None:
    from transcribe.align import load_alignment_model

    _, metadata = load_alignment_model(path, language, device)
    load_alignment_model.cache_clear()
    if metadata["language"] != language:
        raise AssertionError(f"alignment/{language}: loaded as {metadata['language']}")


def _load_diarization(path: Path, name: str, device: str) -> None:
    from transcribe.diarize import load_pipeline

    pipeline = load_pipeline(path, device)
    load_pipeline.cache_clear()
    if pipeline is None:
        raise AssertionError(f"diarization/{name}: no pipeline")


def load_every_model(root: Path | None = None, device: str = "cpu") -> list[str]:
    """Load each model of the models folder with the app's own (cached) loaders; returns
    "kind/name" of each. One at a time, each cache emptied before the next: the gpu set
    would not fit in memory at once."""
    from transcribe.models import ModelStore

    store = ModelStore(root)
    plan = [
        *((f"whisper/{n}", _load_whisper, store.whisper_path(n), n)
          for n in store.whisper_models()),
        *((f"openai-whisper/{n}", _load_openai_whisper, store.openai_whisper_path(n), n)
          for n in store.openai_whisper_models()),
        *((f"alignment/{n}", _load_alignment, store.alignment_path(n), n)
          for n in store.alignment_languages()),
        *((f"diarization/{n}", _load_diarization, store.diarization_path(n), n)
          for n in store.diarization_pipelines()),
    ]
    loaded = []
    for key, load, path, name in plan:
        try:
            load(path, name, device)
        except AssertionError:
            raise
        except Exception as error:  # whatever the library raises: name the model
            raise AssertionError(f"{key}: {type(error).__name__}: {error}") from error
        gc.collect()
        loaded.append(key)
    listed = {f"{info.kind}/{info.name}" for info in store.list()}
    if missing := sorted(listed - set(loaded)):
        raise AssertionError(f"no loader for {', '.join(missing)}")
    return loaded


def check_loading() -> str:
    # On the CPU: the build has no GPU, and the loaders read the same files either way.
    return ", ".join(load_every_model(device="cpu"))


def check_permissions() -> str:
    """As a non-root user: the models are read-only, the data folder is writable."""
    if os.geteuid() == 0:
        return "skipped (running as root)"
    from transcribe.models import ModelStore

    models = ModelStore().root
    writable = [p for p in [models, *models.rglob("*")] if os.access(p, os.W_OK)]
    if writable:
        raise AssertionError(f"writable by uid {os.geteuid()}: {writable[0]} and "
                             f"{len(writable) - 1} more")
    data = Path(os.environ.get("TRANSCRIBE_DATA_DIR", "/data"))
    if not os.access(data, os.W_OK):
        raise AssertionError(f"{data} is not writable by uid {os.geteuid()}")
    return f"{models} read-only, {data} writable (uid {os.geteuid()}, gid {os.getegid()})"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=("gpu", "cpu"), required=True)
    parser.add_argument("--verify", action="store_true",
                        help="also check every model file's sha256 (minutes for the gpu set)")
    parser.add_argument("--paths-from-env", action="store_true",
                        help="accept any TRANSCRIBE_MODELS_DIR and TRANSCRIBE_DATA_DIR")
    parser.add_argument("--load", action="store_true",
                        help="also load every model with the app's loaders, on the CPU "
                             "(minutes and ~10 GB of memory for the gpu set)")
    return parser.parse_args(argv)


def build_checks(args: argparse.Namespace) -> list[tuple[str, Callable[[], str]]]:
    checks: list[tuple[str, Callable[[], str]]] = [
        ("environment", lambda: check_environment(args.paths_from_env)),
        ("commands", check_commands),
        ("console scripts", check_console_scripts),
        ("libraries", check_libraries),
        (f"{args.variant} variant", check_gpu_variant if args.variant == "gpu"
         else check_cpu_variant),
        ("models", lambda: check_models(args.verify)),
        ("permissions", check_permissions),
    ]
    if args.load:
        checks.append(("models load", check_loading))
    return checks


def main(argv: list[str] | None = None) -> int:
    failed = 0
    for name, check in build_checks(parse_args(argv)):
        try:
            print(f"ok    {name}: {check()}", flush=True)
        except (AssertionError, ImportError, OSError) as error:
            failed += 1
            print(f"FAIL  {name}: {error}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
