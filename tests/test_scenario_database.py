"""open_scenario_database: the cached city of a scenario, or a given file only if it was made from it."""

from __future__ import annotations

import pytest

from sandbox_app.cache import open_scenario_database
from sandbox_app.errors import DatabaseError
from sandbox_app.scenario import load_scenario
from tests.cityfixture import small_city


def test_a_database_of_another_scenario_is_refused_with_its_path_and_the_fix(tmp_path_factory):
    path = small_city(tmp_path_factory)
    with pytest.raises(DatabaseError) as err:
        open_scenario_database(load_scenario("safe-streets"), path)
    (problem,) = err.value.problems
    assert problem.file == str(path)
    assert "generated from 'winter-storm', not 'safe-streets'" in problem.message
    assert "city-sandbox generate safe-streets" in problem.hint


def test_the_scenarios_own_database_opens(tmp_path_factory):
    db = open_scenario_database(load_scenario("winter-storm"), small_city(tmp_path_factory))
    try:
        assert db.meta["scenario"] == "winter-storm"
    finally:
        db.close()
