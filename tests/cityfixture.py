"""A small winter-storm city for the sharing tests, generated once per test session.

Use it from a fixture in the test module (no conftest needed):

    @pytest.fixture(scope="module")
    def db(tmp_path_factory):
        return CityDatabase(small_city(tmp_path_factory))
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox_app.scenario import load_scenario
from synthetic.generate import generate_city

SMALL_RESIDENTS = 3000
_generated: dict[str, Path] = {}


def small_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a winter-storm city of SMALL_RESIDENTS residents, generated on first use in this session."""
    if "path" not in _generated:
        scenario = load_scenario("winter-storm")
        path = tmp_path_factory.mktemp("city") / "winter-storm-small.db"
        generate_city(scenario, path, residents=SMALL_RESIDENTS, scenario_name=scenario.name)
        _generated["path"] = path
    return _generated["path"]
