"""The rules of the catalogue, one function each: a ShareContext in, findings out."""

from __future__ import annotations

import datetime as dt
import re

from sandbox_app.privacy.catalogue import Finding, catalogue, finding, rows_where
from sandbox_app.privacy.context import ShareContext, identifies, is_sensitive
from synthetic.categories import HEALTH_CATEGORIES, PHI_CATEGORIES

CATEGORY_WORDS = {
    "mental_health": ("mental",), "substance_use": ("substance",), "financial": ("financial", "income"),
    "benefits": ("benefit", "snap", "medicaid"), "immigration_status": ("immigration", "citizenship"),
    "criminal_history": ("criminal", "arrest"), "free_text": ("free-text", "free text", "notes"),
    "health": ("health", "diagnos"), "hiv_status": ("hiv",), "dv_victim_status": ("domestic", "victim"),
    "federal_tax_information": ("tax",), "education_record": ("education", "student"),
    "homelessness": ("hmis", "homeless"), "precise_location": ("location", "coordinates"),
    "direct_identifier": ("identifier", "name"), "juvenile_justice": ("juvenile",),
    "child_welfare": ("child",),
}
# Categories whose own law decides (so the generic agreement-scope finding is not repeated for them).
LAW_CATEGORIES = {"substance_use", "immigration_status", "criminal_history", "juvenile_justice",
                  "dv_victim_status", "federal_tax_information", "education_record"}
JUSTICE = {"justice"}


def _fields(pairs) -> list[str]:
    return sorted({col.name for _, col in pairs})


def _rows(pairs) -> int:
    return sum(len(p.frame) for p in {id(p): p for p, _ in pairs}.values())


def _row_level_columns(ctx: ShareContext, categories: set[str]):
    if not ctx.row_level:
        return []
    return [(p, c) for p, c in ctx.columns() if c.category in categories]


def _any_columns(ctx: ShareContext, categories: set[str]):
    return [(p, c) for p, c in ctx.columns() if c.category in categories]


def check_purpose(ctx: ShareContext) -> list[Finding]:
    out = []
    purpose = (ctx.share.purpose or "").strip()
    if not purpose:
        return [finding("purpose_specified", "The share does not say what it is for.",
                        hint=f"state the purpose, e.g. '{ctx.exercise.purpose}'")]
    if purpose not in ctx.agreement.purposes:
        permitted = ", ".join(ctx.agreement.purposes) or "none"
        out.append(finding("use_limitation", f"'{purpose}' is not a purpose the agreement "
                           f"'{ctx.agreement.title}' permits (permitted: {permitted}).",
                           clause=ctx.clause_about("purpose"),
                           hint="share only for a permitted purpose, or refuse and escalate"))
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
                clause=ctx.clause_about(*CATEGORY_WORDS.get(category, (category,))),
                hint=f"drop {', '.join(_fields(pairs))}"))
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
    sensitive = [(p, c) for p, c in extra if c.category not in PHI_CATEGORIES and c.category != "operational"]
    harmless = [(p, c) for p, c in extra if c.category == "operational"]
    for pairs, severity in ((sensitive, "major"), (harmless, "minor")):
        if pairs:
            out.append(finding("data_minimisation", f"The purpose does not need {', '.join(_fields(pairs))}.",
                               severity=severity, fields=_fields(pairs), rows=_rows(pairs),
                               clause=ctx.clause_about("minimum necessary", "only the fields"),
                               hint=f"leave out {', '.join(_fields(pairs))}"))
    if finer:
        pairs = [(p, c) for p, c, _ in finer]
        severity = "minor" if all(c.category == "operational" for _, c in pairs) else "major"
        out.append(finding("data_minimisation", "Shared more precisely than the purpose needs: " + ", ".join(
            f"{c.name} (needed: {need})" for _, c, need in finer) + ".", severity=severity, fields=_fields(pairs),
            rows=_rows(pairs), clause=ctx.clause_about("minimum necessary"),
            hint="; ".join(_coarsen_hint(c.name, need) for _, c, need in finer)))
    u = ctx.usefulness
    if ctx.row_level and u is not None and u.shared_rows and u.needed_rows and u.precision < 0.8:
        severity = "major" if ctx.identified_parts() or any(is_sensitive(c) for _, c in ctx.columns()) else "minor"
        out.append(finding("data_minimisation", f"{u.shared_rows - u.useful_rows:,} of {u.shared_rows:,} shared "
                           "records are about residents the purpose does not need.", severity=severity,
                           rows=u.shared_rows - u.useful_rows,
                           hint="add a row filter (where) that keeps only the residents the request is about"))
    return out


