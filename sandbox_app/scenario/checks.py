"""Cross-reference checks of agreements and exercises (the city part is checked by ``synthetic.check``)."""

from __future__ import annotations

import typing
from pathlib import Path

from sandbox_app.scenario.model import Scenario
from sandbox_app.scenario.prior_releases import prior_release_issues
from sandbox_app.sharing.grains import NEED_GRAINS
from synthetic.check import (
    SpecIssue,
    check_city,
    check_expression,
    did_you_mean,
    resident_columns,
    unknown_category,
)
from synthetic.spec import Department

DEPARTMENT_KINDS = typing.get_args(Department.model_fields["kind"].annotation)
AGREEMENT_KINDS = ("mou", "data_use_agreement", "ordinance", "statute", "court_order", "none")


def _ref(value: str, choices, loc: tuple, what: str) -> list[SpecIssue]:
    if value in choices:
        return []
    return [SpecIssue(loc, f"unknown {what} '{value}'", did_you_mean(value, choices))]


def check_scenario(scenario: Scenario, base: Path | None = None) -> list[SpecIssue]:
    """Every semantic problem of a schema-valid scenario, each located by its field path. `base`: the folder
    answer paths are relative to (the scenario file's); without it, answer files are not looked for."""
    issues = check_city(scenario)
    known_categories = list(scenario.category_levels())
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
                issues += unknown_category(cat, known_categories, (*loc, key, ci))
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
        agreement = scenario.agreement(exercise.agreement)
        refused = getattr(exercise, "lawful_answer", "share") != "share"
        if agreement is not None and agreement.purposes and exercise.purpose not in agreement.purposes \
                and not refused:
            issues.append(SpecIssue((*loc, "purpose"), f"purpose '{exercise.purpose}' is not one agreement "
                                    f"'{agreement.id}' permits ({', '.join(agreement.purposes)})",
                                    "add it to the agreement's purposes, or declare lawful_answer: refuse"))
        if base is not None:
            issues += _answer_file_issues(exercise, base, loc)
    issues += _custom_rule_issues(scenario, known_categories)
    issues += prior_release_issues(scenario, base)
    return issues


def _answer_file_issues(exercise, base: Path, loc: tuple) -> list[SpecIssue]:
    refs = [((*loc, "model_answer"), exercise.model_answer)]
    refs += [((*loc, "bad_answers", i, "share"), bad.share) for i, bad in enumerate(exercise.bad_answers)]
    issues = []
    for where, ref in refs:
        if isinstance(ref, str) and not (base / ref).is_file():
            issues.append(SpecIssue(where, f"answer file '{ref[:200]}' does not exist",
                                    f"paths are relative to the scenario's folder ({base})"))
    return issues


def _custom_rule_issues(scenario: Scenario, known_categories: list[str]) -> list[SpecIssue]:
    """Each custom rule gives exactly what its template needs."""
    needs = {"never_to_recipients": ("category", "recipients"), "needs_consent_or_authority": ("category",),
             "no_row_level_under_age": ("age",)}
    issues = []
    seen: set[str] = set()
    for i, rule in enumerate(scenario.custom_rules):
        loc = ("custom_rules", i)
        if rule.id in seen:
            issues.append(SpecIssue((*loc, "id"), f"custom rule id '{rule.id}' is used twice"))
        seen.add(rule.id)
        for key in needs[rule.template]:
            if not getattr(rule, key):
                issues.append(SpecIssue((*loc, key), f"the {rule.template} template needs `{key}`"))
        if rule.category is not None:
            issues += unknown_category(rule.category, known_categories, (*loc, "category"))
        for ri, kind in enumerate(rule.recipients):
            issues += _ref(kind, DEPARTMENT_KINDS, (*loc, "recipients", ri), "department kind")
        for ai, kind in enumerate(rule.authority):
            issues += _ref(kind, AGREEMENT_KINDS, (*loc, "authority", ai), "agreement kind")
    return issues
