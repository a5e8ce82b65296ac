"""The rules of the catalogue, one function each: a ShareContext in, findings out."""

from __future__ import annotations

import datetime as dt

from sandbox_app.privacy.catalogue import Finding, finding
from sandbox_app.privacy.context import ShareContext, identifies, is_sensitive
from sandbox_app.privacy.fixes import remove_field, set_field, set_key
from sandbox_app.privacy.free_text import check_free_text  # noqa: F401  (a rule of this catalogue)
from sandbox_app.privacy.hipaa import check_limited_data_set, check_safe_harbor  # noqa: F401  (rules too)
from sandbox_app.privacy.lineage import rows_filter_for
from synthetic.categories import PHI_CATEGORIES

# Categories whose own law decides (so the generic agreement-scope finding is not repeated for them).
LAW_CATEGORIES = {"substance_use", "immigration_status", "criminal_history", "juvenile_justice",
                  "dv_victim_status", "federal_tax_information", "education_record"}
JUSTICE = {"justice"}


def _fields(pairs) -> list[str]:
    return sorted({col.name for _, col in pairs})


def _rows(pairs) -> int:
    return sum(len(p.frame) for p in {id(p): p for p, _ in pairs}.values())


def _row_level_columns(ctx: ShareContext, categories: set[str]):
    """Row-level disclosures (published columns and row filters) that carry any of `categories`."""
    if not ctx.row_level:
        return []
    return _any_columns(ctx, categories)


def _any_columns(ctx: ShareContext, categories: set[str]):
    return [(p, c) for p, c in ctx.disclosed() if c.has_category(*categories)]


def _removal(pairs) -> list[dict]:
    """Edits that stop disclosing these: leave the field out, or drop the row filter that reads it."""
    out: list[dict] = []
    for p, c in pairs:
        edit = {"edit": "set_where", "table": p.table, "where": None} if c.op == "filter" else \
            remove_field(p.table, c.name)
        if edit not in out:
            out.append(edit)
    return out


def check_purpose(ctx: ShareContext) -> list[Finding]:
    out = []
    purpose = (ctx.share.purpose or "").strip()
    if not purpose:
        return [finding("purpose_specified", "The share does not say what it is for.",
                        hint=f"state the purpose, e.g. '{ctx.exercise.purpose}'",
                        fix=[set_key("purpose", ctx.exercise.purpose)])]
    if purpose not in ctx.agreement.purposes:
        permitted = ", ".join(ctx.agreement.purposes) or "none"
        out.append(finding("use_limitation", f"'{purpose}' is not a purpose the agreement "
                           f"'{ctx.agreement.title}' permits (permitted: {permitted}).",
                           clause=ctx.clause_for("use_limitation", "purpose"),
                           hint="share only for a permitted purpose, or refuse and escalate",
                           fix=[set_key("purpose", ctx.exercise.purpose)]
                           if ctx.exercise.purpose in ctx.agreement.purposes else []))
    return out


def check_agreement_scope(ctx: ShareContext) -> list[Finding]:
    out = []
    prohibited = set(ctx.agreement.prohibited_categories) - LAW_CATEGORIES
    for category in sorted(prohibited):
        pairs = [(p, c) for p, c in _any_columns(ctx, {category})
                 if category != "direct_identifier" or identifies(c)]  # a keyed pseudonym names no one
        if pairs:
            out.append(finding(
                "agreement_scope", f"The agreement excludes {category.replace('_', ' ')} data, but the share "
                f"includes {', '.join(_fields(pairs))}.", fields=_fields(pairs), rows=_rows(pairs),
                clause=ctx.clause_for("agreement_scope", category),
                hint=f"drop {', '.join(_fields(pairs))}", fix=_removal(pairs)))
    return out


