"""Build a department table's records for one chunk of residents, in that department's style, with defects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthetic import defects as dq
from synthetic import formatting as fmt
from synthetic.expr import parse
from synthetic.population import (
    Population,
    apply_conditions,
    condition_columns,
    coverage_rates,
    draw_choice,
    draw_flag,
    draw_number,
    ssn_text,
)
from synthetic.spec import BUILTIN_GENERATORS, Defects, Department, Table, TableField
from synthetic.template import parse_template, render

NAME_GENS = {"full_name", "first_name", "last_name"}
NO_MISSING = {"record_id", "resident_key"}


def field_type(field: TableField, pop: Population) -> str:
    """The column's data type for SQLite and the data dictionary: text, integer, real, date or flag."""
    if field.gen is not None:
        return BUILTIN_GENERATORS[field.gen][1]
    if field.kind in ("date", "flag"):
        return field.kind
    if field.kind == "number":
        integral = field.number.dist == "poisson" or float(field.number.round or 0.5).is_integer()
        return "integer" if integral else "real"
    if field.kind == "attribute":
        sample = pop.attributes[field.attribute][:1000]
    elif field.kind == "expr":
        expression = parse(field.expr)
        sample = expression.evaluate(pop.frame(slice(0, 1000), expression.columns)).to_numpy()
    elif field.kind == "choice":
        sample = np.array(list(field.choice), dtype=object)
    else:
        return "text"
    return _dtype_name(sample)


