"""docs/scenario-format.md, generated from the JSON Schema so the format is never described twice.

Regenerate with ``python -m sandbox_app.scenario.reference > docs/scenario-format.md`` (a test checks it is current).
"""

from __future__ import annotations

from sandbox_app.scenario.schema import scenario_json_schema


def _type(prop: dict | bool) -> str:
    if not isinstance(prop, dict):
        return "any"
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"] if p.get("type") != "null")
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object" and "additionalProperties" in prop:
        return f"map to {_type(prop['additionalProperties'])}"
    return str(kind)


def _limits(prop: dict) -> str:
    parts = []
    for key, label in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if key in prop:
            parts.append(f"{label} {prop[key]}")
    if "pattern" in prop:
        parts.append(f"pattern `{prop['pattern']}`")
    for sub in prop.get("anyOf", []):
        extra = _limits(sub)
        if extra:
            parts.append(extra)
    return ", ".join(parts)


def _section(name: str, schema: dict) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    lines += ["| key | type | required | default | notes |", "|---|---|---|---|---|"]
    required = set(schema.get("required", []))
    for key, prop in schema.get("properties", {}).items():
        default = prop.get("default", "")
        default = f"`{default}`" if default not in ("", None, [], {}) else ""
        notes = " ".join(filter(None, [prop.get("description", ""), _limits(prop)]))
        lines.append(f"| `{key}` | {_type(prop)} | {'yes' if key in required else ''} | {default} | {notes} |")
    return [*lines, ""]


def _limits_section() -> list[str]:
    from synthetic import check, spec

    rows = [("neighbourhoods", spec.MAX_NEIGHBOURHOODS), ("resident attributes", spec.MAX_ATTRIBUTES),
            ("departments", spec.MAX_DEPARTMENTS), ("tables, across all departments", spec.MAX_TABLES),
            ("fields per table", spec.MAX_FIELDS), ("fields, across all tables", spec.MAX_TOTAL_FIELDS),
            ("values of one choice or weight list", spec.MAX_CHOICES), ("`when` branches", spec.MAX_BRANCHES),
            ("templates of one text field", spec.MAX_TEMPLATES),
            ("number parameters (absolute value)", f"{spec.MAX_MAGNITUDE:.0e}"),
            ("relative dates (days either side of the reference date)", spec.MAX_DAYS),
            ("values one generation writes (estimated: residents x coverage x records x fields)",
             check.MAX_VALUES)]
    lines = ["## Limits", "", "`validate` refuses a scenario beyond these, naming the limit, before any work "
             "(together they bound the time and memory of one generation). Reference dates "
             f"run from {spec.EARLIEST_REFERENCE} to {spec.LATEST_REFERENCE}; a Poisson mean from 0 to "
             "1,000,000; a lognormal sigma up to 5; a rounding step from 0.000001.", "",
             "| what | at most |", "|---|---|"]
    return lines + [f"| {what} | {limit if isinstance(limit, str) else f'{limit:,}'} |" for what, limit in rows]


def scenario_format_markdown() -> str:
    schema = scenario_json_schema()
    out = ["# Scenario file format (`city-sandbox/scenario@1`)", "",
           "Generated from the JSON Schema (`city-sandbox schema`); do not edit by hand. "
           "`scenarios/winter-storm.yaml` is a complete example. Expressions (`if`, `expr`, `rows`) use the "
           "safe expression language described in [share-format.md](share-format.md#expressions); they may "
           "use the resident columns `age, sex, neighbourhood, zip, household_size, lat, lon`, every "
           "neighbourhood tag, and every attribute defined *above* them.", "",
           "Free-text templates (`text`) take placeholders that are names in braces only — `{first_name}`, "
           "`{age}`, a field above the text field, a builtin generator or a resident attribute — and `{{` / `}}` "
           "for literal braces; `validate` reports any other brace, and any name nothing fills, with its line. "
           "Weights (`choice`, `sex`, `household_sizes`, `name_origins`, age `bands`) are relative: they are "
           "normalised to add up to 1. Neighbourhood `share`s must add up to 1. ZIP codes are text: quote them.",
           "", *_limits_section(), ""]
    out += _section("Scenario", schema)
    for name, sub in sorted(schema.get("$defs", {}).items()):
        out += _section(name, sub)
    return "\n".join(out)


if __name__ == "__main__":
    print(scenario_format_markdown())
