"""What the debrief dashboard shows, computed off the GUI thread: the grading, each exercise's points, the
model and known-bad answers' scores, fields over- and under-shared against the exercise's needs.

No Qt here: `build_debrief` is a plain function of (paths, state) run by the view's TaskRunner.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from sandbox_app.grading.grade import GradedResult, Grading, grade_results
from sandbox_app.grading.references import Reference
from sandbox_app.grading.summary import ExerciseSummary, summarise

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(eq=False)
class TraineePoint:
    """One counted trainee of one exercise: the engine's scores, the share sent and the path across attempts."""

    result: GradedResult
    share: dict
    attempts: list[tuple[int, int]]     # (privacy, usefulness) per attempt, as the file recorded them
    over_shared: list[str] = field(default_factory=list)
    under_shared: list[str] = field(default_factory=list)

    @property
    def trainee(self) -> str:
        return self.result.trainee

    @property
    def privacy(self) -> int:
        return self.result.scored.privacy

    @property
    def usefulness(self) -> int:
        return self.result.scored.usefulness


@dataclass
class ExerciseDebrief:
    summary: ExerciseSummary
    title: str
    points: list[TraineePoint]
    references: list[Reference]
    needed_fields: list[str] | None     # None: the exercise could not be read (no over/under-shared counts)

    @property
    def label(self) -> str:
        return f"{self.summary.scenario} / {self.summary.exercise}"

    def over_shared(self) -> list[tuple[str, int]]:
        """Fields shared that the exercise does not need, with how many trainees shared them, most first."""
        return _ranked(Counter(f for p in self.points for f in p.over_shared))

    def under_shared(self) -> list[tuple[str, int]]:
        """Fields the exercise needs that trainees left out, with how many, most first."""
        return _ranked(Counter(f for p in self.points for f in p.under_shared))


@dataclass
class Debrief:
    grading: Grading
    exercises: list[ExerciseDebrief]

    def names(self, anonymise: bool) -> dict[str, str]:
        """Trainee name -> the name on screen ("Trainee 1..N" in name order when anonymised), as the HTML does."""
        trainees = sorted({r.trainee for r in self.grading.results if r.trainee}, key=str.casefold)
        names = {"": "(no name)"}
        names.update({t: f"Trainee {i}" if anonymise else t for i, t in enumerate(trainees, start=1)})
        return names


def _ranked(counts: Counter) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def build_debrief(paths, *, packs=(), keys=(), scenarios=(), state=None) -> Debrief:
    """Grade `paths` (files or folders) and gather everything the dashboard draws.

    One Sources serves the grading and the rest: each pack is opened and verified once, its city opened once,
    and the model and bad answers are scored through the same cache as the trainees' shares (a model answer
    a trainee sent is not scored again); each result file is read once, by the grading.
    """
    from sandbox_app.grading.sources import Sources

    sources = Sources(packs, keys, scenarios)
    try:
        grading = grade_results(paths, state=state, sources=sources, references=True)
        exercises = [_exercise(summary, sources, grading.references) for summary in summarise(grading)]
    finally:
        sources.close()
    return Debrief(grading, exercises)


def _exercise(summary: ExerciseSummary, sources, references: dict) -> ExerciseDebrief:
    pack_id = next((r.pack_id for r in summary.results), None)
    source = sources.for_result(summary.scenario, pack_id)
    exercise = None
    if not isinstance(source, str):
        exercise = next((e for e in source.scenario.exercises if e.id == summary.exercise), None)
    needed = sorted(exercise.needs.fields) if exercise is not None else None
    columns = ({t.name: {f.name for f in t.fields} for d in source.scenario.departments for t in d.tables}
               if exercise is not None else None)
    points = []
    for r in summary.counted:
        share = r.share or {}
        point = TraineePoint(r, share, list(r.path))
        if needed is not None:
            shared = shared_fields(share, columns)
            point.over_shared = sorted(shared - set(needed))
            point.under_shared = sorted(set(needed) - shared)
        points.append(point)
    answers = references.get((summary.source, summary.exercise), [])
    return ExerciseDebrief(summary, exercise.title if exercise else summary.exercise, points, answers, needed)


def shared_fields(share: dict, columns: dict[str, set[str]] | None = None) -> set[str]:
    """Every source field a share sends in some form (any operation but drop), over all its tables. A derived
    field counts as the source fields its expression reads (`columns`: table -> its field names), so a flag
    derived from birth_date sends birth_date, as the exercise's needs count it."""
    out: set[str] = set()
    for table in share.get("tables") or []:
        known = (columns or {}).get(table.get("table"), set())
        for name, op in (table.get("fields") or {}).items():
            op = op if isinstance(op, dict) else {}
            if op.get("op") == "derive":
                out.update(w for w in _WORD.findall(str(op.get("expr", ""))) if w in known)
            elif op.get("op") != "drop":
                out.add(name)
    return out
