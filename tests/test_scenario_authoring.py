"""Editing exercises in a scenario's YAML text (sandbox_app.scenario.authoring): only the edited exercise's
lines change, comments and order stay, and the result validates (or names its problem)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from sandbox_app.errors import ScenarioError, ShareError
from sandbox_app.scenario import authoring as au
from sandbox_app.scenario.answer_files import answer_ref, read_answer, write_answer
from sandbox_app.scenario.builtins import builtin_scenarios
from sandbox_app.scenario.loader import parse_scenario_text
from sandbox_app.scenario.outline import read_outline

DATA = Path(__file__).parent / "data"


def _changed(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def _validate(text: str):
    return parse_scenario_text(text, "answers-city.yaml", base=DATA)


@pytest.mark.parametrize("name", list(builtin_scenarios()))
def test_an_edit_that_changes_nothing_leaves_every_byte_of_a_builtin(name):
    text = builtin_scenarios()[name].read_text(encoding="utf-8")
    for index in range(au.exercise_count(text)):
        assert au.edit_exercise(text, index, lambda item: None) == text


def test_a_title_edit_changes_one_line_and_keeps_comments_and_order():
    text = (DATA / "answers-city.yaml").read_text(encoding="utf-8")
    text = text.replace("  - id: checks\n", "  - id: checks   # the first exercise\n")
    new = au.set_exercise_keys(text, 0, title="Door-to-door welfare checks")
    assert _changed(text, new) == ["-    title: Welfare checks", "+    title: Door-to-door welfare checks"]
    assert "# the first exercise" in new and new.startswith("# A tiny scenario")
    assert _validate(new).exercises[0].title == "Door-to-door welfare checks"


def test_a_multiline_brief_becomes_a_literal_block_and_reads_back_exactly():
    text = (DATA / "answers-city.yaml").read_text(encoding="utf-8")
    brief = "From: OEM\nTo: Health\n\nPlease send the patients on oxygen: name and equipment."
    new = au.set_exercise_keys(text, 0, brief=brief, purpose_text="Welfare checks: who relies on oxygen")
    assert "    brief: |\n      From: OEM\n" in new
    exercise = _validate(new).exercises[0]
    assert exercise.brief == brief + "\n" and exercise.purpose_text == "Welfare checks: who relies on oxygen"
    keys = list(au.read_exercise(new, 0))
    assert keys.index("purpose_text") == keys.index("purpose") + 1        # inserted in its usual place


def test_needs_fields_rows_aggregate_and_refusal_are_written_where_the_loader_reads_them():
    text = (DATA / "answers-city.yaml").read_text(encoding="utf-8")
    new = au.set_needs(text, 0, fields={"full_name": "exact", "birth_date": "year"}, rows="equipment == 'oxygen'",
                       aggregate={"group_by": ["birth_date"], "measures": ["count"]}, linkable=True)
    new = au.set_exercise_keys(new, 0, lawful_answer="refuse")
    exercise = _validate(new).exercises[0]
    assert exercise.needs.fields == {"full_name": "exact", "birth_date": "year"}
    assert exercise.needs.rows == "equipment == 'oxygen'" and exercise.needs.linkable
    assert exercise.needs.aggregate.group_by == ["birth_date"] and exercise.lawful_answer == "refuse"
    assert "fields: {full_name: exact, birth_date: year}" in new              # the flow style it was written in
    back = au.set_exercise_keys(au.set_needs(new, 0, aggregate=None, rows=None), 0, lawful_answer="share")
    assert "lawful_answer" not in back and "aggregate" not in back and "rows:" not in back.split("exercises:")[1]
    wrong = au.set_needs(text, 0, fields={"full_name": "decade"})
    with pytest.raises(ScenarioError) as err:
        _validate(wrong)
    assert "exercises[0].needs.fields.full_name" in str(err.value) and "decade" in str(err.value)


def test_a_bad_answer_with_expect_reject_round_trips():
    text = (DATA / "answers-city.yaml").read_text(encoding="utf-8")
    new = au.add_bad_answer(text, 0, "answers-city/checks.model.json", "reject", "Too much, too soon.")
    assert '{share: answers-city/checks.model.json, expect: reject, teaches: "Too much, too soon."}' in new
    bad = _validate(new).exercises[0].bad_answers
    assert [(b.share, b.expect, b.teaches) for b in bad][1] == ("answers-city/checks.model.json", "reject",
                                                               "Too much, too soon.")
    new = au.set_bad_answer(new, 0, 1, expect="revise", teaches="")
    assert [(b.expect, b.teaches) for b in _validate(new).exercises[0].bad_answers][1] == ("revise", "")
    assert au.remove_bad_answer(new, 0, 1) == text


def test_a_new_exercise_is_appended_validates_and_can_be_removed_again():
    text = (DATA / "answers-city.yaml").read_text(encoding="utf-8")
    outline = read_outline(text)
    new, index = au.add_exercise(text, {"id": au.unique_id([e["id"] for e in outline.exercises], "checks"),
                                        "title": "Another", "brief": "Line one\nLine two",
                                        "requesting_department": "oem", "holding_department": "health",
                                        "agreement": "mou", "purpose": "emergency_welfare_check",
                                        "needs": {"tables": au.flow_list(["clinic_patients"])}})
    assert index == 1 and new.startswith(text)
    scenario = _validate(new)
    assert [e.id for e in scenario.exercises] == ["checks", "checks-2"]
    assert scenario.exercises[1].brief == "Line one\nLine two\n"
    assert au.remove_exercise(new, 1).rstrip("\n") == text.rstrip("\n")
    none_left = au.remove_exercise(text, 0)                    # the last one: an empty list, still valid
    assert "\nexercises: []\n" in none_left and _validate(none_left).exercises == []
    again, index = au.add_exercise(none_left, {"id": "b", "title": "B"})
    assert index == 0 and read_outline(again).exercises == [{"id": "b", "title": "B"}]
    empty = text.split("exercises:")[0]
    first, index = au.add_exercise(empty, {"id": "a", "title": "A"})
    assert index == 0 and read_outline(first).exercises == [{"id": "a", "title": "A"}]


def test_the_outline_lists_departments_tables_agreements_and_purposes_even_when_invalid():
    text = (DATA / "answers-city.yaml").read_text(encoding="utf-8").replace("seed: 7", "seed: seven")
    outline = read_outline(text)
    assert outline.department("health").tables["clinic_patients"] == ["mrn", "full_name", "birth_date", "equipment"]
    assert outline.agreement("mou").purposes == ["emergency_welfare_check"]
    with pytest.raises(ScenarioError, match="cannot be read"):
        read_outline("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="cannot be read"):
        au.edit_exercise(text.replace("    title: Welfare checks", "    title: [oops"), 0, lambda item: None)


def test_answer_files_are_written_atomically_beside_the_scenario_and_bad_json_is_one_sentence(tmp_path):
    scenario = tmp_path / "my-city.yaml"
    ref = answer_ref(scenario, "checks", "Too many fields!")
    assert ref == "my-city/checks.too-many-fields.json"
    share = (DATA / "answers-city" / "checks.model.json").read_text(encoding="utf-8")
    assert write_answer(scenario, ref, share) == tmp_path / ref
    assert read_answer(scenario, ref).exercise == "checks"
    assert answer_ref(scenario, "checks", "too many fields") == "my-city/checks.too-many-fields-2.json"
    (tmp_path / "my-city" / "broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ShareError) as err:
        read_answer(scenario, "my-city/broken.json")
    assert len(str(err.value).splitlines()) == 1 and "broken.json" in str(err.value)
    with pytest.raises(ShareError, match="inside the scenario's folder"):
        write_answer(scenario, "../elsewhere.json", json.dumps({}))
