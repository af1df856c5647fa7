"""`make mutate`: mutation testing (mutmut) of the modules where a silent bug costs privacy
or data. Each mutant is a small change to the code (a comparison turned around, a string or
a number altered, an argument dropped); a test must fail for each. Prints each module's
score (killed / mutants) and the mutants that survived, and writes the same to
build/mutate/report.md.

mutmut imports the package it mutates from `src/` (or the current folder): the tree is
staged in build/mutate (app/transcribe as src/transcribe, with tests/, bench/ and charts/);
mutmut runs there and writes its mutated copy to build/mutate/mutants/. The tests import
that copy: mutmut puts mutants/src first on sys.path, and PYTHONPATH names it for any
subprocess, so the virtual environment's editable install (the working tree's app/) is
never what runs, and never touched; mutmut's own first check (every test fails when every
mutant is on) would stop the run if it were. Only fast tests run (no model, no browser,
no `transcribe-web` subprocess): each mutant runs just the tests that reach the function
it changed.

    python scripts/mutate.py                  every module below
    python scripts/mutate.py web/gate.py ...  only these (while developing)
    python scripts/mutate.py --report         the last run's report again
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "mutate"
PACKAGE = "src/transcribe"

# Module (under app/transcribe) -> the test files that cover it.
MODULES: dict[str, tuple[str, ...]] = {
    "web/gate.py": ("tests/web/test_gate.py",),
    "web/client.py": ("tests/web/test_client.py", "tests/web/test_gate.py"),
    "web/sessions.py": ("tests/web/test_sessions.py", "tests/web/test_gate.py"),
    "web/deadline.py": ("tests/web/test_deadline.py", "tests/web/test_gate.py"),
    "web/release.py": ("tests/web/test_release.py",),  # the chart's own: NO_HELM
    "web/spool.py": ("tests/web/test_spool.py",),
    "storage.py": ("tests/test_storage.py", "tests/web/test_spool.py", "tests/test_jobs.py"),
    "changes.py": ("tests/test_changes.py",),
    "conventions.py": ("tests/test_conventions.py", "tests/export/test_exports.py"),
    "export/tables.py": ("tests/export/test_exports.py",),
    "jobs/store.py": ("tests/test_jobs.py", "tests/test_jobs_store.py"),
    "jobs/record.py": ("tests/test_jobs.py",),
    "self_delete.py": ("tests/test_self_delete.py",),
    "kube_api.py": ("tests/test_self_delete.py",),
    # The worker's token routes (i20a).
    "workers/api.py": ("tests/workers/test_api.py",),
    # The launchers' deletion paths (and the rest of each launcher), driven directly: the
    # kubernetes one against the fake API server, the process one with a shell child.
    "workers/kubernetes.py": ("tests/workers/test_kubernetes_deletion.py",),
    "workers/process.py": ("tests/workers/test_process_launcher.py",),
}
# Tests that load models, drive a browser or start `transcribe-web` in a subprocess: slow,
# and what runs in a subprocess is not seen by mutmut's choice of tests per mutant.
FAST = "not slow and not browser and not live"
# Tests that render the chart (marked `helm`): Helm's Go runtime does not survive mutmut's
# forks (they hang until mutmut's timeout, which would count them as kills).
NO_HELM = "not helm"

# A pytest plugin, staged beside the package: each mutant's tests run quickest first (by
# the durations mutmut measured before the mutants), a test file's tests kept together (its
# module-scoped servers start once). mutmut stops at a mutant's first failing test, so a
# killed mutant costs its quickest killing test, not the slow tests listed before it.
# It also loads what is loaded on first use (the kubernetes client's API classes and models:
# seconds; the parts of uvicorn that a server's start imports) in mutmut's fork server,
# which imports the plugin once before it forks a process per mutant: else each mutant's
# run loads them again. And at the
# start of each run it freezes what the process holds already (gc.freeze): pytest collects
# the garbage at its end, several times, which would go through all of it every time.
ORDER_PLUGIN = "mutate_order"
_ORDER = """
import gc
import json
from pathlib import Path

import importlib

import kubernetes.client

for name in dir(kubernetes.client):
    if name.startswith("V1") or name in ("BatchV1Api", "CoreV1Api", "AppsV1Api"):
        getattr(kubernetes.client, name)
