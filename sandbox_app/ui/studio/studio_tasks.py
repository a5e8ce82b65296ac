"""The studio's long work as plain `fn(state)` functions for a TaskRunner: check answers, generate, copy.

No Qt here: each takes the editor's text and the file it belongs to, so what is checked or generated is what
the facilitator sees (saved or not), with answer paths resolved beside the file.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass
class TableCount:
    """One table of a generated city: its name, the department holding it, its row count."""

    table: str
    department: str
    rows: int


def scenario_from_text(text: str, path: Path):
    """The scenario in `text` as if loaded from `path` (answers resolved beside it); ScenarioError if invalid."""
    from sandbox_app.scenario.loader import parse_scenario_text

    scenario = parse_scenario_text(text, str(path), base=path.parent)
    scenario._source = path
    return scenario


def check_answers(text: str, path: Path, state) -> list:
    """Generate (or reuse) the city, then score every model and known-bad answer: a list of CheckRow."""
    from sandbox_app.cache import cached_database
    from sandbox_app.privacy.answers import check_scenario_answers
    from sandbox_app.sharing.database import CityDatabase

    scenario = scenario_from_text(text, path)
    state.set_progress(0.0, "Preparing the city…")
    db_path = cached_database(scenario, state=state)
    state.set_progress(1.0, "Scoring the answers…")
    with CityDatabase(db_path) as db:
        return check_scenario_answers(scenario, db)


def check_exercise(text: str, path: Path, exercise_id: str | None, state) -> list[tuple]:
    """Check the answers of one exercise (or all, `exercise_id` None): (CheckRow, score report or None) pairs."""
    from sandbox_app.cache import cached_database
    from sandbox_app.privacy.answers import check_answer_reports
    from sandbox_app.sharing.database import CityDatabase

    scenario = scenario_from_text(text, path)
    state.set_progress(0.0, "Preparing the city…")
    db_path = cached_database(scenario, state=state)
    state.set_progress(1.0, "Scoring the answers…")
    with CityDatabase(db_path) as db:
        return check_answer_reports(scenario, db, exercise_id, state)


def open_session(text: str, path: Path, state):
    """The scenario in the editor, with its generated city open, as the trainee app opens one (a CitySession:
    the answer builder and the trainee preview work on it)."""
    from sandbox_app.workspace.city import open_city

    return open_city(str(path), state, scenario=scenario_from_text(text, path))


def generate_counts(text: str, path: Path, state) -> tuple[Path, list[TableCount]]:
    """Generate (or reuse) the scenario's city; its database path and every table's row count."""
    from sandbox_app.cache import cached_database
    from sandbox_app.sharing.database import CityDatabase

    scenario = scenario_from_text(text, path)
    db_path = cached_database(scenario, state=state)
    with CityDatabase(db_path) as db:
        tables = [(t, db.department_of(t)) for t in db.tables()]
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        counts = [TableCount(t, dept, connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])
                  for t, dept in tables]
    finally:
        connection.close()
    return db_path, counts


def copy_builtin(source: str, name: str, folder: Path, _state=None) -> Path:
    """`city-sandbox new NAME --from SOURCE --dir FOLDER`: the new scenario file (its answers folder beside)."""
    from sandbox_app.scenario.new import new_scenario

    folder.mkdir(parents=True, exist_ok=True)
    return new_scenario(name, source, folder)


def facilitator_folder() -> Path:
    """Where the facilitator's own scenarios live: the user data dir's `scenarios` folder."""
    from sandbox_app.ui.common.logs import data_dir

    folder = data_dir() / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


__all__ = ["TableCount", "check_answers", "check_exercise", "copy_builtin", "facilitator_folder",
           "generate_counts", "open_session", "scenario_from_text"]
