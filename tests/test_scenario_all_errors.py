"""Validation reports every problem at once: cross-reference problems are found even while other parts of the
file have structural errors, without false alarms about the broken parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox_app.errors import ScenarioError
from sandbox_app.scenario import parse_scenario_text

STORM = (Path(__file__).parents[1] / "scenarios" / "winter-storm.yaml").read_text(encoding="utf-8")


def problems(text: str) -> list:
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, "storm.yaml")
    return info.value.problems


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_structural_and_reference_errors_are_reported_together():
    text = (STORM
            .replace("{name: mrn, gen: record_id,", "{name: mrn, gen: record_idd,")
            .replace("{name: household_income, attribute: household_income,",
                     "{name: household_income, attribute: houshold_income,")
            .replace("agreement: storm-mou\n    purpose: emergency_planning\n    purpose_text: Prioritising",
                     "agreement: storm-mu\n    purpose: emergency_planning\n    purpose_text: Prioritising"))
    found = {(p.line, p.path, p.message) for p in problems(text)}
    assert found == {
        (line_of(text, "record_idd"), "departments[1].tables[0].fields[0].gen", "unknown generator 'record_idd'"),
        (line_of(text, "houshold_income"), "departments[2].tables[0].fields[9].attribute",
         "unknown attribute 'houshold_income'"),
        (line_of(text, "agreement: storm-mu"), "exercises[2].agreement",
         "unknown agreement 'storm-mu'"),
    }


def test_references_to_a_broken_department_are_not_reported_as_unknown():
    # The health department has a structural error; exercises that name it or its tables must not also say
    # "unknown department 'health'": it exists, it is only broken.
    text = STORM.replace("    kind: health\n", "    kind: hospital\n", 1)
    found = problems(text)
    assert [p.path for p in found] == ["departments[1].kind"]


def test_locations_after_a_removed_item_keep_their_original_index():
    # Break the first exercise; a reference error in the third must still say exercises[2], not exercises[1].
    text = (STORM.replace("  - id: welfare-checks\n    title: Welfare checks before the power goes out",
                          "  - id: welfare-checks\n    title: ''")
            .replace("requesting_department: power", "requesting_department: pwoer"))
    paths = sorted(p.path for p in problems(text))
    assert paths == ["exercises[0].title", "exercises[2].requesting_department"]
