"""Linkage fix hints: the words are the fix's own edits, each field's next coarser step from where the share
has it now; a hint never suggests a generalisation the share already has."""

from __future__ import annotations

import pytest

from sandbox_app.privacy.score import score_share
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.edits import apply_edits
from tests.cityfixture import small_city
from tests.loophole_helpers import SCENARIO, by_rule, share


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def _linkage(db, fields):
    doc = share(fields)
    (found,) = by_rule(score_share(db, SCENARIO, "welfare-checks", doc), "linkage_attack")
    return doc, found


def test_exact_birth_dates_and_zips_are_cut_one_step(db):
    _, found = _linkage(db, {"birth_date": {"op": "keep"}, "sex": {"op": "keep"}, "zip": {"op": "keep"}})
    assert "generalize birth_date to year" in found.hint and "generalize zip to zip3" in found.hint


def test_a_birth_date_already_cut_to_the_year_is_never_cut_to_the_year_again(db):
    fields = {"birth_date": {"op": "generalize", "to": "year"}, "sex": {"op": "keep"}, "zip": {"op": "keep"}}
    _, found = _linkage(db, fields)
    assert "birth_date to year" not in found.hint and "drop birth_date" in found.hint
    assert {"edit": "set_field", "table": "ph_home_health_clients", "field": "birth_date",
            "op": {"op": "generalize", "to": "year"}} not in found.fix


def test_every_step_of_the_hint_is_an_edit_and_no_edit_repeats_the_share(db):
    for fields in ({"birth_date": {"op": "generalize", "to": "month"}, "sex": {"op": "keep"}},
                   {"birth_date": {"op": "generalize", "to": "quarter"}, "zip": {"op": "keep"},
                    "sex": {"op": "keep"}}):
        doc, found = _linkage(db, fields)
        now = {name: op.model_dump(exclude_none=True) for name, op in doc.tables[0].fields.items()}
        for edit in found.fix:
            assert edit.get("op") != now[edit["field"]]  # a step, not what the share already does
            assert (f"drop {edit['field']}" if edit["edit"] == "remove_field" else
                    f"generalize {edit['field']} to {edit['op']['to']}") in found.hint
        fixed = apply_edits(doc, found.fix)
        assert by_rule(score_share(db, SCENARIO, "welfare-checks", fixed), "linkage_attack") == []
