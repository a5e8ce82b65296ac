"""Cross-reference checks of agreements and exercises (the city part is checked by ``synthetic.check``)."""

from __future__ import annotations

from sandbox_app.scenario.model import Scenario
from sandbox_app.sharing.grains import NEED_GRAINS
from synthetic.categories import CATEGORIES
from synthetic.check import SpecIssue, check_city, check_expression, did_you_mean, resident_columns


def _ref(value: str, choices, loc: tuple, what: str) -> list[SpecIssue]:
    if value in choices:
        return []
    return [SpecIssue(loc, f"unknown {what} '{value}'", did_you_mean(value, choices))]


def check_scenario(scenario: Scenario) -> list[SpecIssue]:
    """Every semantic problem of a schema-valid scenario, each located by its field path."""
    issues = check_city(scenario)
    for key, items in (("departments", scenario.departments), ("agreements", scenario.agreements),
                       ("exercises", scenario.exercises)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                issues.append(SpecIssue((key, i, "id"), f"{key[:-1]} id '{item.id}' is used twice",
                                        "ids must be unique"))
            seen.add(item.id)
    dept_ids = [d.id for d in scenario.departments]
    agreement_ids = [a.id for a in scenario.agreements]
    for ai, agreement in enumerate(scenario.agreements):
        loc = ("agreements", ai)
        for pi, party in enumerate(agreement.parties):
            issues += _ref(party, dept_ids, (*loc, "parties", pi), "department")
        for key in ("permitted_categories", "prohibited_categories", "consent"):
            for ci, cat in enumerate(getattr(agreement, key)):
                issues += _ref(cat, CATEGORIES, (*loc, key, ci), "category")
        both = set(agreement.permitted_categories) & set(agreement.prohibited_categories)
        if both:
            issues.append(SpecIssue((*loc, "prohibited_categories"),
                                    f"categories both permitted and prohibited: {', '.join(sorted(both))}"))
    columns = resident_columns(scenario)
    for ei, exercise in enumerate(scenario.exercises):
        loc = ("exercises", ei)
        issues += _ref(exercise.requesting_department, dept_ids, (*loc, "requesting_department"), "department")
        issues += _ref(exercise.holding_department, dept_ids, (*loc, "holding_department"), "department")
        issues += _ref(exercise.agreement, agreement_ids, (*loc, "agreement"), "agreement")
        holder = scenario.department(exercise.holding_department)
        tables = {t.name: t for t in holder.tables} if holder else {}
        needs = exercise.needs
        for ti, table in enumerate(needs.tables):
            issues += _ref(table, tables, (*loc, "needs", "tables", ti),
                           f"table of department '{exercise.holding_department}'")
        fields = {f.name for t in needs.tables if t in tables for f in tables[t].fields}
        for field, grain in needs.fields.items():
            issues += _ref(field, fields, (*loc, "needs", "fields", field), "field in the needed tables")
            issues += _ref(grain, NEED_GRAINS, (*loc, "needs", "fields", field), "grain")
        if needs.aggregate:
            for gi, field in enumerate(needs.aggregate.group_by):
                issues += _ref(field, fields, (*loc, "needs", "aggregate", "group_by", gi), "field")
        if needs.rows:
            issues += check_expression(needs.rows, columns, (*loc, "needs", "rows"))
    return issues