def _dtype_name(values: np.ndarray) -> str:
    if values.dtype == bool:
        return "flag"
    if values.dtype.kind in "iu":
        return "integer"
    if values.dtype.kind == "f":
        return "real"
    if len(values) and all(isinstance(v, bool) for v in values):
        return "flag"
    if len(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    return "text"


@dataclass
class TableStyle:
    """Everything about how one department writes one table, computed once."""

    department: Department
    table: Table
    defects: Defects
    first_pool: np.ndarray
    last_pool: np.ndarray
    nick_pool: np.ndarray
    street_labels: np.ndarray
    key_salt: int
    types: dict[str, str]
    expression_columns: set[str]

    @classmethod
    def build(cls, dept: Department, table: Table, pop: Population, key_salt: int) -> TableStyle:
        first, last, nicknames = _name_pools(pop, dept.habits)
        types = {f.name: field_type(f, pop) for f in table.fields}
        columns = set().union(*(condition_columns(f.when) | (parse(f.expr).columns if f.expr else set())
                                for f in table.fields))
        return cls(dept, table, dept.defects.merged(table.defects), first, last, nicknames,
                   fmt.street_labels(pop.streets, dept.habits.address_style), key_salt, types, columns)


def _name_pools(pop: Population, habits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First names, last names and nicknames as a department writes them. Departments with the same name
    habits share one set, cached on the population (read-only: records index into them)."""
    key = ("name-pools", habits.name_case, habits.strip_accents)
    if key not in pop._categories:
        first = fmt.name_pool(pop.first_names, habits)
        pop._categories[key] = (first, fmt.name_pool(pop.last_names, habits), dq.nickname_pool(first))
    return pop._categories[key]


def covered_records(style: TableStyle, pop: Population, chunk: np.ndarray, rng) -> np.ndarray:
    """Resident indices (into the population) of this chunk's records, duplicates included, shuffled."""
    table = style.table
    frame = pop.frame(chunk, condition_columns(table.coverage.when))
    p = apply_conditions(rng, frame, table.coverage.when, "rate", table.coverage.rate, coverage_rates)
    selected = np.flatnonzero(rng.random(len(chunk)) < p)
    per = table.records_per_resident
    if per.max > 1:
        counts = np.minimum(1 + rng.poisson(per.mean - 1, len(selected)), per.max)
        selected = np.repeat(selected, counts)
    dupes = dq.pick(rng, len(selected), style.defects.rate("duplicate"))
    rows = np.concatenate([selected, selected[dupes]])
    return chunk[rows[rng.permutation(len(rows))]]


class _Context:
    """Lazily formatted per-record values of the residents behind a chunk of records."""

    def __init__(self, style: TableStyle, pop: Population, res: np.ndarray, rng) -> None:
        self.style, self.pop, self.res, self.rng = style, pop, res, rng
        self.habits = style.department.habits
        self._cache: dict[str, np.ndarray] = {}
        self._frame: pd.DataFrame | None = None

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self.pop.frame(self.res, self.style.expression_columns)
        return self._frame

    def first_name(self) -> np.ndarray:
        if "first" not in self._cache:
            codes = self.pop.first_name[self.res]
            names = self.style.first_pool[codes]
            nick = dq.pick(self.rng, len(codes), self.style.defects.rate("nickname"))
            names[nick] = self.style.nick_pool[codes[nick]]
            self._cache["first"] = names
        return self._cache["first"].copy()

    def last_name(self) -> np.ndarray:
        return self.style.last_pool[self.pop.last_name[self.res]]

    def value(self, gen: str) -> np.ndarray:
        pop, res, habits = self.pop, self.res, self.habits
        if gen == "first_name":
            return self.first_name()
        if gen == "last_name":
            return self.last_name()
        if gen == "full_name":
            return fmt.full_names(self.first_name(), self.last_name(), habits)
        if gen in ("birth_date",):
            return pop.birth_ordinal[res]
        if gen == "age":
            return pop.age[res].astype(np.int64)
        if gen == "sex":
            sex = pop.sex[res]
            return np.array([habits.sex_codes.get(s, s) for s in sex], dtype=object) if habits.sex_codes else sex.copy()
        if gen == "address":
            return fmt.addresses(pop.house_number[res], pop.street[res], pop.unit[res], self.style.street_labels,
                                 habits.address_style)
        if gen == "zip":
            return np.asarray(pop.neighbourhood_zips, dtype=object)[pop.neighbourhood[res]]
        if gen == "neighbourhood":
            return np.asarray(pop.neighbourhood_names, dtype=object)[pop.neighbourhood[res]]
        if gen in ("lat", "lon"):
            return getattr(pop, gen)[res].astype(float)
        if gen == "phone":
            return fmt.phones(pop.phone_area[res], pop.phone_line[res], habits.phone_style)
        if gen == "email":
            return pop.emails(res)
        if gen == "ssn":
            return ssn_text(pop.ssn_index[res])
        if gen == "household_size":
            return pop.household_size[res].astype(np.int64)
        if gen == "resident_key":
            return fmt.resident_keys(habits.id_prefix, habits.id_digits, res + 1, self.style.key_salt)
        raise ValueError(f"unknown generator {gen}")


def _text(templates: list[str], ctx: _Context, columns: dict[str, np.ndarray], rng) -> np.ndarray:
    n = len(ctx.res)
    choice = rng.integers(0, len(templates), n)
    out = np.empty(n, dtype=object)
    for t, template in enumerate(templates):
        rows = np.flatnonzero(choice == t)
        parts = parse_template(template)
        names = list(dict.fromkeys(p[0] for p in parts if isinstance(p, tuple)))
        if not names:
            out[rows] = render(parts, {})
            continue
        values = {}
        for name in names:
            if name in columns:
                values[name] = columns[name][rows]
            elif name in BUILTIN_GENERATORS and name != "record_id":
                values[name] = ctx.value(name)[rows]
            elif name in ctx.pop.attributes:
                values[name] = ctx.pop.attributes[name][ctx.res[rows]]
            else:
                values[name] = np.full(len(rows), "", dtype=object)
        keys = list(values)
        for j, row_values in enumerate(zip(*(values[k] for k in keys), strict=True)):
            out[rows[j]] = render(parts, dict(zip(keys, row_values, strict=True)))
    return out


def build_records(style: TableStyle, pop: Population, res: np.ndarray, rng, id_start: int,
                  reference_ordinal: int) -> dict[str, np.ndarray]:
    """Column arrays for records about residents `res`, written as the department writes them."""
    habits = style.department.habits
    d = style.defects
    ctx = _Context(style, pop, res, rng)
    n = len(res)
    columns: dict[str, np.ndarray] = {}
    dates: dict[str, np.ndarray] = {}
    for field in style.table.fields:
        kind = field.kind
        if kind == "gen" and field.gen == "record_id":
            values = fmt.record_ids(habits.id_prefix, habits.id_digits, id_start, n)
        elif kind == "gen":
            values = ctx.value(field.gen)
        elif kind == "attribute":
            values = pop.attributes[field.attribute][res]
        elif kind == "expr":
            values = parse(field.expr).evaluate(ctx.frame).to_numpy()
        elif kind == "choice":
            values = apply_conditions(rng, ctx.frame, field.when, "choice", field.choice, draw_choice)
        elif kind == "flag":
            values = apply_conditions(rng, ctx.frame, field.when, "flag", field.flag, draw_flag)
        elif kind == "number":
            values = draw_number(rng, field.number, n)
            if style.types[field.name] == "integer":
                values = values.astype(np.int64)
        elif kind == "date":
            values = reference_ordinal + rng.integers(field.date.start, field.date.end + 1, n)
        else:
            values = _text(field.text, ctx, columns, rng)
        if style.types[field.name] == "date":
            dates[field.name] = values
            values = fmt.format_dates(values, habits.date_format)
        elif style.types[field.name] == "flag":
            values = values.astype(bool).astype(np.int64)
        columns[field.name] = values

    for field in style.table.fields:
        col = columns[field.name]
        if field.gen in NAME_GENS or field.gen == "address":
            dq.add_typos(col, rng, d.rate("typo"))
        if field.gen == "address":
            for i in dq.pick(rng, n, d.rate("address_variant")):
                col[i] = dq.address_variant(col[i], rng)
        if field.gen == "zip":
            for i in dq.pick(rng, n, d.rate("wrong_zip")):
                col[i] = dq.wrong_zip(col[i], rng)
        if field.name in dates:
            swap = dq.pick(rng, n, d.rate("swapped_day_month"))
            if len(swap):
                col[swap] = fmt.swapped_dates(dates[field.name][swap], habits.date_format)
        missing_rate = field.missing if field.missing is not None else d.rate("missing")
        if field.gen not in NO_MISSING:
            gone = dq.pick(rng, n, missing_rate)
            if len(gone):
                if col.dtype != object:
                    col = col.astype(object)
                col[gone] = None
                columns[field.name] = col
    return columns
