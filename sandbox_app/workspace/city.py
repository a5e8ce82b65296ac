"""Opening a scenario for the trainee window: load the file, prepare its city (cached), open the database.

`open_city(location, state)` is the long work behind the start screen's progress bar; it takes the same
progress/cancel object as the generator, so it runs on a worker thread and can be cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app.cache import cached_database
from sandbox_app.scenario.loader import load_scenario
from sandbox_app.scenario.model import Scenario
from sandbox_app.sharing.database import CityDatabase
from synthetic.progress import Cancelled, NullState, TaskState


@dataclass
class CitySession:
    """A scenario ready to practise on: the scenario, its generated city, and the holding tables' sizes."""

    location: str                  # what the user opened: a built-in name, a scenario file or a pack
    scenario: Scenario
    db: CityDatabase
    row_counts: dict[str, int] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)   # facilitator settings (packs); {} for a plain scenario
    result_key: bytes | None = None                # a pack's result-signing key; None: derived from the file

    @property
    def db_path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()


class _Scaled:
    """Maps a sub-task's 0..1 progress into a slice of the whole bar."""

    def __init__(self, state: TaskState, start: float, end: float) -> None:
        self.state, self.start, self.end = state, start, end

    def set_progress(self, fraction: float, status: str = "") -> None:
        self.state.set_progress(self.start + (self.end - self.start) * fraction, status)

    def is_cancelled(self) -> bool:
        return self.state.is_cancelled()


def open_city(location: str, state: TaskState | None = None, *, scenario: Scenario | None = None,
              database: Path | None = None, settings: dict | None = None,
              result_key: bytes | None = None) -> CitySession:
    """Load `location` (or the given scenario) and its city; raises SandboxError or Cancelled."""
    state = state or NullState()
    state.set_progress(0.0, "reading the scenario")
    if scenario is None:
        scenario = load_scenario(location)
    if state.is_cancelled():
        raise Cancelled()
    state.set_progress(0.05, "preparing the city")
    path = database if database is not None else cached_database(scenario, state=_Scaled(state, 0.05, 0.85))
    if state.is_cancelled():
        raise Cancelled()
    state.set_progress(0.85, "opening the city's records")
    db = CityDatabase(path)
    try:
        holding = {e.holding_department for e in scenario.exercises}
        tables = [t for t in db.tables() if db.department_of(t) in holding]
        counts = {}
        for i, table in enumerate(tables):
            if state.is_cancelled():
                raise Cancelled()
            counts[table] = len(db.read_table(table))  # also warms the cache the live meter reads
            state.set_progress(0.85 + 0.15 * (i + 1) / max(len(tables), 1), f"reading {table}")
    except BaseException:
        db.close()
        raise
    return CitySession(location, scenario, db, counts, dict(settings or {}), result_key)


def open_pack_city(location: str, state: TaskState | None = None) -> CitySession:
    """Check and install a scenario pack (refused with one plain sentence if anything is wrong), then open it."""
    from sandbox_app.packs import open_pack

    pack = open_pack(location)
    settings = {**pack.settings.to_dict(), "pack_id": pack.pack_id}
    return open_city(location, state, scenario=pack.scenario, database=pack.database, settings=settings,
                     result_key=pack.result_key)
