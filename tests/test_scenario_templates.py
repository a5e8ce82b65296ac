"""Free-text templates: names in braces only, checked by validate with file:line, never str.format."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sandbox_app.errors import ScenarioError
from sandbox_app.scenario import parse_scenario_text
from synthetic.generate import generate_city
from synthetic.template import TemplateError, parse_template, render

SMALL = (Path(__file__).parent / "data" / "small-city.yaml").read_text(encoding="utf-8")
ANCHOR = "          - {name: equipment, attribute: equipment}\n"


def with_template(template: str) -> str:
    quoted = template.replace("\\", "\\\\").replace('"', '\\"')
    assert ANCHOR in SMALL
    return SMALL.replace(ANCHOR, ANCHOR + f'          - {{name: note, text: ["{quoted}"], category: free_text}}\n')


def template_line() -> int:
    return with_template("x").splitlines().index('          - {name: note, text: ["x"], category: free_text}') + 1


@pytest.mark.parametrize("template", ["{age.__class__}", "{age.__class__.__mro__}", "{age:>1000000000}", "{",
                                      "{0}", "{age!z}", "}", "{}", "{Age}", "{age[0]}"])
def test_malformed_templates_are_refused_with_file_and_line(template):
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(with_template(template), "t.yaml")
    problem = info.value.problems[0]
    assert (problem.file, problem.line) == ("t.yaml", template_line())
    assert problem.path == "departments[0].tables[0].fields[4].text[0]"
    assert "template column 1:" in problem.message


def test_unknown_placeholder_is_refused_with_a_suggestion():
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(with_template("Call {phnoe} now"), "t.yaml")
    problem = info.value.problems[0]
    assert "'{phnoe}' names no field" in problem.message and problem.hint == "did you mean 'phone'?"
    assert problem.line == template_line()


def test_literal_braces_and_placeholders_render():
    parts = parse_template("{{x}} {age} }}")
    assert parts == ["{x} ", ("age",), " }"]
    assert render(parts, {"age": 41}) == "{x} 41 }"
    with pytest.raises(TemplateError, match="never closed"):
        parse_template("ok {age")


def test_generated_text_fills_fields_attributes_and_generators(tmp_path):
    scenario = parse_scenario_text(with_template("{{ref}} {full_name} uses {equipment} at {age}"), "t.yaml")
    out = tmp_path / "t.db"
    generate_city(scenario, out, residents=200)
    with sqlite3.connect(out) as conn:
        rows = conn.execute("SELECT note, equipment FROM clinic_patients WHERE note IS NOT NULL "
                            "AND full_name IS NOT NULL LIMIT 20").fetchall()
    assert rows
    for note, equipment in rows:
        assert note.startswith("{ref} ") and f" uses {equipment} at " in note
        assert len(note.split(" uses ")[0].split()) >= 3  # '{ref}' and a first and last name
        assert "__" not in note and "<class" not in note
