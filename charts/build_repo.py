"""Package the Helm chart and write a chart repository (index.yaml) into --out.

    .venv/bin/python charts/build_repo.py --out dist/charts
    .venv/bin/python charts/build_repo.py --out public \\
        --url https://whisper-transcription.github.io/whisper-transcription \\
        --merge previous/index.yaml

The folder then holds what a static web server (GitHub Pages) publishes:
whisper-transcription-<version>.tgz, index.yaml and icon.png (Chart.yaml's
icon points there). Onyxia's catalog `location` is that folder's URL.

With --keep-published (the publishing workflow), a version that the folder's
index.yaml already lists is never packaged again: re-packaging would change the
digest that Helm clients and onyxia-api recorded. The folder is left as it is
when the chart is unchanged; a changed chart is refused until its version is bumped.

Uses helm-python-sdk (Helm's Go SDK, no helm binary): lint, package and
`helm repo index`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tarfile
import tempfile
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


def published_archive(chart: Path, out: Path) -> Path | None:
    """The archive of the chart's current version if out/index.yaml lists it, else None.
    A listed version whose archive is not in `out` (an absolute URL elsewhere) is
    returned as the path it would have here, which then does not exist."""
    index_file = out / "index.yaml"
    if not index_file.is_file():
        return None
    meta = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8"))
    index = yaml.safe_load(index_file.read_text(encoding="utf-8")) or {}
    for entry in (index.get("entries") or {}).get(meta["name"], []):
        if str(entry.get("version")) == str(meta["version"]):
            url = (entry.get("urls") or [""])[0]
            local = url if url and "://" not in url else f"{meta['name']}-{meta['version']}.tgz"
            return out / local
    return None


def archive_files(archive: Path) -> dict[str, bytes]:
    """Member name -> content: what a chart holds, whatever the tar headers' dates."""
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def same_as_published(chart: Path, published: Path) -> bool:
    if not published.is_file():
        return False
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(helm.package(chart, destination=folder))
        return archive_files(fresh) == archive_files(published)


class VersionNotBumped(Exception):
    """The chart changed but its version is already published."""


def check_published(chart: Path, out: Path) -> str | None:
    """None when the chart's version is new to `out`; a message when it is published
    unchanged (nothing to do). Raises VersionNotBumped when it is published and the
    chart differs from it."""
    published = published_archive(chart, out)
    if published is None:
        return None
    version = yaml.safe_load((chart / "Chart.yaml").read_text(encoding="utf-8"))["version"]
    if same_as_published(chart, published):
        return f"version {version} is already published, unchanged: nothing to do"
    raise VersionNotBumped(
        f"version {version} is already published ({out / 'index.yaml'}) and the chart "
        "differs from it: bump `version` in Chart.yaml (a published version is never "
        "packaged again: its digest must not change)"
    )


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
    parser.add_argument(
        "--keep-published",
        action="store_true",
        help="leave a version already in --out's index.yaml as published; refuse a "
        "changed chart whose version is already there",
    )
    args = parser.parse_args(argv)

    if args.keep_published:
        try:
            unchanged = check_published(args.chart, args.out)
        except VersionNotBumped as error:
            print(error, file=sys.stderr)
            return 1
        if unchanged:
            print(unchanged)
            return 0

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