def check_minimisation(ctx: ShareContext) -> list[Finding]:
    """Fields the purpose does not need, needed fields shared finer than needed, and rows nobody asked for."""
    from sandbox_app.privacy.usefulness import grain_satisfies

    needs = ctx.exercise.needs
    extra, finer = [], []
    for part, col in ctx.columns():
        needed = [s for s in col.sources if s in needs.fields]
        if col.grain == "pseudonym" and needs.linkable:
            continue
        if not needed:
            extra.append((part, col))
            continue
        need = needs.fields[needed[0]]
        grain = col.grain
        if grain == "exact" and ctx.db.column_info(part.table, needed[0]).get("data_type") == "flag":
            grain = "flag"  # a yes/no column kept as it is is already just a flag
        if grain_satisfies(grain, need) and not grain_satisfies(need, grain):
            finer.append((part, col, need))
    out = []
    sensitive = [(p, c) for p, c in extra if not c.has_category(*PHI_CATEGORIES) and c.categories != ("operational",)]
    harmless = [(p, c) for p, c in extra if c.categories == ("operational",)]
    for pairs, severity in ((sensitive, "major"), (harmless, "minor")):
        if pairs:
            out.append(finding("data_minimisation", f"The purpose does not need {', '.join(_fields(pairs))}.",
                               severity=severity, fields=_fields(pairs), rows=_rows(pairs),
                               clause=ctx.clause_for("data_minimisation"),
                               hint=f"leave out {', '.join(_fields(pairs))}", fix=_removal(pairs)))
    if finer:
        pairs = [(p, c) for p, c, _ in finer]
        severity = "minor" if all(c.categories == ("operational",) for _, c in pairs) else "major"
        out.append(finding("data_minimisation", "Shared more precisely than the purpose needs: " + ", ".join(
            f"{c.name} (needed: {need})" for _, c, need in finer) + ".", severity=severity, fields=_fields(pairs),
            rows=_rows(pairs), clause=ctx.clause_for("data_minimisation"),
            hint="; ".join(_coarsen_hint(c.name, need) for _, c, need in finer),
            fix=[e for p, c, need in finer if (e := _coarsen_edit(p.table, c, need))]))
    u = ctx.usefulness
    if ctx.row_level and u is not None and u.shared_rows and u.needed_rows and u.precision < 0.8:
        severity = "major" if ctx.identified_parts() or any(is_sensitive(c) for _, c in ctx.columns()) else "minor"
        out.append(finding("data_minimisation", f"{u.shared_rows - u.useful_rows:,} of {u.shared_rows:,} shared "
                           "records are about residents the purpose does not need.", severity=severity,
                           rows=u.shared_rows - u.useful_rows, fix=_needed_rows_fix(ctx),
                           hint="add a row filter (where) that keeps only the residents the request is about"))
    return out


def _needed_rows_fix(ctx: ShareContext) -> list[dict]:
    """set_where edits keeping only the residents the purpose needs, where `needs.rows` can be written over
    the table's own columns (each attribute it reads copied in a column of the table)."""
    rows = ctx.exercise.needs.rows
    if not rows:
        return []
    out = []
    for part in ctx.parts:
        where = rows_filter_for(ctx.scenario, ctx.db, part.table, rows)
        if where is None:
            return []
        current = ctx.share.tables[[t.table for t in ctx.share.tables].index(part.table)].where
        out.append({"edit": "set_where", "table": part.table,
                    "where": f"({current}) and ({where})" if current else where})
    return out


def _coarsen_edit(table: str, col, need: str) -> dict | None:
    """The set_field edit that shares `col` at the grain the purpose needs (None: no op gives it)."""
    if col.op == "derive" or not col.sources:
        return None
    if need.startswith("band"):
        return set_field(table, col.name, {"op": "generalize", "to": "band", "width": float(need[4:])})
    if need in ("year", "quarter", "month", "zip3", "neighbourhood"):
        return set_field(table, col.name, {"op": "generalize", "to": need})
    if need == "pseudonym":
        return set_field(table, col.name, {"op": "pseudonym"})
    return None


def _coarsen_hint(name: str, need: str) -> str:
    if need == "flag":
        return f"replace {name} by a derived yes/no flag (derive)"
    if need.startswith("band"):
        return f"generalize {name} to band with width {need[4:]}"
    return f"generalize {name} to {need}"


def check_health(ctx: ShareContext) -> list[Finding]:
    needs = ctx.exercise.needs.fields
    pairs = [(p, c) for p, c in _any_columns(ctx, PHI_CATEGORIES)
             if not any(s in needs for s in c.sources) and not ctx.selection_is_purpose(p, c)]
    if not pairs:
        return []
    return [finding("hipaa_min_necessary", f"Health information the purpose does not need: "
                    f"{', '.join(_fields(pairs))}.", fields=_fields(pairs), rows=_rows(pairs),
                    clause=ctx.clause_for("hipaa_min_necessary", *sorted(PHI_CATEGORIES)),
                    hint="drop it, or share a derived flag (derive) that answers only the question asked",
                    fix=_removal(pairs))]