def _coarsen_hint(name: str, need: str) -> str:
    if need == "flag":
        return f"replace {name} by a derived yes/no flag (derive)"
    if need.startswith("band"):
        return f"generalize {name} to band with width {need[4:]}"
    return f"generalize {name} to {need}"


def check_health(ctx: ShareContext) -> list[Finding]:
    needs = ctx.exercise.needs.fields
    pairs = [(p, c) for p, c in _any_columns(ctx, PHI_CATEGORIES)
             if not any(s in needs for s in c.sources)]
    if not pairs:
        return []
    return [finding("hipaa_min_necessary", f"Health information the purpose does not need: "
                    f"{', '.join(_fields(pairs))}.", fields=_fields(pairs), rows=_rows(pairs),
                    clause=ctx.clause_about("minimum necessary", "diagnos"),
                    hint="drop it, or share a derived flag (derive) that answers only the question asked")]


def check_safe_harbor(ctx: ShareContext) -> list[Finding]:
    if not ctx.deidentified() or not ctx.row_level:
        return []
    out = []
    ids = [(p, c) for p, c in ctx.columns() if identifies(c)]
    if ids:
        out.append(finding("hipaa_safe_harbor", f"Called de-identified but carries identifiers: "
                           f"{', '.join(_fields(ids))}.", fields=_fields(ids), rows=_rows(ids),
                           hint="drop them, or use a keyed pseudonym for record ids"))
    dates = [(p, c) for p, c in ctx.columns() if c.grain in ("exact", "month", "quarter")
             and ctx.db.column_info(p.table, c.sources[0]).get("data_type") == "date" if c.sources]
    if dates:
        out.append(finding("hipaa_dates_year", f"Dates finer than the year: {', '.join(_fields(dates))}.",
                           fields=_fields(dates), rows=_rows(dates), hint="generalize the dates to year"))
    zips = [(p, c) for p, c in ctx.columns() if c.semantic == "zip" and c.grain in ("exact", "zip3")]
    if zips:
        small = _small_zip3_areas(ctx)
        exact = [(p, c) for p, c in zips if c.grain == "exact"]
        if exact or small:
            what = "five-digit ZIP codes" if exact else f"ZIP3 areas of 20,000 people or fewer ({', '.join(small)})"
            out.append(finding("hipaa_zip3", f"The share keeps {what}.", fields=_fields(zips), rows=_rows(zips),
                               hint="generalize ZIP to zip3 only where the area has over 20,000 people; "
                                    "otherwise drop it or use neighbourhood counts"))
    ages = [(p, c) for p, c in ctx.columns() if c.semantic == "age" and c.grain == "exact"]
    old = sum(int((part.frame[c.name].astype(float) > 89).sum()) for part, c in ages
              if part.frame[c.name].dtype.kind in "iuf")
    if old:
        out.append(finding("hipaa_age_90", f"{old} records show an age over 89.", fields=_fields(ages), rows=old,
                           hint="top_code age with max 89 (ages become 90+)"))
    return out


def check_limited_data_set(ctx: ShareContext) -> list[Finding]:
    """Health records without names but with full dates or five-digit ZIPs are a HIPAA limited data set:
    allowed only under a data use agreement (45 CFR 164.514(e))."""
    if not (ctx.row_level and ctx.holder and ctx.holder.kind == "health" and not ctx.deidentified()):
        return []
    if ctx.agreement.data_use_agreement or ctx.identified_parts():
        return []
    pairs = list(ctx.columns())
    if not any(c.category in HEALTH_CATEGORIES for _, c in pairs):
        return []
    dated = [(p, c) for p, c in pairs if c.sources and c.grain in ("exact", "month", "quarter")
             and ctx.db.column_info(p.table, c.sources[0]).get("data_type") == "date"]
    zips = [(p, c) for p, c in pairs if c.semantic == "zip" and c.grain == "exact"]
    if not (dated or zips):
        return []
    return [finding("hipaa_limited_data_set", "Health records with " + " and ".join(
        what for what, present in (("dates", dated), ("five-digit ZIP codes", zips)) if present)
        + " form a limited data set, which needs a data use agreement; this agreement is not one.",
        fields=_fields(dated + zips), rows=_rows(dated + zips),
        hint="generalize dates to year and ZIP to zip3 (then it is no longer a limited data set), "
             "or share under a data use agreement")]


def _small_zip3_areas(ctx: ShareContext) -> list[str]:
    limit = catalogue()["hipaa_zip3"].settings["zip3_min_population"]  # the catalogue's setting, not a copy
    residents = ctx.db.residents(["zip"])
    counts = residents["zip"].astype(str).str[:3].value_counts()
    return sorted(z for z, n in counts.items() if n <= limit)


