"""Loophole: ages over 89 written another way. Birth years, age bands and derived ages that place a person
above 89 fail hipaa_age_90 in a de-identified share; one open 90+ group passes."""

from __future__ import annotations

import numpy as np
import pytest

from sandbox_app.privacy.lineage import true_ages
from sandbox_app.privacy.score import score_share
from sandbox_app.sharing.database import CityDatabase
from tests.cityfixture import small_city
from tests.loophole_helpers import AGE, SCENARIO, by_rule, share


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def _score(db, fields):
    return score_share(db, SCENARIO, "welfare-checks", share(fields, deidentified=True))


def test_the_extract_has_several_residents_over_89(db):
    report = _score(db, {"equipment": {"op": "keep"}})
    ages = true_ages(db, report.extract.parts[0].truth)
    assert len(np.unique(ages[ages > 89])) >= 2  # what the tests below rely on


@pytest.mark.parametrize("fields", [
    {"birth_date": {"op": "generalize", "to": "year"}},
    {"age": {"op": "derive", "expr": AGE}},
    {"age_band": {"op": "derive", "expr": f"floor({AGE} / 5) * 5"}},
    {"decade": {"op": "derive", "expr": "floor(year(birth_date) / 10) * 10"}},
], ids=["birth-year", "derived-age", "derived-5-year-bands", "birth-decade"])
def test_outputs_that_place_a_person_above_89_fail(db, fields):
    report = _score(db, fields)
    assert [f.fields for f in by_rule(report, "hipaa_age_90")] == [list(fields)]
    assert report.verdict == "reject"


def test_one_open_90_plus_group_passes(db):
    report = _score(db, {"age": {"op": "derive", "expr": f"if({AGE} > 89, '90+', floor({AGE} / 10) * 10)"}})
    assert not by_rule(report, "hipaa_age_90")


def test_age_rules_apply_only_to_de_identified_shares(db):
    report = score_share(db, SCENARIO, "welfare-checks", share({"birth_date": {"op": "generalize", "to": "year"}}))
    assert not by_rule(report, "hipaa_age_90")