def check_substance_use(ctx: ShareContext) -> list[Finding]:
    pairs = _row_level_columns(ctx, {"substance_use"})
    if not pairs:
        return []
    out = []
    fields, rows = _fields(pairs), _rows(pairs)
    if ctx.requester and ctx.requester.kind in JUSTICE:
        out.append(finding("part2_no_proceedings", f"Substance-use treatment records ({', '.join(fields)}) "
                           f"would go to {ctx.requester.name}, a justice agency.", fields=fields, rows=rows,
                           hint="never without the patient's consent or a court order under 42 CFR 2.64-2.65",
                           clause=ctx.clause_for("part2_no_proceedings", "substance_use"), fix=_removal(pairs)))
    if "substance_use" not in ctx.agreement.consent:
        out.append(finding("part2_consent", f"No Part 2 consent is on file for {', '.join(fields)}.",
                           fields=fields, rows=rows, hint="share counts (with small-cell suppression) instead",
                           clause=ctx.clause_for("part2_consent", "substance_use"), fix=_removal(pairs)))
    elif not ctx.share.redisclosure_notice:
        out.append(finding("part2_redisclosure_notice", "Consented Part 2 records must carry the 42 CFR 2.32 "
                           "notice.", fields=fields, rows=rows, hint="set redisclosure_notice: true",
                           fix=[set_key("redisclosure_notice", True)]))
    return out


def check_education(ctx: ShareContext) -> list[Finding]:
    pairs = _row_level_columns(ctx, {"education_record"})
    out = []
    if pairs and "education_record" not in ctx.agreement.consent and \
            "education_record" not in ctx.agreement.permitted_categories:
        out.append(finding("ferpa_consent", f"Education records ({', '.join(_fields(pairs))}) without consent "
                           "or a 99.31 exception.", fields=_fields(pairs), rows=_rows(pairs),
                           hint="share directory items only, or counts", fix=_removal(pairs)))
    if ctx.holder and ctx.holder.kind == "education" and ctx.row_level:
        ssn = [(p, c) for p, c in ctx.columns() if c.semantic == "ssn" and identifies(c)]
        if ssn:
            out.append(finding("ferpa_directory", "An SSN is never directory information.", fields=_fields(ssn),
                               rows=_rows(ssn), hint="drop the SSN", fix=_removal(ssn)))
        if pairs and not ctx.share.redisclosure_notice:
            out.append(finding("ferpa_redisclosure", "Education records must go with the re-disclosure notice.",
                               fields=_fields(pairs), rows=_rows(pairs), hint="set redisclosure_notice: true",
                               fix=[set_key("redisclosure_notice", True)]))
    return out


def check_justice(ctx: ShareContext) -> list[Finding]:
    out = []
    recipient_kind = ctx.requester.kind if ctx.requester else "general"
    chri = _row_level_columns(ctx, {"criminal_history"})
    if chri and recipient_kind not in JUSTICE:
        out.append(finding("cjis_chri", f"Criminal history ({', '.join(_fields(chri))}) would go to "
                           f"{ctx.requester.name}, which is not a criminal-justice agency.", fields=_fields(chri),
                           rows=_rows(chri), hint="drop it; share counts if the purpose needs them",
                           clause=ctx.clause_for("cjis_chri", "criminal_history"), fix=_removal(chri)))
    juvenile = _row_level_columns(ctx, {"juvenile_justice"})
    if juvenile and recipient_kind not in JUSTICE | {"health"}:
        out.append(finding("juvenile_records", "Juvenile records at row level.", fields=_fields(juvenile),
                           rows=_rows(juvenile), hint="never share juvenile records at row level",
                           clause=ctx.clause_for("juvenile_records", "juvenile_justice"), fix=_removal(juvenile)))
    return out


