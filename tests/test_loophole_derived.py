"""Loophole: renaming or re-encoding what a share discloses. A derived field carries all its sources'
categories and meanings; the linkage attack runs the share's own derivation on the voter roll."""

from __future__ import annotations

import numpy as np
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


def test_mental_health_glued_to_a_diagnosis_is_still_mental_health(db):
    # The trainee hides the excluded mental-health diagnosis inside a permitted health field.
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"dx": {"op": "derive", "expr": "primary_diagnosis + '/' + mental_health_dx"}}, where="equipment != 'none'"))
    scope = by_rule(report, "agreement_scope")
    assert scope and scope[0].fields == ["dx"] and scope[0].clause == "3.2"
    assert report.verdict == "reject"


def test_a_birth_date_rebuilt_from_its_parts_is_a_date_finer_than_the_year(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"born": {"op": "derive", "expr": "year(birth_date) * 10000 + month(birth_date) * 100 + day(birth_date)"},
         "equipment": {"op": "keep"}}, where="equipment != 'none'", deidentified=True))
    assert [f.fields for f in by_rule(report, "hipaa_dates_year")] == [["born"]]


def test_the_year_of_birth_alone_is_not_a_finer_date(db):
    report = score_share(db, SCENARIO, "welfare-checks", share(
        {"born": {"op": "derive", "expr": "year(birth_date)"}}, where="equipment != 'none'", deidentified=True))
    assert not by_rule(report, "hipaa_dates_year")


def test_linkage_attack_computes_the_same_derivation_on_the_voter_roll(db):
    kept = score_share(db, SCENARIO, "welfare-checks", share(
        {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "keep"}}))
    # "It is not the birth date any more, it is a number": birth date as yyyymmdd, sex and ZIP glued into one.
    disguised = score_share(db, SCENARIO, "welfare-checks", share(
        {"code": {"op": "derive", "expr": "(year(birth_date) * 10000 + month(birth_date) * 100 + day(birth_date))"
                                          " * 10 + if(sex == 'F', 1, 2)"}, "zip": {"op": "keep"}}))
    plain = kept.metrics.reidentified_by_linkage
    assert plain > 0
    assert disguised.metrics.reidentified_by_linkage >= 0.9 * plain
    assert by_rule(disguised, "linkage_attack")[0].fields == ["code", "zip"]


def test_a_masked_id_that_stays_unique_names_the_patient(db):
    # Keeping only the last three digits looks like less than the four the rule allows — but on this list
    # every value is still different, so it is the record number under another name.
    doc = share({"mrn": {"op": "mask", "keep_last": 3}, "equipment": {"op": "keep"}},
                where="equipment in ('ventilator', 'home_dialysis')", deidentified=True)
    report = score_share(db, SCENARIO, "welfare-checks", doc)
    part = report.extract.parts[0]
    source = db.read_table(HEALTH).set_index("_row_id").loc[part.row_ids, "mrn"].to_numpy()
    assert len(set(part.frame["mrn"])) == len(set(source)) > 1  # precondition: one-to-one on these rows
    assert np.all(part.frame["mrn"].str.len() > 0)
    assert any("mrn" in f.fields for f in by_rule(report, "hipaa_safe_harbor"))
