"""The README's architecture tables match the tree."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "app" / "transcribe"
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _architecture() -> str:
    start = README.index("## How it works")
    return README[start:README.index("### Engines", start)]


def _named_in_first_column(section: str) -> set[str]:
    """Modules (`x.py`, `x/`) named in the first or second column of the section's tables."""
    names = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = line.split("|")[1:3]
            names |= set(re.findall(r"`([\w/]+(?:\.py|/))`", "|".join(cells)))
    return names


def test_every_module_the_tables_name_exists():
    named = _named_in_first_column(_architecture())
    assert len(named) > 20
    for name in named:
        assert (PACKAGE / name).exists() or (PACKAGE / "web" / name).exists() or \
            (PACKAGE / "asr" / name.removeprefix("asr/")).exists(), name


def test_every_module_is_in_the_readme():
    architecture = _architecture()
    web = architecture[architecture.index("The web app (`web/`"):]
    for path in (PACKAGE / "web").rglob("*.py"):
        if path.name != "__init__.py":
            assert f"`{path.relative_to(PACKAGE / 'web')}`" in web, path
    for path in PACKAGE.iterdir():
        if path.name != "__init__.py" and (path.suffix == ".py" or (path / "__init__.py").exists()):
            shown = path.name + ("/" if path.is_dir() else "")
            assert shown in README, shown