def check_benefits_tax(ctx: ShareContext) -> list[Finding]:
    out = []
    fti = _any_columns(ctx, {"federal_tax_information"})
    if fti:
        out.append(finding("fti_6103", f"Federal tax information ({', '.join(_fields(fti))}) — even derived or "
                           "mixed with other data it stays tax data.", fields=_fields(fti), rows=_rows(fti),
                           hint="drop every field that comes from tax returns",
                           clause=ctx.clause_for("fti_6103", "federal_tax_information"), fix=_removal(fti)))
    benefits = _row_level_columns(ctx, {"benefits"})
    if benefits and "benefits" not in ctx.agreement.permitted_categories:
        medicaid = [(p, c) for p, c in benefits if "medicaid" in (c.name + " ".join(c.sources)).lower()]
        snap = [(p, c) for p, c in benefits if (p, c) not in medicaid]
        for rule, pairs, what in (("medicaid_purpose", medicaid, "Medicaid"), ("snap_confidentiality", snap,
                                                                               "Benefits")):
            if pairs:
                out.append(finding(rule, f"{what} data ({', '.join(_fields(pairs))}) outside the purposes its "
                                   "law allows.", fields=_fields(pairs), rows=_rows(pairs),
                                   clause=ctx.clause_for(rule, "benefits"), fix=_removal(pairs),
                                   hint="drop it, or share it only for administering the programme"))
    out += _benefit_recipients_beyond_purpose(ctx)
    return out


def _benefit_recipients_beyond_purpose(ctx: ShareContext) -> list[Finding]:
    """Naming people from a benefits programme's files tells the recipient they are on that programme: naming
    residents the purpose does not cover discloses benefits data outside its lawful purpose."""
    u = ctx.usefulness
    if not (ctx.holder and ctx.holder.kind == "benefits" and ctx.row_level and ctx.identified_parts()
            and u is not None and u.shared_rows):
        return []
    extra = u.shared_rows - u.useful_rows
    if extra <= 0 or extra < 0.02 * u.shared_rows:
        return []
    tables = {p.table for p in ctx.identified_parts()}
    medicaid = any("medicaid" in c.lower() for t in tables for c in ctx.db.columns(t))
    rule = "medicaid_purpose" if medicaid else "snap_confidentiality"
    return [finding(rule, f"{extra:,} named records are about benefit recipients the purpose does not cover: "
                    "being on the list alone tells the recipient they receive benefits.", rows=extra,
                    fields=sorted({c.name for p in ctx.identified_parts() for c in p.columns if identifies(c)}),
                    hint="filter the rows to exactly the programme and residents the purpose covers",
                    fix=_needed_rows_fix(ctx))]


def check_housing_dv(ctx: ShareContext) -> list[Finding]:
    out = []
    victim_tables = {t.name for d in ctx.scenario.departments if d.kind == "victim_services" for t in d.tables}
    dv_parts = [p for p in ctx.parts if p.table in victim_tables and len(p.frame)]
    dv_cols = _any_columns(ctx, {"dv_victim_status"})
    if ctx.row_level and (dv_parts or dv_cols):
        fields = sorted({c.name for p in dv_parts for c in p.columns} | set(_fields(dv_cols)))
        rows = sum(len(p.frame) for p in dv_parts) or _rows(dv_cols)
        out.append(finding("vawa_victim_data", "Records of a victim service provider's clients — hashing or "
                           "pseudonymising does not make them shareable.", fields=fields, rows=rows,
                           hint="report only aggregate counts with small-cell suppression",
                           clause=ctx.clause_for("vawa_victim_data", "dv_victim_status"),
                           fix=[{"edit": "remove_table", "table": p.table} for p in dv_parts] + _removal(
                               [(p, c) for p, c in dv_cols if p not in dv_parts])))
    hmis = _row_level_columns(ctx, {"homelessness"})
    if hmis and "homelessness" not in ctx.agreement.permitted_categories:
        out.append(finding("hmis_privacy_notice", f"HMIS data ({', '.join(_fields(hmis))}) for a use the "
                           "privacy notice does not describe.", fields=_fields(hmis), rows=_rows(hmis),
                           hint="share it only under an agreement that covers HMIS data",
                           clause=ctx.clause_for("hmis_privacy_notice", "homelessness"), fix=_removal(hmis)))
    return out


