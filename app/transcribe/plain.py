"""Plain dataclasses rebuilt from the dicts they were saved as."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


def from_known_fields(cls: type[T], data: dict[str, Any]) -> T:
    """Keys another version wrote that this one does not know are ignored, not fatal."""
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})
