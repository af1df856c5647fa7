"""The Hugging Face token (gated pyannote model) reaches the build as a BuildKit secret
file, is read from that file (or the environment of `make image`) only, and lands in no
layer, build argument, image setting, log line or baked file."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml
from image_support import (
    IMAGE,
    ROOT,
    SENTINEL_TOKEN,
    dockerfile_instructions,
    final_stage,
    mounts_of,
)

INSTRUCTIONS = dockerfile_instructions()
# Calls that would put a value somewhere it stays: output, files, logs, the environment.
SINKS = {"print", "write", "write_text", "write_bytes", "dump", "dumps", "debug", "info",
         "warning", "error", "exception", "log", "putenv", "setenv", "update", "echo"}


def test_dockerfile_mentions_the_token_only_in_a_secret_mount():
    for instruction in INSTRUCTIONS:
        if instruction.keyword in ("ARG", "ENV", "LABEL", "COPY", "ADD", "ONBUILD",
                                   "HEALTHCHECK", "CMD", "ENTRYPOINT"):
            assert not re.search(r"token|secret", instruction.args, re.IGNORECASE), instruction
    secret_runs = [i for i in INSTRUCTIONS if "hf_token" in i.args.lower()]
    assert len(secret_runs) == 1
    run = secret_runs[0]
    assert run.keyword == "RUN" and run in final_stage(INSTRUCTIONS)
    secrets = [m for m in mounts_of(run) if m.get("type") == "secret"]
    # A file at the default place, /run/secrets/hf_token, present for this step only:
    # no env= (a variable could be echoed or inherited), no other target.
    assert secrets == [{"type": "secret", "id": "hf_token", "required": "true"}]
    command = run.args.split("--kind", 1)[0]
    assert "$HF_TOKEN" not in command and "HF_TOKEN" not in command


def test_nothing_is_copied_wholesale_into_the_image():
    for instruction in INSTRUCTIONS:
        if instruction.keyword in ("COPY", "ADD"):
            sources = [w for w in instruction.args.split()[:-1] if not w.startswith("--")]
            assert "." not in sources and "./" not in sources, instruction
            assert instruction.keyword != "ADD", "ADD fetches URLs and unpacks: COPY only"


def test_scripts_read_the_token_from_the_secret_file_or_the_environment_only():
    readers = []
    for script in sorted(IMAGE.glob("*.py")):
        text = script.read_text()
        if "hf_token" not in text.lower():
            continue
        readers.append(script.name)
        tree = ast.parse(text)
        # Names and paths (no spaces: prose such as docstrings and messages is not read).
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "hf_token" in node.value.lower() and not re.search(r"\s", node.value):
                assert node.value in ("HF_TOKEN", "/run/secrets/hf_token"), \
                    (script.name, node.lineno, node.value)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = getattr(call.func, "attr", getattr(call.func, "id", ""))
            if name not in SINKS:
                continue
            passed = [n.id for arg in [*call.args, *(k.value for k in call.keywords)]
                      for n in ast.walk(arg) if isinstance(n, ast.Name)]
            assert not [n for n in passed if "token" in n.lower()], \
                f"{script.name}:{call.lineno}: {name}() is given the token"
    assert set(readers) == {"fetch_models.py", "bake_models.py"}
    for script in IMAGE.glob("*.sh"):
        assert "token" not in script.read_text().lower(), script.name


def test_bake_writes_and_prints_no_token(baked):
    """The session's bake ran with HF_TOKEN set to a sentinel."""
    assert SENTINEL_TOKEN not in baked.output
    needle = SENTINEL_TOKEN.encode()
    files = [p for p in baked.root.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert needle not in path.read_bytes(), path


def test_make_image_passes_the_token_as_a_secret():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nimage:", 1)[1].split("\n\n", 1)[0]
    assert "--secret id=hf_token,env=HF_TOKEN" in recipe
    assert "--build-arg HF" not in recipe and "TOKEN=" not in recipe.replace("env=HF_TOKEN", "")


def test_workflow_passes_the_token_as_a_buildkit_secret():
    workflow = yaml.safe_load((ROOT / ".github/workflows/image.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    build = [s for s in steps if str(s.get("uses", "")).startswith("docker/build-push-action")]
    assert len(build) == 1
    inputs = build[0]["with"]
    assert inputs["secrets"].strip() == "hf_token=${{ secrets.HF_TOKEN }}"
    assert "token" not in inputs["build-args"].lower()
    for step in steps:
        if step is build[0]:
            continue
        assert "HF_TOKEN" not in str(step), step
    for job in workflow["jobs"].values():
        assert "HF_TOKEN" not in str(job.get("env", {}))
    assert "HF_TOKEN" not in str(workflow.get("env", {}))


def test_build_context_never_holds_token_files():
    from image_support import sent_to_builder

    for name in ("hf_token", ".env", "token.txt", "secrets/hf_token", ".cache/huggingface/token",
                 "home/.huggingface/token"):
        assert not sent_to_builder(name), name
    # Inside the folders that are sent, nothing token-like exists today.
    for folder in ("app", "image"):
        leaked = [p for p in Path(ROOT, folder).rglob("*")
                  if p.is_file() and re.search(r"token|\.env$", p.name, re.IGNORECASE)]
        assert leaked == []
