"""`validate` checks a scenario's prior releases: the file exists, parses as a share, and names tables and
fields the scenario has; each problem is one located sentence (scenario line, the release file, field path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox_app.cli import main
from sandbox_app.errors import ScenarioError
from sandbox_app.scenario import load_scenario, parse_scenario_text

SMALL = (Path(__file__).parent / "data" / "small-city.yaml").read_text(encoding="utf-8")


def _release(table="clinic_patients", fields=None, where=None, group_by=("equipment",)) -> dict:
    doc = {"format": "city-sandbox/share@1", "purpose": "published counts",
           "tables": [{"table": table, "fields": fields or {"equipment": {"op": "keep"}}}],
           "aggregate": {"group_by": list(group_by), "measures": [{"op": "count"}], "min_cell_size": 11}}
    if where:
        doc["tables"][0]["where"] = where
    return doc


def _with_releases(*shares) -> str:
    lines = ["", "prior_releases:"]
    for i, share in enumerate(shares):
        lines.append(f"  - title: Release {i}")
        lines.append(f"    share: {json.dumps(share) if isinstance(share, dict) else share}")
    return SMALL + "\n".join(lines) + "\n"


def _problems(path: Path) -> list:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, deep=True)
    return info.value.problems


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_a_valid_release_file_and_inline_release_pass(tmp_path):
    (tmp_path / "q3.json").write_text(json.dumps(_release()), encoding="utf-8")
    path = tmp_path / "city.yaml"
    path.write_text(_with_releases("q3.json", _release(where="equipment != 'none'")), encoding="utf-8")
    assert len(load_scenario(path, deep=True).prior_releases) == 2


def test_a_missing_release_file_is_located_at_its_line(tmp_path):
    text = _with_releases("releases/q3.json")
    path = tmp_path / "city.yaml"
    path.write_text(text, encoding="utf-8")
    load_scenario(path)  # loading for other commands does not look for files
    (problem,) = _problems(path)
    assert problem.path == "prior_releases[0].share" and problem.line == _line(text, "releases/q3.json")
    assert problem.message == "prior release file 'releases/q3.json' does not exist"


def test_a_release_file_that_is_not_json_names_its_own_line(tmp_path):
    (tmp_path / "q3.json").write_text('{"format": "city-sandbox/share@1",\n  "tables": [}\n', encoding="utf-8")
    path = tmp_path / "city.yaml"
    path.write_text(_with_releases("q3.json"), encoding="utf-8")
    (problem,) = _problems(path)
    assert problem.path == "prior_releases[0].share"
    assert problem.message.startswith("prior release file 'q3.json' line 2: JSON syntax")


def test_a_release_file_that_is_not_a_share_names_the_field_path(tmp_path):
    bad = _release()
    bad["tables"][0]["fields"]["equipment"] = {"op": "generalise"}
    (tmp_path / "q3.json").write_text(json.dumps(bad), encoding="utf-8")
    path = tmp_path / "city.yaml"
    path.write_text(_with_releases("q3.json"), encoding="utf-8")
    (problem,) = _problems(path)
    assert problem.message == ("prior release file 'q3.json', tables[0].fields.equipment.op: unknown operation "
                               '"generalise"') and problem.hint == "did you mean 'generalize'?"


def test_unknown_tables_fields_and_expression_columns_in_a_file(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(_release(table="clinic_patient")), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(_release(fields={"equipmnt": {"op": "keep"},
                                                                 "equipment": {"op": "keep"}},
                                                         where="equipmen != 'none'")), encoding="utf-8")
    path = tmp_path / "city.yaml"
    path.write_text(_with_releases("a.json", "b.json"), encoding="utf-8")
    messages = sorted((p.path, p.message, p.hint) for p in _problems(path))
    assert messages[0] == ("prior_releases[0].share", "prior release file 'a.json', tables[0].table: unknown "
                           "table 'clinic_patient'", "did you mean 'clinic_patients'?")
    assert {m[1] for m in messages[1:]} >= {
        "prior release file 'b.json', tables[0].fields.equipmnt: unknown field 'equipmnt' in clinic_patients"}
    assert any("tables[0].where: expression error" in m[1] and "equipmen" in m[1] for m in messages[1:])


def test_an_inline_release_is_located_at_the_line_of_the_bad_key():
    bad = _release(group_by=("equipment", "zip"))
    text = _with_releases(bad).replace(json.dumps(bad), "\n" + _yaml_block(bad))
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, "city.yaml")
    (problem,) = info.value.problems
    assert problem.path == "prior_releases[0].share.aggregate.group_by[1]"
    assert problem.message == "prior release 'Release 0': 'zip' is not a field of the share"
    assert problem.line == _line(text, "- zip")  # the very item


def _yaml_block(doc: dict) -> str:
    """The release as an indented YAML mapping (so each key has its own line)."""
    from io import StringIO

    from ruamel.yaml import YAML

    out = StringIO()
    YAML().dump(doc, out)
    return "\n".join("      " + line for line in out.getvalue().splitlines())


def test_validate_prints_the_located_sentence_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "city.yaml"
    path.write_text(_with_releases("gone.json"), encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert f"city.yaml:{_line(_with_releases('gone.json'), 'gone.json')}: prior_releases[0].share: prior release " \
           "file 'gone.json' does not exist" in text and "Traceback" not in text
