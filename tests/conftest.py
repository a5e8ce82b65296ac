"""Shared test set-up: headless Qt, and a private cache folder so tests never touch the user's real one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cityfixture import small_city

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_sandbox_home(tmp_path_factory, monkeypatch) -> Path:
    """Point CITY_SANDBOX_HOME (city cache) and CITY_SANDBOX_DATA (workspace) at a fresh folder per test."""
    home = tmp_path_factory.mktemp("city-sandbox-home")
    monkeypatch.setenv("CITY_SANDBOX_HOME", str(home))
    monkeypatch.setenv("CITY_SANDBOX_DATA", str(home / "data"))  # the workspace database (never the user's)
    return home


# ------------------------------------------------------------------- Qt windows (tests/test_trainee_*.py)
@pytest.fixture
def isolated_qt(tmp_path, monkeypatch, qapp):
    """QSettings and the user data directory in a temp folder, so no test reads or writes the real ones."""
    from PySide6.QtCore import QSettings

    monkeypatch.setenv("CITY_SANDBOX_DATA", str(tmp_path / "data"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    qapp.setOrganizationName("city-sandbox-tests")
    qapp.setApplicationName("city-sandbox-tests")
    return tmp_path


@pytest.fixture(scope="session")
def winter_storm():
    from sandbox_app.scenario import load_scenario

    return load_scenario("winter-storm")


@pytest.fixture
def session(tmp_path_factory, winter_storm):
    from sandbox_app.workspace.city import open_city

    city = open_city("winter-storm", scenario=winter_storm, database=small_city(tmp_path_factory))
    yield city
    city.close()


@pytest.fixture
def workspace(isolated_qt):
    from sandbox_app.workspace.store import Workspace

    ws = Workspace.open(isolated_qt / "workspace.db")
    yield ws
    ws.close()


@pytest.fixture
def page(qtbot, workspace, session):
    """An exercise page open on winter-storm's first exercise, with its live meter idle."""
    from sandbox_app.ui.trainee.exercise_page import ExercisePage

    widget = ExercisePage(workspace)
    qtbot.addWidget(widget)
    widget.resize(1366, 740)
    widget.show()
    widget.open_session(session, "welfare-checks")
    yield widget
    widget.shutdown()


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


@pytest.fixture
def scenario_copy(tmp_path) -> Path:
    """tests/data/answers-city.yaml and its answers folder copied into a temp folder (the studio writes to it)."""
    import shutil

    data = Path(__file__).parent / "data"
    shutil.copy(data / "answers-city.yaml", tmp_path / "answers-city.yaml")
    shutil.copytree(data / "answers-city", tmp_path / "answers-city")
    return tmp_path / "answers-city.yaml"
