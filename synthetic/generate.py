"""generate_city(): a city spec in, a SQLite database out — deterministic, chunked, cancellable."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import faker
import numpy as np

from synthetic import GENERATOR_VERSION
from synthetic import formatting as fmt
from synthetic.categories import CATEGORIES
from synthetic.population import (
    Population,
    apply_conditions,
    build_population,
    condition_columns,
    coverage_rates,
    rng_for,
    ssn_text,
)
from synthetic.progress import Cancelled, Steps, TaskState
from synthetic.spec import BUILTIN_GENERATORS, CitySpec
from synthetic.sqlite_file import new_database
from synthetic.tables import TableStyle, build_records, covered_records

CHUNK = 100_000
SQL_TYPES = {"text": "TEXT", "integer": "INTEGER", "real": "REAL", "date": "TEXT", "flag": "INTEGER"}
UNITS = {"age": "years", "lat": "degrees", "lon": "degrees", "household_size": "people"}
VOTER_COLUMNS = [("voter_id", "text", "direct_identifier", "record_id", "Voter registration number"),
                 ("full_name", "text", "direct_identifier", "full_name", "Name as registered"),
                 ("birth_date", "date", "quasi_identifier", "birth_date", "Date of birth (ISO)"),
                 ("sex", "text", "quasi_identifier", "sex", "Sex as registered"),
                 ("zip", "text", "quasi_identifier", "zip", "ZIP code of the registered address"),
                 ("address", "text", "direct_identifier", "address", "Registered street address")]


@dataclass
class GenerationResult:
    database: Path
    residents: int
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class _Writer:
    """Creates tables and inserts column arrays in large batches inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.dictionary: list[tuple] = []
        self.counts: dict[str, int] = {}
        self.levels: dict[str, str] = dict(CATEGORIES)  # category -> sensitivity, the scenario's own included

    def create(self, table: str, columns: list[tuple[str, str]]) -> None:
        cols = ", ".join(f'"{name}" {SQL_TYPES.get(kind, kind)}' for name, kind in columns)
        self.conn.execute(f'CREATE TABLE "{table}" ({cols})')
        self.counts[table] = 0

    def insert(self, table: str, columns: list[np.ndarray]) -> None:
        if not columns or len(columns[0]) == 0:
            return
        marks = ", ".join("?" * len(columns))
        rows = zip(*(c.tolist() for c in columns), strict=True)
        self.conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
        self.counts[table] += len(columns[0])

    def describe(self, table, column, description, category, department, data_type, fmt_="", unit="",
                 semantic="", facilitator_only=0) -> None:
        self.dictionary.append((table, column, description, category, self.levels.get(category, "internal"),
                                department, facilitator_only, data_type, fmt_, unit, semantic))


def _chunks(n: int):
    for start in range(0, n, CHUNK):
        yield np.arange(start, min(start + CHUNK, n))


def _write_residents(w: _Writer, spec: CitySpec, pop: Population, steps: Steps) -> None:
    attr_types = {a.name: ("flag" if a.kind == "flag" else "real" if a.kind == "number" else "text")
                  for a in spec.population.attributes}
    base = [("resident_id", "integer"), ("household_id", "integer"), ("first_name", "text"), ("last_name", "text"),
            ("sex", "text"), ("birth_date", "date"), ("age", "integer"), ("address", "text"), ("zip", "text"),
            ("neighbourhood", "text"), ("lat", "real"), ("lon", "real"), ("phone", "text"), ("email", "text"),
            ("ssn", "text"), ("household_size", "integer")]
    cols = base + [(t, "flag") for t in pop.tags] + list(attr_types.items())
    w.create("_residents", cols)
    attributes = {a.name: a for a in spec.population.attributes}
    for name, kind in cols:
        attr = attributes.get(name)
        if attr is not None:
            category, unit, semantic = attr.category, attr.unit, f"resident_attribute:{name}"
            description = f"{attr.description or name} (true value; facilitator only)"
        else:
            category = BUILTIN_GENERATORS[name][0] if name in BUILTIN_GENERATORS else "quasi_identifier"
            unit, semantic = UNITS.get(name, ""), name
            description = "True value for the synthetic resident (facilitator only)"
        w.describe("_residents", name, description, category, "facilitator", kind,
                   "%Y-%m-%d" if kind == "date" else "", unit, semantic, 1)
    labels = fmt.street_labels(pop.streets, "full")
    for chunk in _chunks(pop.size):
        zips = np.asarray(pop.neighbourhood_zips, dtype=object)[pop.neighbourhood[chunk]]
        first = pop.first_names[pop.first_name[chunk]]
        last = pop.last_names[pop.last_name[chunk]]
        arrays = [chunk + 1, pop.household[chunk] + 1, first, last, pop.sex[chunk],
                  fmt.format_dates(pop.birth_ordinal[chunk], "%Y-%m-%d"), pop.age[chunk],
                  fmt.addresses(pop.house_number[chunk], pop.street[chunk], pop.unit[chunk], labels, "full"), zips,
                  np.asarray(pop.neighbourhood_names, dtype=object)[pop.neighbourhood[chunk]],
                  pop.lat[chunk], pop.lon[chunk], fmt.phones(pop.phone_area[chunk], pop.phone_line[chunk], "dashes"),
                  pop.emails(chunk), ssn_text(pop.ssn_index[chunk]),
                  pop.household_size[chunk]]
        arrays += [pop.tags[t][chunk].astype(np.int64) for t in pop.tags]
        for name, kind in attr_types.items():
            values = pop.attributes[name][chunk]
            arrays.append(values.astype(np.int64) if kind == "flag" else values)
        w.insert("_residents", arrays)
        steps.advance(len(chunk), "writing residents")


