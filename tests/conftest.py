"""Shared test set-up: headless Qt, and a private cache folder so tests never touch the user's real one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_sandbox_home(tmp_path_factory, monkeypatch) -> Path:
    """Point CITY_SANDBOX_HOME (city cache) and CITY_SANDBOX_DATA (workspace) at a fresh folder per test."""
    home = tmp_path_factory.mktemp("city-sandbox-home")
    monkeypatch.setenv("CITY_SANDBOX_HOME", str(home))
    monkeypatch.setenv("CITY_SANDBOX_DATA", str(home / "data"))  # the workspace database (never the user's)
    return home
