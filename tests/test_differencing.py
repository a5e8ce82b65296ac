"""Differencing: a new table whose cells differ by a few people from a table the city already published
gives those few away; the scenario declares its prior releases."""

from __future__ import annotations

import json

import pytest

from sandbox_app.privacy.score import score_share
from sandbox_app.scenario.model import Scenario
from sandbox_app.sharing.database import CityDatabase
from tests.cityfixture import small_city
from tests.loophole_helpers import SCENARIO, by_rule, share

COUNTS = {"group_by": ["zip"], "measures": [{"op": "count"}], "min_cell_size": 11}


def _doc(where: str) -> dict:
    return json.loads(share({"zip": {"op": "keep"}}, where=where, aggregate=COUNTS).model_dump_json())


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


@pytest.fixture(scope="module")
def scenario():
    data = SCENARIO.model_dump(by_alias=True)
    data["prior_releases"] = [{"title": "Powered equipment by ZIP, last quarter",
                               "share": _doc("equipment != 'none'")}]
    return Scenario.model_validate(data)


def _differencing(report):
    return [f for f in by_rule(report, "small_cells") if "prior_release" in f.evidence]


def test_the_same_table_minus_a_few_people_gives_them_away(db, scenario):
    # Each ZIP's count is safe on its own, but last quarter's table minus this one counts the CPAP users.
    report = score_share(db, scenario, "welfare-checks", share(
        {"zip": {"op": "keep"}}, where="equipment != 'none' and equipment != 'cpap'", aggregate=COUNTS))
    assert not [f for f in by_rule(report, "small_cells") if "prior_release" not in f.evidence]
    (found,) = _differencing(report)
    example = found.examples[0]
    assert 1 <= example["difference"] < 11 and example["new_cell"]["zip"] == example["prior_cell"]["zip"]
    assert found.evidence["prior_release"] == "Powered equipment by ZIP, last quarter"


def test_republishing_the_same_cells_reveals_nothing_new(db, scenario):
    report = score_share(db, scenario, "welfare-checks", share(
        {"zip": {"op": "keep"}}, where="equipment != 'none'", aggregate=COUNTS))
    assert _differencing(report) == []


def test_without_declared_prior_releases_nothing_is_compared(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"zip": {"op": "keep"}}, where="equipment != 'none' and equipment != 'cpap'", aggregate=COUNTS))
    assert _differencing(report) == []
