"""What a facilitator checks in a generated city before a workshop, computed in SQL from the answer key.

Four parts, each one or a few aggregate queries over the facilitator tables (never a table pulled into Python):

- **Departments per resident**: from `_ground_truth`, how many residents have records in 0, 1, 2, 3…
  departments (department tables only: the public voter roll is not a department).
- **Data-quality defects per department**: the generator does not mark which records it spoiled, so each
  department record is compared with the truth about its resident (`_ground_truth` → `_residents`):
  *missing values* (empty values / values that may be empty; record ids never are), *records entered twice*
  (records beyond one per resident / residents recorded; only tables the scenario keeps one record per
  resident in, since a visits table legitimately repeats), *wrong ZIP* (ZIPs that differ from the
  resident's / ZIPs written), *day and month swapped* (birth dates that differ from the resident's,
  written in the department's format / birth dates where a swap shows: day 1–12 and not equal to the
  month), *names written differently* (a typo or a nickname; a name differs when it is not the resident's,
  ignoring case / names checked; only names in plain letters A–Z, because SQLite compares the case of
  those alone). Where the scenario is known, each rate comes with the rate it asks for, weighted by what was
  checked in each table (a name has no single asked rate: typos and nicknames mix).
- **Age pyramid**: residents by 10-year age band (90 and over together) and sex, the age computed from the
  birth date at the scenario's reference date (`_meta.reference_date`).
- **Neighbourhood sizes**: residents per neighbourhood, largest first.

A million-resident city takes about 5 s of CPU, 0.4 s for 100,000 residents (benchmarks/README.md);
Cancel interrupts a running query within 10,000 SQLite steps.
"""

from __future__ import annotations

import contextlib
import datetime
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app.errors import DatabaseError, Problem
from sandbox_app.explore.catalog import (
    FIXED_NAMES,
    Catalog,
    TableInfo,
    builtin_scenario,
    open_read_only,
    quote,
)
from synthetic.progress import Cancelled, NullState, TaskState

