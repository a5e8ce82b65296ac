"""What changed between two share documents, in words: for the attempt history and the model-answer comparison."""

from __future__ import annotations

from sandbox_app.sharing.document import FieldOp, ShareDocument


def describe_op(op: FieldOp | None) -> str:
    """'generalize to zip3', 'mask (keep last 4)', 'not shared'."""
    if op is None or op.op == "drop":
        return "not shared"
    params = op.params()
    if op.op == "generalize":
        extra = f" (width {params['width']:g})" if "width" in params else \
            f" (size {params['size']:g})" if "size" in params else ""
        return f"generalize to {params.get('to')}{extra}"
    if op.op == "derive":
        return f"derived: {params.get('expr')}"
    rest = ", ".join(f"{k.replace('_', ' ')} {v:g}" if isinstance(v, float) else f"{k.replace('_', ' ')} {v}"
                     for k, v in params.items())
    return op.op.replace("_", " ") + (f" ({rest})" if rest else "")


def field_table(share: ShareDocument) -> dict[tuple[str, str], FieldOp]:
    return {(t.table, name): op for t in share.tables for name, op in t.fields.items()}


def field_by_field(mine: ShareDocument, other: ShareDocument) -> list[tuple[str, str, str, str]]:
    """(table, field, my op, other op) for every field either share mentions, in the order they appear."""
    a, b = field_table(mine), field_table(other)
    keys = list(dict.fromkeys([*a, *b]))
    return [(table, name, describe_op(a.get((table, name))), describe_op(b.get((table, name))))
            for table, name in keys]


def _published(aggregate: dict | None) -> str:
    return "records" if aggregate is None else "counts by " + ", ".join(aggregate["group_by"])


def share_changes(before: ShareDocument, after: ShareDocument) -> list[str]:
    """One line per difference: decision, purpose, tables, filters, fields, aggregate, flags."""
    out: list[str] = []
    decision_a = getattr(before, "decision", "share")
    decision_b = getattr(after, "decision", "share")
    if decision_a != decision_b:
        out.append(f"decision: {decision_a} → {decision_b}")
    for key in ("purpose", "destroy_by", "deidentified", "redisclosure_notice"):
        va, vb = getattr(before, key), getattr(after, key)
        if va != vb:
            out.append(f"{key.replace('_', ' ')}: {va if va not in (None, '') else 'none'} → "
                       f"{vb if vb not in (None, '') else 'none'}")
    tables_a = {t.table: t for t in before.tables}
    tables_b = {t.table: t for t in after.tables}
    for name in tables_b.keys() - tables_a.keys():
        out.append(f"+ table {name}")
    for name in tables_a.keys() - tables_b.keys():
        out.append(f"− table {name}")
    for name in tables_a.keys() & tables_b.keys():
        if (tables_a[name].where or "") != (tables_b[name].where or ""):
            out.append(f"rows of {name}: {tables_a[name].where or 'all'} → {tables_b[name].where or 'all'}")
    for _table, field, was, now in field_by_field(before, after):
        if was != now:
            out.append(f"{field}: {was} → {now}")
    agg_a = before.aggregate.model_dump() if before.aggregate else None
    agg_b = after.aggregate.model_dump() if after.aggregate else None
    if agg_a != agg_b:
        out.append(f"publishes: {_published(agg_a)} → {_published(agg_b)}")
    return out
