"""HIPAA ZIP3: a scenario can declare each ZIP3 area's real population; `generalize … zip3` writes 000 for
every area of 20,000 people or fewer itself, hipaa_zip3 uses the same populations and says which, and the
linkage attack coarsens the public roll the same way."""

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


def _published(db, scenario, where=None) -> set:
    report = score_share(db, scenario, "welfare-checks", share(ZIP3, deidentified=True, where=where))
    return set(report.extract.parts[0].frame["zip"].dropna())


def test_generalize_zip3_writes_000_for_areas_counted_small(db):
    # 3,000 synthetic residents: every area is small, so the op publishes 000 (mistyped ZIPs keep their
    # non-digit head, which is no area's ZIP3) and the rule passes.
    assert {v for v in _published(db, SCENARIO) if v.isdigit()} == {"000"}
    assert _zip3(db, SCENARIO) == []


def test_generalize_zip3_keeps_the_digits_of_a_declared_large_area(db):
    scenario = _declaring({"441": 52_000})  # 442 (the mistyped 442xx) is not declared: counted, small
    assert {v for v in _published(db, scenario) if v.isdigit()} == {"441", "000"}
    assert _zip3(db, scenario) == []
    assert {v for v in _published(db, _declaring({"441": 20_000})) if v.isdigit()} == {"000"}  # 20,000: small


def test_five_digit_zips_fail_and_the_fix_is_the_op_itself(db):
    scenario = _declaring({"441": 52_000})
    fields = {"zip": {"op": "keep"}, "equipment": {"op": "keep"}}
    (found,) = _zip3(db, scenario, fields)
    assert "declared by the scenario" not in found.message and "five-digit" in found.message
    assert found.fix[0]["op"] == {"op": "generalize", "to": "zip3"}
    assert "generalize to zip3 does this" in found.hint
    assert _zip3(db, scenario, ZIP3) == []  # the fix applied


def test_a_declared_small_population_is_named_in_a_derived_fields_finding(db):
    leaky = {"zip3": {"op": "derive", "expr": "if(startswith(zip, '441'), '441', '000')"}, "equipment": {"op": "keep"}}
    (found,) = _zip3(db, _declaring({"441": 9_000}), leaky)
    assert "declared by the scenario" in found.message and found.evidence["limit"] == 20_000


def test_the_linkage_attack_coarsens_the_roll_as_the_share_does(db):
    # Writing 000 must not hide rows from the attack: the roll's ZIPs become 000 the same way, so birth
    # date and sex still link (were the roll cut to 441, nothing would match and the risk would read 0).
    fields = {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "generalize", "to": "zip3"}}
    report = score_share(db, SCENARIO, "welfare-checks", share(fields, deidentified=True))
    assert {v for v in report.extract.parts[0].frame["zip"].dropna() if v.isdigit()} == {"000"}
    assert report.linkage["ph_home_health_clients"].matched_uniquely > 0


def test_publishing_000_for_the_small_area_passes(db):
    derived = {"zip3": {"op": "derive", "expr": "if(zip is null, null, '000')"}, "equipment": {"op": "keep"}}
    assert _zip3(db, _declaring({"441": 9_000}), derived) == []
    leaky = {"zip3": {"op": "derive", "expr": "if(startswith(zip, '441'), '000', zip)"}}
    assert _zip3(db, _declaring({"441": 9_000}), leaky)  # the mistyped ZIPs stay five digits


def test_a_derived_fields_fix_writes_000_where_the_area_is_small(db):
    scenario = _declaring({"441": 52_000})
    derived = {"area": {"op": "derive", "expr": "trim(zip)"}, "equipment": {"op": "keep"}}
    (found,) = _zip3(db, scenario, derived)
    assert found.fix[0]["op"] == {"op": "derive", "expr": "if(startswith(zip, '441'), '441', '000')"}
    assert _zip3(db, scenario, {"area": found.fix[0]["op"], "equipment": {"op": "keep"}}) == []


def test_zip3_keys_must_be_three_digits():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        _declaring({"44": 30_000})
