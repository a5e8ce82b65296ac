"""Machine-applicable fixes: each finding's `fix` is a list of share edits (the vocabulary of
sharing/edits.py), and `fix_plan` merges a report's fixes into one ordered plan that never contradicts itself.

Conflicts are settled by what protects more: removing a field beats changing it, a change from a more
severe finding beats one from a milder finding, row filters are combined with `and`.
"""

from __future__ import annotations

from sandbox_app.privacy.catalogue import SEVERITIES


def set_field(table: str, field: str, op: dict) -> dict:
    return {"edit": "set_field", "table": table, "field": field, "op": op}


def remove_field(table: str, field: str) -> dict:
    return {"edit": "remove_field", "table": table, "field": field}


def drop_fields(pairs) -> list[dict]:
    """remove_field edits for (part, column) pairs, one per distinct table and field."""
    seen = dict.fromkeys((p.table, c.name) for p, c in pairs)
    return [remove_field(t, f) for t, f in seen]


def set_key(key: str, value) -> dict:
    return {"edit": "set", "key": key, "value": value}


def _rank(finding) -> int:
    return SEVERITIES.index(finding.severity) if finding.severity in SEVERITIES else len(SEVERITIES)


def fix_plan(findings, share=None) -> list[dict]:
    """One ordered list of edits fixing every finding that has a fix, without contradictions.

    Order: document settings, then table filters, then fields (removals first), then the aggregate.
    For one field, a removal wins; otherwise the most severe finding's change does. Given the `share`, an
    aggregate that groups by or measures a removed field is rewritten without it, so the plan always
    yields a valid document.
    """
    settings: dict[str, dict] = {}
    wheres: dict[str, list[str]] = {}
    fields: dict[tuple[str, str], dict] = {}
    aggregate: dict | None = None
    others: list[dict] = []
    for f in sorted(findings, key=_rank):
        for edit in f.fix or []:
            kind = edit.get("edit")
            if kind == "set":
                settings.setdefault(edit["key"], edit)
            elif kind == "set_where":
                wheres.setdefault(edit["table"], [])
                if edit.get("where") and edit["where"] not in wheres[edit["table"]]:
                    wheres[edit["table"]].append(edit["where"])
            elif kind in ("set_field", "remove_field"):
                key = (edit["table"], edit["field"])
                if key not in fields or (kind == "remove_field" and fields[key]["edit"] != "remove_field"):
                    fields[key] = edit
            elif kind == "set_aggregate":
                aggregate = aggregate or edit
            elif edit not in others:
                others.append(edit)
    gone = {e["table"] for e in others if e.get("edit") == "remove_table"}  # nothing else to fix in them
    wheres = {t: c for t, c in wheres.items() if t not in gone}
    fields = {k: e for k, e in fields.items() if k[0] not in gone}
    plan = list(settings.values()) + others
    for table, conditions in wheres.items():
        text = conditions[0] if len(conditions) == 1 else " and ".join(f"({c})" for c in conditions)
        plan.append({"edit": "set_where", "table": table, "where": text})
    plan += [e for e in fields.values() if e["edit"] == "remove_field"]
    plan += [e for e in fields.values() if e["edit"] == "set_field"]
    removed = {f for (_, f), e in fields.items() if e["edit"] == "remove_field"}
    current = aggregate["aggregate"] if aggregate is not None else (
        share.aggregate.model_dump(mode="json", exclude_none=True) if share is not None and share.aggregate
        else None)
    if current is not None and removed & ({*current.get("group_by", [])} |
                                          {m.get("field") for m in current.get("measures", [])}):
        measures = [m for m in current.get("measures", []) if m.get("field") not in removed] or [{"op": "count"}]
        current = {**current, "group_by": [g for g in current.get("group_by", []) if g not in removed],
                   "measures": measures}
        aggregate = {"edit": "set_aggregate", "aggregate": current}
    if aggregate is not None:
        plan.append(aggregate)
    return plan
