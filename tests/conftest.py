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


def _hypothesis_profiles() -> None:
    """"ci" (default): a few seconds per fuzz target; "long": 10,000 examples per target, reporting slow ones."""
    from hypothesis import HealthCheck, settings

    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                              suppress_health_check=quiet, database=None)
    settings.register_profile("long", max_examples=10_000, deadline=20_000, suppress_health_check=quiet,
                              database=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_hypothesis_profiles()
