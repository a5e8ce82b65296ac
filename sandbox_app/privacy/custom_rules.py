"""A scenario's own rules (`custom_rules`), each from one of a few templates, evaluated like catalogued rules.

Templates (parameters in the scenario file, see docs/privacy-reference.md):
- never_to_recipients: fields of `category` never go to a department whose kind is in `recipients`;
- needs_consent_or_authority: fields of `category` only where the agreement lists it under `consent` or is of
  an `authority` kind (statute, court_order …);
- no_row_level_under_age: a row-level share holds no record of a resident younger than `age` (aggregates may).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sandbox_app.privacy.catalogue import Finding, rows_where
from sandbox_app.privacy.context import ShareContext
from sandbox_app.scenario.model import CustomRule


@dataclass(frozen=True)
class Template:
    name: str
    parameters: str
    description: str


TEMPLATES = {t.name: t for t in [
    Template("never_to_recipients", "`category`, `recipients` (department kinds)",
             "a shared field of the category goes to a department of one of those kinds"),
    Template("needs_consent_or_authority", "`category`, optional `authority` (agreement kinds)",
             "a field of the category is shared under an agreement that neither lists it under `consent` nor "
             "is of an authority kind"),
    Template("no_row_level_under_age", "`age`",
             "a row-level share holds a record of a resident younger than `age`"),
]}


@dataclass
class CustomFinding(Finding):
    """A finding of a scenario's own rule: its title and citation come from the scenario, not rules.yaml."""

    rule_title: str = ""
    rule_citation: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def citation(self) -> str:
        return self.rule_citation

    @property
    def title(self) -> str:
        return self.rule_title


def _finding(rule: CustomRule, message: str, **kw) -> CustomFinding:
    return CustomFinding(rule.id, rule.severity, message, rule_title=rule.title, rule_citation=rule.citation, **kw)


def check_custom_rules(ctx: ShareContext) -> list[Finding]:
    """Findings of every custom rule the scenario declares (none for the built-in scenarios)."""
    findings: list[Finding] = []
    for rule in getattr(ctx.scenario, "custom_rules", []):
        if rule.template == "no_row_level_under_age":
            findings += _under_age(ctx, rule)
            continue
        fields = sorted({col.name for _, col in ctx.columns() if col.category == rule.category})
        if not fields:
            continue
        if rule.template == "never_to_recipients" and ctx.requester.kind in rule.recipients:
            findings.append(_finding(rule, f"{', '.join(fields)} ({rule.category}) must never go to a "
                                     f"{ctx.requester.kind} department such as {ctx.requester.name}",
                                     fields=fields, hint=f"drop {', '.join(fields)}"))
        elif rule.template == "needs_consent_or_authority" and rule.category not in ctx.agreement.consent \
                and ctx.agreement.kind not in rule.authority:
            findings.append(_finding(rule, f"{', '.join(fields)} ({rule.category}) is shared without consent "
                                     f"on file or an authority ({', '.join(rule.authority) or 'none named'}) "
                                     f"under '{ctx.agreement.id}'", fields=fields,
                                     hint=f"drop {', '.join(fields)}, or share under an agreement that allows it"))
    return findings


def _under_age(ctx: ShareContext, rule: CustomRule) -> list[Finding]:
    if not ctx.row_level:
        return []
    residents = ctx.db.residents(["age"])
    ages = pd.Series(pd.to_numeric(residents["age"], errors="coerce").to_numpy(dtype=float),
                     index=residents["resident_id"].to_numpy())
    count, positions = 0, {}
    for part in ctx.parts:
        young = (ages.reindex(part.truth).to_numpy() < rule.age)  # NaN (no resident) compares False
        if young.any():
            count += int(young.sum())
            positions |= rows_where(part.table, young)
    if not count:
        return []
    return [_finding(rule, f"{count:,} shared records are about residents under {rule.age}; they are never "
                           "shared at row level", rows=count, row_positions=positions,
                     hint=f"filter them out (where: age >= {rule.age} on the holder's data), or share counts")]