for name in ("uvicorn.server", "uvicorn.main", "uvicorn.lifespan.on", "uvicorn.loops.auto",
             "uvicorn.loops.asyncio", "uvicorn.protocols.http.auto",
             "uvicorn.protocols.http.h11_impl", "uvicorn.protocols.websockets.auto",
             "uvicorn.protocols.websockets.websockets_sansio_impl", "starlette.applications"):
    try:
        importlib.import_module(name)
    except ImportError:  # another version: loaded on first use then
        pass

STATS = Path("mutmut-stats.json")  # mutmut runs the tests in mutants/


def pytest_configure(config):
    gc.freeze()


def pytest_collection_modifyitems(items):
    if not STATS.exists():  # mutmut's first run: the one that measures
        return
    seconds = json.loads(STATS.read_text())["duration_by_test"]
    per_file = {}
    for item in items:
        per_file[item.location[0]] = per_file.get(item.location[0], 0.0) + seconds.get(
            item.nodeid, 0.0)
    items.sort(key=lambda item: (per_file[item.location[0]], item.location[0],
                                 seconds.get(item.nodeid, 0.0)))
"""

# mutmut's exit codes, as its `results` command names them.
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
          34: "skipped", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout",
          255: "timeout", 37: "killed", None: "not checked"}


def stage(modules: list[str]) -> None:
    """A fresh copy of the tree, laid out as mutmut expects, with its configuration."""
    shutil.rmtree(WORK, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "results")
    shutil.copytree(ROOT / "app" / "transcribe", WORK / PACKAGE, ignore=ignore)
    for folder in ("tests", "bench", "charts"):  # the chart: release.py's tests render it
        shutil.copytree(ROOT / folder, WORK / folder, ignore=ignore)
    tests = sorted({test for module in modules for test in MODULES[module]})
    config = {
        "source_paths": [PACKAGE],
        "only_mutate": [f"{PACKAGE}/{module}" for module in modules],
        "also_copy": ["bench/", "charts/"],
        "pytest_add_cli_args_test_selection": tests,
        "pytest_add_cli_args": ["-m", f"{FAST} and {NO_HELM}", "-p", "no:cacheprovider",
                                "-p", ORDER_PLUGIN],
        # A server process forks the workers: no test's threads are inherited.
        "process_isolation": "forkserver",
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(value)}"
                                     for key, value in config.items()]
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (WORK / "pyproject.toml").write_text(text + "\n".join(lines) + "\n", encoding="utf-8")
    # There before Python starts: a PYTHONPATH entry missing at start-up is skipped for good
    # (and the editable install's copy imported instead).
    (WORK / "mutants" / "src").mkdir(parents=True)
    (WORK / "mutants" / "src" / f"{ORDER_PLUGIN}.py").write_text(_ORDER, encoding="utf-8")
    # Tests that name a file of the package by its path (app/transcribe/...) find the
    # mutated copy there.
    (WORK / "mutants" / "app").symlink_to("src")


def run_mutmut(jobs: int) -> tuple[int, dict[str, float]]:
    """mutmut's exit status, and the seconds spent on each module's mutants ("" for the
    rest: mutants made, tests measured). mutmut interleaves the modules (quickest mutants
    first): each interval between two looks is shared among the modules whose mutants
    finished in it."""
    env = {**os.environ, "PYTHONPATH": str(WORK / "mutants" / "src"),
           "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen([sys.executable, "-m", "mutmut", "run", "--max-children",
                                str(jobs)], cwd=WORK, env=env)
    seconds: Counter[str] = Counter()
    done: dict[str, int] = {}
    last = time.monotonic()
    while True:
        try:
            code = process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        now = time.monotonic()
        counts = {module: sum(status != "not checked" for status in statuses.values())
                  for module, statuses in results().items()}
        new = {module: count - done.get(module, 0) for module, count in counts.items()
               if count > done.get(module, 0)}
        for module, count in new.items():
            seconds[module] += (now - last) * count / sum(new.values())
        if not new:
            seconds[""] += now - last
        done.update(counts)
        last = now
        if code is not None:
            return code, dict(seconds)


def results() -> dict[str, dict[str, str]]:
    """module -> {mutant name: status}, from mutmut's files."""
    found: dict[str, dict[str, str]] = {}
    for meta in sorted((WORK / "mutants" / PACKAGE).rglob("*.py.meta")):
        module = meta.relative_to(WORK / "mutants" / PACKAGE).as_posix().removesuffix(".meta")
        try:
            codes = json.loads(meta.read_text())["exit_code_by_key"]
        except (ValueError, OSError):  # being written (looked at during the run)
            continue
        found[module] = {name: STATUS.get(code, "suspicious") for name, code in codes.items()}
    return found