def check_substance_use(ctx: ShareContext) -> list[Finding]:
    pairs = _row_level_columns(ctx, {"substance_use"})
    if not pairs:
        return []
    out = []
    fields, rows = _fields(pairs), _rows(pairs)
    if ctx.requester and ctx.requester.kind in JUSTICE:
        out.append(finding("part2_no_proceedings", f"Substance-use treatment records ({', '.join(fields)}) "
                           f"would go to {ctx.requester.name}, a justice agency.", fields=fields, rows=rows,
                           hint="never without the patient's consent or a court order under 42 CFR 2.64-2.65"))
    if "substance_use" not in ctx.agreement.consent:
        out.append(finding("part2_consent", f"No Part 2 consent is on file for {', '.join(fields)}.",
                           fields=fields, rows=rows, hint="share counts (with small-cell suppression) instead"))
    elif not ctx.share.redisclosure_notice:
        out.append(finding("part2_redisclosure_notice", "Consented Part 2 records must carry the 42 CFR 2.32 "
                           "notice.", fields=fields, rows=rows, hint="set redisclosure_notice: true"))
    return out


def check_education(ctx: ShareContext) -> list[Finding]:
    pairs = _row_level_columns(ctx, {"education_record"})
    out = []
    if pairs and "education_record" not in ctx.agreement.consent and \
            "education_record" not in ctx.agreement.permitted_categories:
        out.append(finding("ferpa_consent", f"Education records ({', '.join(_fields(pairs))}) without consent "
                           "or a 99.31 exception.", fields=_fields(pairs), rows=_rows(pairs),
                           hint="share directory items only, or counts"))
    if ctx.holder and ctx.holder.kind == "education" and ctx.row_level:
        ssn = [(p, c) for p, c in ctx.columns() if c.semantic == "ssn" and identifies(c)]
        if ssn:
            out.append(finding("ferpa_directory", "An SSN is never directory information.", fields=_fields(ssn),
                               rows=_rows(ssn), hint="drop the SSN"))
        if pairs and not ctx.share.redisclosure_notice:
            out.append(finding("ferpa_redisclosure", "Education records must go with the re-disclosure notice.",
                               fields=_fields(pairs), rows=_rows(pairs), hint="set redisclosure_notice: true"))
    return out


def check_justice(ctx: ShareContext) -> list[Finding]:
    out = []
    recipient_kind = ctx.requester.kind if ctx.requester else "general"
    chri = _row_level_columns(ctx, {"criminal_history"})
    if chri and recipient_kind not in JUSTICE:
        out.append(finding("cjis_chri", f"Criminal history ({', '.join(_fields(chri))}) would go to "
                           f"{ctx.requester.name}, which is not a criminal-justice agency.", fields=_fields(chri),
                           rows=_rows(chri), hint="drop it; share counts if the purpose needs them"))
    juvenile = _row_level_columns(ctx, {"juvenile_justice"})
    if juvenile and recipient_kind not in JUSTICE | {"health"}:
        out.append(finding("juvenile_records", "Juvenile records at row level.", fields=_fields(juvenile),
                           rows=_rows(juvenile), hint="never share juvenile records at row level"))
    return out


def check_benefits_tax(ctx: ShareContext) -> list[Finding]:
    out = []
    fti = _any_columns(ctx, {"federal_tax_information"})
    if fti:
        out.append(finding("fti_6103", f"Federal tax information ({', '.join(_fields(fti))}) — even derived or "
                           "mixed with other data it stays tax data.", fields=_fields(fti), rows=_rows(fti),
                           hint="drop every field that comes from tax returns"))
    benefits = _row_level_columns(ctx, {"benefits"})
    if benefits and "benefits" not in ctx.agreement.permitted_categories:
        medicaid = [(p, c) for p, c in benefits if "medicaid" in (c.name + " ".join(c.sources)).lower()]
        snap = [(p, c) for p, c in benefits if (p, c) not in medicaid]
        for rule, pairs, what in (("medicaid_purpose", medicaid, "Medicaid"), ("snap_confidentiality", snap,
                                                                               "Benefits")):
            if pairs:
                out.append(finding(rule, f"{what} data ({', '.join(_fields(pairs))}) outside the purposes its "
                                   "law allows.", fields=_fields(pairs), rows=_rows(pairs),
                                   clause=ctx.clause_about("benefit", "medicaid", "snap"),
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
                    hint="filter the rows to exactly the programme and residents the purpose covers")]


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
                           hint="report only aggregate counts with small-cell suppression"))
    hmis = _row_level_columns(ctx, {"homelessness"})
    if hmis and "homelessness" not in ctx.agreement.permitted_categories:
        out.append(finding("hmis_privacy_notice", f"HMIS data ({', '.join(_fields(hmis))}) for a use the "
                           "privacy notice does not describe.", fields=_fields(hmis), rows=_rows(hmis),
                           hint="share it only under an agreement that covers HMIS data"))
    return out


