"""The model and known-bad answers of each graded exercise, scored by the engine against the same city as the
trainees' shares, so the room view can mark them (in the Qt dashboard and in the HTML debrief).

An answer is scored through its source's cache: a model answer sent by trainees is scored once for all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sandbox_app.errors import SandboxError


@dataclass(frozen=True)
class Reference:
    """A model or known-bad answer of the exercise, scored by the engine today."""

    label: str             # "model answer" or "bad answer: Everyone is too many."
    kind: str              # "model" or "bad"
    verdict: str
    privacy: int
    usefulness: int


def exercise_references(source, exercise) -> list[Reference]:
    """The model answer (if any), then each known-bad answer of `exercise`, scored against `source`'s city;
    an answer that cannot be read or applied is left out (it is simply not marked)."""
    from sandbox_app.privacy.answers import load_answer
    from sandbox_app.sharing.document import share_to_json

    answers = [("model answer", "model", exercise.model_answer)] if exercise.model_answer is not None else []
    answers += [(f"bad answer: {bad.teaches}" if getattr(bad, "teaches", "") else "bad answer", "bad", bad.share)
                for bad in exercise.bad_answers]
    out = []
    for label, kind, ref in answers:
        try:
            share = json.loads(share_to_json(load_answer(source.scenario, ref)))
            scored = source.score(exercise.id, share, label)
        except (SandboxError, OSError):
            continue
        out.append(Reference(label, kind, scored.verdict, scored.privacy, scored.usefulness))
    return out


def references_of(results, sources) -> dict[tuple[str, str], list[Reference]]:
    """(source label, exercise id) -> its scored answers, for every exercise some graded result answers."""
    out: dict[tuple[str, str], list[Reference]] = {}
    for r in results:
        if not r.source or (r.source, r.exercise) in out:
            continue
        source = sources.for_result(r.scenario, r.pack_id)
        if isinstance(source, str):
            continue
        exercise = next((e for e in source.scenario.exercises if e.id == r.exercise), None)
        out[(r.source, r.exercise)] = exercise_references(source, exercise) if exercise is not None else []
    return out
