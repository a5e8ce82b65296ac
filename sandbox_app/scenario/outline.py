"""What the studio's Exercises form needs to know about a scenario's text, read even when it does not validate.

`read_outline` gives the departments (with their tables' fields), the agreements (with their purposes) and
each exercise as plain data, so the form's choices come from the file as it is being written. It is a plain
YAML read (no validation), cheap enough for a worker after each pause in typing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sandbox_app.errors import Problem, ScenarioError


@dataclass
class DepartmentOutline:
    id: str
    name: str
    tables: dict[str, list[str]] = field(default_factory=dict)  # table -> its field names, in file order


@dataclass
class AgreementOutline:
    id: str
    title: str
    purposes: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)


@dataclass
class Outline:
    name: str
    departments: list[DepartmentOutline]
    agreements: list[AgreementOutline]
    exercises: list[dict]   # each exercise's keys as written (plain dicts, lists and strings)

    def department(self, dept_id: str) -> DepartmentOutline | None:
        return next((d for d in self.departments if d.id == dept_id), None)

    def agreement(self, agreement_id: str) -> AgreementOutline | None:
        return next((a for a in self.agreements if a.id == agreement_id), None)


def _text(value) -> str:
    return "" if value is None else str(value)


def _items(value) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def read_outline(text: str, file: str = "<scenario>") -> Outline:
    """The outline of scenario `text`; ScenarioError (one sentence) if the YAML itself cannot be read."""
    try:
        data = YAML(typ="safe").load(text)
    except (YAMLError, ValueError, RecursionError) as err:
        mark = getattr(err, "problem_mark", None)
        raise ScenarioError([Problem(file, mark.line + 1 if mark is not None else None, "",
                                     "the YAML cannot be read, so the form cannot show it",
                                     "fix the problem listed under the editor")]) from None
    if not isinstance(data, dict):
        raise ScenarioError([Problem(file, 1, "", "a scenario file must be a mapping of keys to values")])
    return outline_of(data)


def outline_of(data: dict) -> Outline:
    """The outline of a scenario's plain data (what the loader reads before validating it)."""
    departments = []
    for dept in _items(data.get("departments")):
        tables = {}
        for table in _items(dept.get("tables")):
            tables[_text(table.get("name"))] = [_text(f.get("name")) for f in _items(table.get("fields"))]
        departments.append(DepartmentOutline(_text(dept.get("id")), _text(dept.get("name")), tables))
    agreements = []
    for agreement in _items(data.get("agreements")):
        purposes = agreement.get("purposes")
        parties = agreement.get("parties")
        agreements.append(AgreementOutline(
            _text(agreement.get("id")), _text(agreement.get("title")),
            [_text(p) for p in purposes] if isinstance(purposes, list) else [],
            [_text(p) for p in parties] if isinstance(parties, list) else []))
    return Outline(_text(data.get("name")), departments, agreements, _items(data.get("exercises")))


__all__ = ["AgreementOutline", "DepartmentOutline", "Outline", "outline_of", "read_outline"]
