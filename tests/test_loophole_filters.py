"""Loophole: a row filter discloses what it reads, and a filter that picks out a few people is a finding."""

from __future__ import annotations

import pytest

from sandbox_app.privacy.score import score_share
from sandbox_app.sharing.database import CityDatabase
from tests.cityfixture import small_city
from tests.loophole_helpers import HEALTH, SCENARIO, by_rule, share


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def test_a_list_selected_by_a_mental_health_diagnosis_discloses_the_diagnosis(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"zip": {"op": "keep"}}, where="mental_health_dx == 'depression'"))
    scope = by_rule(report, "agreement_scope")
    assert scope and scope[0].fields == ["where: mental_health_dx == 'depression'"]
    assert scope[0].fix == [{"edit": "set_where", "table": HEALTH, "where": None}]


def test_counts_selected_by_a_mental_health_diagnosis_disclose_it_too(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"zip": {"op": "keep"}}, where="mental_health_dx != 'none'",
        aggregate={"group_by": ["zip"], "measures": [{"op": "count"}], "min_cell_size": 11}))
    assert by_rule(report, "agreement_scope")


def test_the_selection_the_purpose_asks_for_is_not_a_disclosure(db):
    # welfare-checks needs residents with powered equipment: selecting by equipment is the purpose.
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"first_name": {"op": "keep"}, "last_name": {"op": "keep"}, "address": {"op": "keep"},
         "phone": {"op": "keep"}, "equipment": {"op": "keep"}}, where="equipment != 'none'"))
    assert not [f for f in report.findings if any(x.startswith("where:") for x in f.fields)]


def test_one_patient_picked_by_record_number_is_a_finding_even_without_identifiers(db):
    mrn = db.read_table(HEALTH)["mrn"].iloc[0]
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"primary_diagnosis": {"op": "keep"}}, where=f"mrn == '{mrn}'"))
    found = by_rule(report, "targeted_selection")
    assert found and found[0].evidence["selected_residents"] == 1 and report.verdict == "reject"


def test_a_suppressed_cell_does_not_hide_one_targeted_person(db):
    mrn = db.read_table(HEALTH)["mrn"].iloc[0]
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"primary_diagnosis": {"op": "keep"}}, where=f"mrn == '{mrn}'",
        aggregate={"group_by": ["primary_diagnosis"], "measures": [{"op": "count"}], "min_cell_size": 11}))
    assert bool(report.extract.aggregate.frame["suppressed"].all())  # every cell hidden…
    assert any(f.evidence.get("selected_residents") == 1 for f in by_rule(report, "small_cells"))  # …still found
