"""score_share(): apply a share, measure risk and usefulness, run every rule, and give two scores and a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox_app.errors import Problem, ShareError
from sandbox_app.privacy import checks, disclosure, targeting
from sandbox_app.privacy.catalogue import PENALTY, SEVERITIES, Finding
from sandbox_app.privacy.context import ShareContext
from sandbox_app.privacy.usefulness import Usefulness, assess_usefulness
from sandbox_app.scenario.model import Exercise, Scenario
from sandbox_app.sharing.apply import Extract, apply_share
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import ShareDocument

RULE_CHECKS = [
    checks.check_purpose, checks.check_agreement_scope, checks.check_minimisation, checks.check_health,
    checks.check_safe_harbor, checks.check_limited_data_set, checks.check_substance_use, checks.check_education, checks.check_justice,
    checks.check_benefits_tax, checks.check_housing_dv, checks.check_local_law, checks.check_retention,
    checks.check_hash, checks.check_free_text, disclosure.check_small_cells, disclosure.check_k_and_risk,
    disclosure.check_linkage, targeting.check_targeted_filter,
]


@dataclass
class ScoreReport:
    exercise: str
    verdict: str
    privacy_score: int
    usefulness_score: int
    metrics: dict
    findings: list[Finding] = field(default_factory=list)
    usefulness: Usefulness | None = None
    extract: Extract | None = None
    linkage: dict = field(default_factory=dict)   # table -> LinkageResult (who was re-identified: facilitators)

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "verdict": self.verdict, "privacy_score": self.privacy_score,
                "usefulness_score": self.usefulness_score, "metrics": self.metrics,
                "findings": [f.to_dict() for f in self.findings],
                "usefulness": self.usefulness.to_dict() if self.usefulness else None,
                "linkage": {table: result.to_dict() for table, result in self.linkage.items()}}


def verdict_of(findings: list[Finding]) -> str:
    severities = {f.severity for f in findings}
    if "blocker" in severities:
        return "reject"
    return "revise" if "major" in severities else "approve"


def _metrics(ctx: ShareContext) -> dict:
    ms = list(ctx.metrics.values())
    ks = [m.k_anonymity for m in ms if m.k_anonymity is not None and m.quasi_identifiers]
    l_div: dict[str, int] = {}
    for m in ms:
        for attr, value in m.l_diversity.items():
            l_div[attr] = min(value, l_div.get(attr, value))
    records = (len(ctx.extract.aggregate.frame) if ctx.extract.aggregate is not None
               else sum(len(p.frame) for p in ctx.parts))
    return {"records": int(records), "k_anonymity": min(ks) if ks else None,
            "l_diversity": {k: int(v) for k, v in l_div.items()},
            "unique_records": int(sum(m.unique_records for m in ms)),
            "prosecutor_risk_max": float(max((m.prosecutor_risk_max for m in ms), default=0.0)),
            "reidentified_by_linkage": int(sum(r.reidentified_residents for r in ctx.linkage.values())),
            "identified_tables": [p.table for p in ctx.identified_parts()] if ctx.row_level else []}


def score_share(db: CityDatabase, scenario: Scenario, exercise: Exercise | str, share: ShareDocument, *,
                file: str = "<share>") -> ScoreReport:
    """Score one share for one exercise. Raises ShareError (naming `file`) if the share cannot be applied."""
    if isinstance(exercise, str):
        found = scenario.exercise(exercise)
        if found is None:
            ids = ", ".join(e.id for e in scenario.exercises)
            raise ShareError([Problem(file, None, "exercise", f"no exercise '{exercise}' in {scenario.name}",
                                      f"exercises: {ids}")])
        exercise = found
    if share.exercise and share.exercise != exercise.id:
        raise ShareError([Problem(file, None, "exercise", f"this share answers '{share.exercise}', "
                                  f"not '{exercise.id}'", "score it against its own exercise")])
    extract = apply_share(db, share, holding_department=exercise.holding_department, file=file)
    ctx = ShareContext(scenario, exercise, scenario.agreement(exercise.agreement), share, extract, db)
    ctx.usefulness = assess_usefulness(db, exercise, extract)
    disclosure.measure(ctx)
    findings: list[Finding] = []
    for check in RULE_CHECKS:
        findings += check(ctx)
    findings += ctx.usefulness.findings
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    privacy_findings = [f for f in findings if f.rule != "usefulness"]
    privacy = max(0, 100 - sum(PENALTY[f.severity] for f in privacy_findings))
    return ScoreReport(exercise.id, verdict_of(findings), privacy, ctx.usefulness.score, _metrics(ctx), findings,
                       ctx.usefulness, extract, dict(ctx.linkage))
