"""Checks of a city spec that a schema cannot express: references, expressions, order, impossible coverage."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from synthetic.categories import CATEGORIES
from synthetic.expr import ExpressionError, parse
from synthetic.names import available_origins
from synthetic.spec import BUILTIN_GENERATORS, MAX_TABLES, MAX_TOTAL_FIELDS, CitySpec, Condition, TableField
from synthetic.template import TemplateError, placeholders

# Resident columns every expression may use, before any scenario attribute.
RESIDENT_BUILTINS = ("age", "sex", "neighbourhood", "zip", "household_size", "lat", "lon")
RESERVED_TABLES = {"_ground_truth", "_residents", "_meta", "_data_dictionary"}


@dataclass(frozen=True)
class SpecIssue:
    loc: tuple
    message: str
    hint: str | None = None


def did_you_mean(word: str, choices) -> str | None:
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean '{match[0]}'?" if match else None


def resident_columns(spec: CitySpec) -> list[str]:
    tags = sorted({t for n in spec.city.neighbourhoods for t in n.tags})
    return [*RESIDENT_BUILTINS, *tags, *(a.name for a in spec.population.attributes)]


def check_expression(text: str, columns, loc: tuple, later=()) -> list[SpecIssue]:
    """Problems of one expression: syntax, unknown columns, and columns only defined later (a cycle)."""
    try:
        expression = parse(text)
        too_late = sorted(expression.columns & set(later))
        if too_late:
            return [SpecIssue(loc, f"refers to '{too_late[0]}', which is defined later or is this attribute "
                                   "itself (attributes are drawn in order, so this would be a cycle)",
                              "move the attribute it depends on above it")]
        parse(text, columns)
    except ExpressionError as err:
        return [SpecIssue(loc, f"expression error: {err.message}" + _at(err), err.hint)]
    return []


def _at(err: ExpressionError) -> str:
    return f" at column {err.position + 1}" if err.position is not None else ""


def _check_conditions(conds: list[Condition], columns, loc: tuple, later=()) -> list[SpecIssue]:
    issues = []
    for i, cond in enumerate(conds):
        issues += check_expression(cond.if_, columns, (*loc, "when", i, "if"), later)
    return issues


def check_city(spec: CitySpec) -> list[SpecIssue]:
    """Every semantic problem of a (schema-valid) city spec, each with its location in the file."""
    issues: list[SpecIssue] = size_issues(spec)
    origins = available_origins()
    for name in spec.city.name_origins:
        if name not in origins:
            issues.append(SpecIssue(("city", "name_origins", name), f"no name list for locale '{name}'",
                                    did_you_mean(name, origins) or f"choose from {', '.join(origins)}"))
    issues += category_issues(spec)
    tags = {t for n in spec.city.neighbourhoods for t in n.tags}
    builtin_and_tags = [*RESIDENT_BUILTINS, *sorted(tags)]
    attrs = spec.population.attributes
    for i, attr in enumerate(attrs):
        loc = ("population", "attributes", i)
        if attr.name in builtin_and_tags:
            issues.append(SpecIssue((*loc, "name"), f"'{attr.name}' is a built-in resident column",
                                    "choose another name"))
        known = [*builtin_and_tags, *(a.name for a in attrs[:i])]
        later = [a.name for a in attrs[i:]]
        issues += _check_conditions(attr.when, known, loc, later)
    columns = resident_columns(spec)
    attr_names = {a.name for a in attrs}
    seen_tables: dict[str, tuple] = {}
    for di, dept in enumerate(spec.departments):
        for ti, table in enumerate(dept.tables):
            loc = ("departments", di, "tables", ti)
            if table.name in RESERVED_TABLES or table.name.startswith("_"):
                issues.append(SpecIssue((*loc, "name"), f"'{table.name}' is reserved", "choose another name"))
            elif table.name in seen_tables:
                issues.append(SpecIssue((*loc, "name"), f"table '{table.name}' is defined twice",
                                        "table names must be unique across departments"))
            seen_tables[table.name] = loc
            issues += _check_conditions(table.coverage.when, columns, (*loc, "coverage"))
            if table.coverage.rate == 0 and all(c.rate == 0 for c in table.coverage.when):
                issues.append(SpecIssue((*loc, "coverage"), "this table can never hold a record "
                                        "(every coverage rate is 0)", "give `rate` or a `when` branch a rate above 0"))
            for fi, field in enumerate(table.fields):
                floc = (*loc, "fields", fi)
                if field.attribute is not None and field.attribute not in attr_names:
                    issues.append(SpecIssue((*floc, "attribute"), f"unknown attribute '{field.attribute}'",
                                            did_you_mean(field.attribute, attr_names)))
                if field.expr is not None:
                    issues += check_expression(field.expr, columns, (*floc, "expr"))
                issues += _check_conditions(field.when, columns, floc)
                if field.text is not None:
                    earlier = [f.name for f in table.fields[:fi]]
                    issues += check_templates(field, [*earlier, *TEMPLATE_GENERATORS, *attr_names], floc)
    if spec.public_reference is not None:
        ref = spec.public_reference
        if ref.table in seen_tables or ref.table in RESERVED_TABLES:
            issues.append(SpecIssue(("public_reference", "table"), f"table name '{ref.table}' is already used",
                                    "choose another name"))
        issues += _check_conditions(ref.coverage.when, columns, ("public_reference", "coverage"))
    return issues


MAX_VALUES = 500_000_000  # estimated values a generation may write (a few minutes on a laptop)


def estimated_values(spec: CitySpec, residents: int | None = None) -> int:
    """An upper estimate of the values a generation writes: per table, residents x its highest coverage rate x
    records per resident x (fields + 1), plus the residents' own columns and attributes."""
    n = residents or spec.city.residents
    total = n * (12 + len(spec.population.attributes))
    for _, table in spec.tables():
        rate = max([table.coverage.rate, *(c.rate or 0 for c in table.coverage.when)])
        per = min(table.records_per_resident.mean, table.records_per_resident.max)
        total += int(n * rate * per * (len(table.fields) + 1))
    return total


