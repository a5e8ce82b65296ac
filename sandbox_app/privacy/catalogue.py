"""The rule catalogue (rules.yaml) as data, and the findings rules produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from ruamel.yaml import YAML

from sandbox_app.privacy.examples import Example, example_from_json

SEVERITIES = ("blocker", "major", "minor")
PENALTY = {"blocker": 40, "major": 15, "minor": 5}
ROW_POSITIONS_SHOWN = 1000  # a finding lists at most this many rows behind it, per table


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    citation: str
    verified: bool
    settings: dict = field(default_factory=dict)

    @property
    def cited(self) -> str:
        return self.citation if self.verified else f"{self.citation} (unverified)"


@cache
def catalogue() -> dict[str, Rule]:
    text = resources.files("sandbox_app.privacy").joinpath("rules.yaml").read_text(encoding="utf-8")
    data = YAML(typ="safe").load(text)
    return {r["id"]: Rule(r["id"], r["severity"], r["title"], r["citation"], bool(r.get("verified", True)),
                          dict(r.get("settings", {}))) for r in data["rules"]}


@dataclass
class Finding:
    """One thing wrong with a share: which rule, how bad, why, about which fields and rows, and a better choice."""

    rule: str
    severity: str
    message: str
    fields: list[str] = field(default_factory=list)
    rows: int = 0
    hint: str = ""
    clause: str | None = None
    examples: list[Example] = field(default_factory=list)  # typed (privacy/examples.py)
    # table -> positions (0-based, into that table's extract part frame) of the rows behind the finding,
    # the first ROW_POSITIONS_SHOWN; empty where a rule is not about particular rows
    row_positions: dict[str, list[int]] = field(default_factory=dict)
    fix: list[dict] = field(default_factory=list)  # share edits (docs/share-format.md) that remove the finding
    evidence: dict = field(default_factory=dict)  # the figures behind it (k, prosecutor risk, thresholds…)

    @property
    def citation(self) -> str:
        return catalogue()[self.rule].cited

    @property
    def title(self) -> str:
        return catalogue()[self.rule].title

    def to_dict(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "title": self.title, "message": self.message,
                "citation": self.citation, "clause": self.clause, "fields": self.fields, "rows": int(self.rows),
                "hint": self.hint, "fix": self.fix, "evidence": self.evidence,
                "examples": [e.to_dict() if hasattr(e, "to_dict") else e for e in self.examples],
                "row_positions": self.row_positions}


def finding_from_dict(data: dict) -> Finding:
    """A finding as `Finding.to_dict` wrote it (in a report or result file, of this version or an older one),
    with typed examples. A rule this catalogue does not know (a scenario's own) keeps its title and citation."""
    from sandbox_app.privacy.custom_rules import CustomFinding

    fields = list(data.get("fields") or [])
    examples = [example_from_json(e, table=next(iter(data.get("row_positions") or {}), ""),
                                  field=fields[0] if fields else "") for e in data.get("examples") or []]
    kw = dict(fields=fields, rows=int(data.get("rows") or 0), hint=str(data.get("hint") or ""),
              clause=data.get("clause"), examples=examples, row_positions=dict(data.get("row_positions") or {}),
              fix=list(data.get("fix") or []), evidence=dict(data.get("evidence") or {}))
    rule, severity, message = str(data["rule"]), str(data["severity"]), str(data["message"])
    if rule in catalogue():
        return Finding(rule, severity, message, **kw)
    return CustomFinding(rule, severity, message, rule_title=str(data.get("title") or rule),
                         rule_citation=str(data.get("citation") or ""), **kw)


def rows_where(table: str, mask) -> dict[str, list[int]]:
    """{table: the first ROW_POSITIONS_SHOWN positions where the boolean `mask` (array-like) is true}."""
    import numpy as np

    return {table: np.flatnonzero(np.asarray(mask, dtype=bool))[:ROW_POSITIONS_SHOWN].tolist()}


def finding(rule_id: str, message: str, *, severity: str | None = None, **kw) -> Finding:
    """A finding of a catalogued rule (its default severity unless the check decides otherwise)."""
    rule = catalogue()[rule_id]
    return Finding(rule_id, severity or rule.severity, message, **kw)