def check_local_law(ctx: ShareContext) -> list[Finding]:
    out = []
    immigration = _any_columns(ctx, {"immigration_status"})
    federal = ctx.requester is not None and ctx.requester.kind == "federal"
    personal = ctx.row_level and any(identifies(c) or c.category == "quasi_identifier" for _, c in ctx.columns()) \
        and any(len(p.frame) for p in ctx.parts)
    if immigration or (federal and personal and ctx.agreement.kind != "court_order"):
        fields = _fields(immigration) or sorted({c.name for _, c in ctx.columns()})
        what = "immigration status" if immigration else "non-public personal data to a federal requester"
        out.append(finding("welcoming_city_immigration", f"The share discloses {what}.", fields=fields,
                           rows=_rows(immigration) or sum(len(p.frame) for p in ctx.parts),
                           clause=ctx.clause_about("immigration", "federal", "citizenship"),
                           hint="share nothing identifying unless a judicial warrant or court order requires it"))
    sensitive = {"immigration_status", "dv_victim_status", "benefits", "federal_tax_information",
                 "criminal_history"}
    if ctx.row_level and not ctx.agreement.privacy_officer_approval and ctx.identified_parts():
        pairs = [(p, c) for p, c in ctx.columns() if c.category in sensitive]
        if pairs:
            out.append(finding("identifying_information_approval", "Identifying information about "
                               f"{', '.join(sorted({c.category.replace('_', ' ') for _, c in pairs}))} needs the "
                               "privacy officer's approval.", fields=_fields(pairs), rows=_rows(pairs),
                               hint="ask the privacy officer, or drop the identifiers"))
    return out


def check_retention(ctx: ShareContext) -> list[Finding]:
    limit = ctx.reference_date() + dt.timedelta(days=ctx.agreement.retention_days)
    destroy_by = ctx.share.destroy_by
    if destroy_by is None:
        return [finding("retention", "No destroy-by date.", clause=ctx.clause_about("retention", "destroy"),
                        hint=f"set destroy_by on or before {limit.isoformat()}")]
    if destroy_by > limit:
        return [finding("retention", f"Destroy-by {destroy_by.isoformat()} is later than the agreement allows "
                        f"({ctx.agreement.retention_days} days: {limit.isoformat()}).",
                        clause=ctx.clause_about("retention", "destroy"), hint=f"set destroy_by to {limit.isoformat()}")]
    return []


def check_hash(ctx: ShareContext) -> list[Finding]:
    pairs = [(p, c) for p, c in ctx.columns() if c.grain == "hash"]
    if not pairs:
        return []
    return [finding("unkeyed_hash", f"{', '.join(_fields(pairs))} hashed without a key: anyone can hash every "
                    "possible value (there are only about 99 million 9xx SSNs) and reverse it.",
                    fields=_fields(pairs), rows=_rows(pairs), hint="use the keyed pseudonym op instead")]


PHONE = re.compile(r"\(?\b\d{3}\)?[-. ]?555[-. ]?01\d\d\b")
STREET = re.compile(r"\b\d{1,5} [A-Z][a-z]+ (?:Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Lane|Ln|Court|Ct|Place|Pl|"
                    r"Boulevard|Blvd|Way|Terrace|Ter|Parkway|Pkwy|Circle|Cir)\b", re.IGNORECASE)


def check_free_text(ctx: ShareContext) -> list[Finding]:
    out = []
    for part, col in ctx.columns():
        if col.category != "free_text" or col.grain not in ("exact", "derived"):
            continue
        text = part.frame[col.name].dropna().astype(str)
        leaks = text[text.str.contains(PHONE) | text.str.contains(STREET)]
        if len(leaks):
            out.append(finding("free_text_identifiers", f"{len(leaks):,} {col.name} entries contain phone numbers "
                               "or street addresses.", fields=[col.name], rows=len(leaks),
                               examples=[s[:80] for s in leaks.head(3)], hint=f"drop {col.name}",
                               row_positions=rows_where(part.table, part.frame.index.isin(leaks.index))))
    return out
