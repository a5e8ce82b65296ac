"""The naive debrief baseline: the dashboard's data put together from the public parts the obvious way.

`grade_results` on the folder (it opens and verifies the pack, opens the city, scores each distinct share),
then a second `Sources` for the exercises and their answers (the pack verified and its scenario parsed again,
the city opened again with nothing cached, the answers scored anew), and every result file read again for
its share and attempt path. This is how the dashboard loaded before it shared one Sources with the grading.
The output is the same Debrief object the dashboard draws.
"""

from __future__ import annotations

from pathlib import Path


def naive_build_debrief(paths, *, packs=(), keys=(), scenarios=(), state=None):
    from sandbox_app.grading.grade import grade_results
    from sandbox_app.grading.references import exercise_references
    from sandbox_app.grading.sources import Sources
    from sandbox_app.grading.summary import summarise
    from sandbox_app.ui.studio.debrief_data import Debrief, ExerciseDebrief, TraineePoint, shared_fields
    from sandbox_app.workspace.results import read_result

    grading = grade_results(paths, packs=packs, keys=keys, scenarios=scenarios, state=state)
    sources = Sources(packs, keys, scenarios)
    exercises = []
    try:
        for summary in summarise(grading):
            pack_id = next((r.pack_id for r in summary.results), None)
            source = sources.for_result(summary.scenario, pack_id)
            exercise = next(e for e in source.scenario.exercises if e.id == summary.exercise)
            columns = {t.name: {f.name for f in t.fields} for d in source.scenario.departments for t in d.tables}
            needed = sorted(exercise.needs.fields)
            points = []
            for r in summary.counted:
                data = read_result(Path(r.file))
                path = [(a["privacy_score"], a["usefulness_score"]) for a in data["attempts"]]
                point = TraineePoint(r, data["share"], path)
                shared = shared_fields(data["share"], columns)
                point.over_shared = sorted(shared - set(needed))
                point.under_shared = sorted(set(needed) - shared)
                points.append(point)
            exercises.append(ExerciseDebrief(summary, exercise.title, points,
                                             exercise_references(source, exercise), needed))
    finally:
        sources.close()
    return Debrief(grading, exercises)
