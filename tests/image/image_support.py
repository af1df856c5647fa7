"""Helpers for the image tests: the Dockerfile as data, the .dockerignore rules, and a
sandbox that runs a command as the chart runs the container (no network, read-only root
filesystem but for a few folders)."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGE = ROOT / "image"
# A stand-in token: the bake must not write it anywhere, whatever the preset.
SENTINEL_TOKEN = "hf_imagetestsentinel0123456789"
sys.path.insert(0, str(IMAGE))
import check_image  # noqa: E402  (image/ is not a package: found through sys.path)

DOCKERFILE = IMAGE / "Dockerfile"
VENV_BIN = Path(sys.executable).parent
SANDBOX = Path(__file__).with_name("sandbox.py")
NETGUARD = Path(__file__).with_name("netguard")  # holds the sitecustomize that audits sockets


# -- the Dockerfile ---------------------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str  # upper case: FROM, RUN, ENV...
    args: str  # the rest, continuation lines joined
    stage: str  # name (or index) of the stage it belongs to


def dockerfile_instructions(path: Path = DOCKERFILE) -> list[Instruction]:
    """Instructions in order; comments and parser directives dropped, continuations joined."""
    logical: list[str] = []
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    instructions, stage, index = [], "", 0
    for text in logical:
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.search(r"\bAS\s+(\S+)", args, re.IGNORECASE)
            stage = match.group(1) if match else str(index)
            index += 1
        instructions.append(Instruction(keyword, args.strip(), stage))
    return instructions


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = [i for i in instructions if i.keyword == "FROM"][-1].stage
    return [i for i in instructions if i.stage == last]


def env_of(instructions: list[Instruction]) -> dict[str, str]:
    """ENV key=value pairs, later ones winning."""
    env: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ENV":
            for item in shlex.split(instruction.args):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def mounts_of(instruction: Instruction) -> list[dict[str, str]]:
    """The --mount options of a RUN, as dicts (type, source, target, id, from...)."""
    found = []
    for word in shlex.split(instruction.args):
        if word.startswith("--mount="):
            fields = dict(part.partition("=")[::2] for part in word[len("--mount="):].split(","))
            found.append(fields)
    return found


def run_command(instruction: Instruction) -> str:
    """A RUN's command, without its --flags."""
    words = shlex.split(instruction.args)
    while words and words[0].startswith("--"):
        words.pop(0)
    return " ".join(words)


# -- .dockerignore ------------------------------------------------------------------------


def dockerignore_rules(path: Path = ROOT / ".dockerignore") -> list[tuple[bool, str]]:
    """(is_exception, pattern) in order; the last matching rule decides, as in Docker."""
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            rules.append((line.startswith("!"), line.lstrip("!").strip("/")))
    return rules


def _match_parts(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_parts(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _match_parts(rest, path[1:])


def _matches(pattern: str, path: str) -> bool:
    """Docker's matching: a pattern matches a path or one of its parent folders; "**"
    spans any number of folders."""
    parts = path.split("/")
    return any(_match_parts(pattern.split("/"), parts[:i]) for i in range(1, len(parts) + 1))


def sent_to_builder(path: str) -> bool:
    """Whether a context path (relative, with slashes) passes the .dockerignore."""
    included = True
    for exception, pattern in dockerignore_rules():
        if _matches(pattern, path):
            included = exception
    return included


# -- the sandbox ----------------------------------------------------------------------------

UNSHARE_FORMS = (
    ["unshare", "--map-root-user", "--net", "--mount"],  # works as root and as a user
    ["unshare", "--net", "--mount"],  # as root where user namespaces are disabled
)


@functools.cache
def sandbox_prefix() -> tuple[str, ...] | None:
    """The unshare command that can run sandbox.py here, or None (no namespaces allowed:
    containers without CAP_SYS_ADMIN, for instance)."""
    with tempfile.TemporaryDirectory() as folder:
        for form in UNSHARE_FORMS:
            try:
                probe = subprocess.run(
                    [*form, sys.executable, str(SANDBOX), "--writable", folder, "--",
                     sys.executable, "-c", "open(__import__('sys').argv[1] + '/w', 'w')",
                     folder],
                    capture_output=True, text=True, timeout=60, check=False)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if probe.returncode == 0 and Path(folder, "w").exists():
                return tuple(form)
    return None


def sandboxed(command: list[str], writable: list[Path]) -> list[str] | None:
    """`command` wrapped to run without network and on a read-only filesystem except
    `writable`; None when namespaces are not available here."""
    prefix = sandbox_prefix()
    if prefix is None:
        return None
    folders = [str(arg) for folder in writable for arg in ("--writable", folder)]
    return [*prefix, sys.executable, str(SANDBOX), *folders, "--", *command]


def container_env(models: Path, writable: Path, log: Path, **extra: str) -> dict[str, str]:
    """The image's run-time environment (its Dockerfile ENV), /tmp and /data moved into
    `writable`, and the network audit of netguard/sitecustomize.py."""
    env = {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        **check_image.EXPECTED_ENV,
        "TRANSCRIBE_MODELS_DIR": str(models),
        "TRANSCRIBE_DATA_DIR": str(writable / "data"),
        "XDG_CACHE_HOME": str(writable / "tmp" / "cache"),
        "MPLCONFIGDIR": str(writable / "tmp" / "matplotlib"),
        "NUMBA_CACHE_DIR": str(writable / "tmp" / "numba"),
        "TMPDIR": str(writable / "tmp"),
        "HOME": "/nonexistent/home/onyxia",  # read-only at run time in the chart
        "PYTHONDONTWRITEBYTECODE": "1",
        # A git worktree's own package first, where the caller names one (the install's
        # editable path may be another checkout's).
        "PYTHONPATH": os.pathsep.join([str(NETGUARD), *filter(None, [
            os.environ.get("PYTHONPATH")])]),
        "NET_GUARD_LOG": str(log),
        **extra,
    }
    if sandbox_prefix() is None:
        env["NET_GUARD"] = "block"  # no namespaces here: refuse connections instead
    (writable / "data").mkdir(parents=True, exist_ok=True)
    (writable / "tmp").mkdir(parents=True, exist_ok=True)
    return env


def wrap(command: list[str], writable: Path) -> list[str]:
    return sandboxed(command, [writable]) or command


def attempts(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []
