"""Package the Helm chart and write a chart repository (index.yaml) into --out.

    .venv/bin/python charts/build_repo.py --out dist/charts
    .venv/bin/python charts/build_repo.py --out public \\
        --url https://whisper-transcription.github.io/whisper-transcription \\
        --merge previous/index.yaml

The folder then holds what a static web server (GitHub Pages) publishes:
whisper-transcription-<version>.tgz, index.yaml and icon.png (Chart.yaml's
icon points there). Onyxia's catalog `location` is that folder's URL.

Uses helm-python-sdk (Helm's Go SDK, no helm binary): lint, package and
`helm repo index`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import helm_python as helm
import yaml

CHARTS_DIR = Path(__file__).resolve().parent
DEFAULT_CHART = CHARTS_DIR / "whisper-transcription"
# Values for the lint only: the chart refuses to render without a password.
LINT_VALUES = {"security": {"password": "lint-only-password"}}


def lint(chart: Path) -> list[str]:
    """Problems Helm's linter finds (warnings included), as text."""
    report = helm.lint(chart, LINT_VALUES, strict=True)
    return [
        f"{m['path']}: {m['error'].strip()}"
        for m in report["messages"]
        if m["severity"] >= 2
    ]


def build(
    chart: Path, out: Path, url: str | None = None, merge: Path | None = None
) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    archive = Path(helm.package(chart, destination=out))
    index = helm.repo_index_generate(out, base_url=url, merge=merge)
    icon = chart / "icon.png"
    if icon.exists():
        shutil.copyfile(icon, out / "icon.png")
    return {
        "archive": archive,
        "index": out / "index.yaml",
        "entries": index.get("entries", {}),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, required=True, help="folder to write the repository to"
    )
    parser.add_argument(
        "--chart", type=Path, default=DEFAULT_CHART, help="chart folder"
    )
    parser.add_argument(
        "--url", help="absolute URL the folder is served at (default: relative URLs)"
    )
    parser.add_argument(
        "--merge", type=Path, help="existing index.yaml whose other versions are kept"
    )
    parser.add_argument("--no-lint", action="store_true", help="skip helm lint")
    args = parser.parse_args(argv)

    if not args.no_lint:
        problems = lint(args.chart)
        if problems:
            print("helm lint failed:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1

    result = build(args.chart, args.out, args.url, args.merge)
    index = yaml.safe_load(result["index"].read_text())
    for name, versions in index["entries"].items():
        for entry in versions:
            print(
                f"{name} {entry['version']}: {', '.join(entry['urls'])} ({entry['digest'][:19]}...)"
            )
    print(f"Wrote {result['index']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
