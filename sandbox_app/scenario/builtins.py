"""The built-in scenarios shipped as package data: names and paths, without loading any of them."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario names -> file paths (shipped as package data)."""
    folder = resources.files("scenarios")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            out[entry.name.removesuffix(".yaml")] = Path(str(entry))
    return out
