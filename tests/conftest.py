"""Shared test set-up: headless Qt, and a private cache folder so tests never touch the user's real one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_sandbox_home(tmp_path_factory, monkeypatch) -> Path:
    """Point CITY_SANDBOX_HOME (generated-city cache) at a fresh temporary folder for every test."""
    home = tmp_path_factory.mktemp("city-sandbox-home")
    monkeypatch.setenv("CITY_SANDBOX_HOME", str(home))
    return home