# Prints each named mutant's diff as JSON (one process for all: mutmut's `show` takes a
# second each).
_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant
shown = {}
for name in sys.argv[1:]:
    try:
        shown[name] = get_diff_for_mutant(name, path=find_mutant(name).path)
    except Exception as error:
        shown[name] = f"-(no diff: {error!r})"
print(json.dumps(shown))
"""


def diffs(names: list[str]) -> dict[str, str]:
    """Each mutant's changed lines."""
    if not names:
        return {}
    shown = json.loads(subprocess.run([sys.executable, "-c", _DIFFS, *names], cwd=WORK,
                                      capture_output=True, text=True, check=True).stdout)
    return {name: "\n".join(line for line in diff.splitlines()
                            if line[:1] in "+-" and not line.startswith(("+++", "---")))
            for name, diff in shown.items()}


def report(elapsed: float | None, load: tuple[float, float] | None = None,
           minutes: dict[str, float] | None = None) -> str:
    found = results()
    rows = ["| module | mutants | killed | survived | no tests | timeout | score |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    total: Counter[str] = Counter()
    for module, statuses in found.items():
        counts = Counter(statuses.values())
        total.update(counts)
        rows.append(f"| `{module}` | {len(statuses)} | {counts['killed']} | "
                    f"{counts['survived']} | {counts['no tests']} | {counts['timeout']} | "
                    f"{score(counts, len(statuses))} |")
    mutants = sum(total.values())
    rows.append(f"| all | {mutants} | {total['killed']} | {total['survived']} | "
                f"{total['no tests']} | {total['timeout']} | {score(total, mutants)} |")
    text = "\n".join(rows) + "\n"
    if elapsed is not None:
        text += f"\n{mutants} mutants in {elapsed / 60:.1f} minutes on {os.cpu_count()} cores"
        text += (f" (load average {load[0]:.1f} at the start, {load[1]:.1f} at the end).\n"
                 if load else ".\n")
    if minutes:
        per_module = ", ".join(f"`{module}` {seconds / 60:.1f}"
                               for module, seconds in sorted(minutes.items()) if module)
        text += (f"Minutes per module: {per_module}; making the mutants and measuring the "
                 f"tests {minutes.get('', 0) / 60:.1f}.\n")
    survivors = [(module, name, status) for module, statuses in found.items()
                 for name, status in statuses.items()
                 if status not in ("killed", "timeout", "not checked")]
    if survivors:
        text += "\nMutants not killed:\n"
        changed = diffs([name for _, name, _ in survivors])
        for _, name, status in survivors:
            text += f"\n{name} ({status})\n{changed[name]}\n"
    return text


def score(counts: Counter[str], mutants: int) -> str:
    """Killed share: a mutant that hangs the tests (timeout) counts as killed."""
    killed = counts["killed"] + counts["timeout"]
    return f"{100 * killed / mutants:.1f} %" if mutants else "-"


def main() -> None:
    global WORK
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules under app/transcribe")
    parser.add_argument("--report", action="store_true", help="print the last run's report")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--work", type=Path, default=WORK, help="where to stage the run")
    args = parser.parse_args()
    WORK = args.work.resolve()
    if args.report:
        print((WORK / "report.md").read_text(encoding="utf-8"))
        return
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"not a module mutation testing covers: {', '.join(unknown)} "
                     f"(those are: {', '.join(MODULES)})")
    stage(args.modules or list(MODULES))
    started, load = time.monotonic(), os.getloadavg()[0]
    code, minutes = run_mutmut(args.jobs)
    if code and not any(status != "not checked" for statuses in results().values()
                        for status in statuses.values()):
        # Stopped before any mutant: mutmut's run of the tests without mutants failed. A
        # test that a loaded machine made late once should not cost the whole run: once
        # more (the mutants and the tests' measures are kept, only that run is redone).
        print("\nThe tests failed without mutants: trying once more.", flush=True)
        code, again = run_mutmut(args.jobs)
        minutes = dict(Counter(minutes) + Counter(again))
    elapsed = time.monotonic() - started
    text = report(elapsed, (load, os.getloadavg()[0]), minutes)
    (WORK / "report.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    sys.exit(code)


if __name__ == "__main__":
    main()