def _write_department_table(w: _Writer, truth: list, spec: CitySpec, style: TableStyle, pop: Population,
                            steps: Steps) -> None:
    dept, table = style.department, style.table
    w.create(table.name, [(f.name, style.types[f.name]) for f in table.fields])
    for f in table.fields:
        category = spec.field_category(f)
        description = f.description or (BUILTIN_GENERATORS[f.gen][2] if f.gen else "")
        semantic = f.gen or (f"resident_attribute:{f.attribute}" if f.attribute else
                             {"date": "event_date", "text": "text", "expr": "derived"}.get(f.kind, f.kind))
        unit = f.unit or UNITS.get(f.gen or "", "")
        if f.attribute:
            attr = spec.attribute(f.attribute)
            description = description or attr.description
            unit = unit or attr.unit
        w.describe(table.name, f.name, description, category, dept.id, style.types[f.name],
                   dept.habits.date_format if style.types[f.name] == "date" else "", unit, semantic)
    ref_ordinal = spec.reference_date.toordinal()
    next_id = 1
    for i, chunk in enumerate(_chunks(pop.size)):
        rng = rng_for(spec.seed, "table", table.name, i)
        res = covered_records(style, pop, chunk, rng)
        columns = build_records(style, pop, res, rng, next_id, ref_ordinal)
        start_row = w.counts[table.name] + 1
        w.insert(table.name, [columns[f.name] for f in table.fields])
        truth.append((table.name, start_row, res + 1))
        next_id += len(res)
        steps.advance(len(chunk), f"writing {table.name}")


def _write_voter_roll(w: _Writer, truth: list, spec: CitySpec, pop: Population, steps: Steps) -> None:
    ref = spec.public_reference
    w.create(ref.table, [(name, kind) for name, kind, *_ in VOTER_COLUMNS])
    for name, kind, category, semantic, description in VOTER_COLUMNS:
        w.describe(ref.table, name, description, category, "public", kind, "%Y-%m-%d" if kind == "date" else "",
                   "", semantic)
    labels = fmt.street_labels(pop.streets, "full")
    next_id = 1
    for i, chunk in enumerate(_chunks(pop.size)):
        rng = rng_for(spec.seed, "voter-roll", i)
        frame = pop.frame(chunk, condition_columns(ref.coverage.when))
        p = apply_conditions(rng, frame, ref.coverage.when, "rate", ref.coverage.rate, coverage_rates)
        res = chunk[rng.random(len(chunk)) < p]
        first = pop.first_names[pop.first_name[res]]
        last = pop.last_names[pop.last_name[res]]
        zips = np.asarray(pop.neighbourhood_zips, dtype=object)[pop.neighbourhood[res]]
        arrays = [fmt.record_ids("V", 8, next_id, len(res)), first + " " + last,
                  fmt.format_dates(pop.birth_ordinal[res], "%Y-%m-%d"), pop.sex[res], zips,
                  fmt.addresses(pop.house_number[res], pop.street[res], pop.unit[res], labels, "full")]
        start_row = w.counts[ref.table] + 1
        w.insert(ref.table, arrays)
        truth.append((ref.table, start_row, res + 1))
        next_id += len(res)
        steps.advance(len(chunk), "writing the public voter roll")


