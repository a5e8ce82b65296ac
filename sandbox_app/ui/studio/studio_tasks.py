"""The studio's long work as plain `fn(state)` functions for a TaskRunner: check answers, generate, copy.

No Qt here: each takes the editor's text and the file it belongs to, so what is checked or generated is what
the facilitator sees (saved or not), with answer paths resolved beside the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from synthetic.progress import Cancelled


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


@dataclass
class CityLook:
    """What Generate shows: the database, every table's row count and the city profile (city_profile.py)."""

    db_path: Path
    counts: list[TableCount]
    profile: object  # CityProfile
    charts: dict = field(default_factory=dict)  # chart key -> city_charts.RenderedChart (drawn on the worker)


class _Part:
    """Progress of one part of a task as a slice [start, end) of the whole bar; cancel passes through."""

    def __init__(self, state, start: float, end: float) -> None:
        self.state, self.start, self.end = state, start, end

    def set_progress(self, fraction: float, status: str = "") -> None:
        self.state.set_progress(self.start + (self.end - self.start) * fraction, status)

    def is_cancelled(self) -> bool:
        return self.state.is_cancelled()


GENERATE_SHARE = 0.8  # of the progress bar; the profile takes the rest


def generate_counts(text: str, path: Path, state) -> tuple[Path, list[TableCount]]:
    """Generate (or reuse) the scenario's city; its database path and every table's row count (department
    tables and the public reference, then the answer key: _residents, _ground_truth), as stored at generation."""
    from sandbox_app.cache import cached_database
    from sandbox_app.explore.catalog import FIXED_NAMES, Catalog

    scenario = scenario_from_text(text, path)
    db_path = cached_database(scenario, state=_Part(state, 0.0, GENERATE_SHARE))
    names = {**FIXED_NAMES, **{d.id: d.name for d in scenario.departments}}
    tables = [t for t in Catalog(db_path, facilitator=True).tables if t.name not in ("_meta", "_data_dictionary")]
    tables.sort(key=lambda t: t.facilitator_only)  # stable: dictionary order within each group
    return db_path, [TableCount(t.name, names.get(t.department, t.department),
                                t.rows if t.rows is not None else _count_rows(db_path, t.name)) for t in tables]


def _count_rows(db_path: Path, table: str) -> int:
    """count(*) for a table whose count was not stored at generation (an older city)."""
    import contextlib

    from sandbox_app.explore.catalog import open_read_only, quote

    with contextlib.closing(open_read_only(db_path)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0])


def generate_look(text: str, path: Path, state, chart_size: tuple[int, int] = (680, 600)) -> CityLook:
    """Generate (or reuse) the city, count its tables, profile it and draw its charts at `chart_size` pixels
    (all on the worker: a chart takes 100-300 ms to draw, too long for the GUI thread)."""
    from sandbox_app.explore.city_profile import city_profile
    from sandbox_app.ui.studio.city_charts import CHARTS, render_chart

    db_path, counts = generate_counts(text, path, state)
    state.set_progress(GENERATE_SHARE, "Looking at the city…")
    profile = city_profile(db_path, scenario_from_text(text, path), state=_Part(state, GENERATE_SHARE, 0.9))
    charts = {}
    for i, key in enumerate(CHARTS):
        if state.is_cancelled():
            raise Cancelled("stopped")
        state.set_progress(0.9 + 0.1 * i / len(CHARTS), "Drawing the charts…")
        charts[key] = render_chart(key, profile, *chart_size)
    state.set_progress(1.0, "")
    return CityLook(db_path, counts, profile, charts)


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


__all__ = ["CityLook", "TableCount", "check_answers", "check_exercise", "copy_builtin", "facilitator_folder",
           "generate_counts", "generate_look", "open_session", "scenario_from_text"]
