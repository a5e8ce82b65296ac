"""Per-exercise summaries of a grading (verdicts, score distributions, rules broken most), and text/CSV output."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app.grading.grade import FLAGS, GradedResult, Grading

VERDICTS = ("approve", "revise", "reject")
CSV_COLUMNS = ["file", "trainee", "scenario", "exercise", "pack_id", "verdict", "privacy_score",
               "usefulness_score", "attempts", "claimed_verdict", "claimed_privacy", "claimed_usefulness",
               "flags", "written_at", "app_version"]


@dataclass
class RuleCount:
    rule: str
    title: str
    severity: str
    citation: str
    results: int           # results (trainees) whose share breaks it


@dataclass
class ExerciseSummary:
    """Every scored result of one exercise of one pack or scenario (repeated results counted once)."""

    source: str
    scenario: str
    exercise: str
    results: list[GradedResult] = field(default_factory=list)

    @property
    def counted(self) -> list[GradedResult]:
        return [r for r in self.results if r.scored and "duplicate" not in r.flags]

    @property
    def verdicts(self) -> dict[str, int]:
        counts = Counter(r.verdict for r in self.counted)
        return {v: counts.get(v, 0) for v in VERDICTS}

    @property
    def privacy(self) -> list[int]:
        return [r.scored.privacy for r in self.counted]

    @property
    def usefulness(self) -> list[int]:
        return [r.scored.usefulness for r in self.counted]

    def rules(self) -> list[RuleCount]:
        """Rules broken, most often first (each result counted once per rule)."""
        info: dict[str, dict] = {}
        counts: Counter = Counter()
        for r in self.counted:
            for rule in {f["rule"] for f in r.scored.findings}:
                counts[rule] += 1
            for f in r.scored.findings:
                info.setdefault(f["rule"], f)
        return [RuleCount(rule, info[rule]["title"], info[rule]["severity"], info[rule]["citation"], n)
                for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def summarise(grading: Grading) -> list[ExerciseSummary]:
    groups: dict[tuple, ExerciseSummary] = {}
    for r in grading.results:
        if r.scored is None and not r.source:
            continue
        key = (r.source, r.scenario, r.exercise)
        groups.setdefault(key, ExerciseSummary(*key)).results.append(r)
    return [groups[k] for k in sorted(groups)]


def not_graded(grading: Grading) -> list[GradedResult]:
    return [r for r in grading.results if r.scored is None and not r.source]


def _mean(values: list[int]) -> str:
    return f"{sum(values) / len(values):.0f}" if values else "-"


def text_report(grading: Grading) -> str:
    """A table per exercise (one row per trainee), then every flagged file with the reason."""
    lines: list[str] = []
    for ex in summarise(grading):
        lines.append(f"{ex.scenario} / {ex.exercise}   ({ex.source})")
        lines.append(f"  {'trainee':<24} {'verdict':<8} {'privacy':>7} {'useful':>7} {'tries':>5}  flags")
        for r in sorted(ex.results, key=lambda r: (r.trainee.casefold(), r.file)):
            s = r.scored
            cells = (f"{s.verdict:<8} {s.privacy:>7} {s.usefulness:>7}" if s else f"{'-':<8} {'-':>7} {'-':>7}")
            lines.append(f"  {r.trainee[:24]:<24} {cells} {r.attempts:>5}  {', '.join(r.flags)}")
        v = ex.verdicts
        counted = len(ex.counted)
        lines.append(f"  {counted} counted: {v['approve']} approve, {v['revise']} revise, {v['reject']} reject; "
                     f"mean privacy {_mean(ex.privacy)}, usefulness {_mean(ex.usefulness)}")
        top = ex.rules()[:3]
        if top:
            lines.append("  broken most: " + "; ".join(f"{r.rule} ({r.results})" for r in top))
        lines.append("")
    missing = not_graded(grading)
    if missing:
        lines.append("Not graded:")
        lines += [f"  {r.file}: {next(iter(r.flags.values()))}" for r in missing]
        lines.append("")
    flagged = [r for r in grading.flagged if r.source]
    if flagged:
        lines.append("Flagged:")
        for r in flagged:
            for code, reason in r.flags.items():
                lines.append(f"  {r.file}: {code}: {reason}")
        lines.append("")
    lines += [f"Note: {note}" for note in grading.sources]
    total, bad = len(grading.results), len(grading.flagged)
    lines.append(f"{total} result file{'s' * (total != 1)}: {total - bad} clean, {bad} flagged.")
    return "\n".join(lines)


def write_csv(grading: Grading, path: str | Path) -> None:
    """One row per result file; scores are the engine's, `claimed_*` what the file said."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for r in grading.results:
            s = r.scored
            writer.writerow([r.file, r.trainee, r.scenario, r.exercise, r.pack_id or "",
                             s.verdict if s else "", s.privacy if s else "", s.usefulness if s else "",
                             r.attempts, *("" if c is None else c for c in r.claimed), " ".join(r.flags),
                             r.written_at, r.app_version])


def flag_legend() -> dict[str, str]:
    return dict(FLAGS)