def _write_truth(w: _Writer, truth: list) -> None:
    w.conn.execute("CREATE TABLE _ground_truth (table_name TEXT NOT NULL, row_id INTEGER NOT NULL, "
                   "resident_id INTEGER NOT NULL, PRIMARY KEY (table_name, row_id)) WITHOUT ROWID")
    for name, start, ids in truth:
        rows = zip([name] * len(ids), range(start, start + len(ids)), ids.tolist(), strict=True)
        w.conn.executemany("INSERT INTO _ground_truth VALUES (?, ?, ?)", rows)
    w.counts["_ground_truth"] = sum(len(ids) for _, _, ids in truth)
    for column, description in (("table_name", "Table of the record"), ("row_id", "SQLite rowid of the record"),
                                ("resident_id", "The synthetic resident the record is about")):
        w.describe("_ground_truth", column, description, "operational", "facilitator",
                   "text" if column == "table_name" else "integer", facilitator_only=1, semantic=column)


def remove_stale_partials(out: Path) -> list[Path]:
    """Delete `.NAME.partial-PID` files that a killed generation left beside `out` (its process is gone)."""
    removed = []
    for partial in out.parent.glob(f".{glob.escape(out.name)}.partial-*"):
        pid = partial.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            partial.unlink(missing_ok=True)
            removed.append(partial)
    return removed


def _alive(pid: int) -> bool:
    if os.name == "nt":
        return True  # os.kill would end the process there: never judge
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process (or not ours to judge): leave its file alone
    return True


def generate_city(spec: CitySpec, out: str | Path, *, residents: int | None = None, state: TaskState | None = None,
                  meta: dict[str, str] | None = None, scenario_name: str = "") -> GenerationResult:
    """Generate the city into a new SQLite file at `out` (written to a temp file, then renamed).

    Deterministic: the same spec, seed, resident count and generator version give a byte-identical file.
    Raises `Cancelled` (and leaves nothing behind) if `state` asks to stop.
    """
    started = time.perf_counter()
    out = Path(out)
    n = residents or spec.city.residents
    tables = spec.tables()
    steps = Steps(state, n * (2 + len(tables) + (1 if spec.public_reference else 0)))
    remove_stale_partials(out)
    with new_database(out, pragmas=("cache_size = -200000",)) as conn:
        steps.advance(0, "drawing the population")
        pop = build_population(spec, n)
        steps.advance(n, "drawing the population")
        w = _Writer(conn)
        w.levels = spec.category_levels()
        _write_residents(w, spec, pop, steps)
        truth: list = []
        for dept, table in tables:
            salt = int.from_bytes(hashlib.sha256(f"{spec.seed}:{dept.id}".encode()).digest()[:4], "big")
            _write_department_table(w, truth, spec, TableStyle.build(dept, table, pop, salt), pop, steps)
        if spec.public_reference:
            _write_voter_roll(w, truth, spec, pop, steps)
        _write_truth(w, truth)
        _write_dictionary_and_meta(w, spec, n, scenario_name, meta or {})
    counts = {t: c for t, c in w.counts.items() if not t.startswith("_")}
    return GenerationResult(out, n, counts, time.perf_counter() - started)


def _write_dictionary_and_meta(w: _Writer, spec: CitySpec, n: int, scenario_name: str, meta: dict) -> None:
    for column in ("key", "value"):
        w.describe("_meta", column, "Generation settings", "operational", "facilitator", "text", facilitator_only=1,
                   semantic=column)
    dictionary_columns = ["table_name", "column_name", "description", "category", "sensitivity", "department",
                          "facilitator_only", "data_type", "format", "unit", "semantic"]
    for column in dictionary_columns:
        w.describe("_data_dictionary", column, "Data dictionary", "operational", "public",
                   "integer" if column == "facilitator_only" else "text", semantic=column)
    w.conn.execute("CREATE TABLE _data_dictionary (" + ", ".join(
        f"{c} {'INTEGER' if c == 'facilitator_only' else 'TEXT'}" for c in dictionary_columns) + ")")
    w.conn.executemany(f"INSERT INTO _data_dictionary VALUES ({', '.join('?' * len(dictionary_columns))})",
                       w.dictionary)
    w.counts["_data_dictionary"] = len(w.dictionary)
    key = hashlib.sha256(f"city-sandbox pseudonym key {spec.seed}".encode()).hexdigest()
    values = {"scenario": scenario_name, "seed": str(spec.seed), "residents": str(n),
              "reference_date": spec.reference_date.isoformat(), "generator_version": GENERATOR_VERSION,
              "faker_version": faker.VERSION, "pseudonym_key": key, **meta}
    # Row counts, so a catalogue never has to count(*) a million-row table (the _meta row included).
    values["row_counts"] = json.dumps(dict(sorted({**w.counts, "_meta": len(values) + 1}.items())))
    w.conn.execute("CREATE TABLE _meta (key TEXT PRIMARY KEY, value TEXT)")
    w.conn.executemany("INSERT INTO _meta VALUES (?, ?)", sorted(values.items()))


__all__ = ["Cancelled", "GenerationResult", "generate_city"]