def size_issues(spec: CitySpec, residents: int | None = None) -> list[SpecIssue]:
    """Scenarios too big to generate in bounded time and memory, refused before any work (limits named)."""
    issues = []
    tables = spec.tables()
    if len(tables) > MAX_TABLES:
        issues.append(SpecIssue(("departments",), f"the scenario has {len(tables):,} tables; at most "
                                f"{MAX_TABLES:,} are allowed"))
    fields = sum(len(t.fields) for _, t in tables)
    if fields > MAX_TOTAL_FIELDS:
        issues.append(SpecIssue(("departments",), f"the tables have {fields:,} fields in all; at most "
                                f"{MAX_TOTAL_FIELDS:,} are allowed"))
    values = estimated_values(spec, residents)
    if not issues and values > MAX_VALUES:
        issues.append(SpecIssue(("city", "residents"), f"generating this city would write about {values:,} "
                                f"values; the limit is {MAX_VALUES:,}",
                                "use fewer residents, lower coverage rates or fewer records per resident"))
    return issues


def unknown_category(value: str, known, loc: tuple) -> list[SpecIssue]:
    """An issue if `value` is not a category of this scenario; the hint lists the valid ones."""
    if value in known:
        return []
    guess = did_you_mean(value, known)
    listed = f"valid categories: {', '.join(known)}"
    return [SpecIssue(loc, f"unknown category '{str(value)[:60]}'", f"{guess} {listed}" if guess else listed)]


def category_issues(spec: CitySpec) -> list[SpecIssue]:
    """Custom categories that clash with built-in ones, and unknown categories on attributes and fields."""
    issues = []
    for i, custom in enumerate(spec.custom_categories):
        if custom.name in CATEGORIES:
            issues.append(SpecIssue(("custom_categories", i, "name"), f"'{custom.name}' is a built-in category",
                                    "use it without declaring it, or choose another name"))
    known = list(spec.category_levels())
    for i, attr in enumerate(spec.population.attributes):
        issues += unknown_category(attr.category, known, ("population", "attributes", i, "category"))
    for di, dept in enumerate(spec.departments):
        for ti, table in enumerate(dept.tables):
            for fi, field in enumerate(table.fields):
                if field.category is not None:
                    issues += unknown_category(field.category, known,
                                               ("departments", di, "tables", ti, "fields", fi, "category"))
    return issues


TEMPLATE_GENERATORS = tuple(g for g in BUILTIN_GENERATORS if g != "record_id")


def check_templates(field: TableField, known, loc: tuple) -> list[SpecIssue]:
    """Malformed templates and placeholders that name nothing a template can fill in."""
    issues = []
    for ti, template in enumerate(field.text):
        try:
            names = placeholders(template)
        except TemplateError as err:
            issues.append(SpecIssue((*loc, "text", ti), f"template {err}", "placeholders are names in braces, "
                                    "e.g. {first_name}; write {{ and }} for literal braces"))
            continue
        for name in dict.fromkeys(names):
            if name not in known:
                issues.append(SpecIssue((*loc, "text", ti), f"template placeholder '{{{name}}}' names no field "
                                        "above it, builtin generator or resident attribute",
                                        did_you_mean(name, known)))
    return issues


SAMPLE_RESIDENTS = 50_000


def check_coverage(spec: CitySpec) -> list[SpecIssue]:
    """Tables that no resident of this city can appear in: every `when` branch with a rate above 0 matches
    nobody (e.g. `age > 120`). Draws the population (at most SAMPLE_RESIDENTS of it) once, so it is a separate,
    slower check than `check_city` (about 0.1 s for 20,000 residents)."""
    from synthetic.population import (
        apply_conditions,
        build_population,
        condition_columns,
        coverage_rates,
        rng_for,
    )

    pop = build_population(spec, min(spec.city.residents, SAMPLE_RESIDENTS))
    issues = []
    targets = [(("departments", di, "tables", ti, "coverage"), t.coverage, f"table '{t.name}'")
               for di, d in enumerate(spec.departments) for ti, t in enumerate(d.tables)]
    if spec.public_reference is not None:
        targets.append((("public_reference", "coverage"), spec.public_reference.coverage, "the public reference"))
    for loc, coverage, what in targets:
        frame = pop.frame(None, condition_columns(coverage.when))
        rates = apply_conditions(rng_for(spec.seed, "check"), frame, coverage.when, "rate", coverage.rate, coverage_rates)
        if len(rates) and not (rates > 0).any():
            issues.append(SpecIssue(loc, f"no resident of this city can appear in {what}: every branch with a "
                                         "rate above 0 matches nobody", "check the `if` conditions against the "
                                         "population's attributes and age bands"))
    return issues