AGE_BAND_YEARS = 10
OLDEST_BAND = 90  # "90 and over"
NOT_DEPARTMENTS = ("public", "facilitator")
NEVER_MISSING = ("record_id", "resident_key")  # the generator never leaves these empty
NAME_SEMANTICS = ("full_name", "first_name", "last_name")
DEFECT_KINDS = {
    "missing": "missing values",
    "duplicate": "records entered twice",
    "wrong_zip": "wrong ZIP code",
    "swapped_day_month": "day and month swapped",
    "name": "names written differently",
}
_MONTHS = {"%b": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
           "%B": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"]}
_TOKEN = re.compile(r"%.|[^%]+")
_PLAIN = "NOT GLOB '*[^ -~]*'"  # only printable ASCII


@dataclass
class DefectRate:
    """One kind of defect in one department: `affected` of `checked` values or records; `asked` the rate the
    scenario asks for (None: unknown, or no single rate)."""

    affected: int = 0
    checked: int = 0
    asked_weight: float = 0.0  # sum of asked rate × checked, per table
    asked_known: bool = False

    @property
    def rate(self) -> float | None:
        return self.affected / self.checked if self.checked else None

    @property
    def asked(self) -> float | None:
        return self.asked_weight / self.checked if self.asked_known and self.checked else None

    def merge(self, other: DefectRate) -> None:
        """Add another table's counts (a department's rate is over all its tables)."""
        self.affected += other.affected
        self.checked += other.checked
        self.asked_weight += other.asked_weight
        self.asked_known = self.asked_known and other.asked_known


@dataclass
class DepartmentDefects:
    department: str  # id
    name: str  # as the scenario names it
    records: int
    kinds: dict[str, DefectRate] = field(default_factory=dict)  # DEFECT_KINDS key -> rate (measured kinds only)
    tables: dict[str, dict[str, DefectRate]] = field(default_factory=dict)  # the same, per table


@dataclass
class AgePyramid:
    bands: list[str]  # "0–9", …, "90+"
    sexes: list[str]  # codes as the city writes them ("F", "M", …), most common first
    counts: dict[str, list[int]]  # sex -> residents per band


@dataclass
class CityProfile:
    residents: int
    reference_date: str
    departments: int  # departments with at least one table
    departments_per_resident: list[tuple[int, int]]  # (departments, residents), 0 .. max, gaps filled with 0
    defects: list[DepartmentDefects]
    age: AgePyramid
    neighbourhoods: list[tuple[str, int]]  # largest first
    notes: list[str] = field(default_factory=list)  # defects that could not be counted, in plain words
    age_note: str = ""  # set when the city records no reference date


def city_profile(db_path: str | Path, scenario=None, state: TaskState | None = None) -> CityProfile:
    """Profile the city at `db_path`; `scenario` gives department names and the rates asked for (default: the
    built-in scenario the city names, if any).
    Raises DatabaseError for a database without the facilitator tables, Cancelled when `state` asks."""
    state = state or NullState()
    catalog = Catalog(db_path, facilitator=True)
    scenario = scenario if scenario is not None else builtin_scenario(catalog.meta.get("scenario", ""))
    with contextlib.closing(open_read_only(db_path)) as conn:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = sorted({"_ground_truth", "_residents"} - present)
        if missing:
            raise DatabaseError([Problem(str(db_path), None, "", f"has no {' or '.join(missing)}: it is not a "
                                         "full generated city (a participant copy has no answer key)",
                                         "generate the city again")])
        conn.set_progress_handler(lambda: 1 if state.is_cancelled() else 0, 10_000)
        try:
            return _profile(conn, catalog, scenario, state)
        except sqlite3.OperationalError as err:
            if state.is_cancelled():
                raise Cancelled() from None
            raise DatabaseError([Problem(str(db_path), None, "", f"cannot profile the city: {err}")]) from None


def _profile(conn: sqlite3.Connection, catalog: Catalog, scenario, state: TaskState) -> CityProfile:
    tables = [t for t in catalog.all_tables.values() if t.department not in NOT_DEPARTMENTS
              and not t.name.startswith("_")]
    names = _department_names(catalog, scenario)
    notes: list[str] = []
    age_note = ""
    reference = catalog.meta.get("reference_date") or (str(scenario.reference_date) if scenario else "")
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", reference):
        reference = datetime.date.today().isoformat()
        age_note = f"The city records no reference date, so ages are counted at today's date ({reference})."
    steps = len(tables) + 3
    state.set_progress(0.0, "Counting ages and neighbourhoods…")
    age, places = residents_by_age_and_place(conn, reference)
    residents = sum(n for _place, n in places)
    _step(state, 1 / steps, "Counting residents per department…")
    spread = departments_per_resident(conn, tables, residents)
    _step(state, 2 / steps, "Comparing records with the truth…")
    join = _resident_join(conn)
    by_department: dict[str, DepartmentDefects] = {}
    repeats: list[str] = []  # tables that keep several records per resident
    for i, table in enumerate(tables):
        entry = by_department.setdefault(table.department, DepartmentDefects(
            table.department, names.get(table.department, table.department), 0))
        own: dict[str, DefectRate] = {}
        asked = _asked_rates(scenario, table.name)
        if asked is not None and not asked[2]:
            repeats.append(table.name)
        entry.records += table_defects(conn, table, join, asked, own, notes)
        entry.tables[table.name] = own
        for kind, rate in own.items():
            entry.kinds.setdefault(kind, DefectRate(asked_known=True)).merge(rate)
        _step(state, (i + 3) / steps, "Comparing records with the truth…")
    if repeats:
        notes.append(f"{_and(repeats)} keep{'s' if len(repeats) == 1 else ''} several records per resident, so "
                     "records entered twice are not counted there.")
    state.set_progress(1.0, "")
    return CityProfile(residents, reference, len({t.department for t in tables}), spread,
                       list(by_department.values()), age, places, notes, age_note)


def _step(state: TaskState, fraction: float, status: str) -> None:
    if state.is_cancelled():
        raise Cancelled()
    state.set_progress(fraction, status)


def _department_names(catalog: Catalog, scenario) -> dict[str, str]:
    if scenario is not None:
        return {**FIXED_NAMES, **{d.id: d.name for d in scenario.departments}}
    catalog.load_names()
    return {d: catalog.department_name(d) for d in {t.department for t in catalog.all_tables.values()}}


def _resident_join(conn: sqlite3.Connection) -> str:
    """How a record's resident row is found: by rowid (one B-tree seek) when resident_id is the rowid, as the
    generator writes it; else by resident_id (SQLite then builds a temporary index per query)."""
    off = conn.execute("SELECT count(*) FROM _residents WHERE resident_id IS NOT rowid").fetchone()[0]
    return "p.rowid = g.resident_id" if off == 0 else "p.resident_id = g.resident_id"


def departments_per_resident(conn: sqlite3.Connection, tables: list[TableInfo], residents: int) -> list[tuple[int, int]]:
    """(number of departments, residents with records in that many), from 0 up to the most any resident has."""
    if not tables:
        return [(0, residents)]
    departments = sorted({t.department for t in tables})
    mapping = " ".join(f"WHEN {_text(t.name)} THEN {departments.index(t.department)}" for t in tables)
    in_list = ", ".join(_text(t.name) for t in tables)
    rows = dict(conn.execute(
        f"SELECT n, count(*) FROM (SELECT count(DISTINCT CASE table_name {mapping} END) AS n FROM _ground_truth "
        f"WHERE table_name IN ({in_list}) GROUP BY resident_id) GROUP BY n"))
    rows[0] = residents - sum(rows.values())
    return [(n, rows.get(n, 0)) for n in range(max(rows) + 1)]


def _asked_rates(scenario, table_name: str):
    """(table defects, {field name: its own missing rate}, one record per resident?) or None if unknown."""
    if scenario is None:
        return None
    for dept, table in scenario.tables():
        if table.name == table_name:
            own = {f.name: f.missing for f in table.fields if f.missing is not None}
            return dept.defects.merged(table.defects), own, table.records_per_resident.max == 1
    return None


def table_defects(conn: sqlite3.Connection, table: TableInfo, join: str, asked, kinds: dict[str, DefectRate],
                  notes: list[str]) -> int:
    """Add one table's defect counts to `kinds` (one query over the table); returns its number of records."""
    parts: list[tuple[str, str, str, float | None]] = []  # (kind, affected SQL, checked SQL, asked rate)
    defects, own_missing, one_per_resident = asked if asked else (None, {}, None)

    def rate(name: str) -> float | None:
        return defects.rate(name) if defects is not None else None

    for c in table.columns:
        col = f"r.{quote(c.name)}"
        if c.semantic not in NEVER_MISSING:
            parts.append(("missing", f"{col} IS NULL", "1",
                          own_missing.get(c.name, rate("missing")) if defects is not None else None))
        if c.semantic == "zip":
            parts.append(("wrong_zip", f"{col} IS NOT NULL AND {col} IS NOT p.zip", f"{col} IS NOT NULL",
                          rate("wrong_zip")))
        if c.semantic == "birth_date":
            written = _formatted_sql("p.birth_date", c.format or "%Y-%m-%d")
            if written is None:
                notes.append(f"{table.name}.{c.name}: its date format {c.format} is not one SQL can write, "
                             "so swapped days and months are not counted there")
            else:
                shows = (f"{col} IS NOT NULL AND CAST(substr(p.birth_date, 9, 2) AS INTEGER) <= 12 "
                         "AND substr(p.birth_date, 9, 2) <> substr(p.birth_date, 6, 2)")
                parts.append(("swapped_day_month", f"{shows} AND {col} IS NOT {written}", shows,
                              rate("swapped_day_month")))
        if c.semantic in NAME_SEMANTICS:
            true = {"first_name": "p.first_name", "last_name": "p.last_name"}.get(c.semantic)
            plain = f"{col} IS NOT NULL AND p.first_name || p.last_name {_PLAIN}"
            same = (f"upper({col}) = upper({true})" if true else
                    f"upper({col}) IN (upper(p.first_name || ' ' || p.last_name), "
                    f"upper(p.last_name || ', ' || p.first_name))")
            parts.append(("name", f"{plain} AND NOT ({same})", plain, None))
    select = ", ".join(f"coalesce(sum({a}), 0), coalesce(sum({c}), 0)" for _k, a, c, _r in parts)
    row = conn.execute(
        f"SELECT count(*), count(DISTINCT g.resident_id){', ' + select if select else ''} FROM {quote(table.name)} "
        f"AS r JOIN _ground_truth AS g ON g.table_name = ? AND g.row_id = r.rowid "
        f"JOIN _residents AS p ON {join}", (table.name,)).fetchone()
    records, people = row[0], row[1]
    for i, (kind, _a, _c, asked_rate) in enumerate(parts):
        _add(kinds, kind, row[2 + 2 * i], row[3 + 2 * i], asked_rate)
    if one_per_resident:
        _add(kinds, "duplicate", records - people, people, rate("duplicate"))
    elif one_per_resident is None:
        note = ("Records entered twice are not counted: without the scenario file a second record cannot be "
                "told from a resident's several records.")
        if note not in notes:
            notes.append(note)
    return records


def _add(kinds: dict[str, DefectRate], kind: str, affected: int, checked: int, asked: float | None) -> None:
    entry = kinds.setdefault(kind, DefectRate(asked_known=True))
    entry.affected += affected
    entry.checked += checked
    if asked is None:
        entry.asked_known = False
    else:
        entry.asked_weight += asked * checked


def _formatted_sql(iso: str, fmt: str) -> str | None:
    """SQL writing the ISO date `iso` in the strftime format `fmt` (%Y %y %m %d %b %B and literal text, the
    formats scenarios use), the way the generator writes it; None for a format with other codes."""
    pieces = []
    for token in _TOKEN.findall(fmt):
        if token == "%Y":
            pieces.append(f"substr({iso}, 1, 4)")
        elif token == "%y":
            pieces.append(f"substr({iso}, 3, 2)")
        elif token == "%m":
            pieces.append(f"substr({iso}, 6, 2)")
        elif token == "%d":
            pieces.append(f"substr({iso}, 9, 2)")
        elif token in _MONTHS:
            cases = " ".join(f"WHEN '{i + 1:02d}' THEN '{m}'" for i, m in enumerate(_MONTHS[token]))
            pieces.append(f"(CASE substr({iso}, 6, 2) {cases} END)")
        elif token.startswith("%"):
            return None
        else:
            pieces.append(_text(token))
    return "(" + " || ".join(pieces) + ")" if pieces else None


def residents_by_age_and_place(conn: sqlite3.Connection, reference_date: str) -> tuple[AgePyramid,
                                                                                         list[tuple[str, int]]]:
    """The age pyramid (10-year bands × sex, the age in whole years at `reference_date`, ISO) and the residents
    per neighbourhood (largest first), from one scan of `_residents` grouped by band, sex and neighbourhood."""
    ref = _text(reference_date)
    age = (f"(CAST(substr({ref}, 1, 4) AS INTEGER) - CAST(substr(birth_date, 1, 4) AS INTEGER) "
           f"- (substr({ref}, 6, 5) < substr(birth_date, 6, 5)))")
    top = OLDEST_BAND // AGE_BAND_YEARS
    band = f"CASE WHEN birth_date IS NULL THEN NULL ELSE max(0, min({age} / {AGE_BAND_YEARS}, {top})) END"
    rows = conn.execute(f"SELECT {band} AS band, sex, neighbourhood, count(*) FROM _residents "
                        "GROUP BY band, sex, neighbourhood").fetchall()
    sex_totals: dict[str, int] = {}
    place_totals: dict[str, int] = {}
    for b, sex, place, n in rows:
        place_totals[str(place)] = place_totals.get(str(place), 0) + n
        if b is not None:
            sex_totals[str(sex)] = sex_totals.get(str(sex), 0) + n
    sexes = sorted(sex_totals, key=lambda s: (-sex_totals[s], s))
    counts = {s: [0] * (top + 1) for s in sexes}
    for b, sex, _place, n in rows:
        if b is not None:
            counts[str(sex)][int(b)] += n
    bands = [f"{i * AGE_BAND_YEARS}–{i * AGE_BAND_YEARS + AGE_BAND_YEARS - 1}" for i in range(top)] + [f"{OLDEST_BAND}+"]
    places = sorted(place_totals.items(), key=lambda kv: (-kv[1], kv[0]))
    return AgePyramid(bands, sexes, counts), places


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _text(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


__all__ = ["AgePyramid", "CityProfile", "DEFECT_KINDS", "DefectRate", "DepartmentDefects", "city_profile",
           "residents_by_age_and_place", "departments_per_resident", "table_defects"]
