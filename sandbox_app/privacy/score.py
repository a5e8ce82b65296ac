"""score_share(): apply a share, measure risk and usefulness, run every rule, and give two scores and a verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox_app.errors import Problem, ShareError
from sandbox_app.privacy import checks, custom_rules, differencing, disclosure, refusal, targeting
from sandbox_app.privacy.catalogue import PENALTY, SEVERITIES, Finding
from sandbox_app.privacy.context import ShareContext
from sandbox_app.privacy.fixes import fix_plan
from sandbox_app.privacy.share_metrics import Metrics, share_metrics
from sandbox_app.privacy.usefulness import Usefulness, assess_usefulness
from sandbox_app.scenario.model import Exercise, Scenario
from sandbox_app.sharing.apply import Extract, apply_share
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import ShareDocument
from sandbox_app.sharing.shared_codes import shared_codes
from synthetic.progress import Steps, TaskState

REPORT_FORMAT = "city-sandbox/report@1"
STAGES = ("extract", "metrics", "findings")  # what `on_stage` receives, in this order

RULE_CHECKS = [
    checks.check_purpose, checks.check_agreement_scope, checks.check_minimisation, checks.check_health,
    checks.check_safe_harbor, checks.check_limited_data_set, checks.check_substance_use, checks.check_education, checks.check_justice,
    checks.check_benefits_tax, checks.check_housing_dv, checks.check_local_law, checks.check_retention,
    checks.check_hash, checks.check_free_text, disclosure.check_small_cells, disclosure.check_k_and_risk,
    disclosure.check_linkage, targeting.check_targeted_filter, differencing.check_differencing,
    custom_rules.check_custom_rules,
]


@dataclass
class ScoreReport:
    exercise: str
    verdict: str
    privacy_score: int
    usefulness_score: int
    metrics: Metrics
    findings: list[Finding] = field(default_factory=list)
    usefulness: Usefulness | None = None
    extract: Extract | None = None
    linkage: dict = field(default_factory=dict)   # table -> LinkageResult (who was re-identified: facilitators)

    @property
    def fix_plan(self) -> list[dict]:
        """Every finding's fix merged into one ordered, consistent list of share edits (privacy/fixes.py)."""
        return fix_plan(self.findings, self.extract.share if self.extract is not None else None)

    def to_dict(self) -> dict:
        return {"format": REPORT_FORMAT, "fix_plan": self.fix_plan, "exercise": self.exercise, "verdict": self.verdict, "privacy_score": self.privacy_score,
                "usefulness_score": self.usefulness_score, "metrics": self.metrics.to_dict(),
                "findings": [f.to_dict() for f in self.findings],
                "usefulness": self.usefulness.to_dict() if self.usefulness else None,
                "linkage": {table: result.to_dict() for table, result in self.linkage.items()}}


def verdict_of(findings: list[Finding]) -> str:
    severities = {f.severity for f in findings}
    if "blocker" in severities:
        return "reject"
    return "revise" if "major" in severities else "approve"


def score_share(db: CityDatabase, scenario: Scenario, exercise: Exercise | str, share: ShareDocument, *,
                file: str = "<share>", state: TaskState | None = None,
                on_stage: Callable[[str, object], None] | None = None) -> ScoreReport:
    """Score one share for one exercise. Raises ShareError (naming `file`) if the share cannot be applied.

    `state` (the generator's progress/cancel object) is checked between stages: extract (apply the share),
    metrics (risk metrics and the linkage attack, table by table), findings (usefulness, then every rule).
    A cancel raises `synthetic.progress.Cancelled`, never a partial report. `on_stage(name, value)` is called
    as each stage finishes: ("extract", Extract), ("metrics", Metrics), ("findings", ScoreReport).
    """
    with shared_codes():
        return _score(db, scenario, exercise, share, file, Steps(state, len(STAGES)), on_stage)


def _score(db: CityDatabase, scenario: Scenario, exercise: Exercise | str, share: ShareDocument, file: str,
           steps: Steps, on_stage) -> ScoreReport:
    exercise = _exercise(scenario, exercise, share, file)
    steps.advance(0, "applying the share")
    extract = apply_share(db, share, holding_department=exercise.holding_department, file=file,
                          zip3_populations=scenario.zip3_populations)
    steps.advance(1, "measuring risk")
    _deliver(on_stage, "extract", extract)
    ctx = ShareContext(scenario, exercise, scenario.agreement(exercise.agreement), share, extract, db)
    disclosure.measure(ctx, between=lambda: steps.advance(0))
    metrics = share_metrics(ctx)
    steps.advance(1, "checking the rules")
    _deliver(on_stage, "metrics", metrics)
    report = _report(ctx, metrics, between=lambda: steps.advance(0))
    steps.advance(1, "scored")
    _deliver(on_stage, "findings", report)
    return report


def _deliver(on_stage, name: str, value) -> None:
    if on_stage is not None:
        on_stage(name, value)


def _exercise(scenario: Scenario, exercise: Exercise | str, share: ShareDocument, file: str) -> Exercise:
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
    return exercise


def _report(ctx: ShareContext, metrics: Metrics, between: Callable[[], None]) -> ScoreReport:
    """Usefulness, then every rule (`between` runs after each: the cancel check), then the scores."""
    ctx.usefulness = assess_usefulness(ctx.db, ctx.exercise, ctx.extract)
    findings: list[Finding] = []
    if refusal.refuses_all(ctx.share):  # nothing is shared: no rule applies; usefulness says whether anyone waits
        ctx.usefulness = refusal.refusal_usefulness(ctx)
    else:
        for check in RULE_CHECKS:
            between()
            findings += check(ctx)
        findings += refusal.unrefused_findings(ctx, findings)
    findings += ctx.usefulness.findings
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    privacy_findings = [f for f in findings if f.rule != "usefulness"]
    privacy = max(0, 100 - sum(PENALTY[f.severity] for f in privacy_findings))
    return ScoreReport(ctx.exercise.id, verdict_of(findings), privacy, ctx.usefulness.score, metrics, findings,
                       ctx.usefulness, ctx.extract, dict(ctx.linkage))
