"""HIPAA ZIP3: a scenario can declare each ZIP3 area's real population; hipaa_zip3 uses it and says so, and
publishing 000 for a small area (a derived field) satisfies the rule."""

from __future__ import annotations

import pytest

from sandbox_app.privacy.score import score_share
from sandbox_app.scenario.model import Scenario
from sandbox_app.sharing.database import CityDatabase
from tests.cityfixture import small_city
from tests.loophole_helpers import SCENARIO, by_rule, share

ZIP3 = {"zip": {"op": "generalize", "to": "zip3"}, "equipment": {"op": "keep"}}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def _declaring(populations: dict) -> Scenario:
    return Scenario.model_validate({**SCENARIO.model_dump(by_alias=True), "zip3_populations": populations})


def _zip3(db, scenario, fields=ZIP3, where=None):
    report = score_share(db, scenario, "welfare-checks", share(fields, deidentified=True, where=where))
    return by_rule(report, "hipaa_zip3")


def test_counted_synthetic_residents_make_a_small_area_and_the_message_says_so(db):
    (found,) = _zip3(db, SCENARIO)  # 3,000 synthetic residents: every area is "small"
    assert "counted among the city's synthetic residents" in found.message and "441" in found.message


def test_a_declared_census_population_over_the_limit_passes(db):
    # (mistyped ZIPs such as 442xx are areas of their own, with no declared population: filtered out here)
    assert _zip3(db, _declaring({"441": 52_000}), where="startswith(zip, '441')") == []
    assert _zip3(db, _declaring({"441": 52_000}))  # …and small when they are published


def test_a_declared_small_population_fails_and_names_its_source(db):
    (found,) = _zip3(db, _declaring({"441": 9_000}))
    assert "declared by the scenario" in found.message and found.evidence["limit"] == 20_000


def test_publishing_000_for_the_small_area_passes(db):
    derived = {"zip3": {"op": "derive", "expr": "if(zip is null, null, '000')"}, "equipment": {"op": "keep"}}
    assert _zip3(db, _declaring({"441": 9_000}), derived) == []
    leaky = {"zip3": {"op": "derive", "expr": "if(startswith(zip, '441'), '000', zip)"}}
    assert _zip3(db, _declaring({"441": 9_000}), leaky)  # the mistyped ZIPs stay five digits


def test_the_fix_writes_000_where_the_area_is_small(db):
    scenario = _declaring({"441": 9_000, "442": 40_000})
    (found,) = _zip3(db, scenario)
    assert found.fix == [{"edit": "remove_field", "table": "ph_home_health_clients", "field": "zip"}] or \
        "'000'" in found.fix[0]["op"]["expr"]


def test_zip3_keys_must_be_three_digits():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        _declaring({"44": 30_000})