def check_local_law(ctx: ShareContext) -> list[Finding]:
    out = []
    immigration = _any_columns(ctx, {"immigration_status"})
    federal = ctx.requester is not None and ctx.requester.kind == "federal"
    personal = ctx.row_level and any(identifies(c) or c.has_category("quasi_identifier")
                                     for _, c in ctx.columns()) and any(len(p.frame) for p in ctx.parts)
    if immigration or (federal and personal and ctx.agreement.kind != "court_order"):
        fields = _fields(immigration) or sorted({c.name for _, c in ctx.columns()})
        personal_pairs = [(p, c) for p, c in ctx.columns() if identifies(c) or c.has_category("quasi_identifier")]
        what = "immigration status" if immigration else "non-public personal data to a federal requester"
        out.append(finding("welcoming_city_immigration", f"The share discloses {what}.", fields=fields,
                           rows=_rows(immigration) or sum(len(p.frame) for p in ctx.parts),
                           clause=ctx.clause_for("welcoming_city_immigration", "immigration_status"),
                           hint="share nothing identifying unless a judicial warrant or court order requires it",
                           fix=_removal(immigration or personal_pairs)))
    sensitive = {"immigration_status", "dv_victim_status", "benefits", "federal_tax_information",
                 "criminal_history"}
    if ctx.row_level and not ctx.agreement.privacy_officer_approval and ctx.identified_parts():
        pairs = [(p, c) for p, c in ctx.disclosed() if c.has_category(*sensitive)]
        if pairs:
            what = sorted({k.replace('_', ' ') for _, c in pairs for k in c.categories if k in sensitive})
            ids = [(p, c) for p in ctx.identified_parts() for c in p.columns if identifies(c)]
            out.append(finding("identifying_information_approval", "Identifying information about "
                               f"{', '.join(what)} needs the privacy officer's approval.", fields=_fields(pairs),
                               rows=_rows(pairs), hint="ask the privacy officer, or drop the identifiers",
                               clause=ctx.clause_for("identifying_information_approval", *sensitive),
                               fix=_removal(ids)))
    return out


def check_retention(ctx: ShareContext) -> list[Finding]:
    limit = ctx.reference_date() + dt.timedelta(days=ctx.agreement.retention_days)
    destroy_by = ctx.share.destroy_by
    if destroy_by is None:
        return [finding("retention", "No destroy-by date.", clause=ctx.clause_for("retention"),
                        hint=f"set destroy_by on or before {limit.isoformat()}",
                        fix=[set_key("destroy_by", limit.isoformat())])]
    if destroy_by > limit:
        return [finding("retention", f"Destroy-by {destroy_by.isoformat()} is later than the agreement allows "
                        f"({ctx.agreement.retention_days} days: {limit.isoformat()}).",
                        clause=ctx.clause_for("retention"), hint=f"set destroy_by to {limit.isoformat()}",
                        fix=[set_key("destroy_by", limit.isoformat())])]
    return []


def value_space(values) -> tuple[int, str]:
    """About how many values of this shape exist (what a dictionary attack must hash), and the shape.

    The most common shape of the values (digits as 9, letters as A) is taken; each position that varies
    among the values multiplies the count by 10 (digit) or 26 (letter); fixed prefixes and separators do not.
    """
    texts = [str(v) for v in values if v is not None and str(v) != ""][:5000]
    if not texts:
        return 0, ""
    def shape(t: str) -> str:
        return "".join("9" if ch.isdigit() else "A" if ch.isalpha() else ch for ch in t)
    shapes: dict[str, list[str]] = {}
    for t in texts:
        shapes.setdefault(shape(t), []).append(t)
    common, members = max(shapes.items(), key=lambda kv: len(kv[1]))
    size = 1
    for i, kind in enumerate(common):
        if kind in "9A" and len({m[i] for m in members}) > 1:
            size *= 10 if kind == "9" else 26
    return size, common


def check_hash(ctx: ShareContext) -> list[Finding]:
    pairs = [(p, c) for p, c in ctx.columns() if c.grain == "hash"]
    if not pairs:
        return []
    parts = []
    for p, c in pairs:
        size, shape = value_space(ctx.db.read_table(p.table, c.sources[:1])[c.sources[0]].dropna().unique()) if c.sources \
            else (0, "")
        semantic = (ctx.db.column_info(p.table, c.sources[0]).get("semantic") or c.name) if c.sources else c.name
        what = str(semantic).replace("_", " ")
        parts.append(f"{c.name} ({what} values shaped like {shape}: about {size:,} possible)" if size
                     else c.name)
    return [finding("unkeyed_hash", f"Hashed without a key: {'; '.join(parts)}. Anyone can hash every "
                    "possible value and look the hashes up.", fields=_fields(pairs), rows=_rows(pairs),
                    hint="use the keyed pseudonym op instead",
                    fix=[set_field(p.table, c.name, {"op": "pseudonym"}) for p, c in pairs])]
