"""Apply a share to a city: check it against the database, filter rows, transform fields, aggregate.

The live risk meter re-applies the share on every edit, so the work is arranged to be nearly free the
second time, and cheap after an edit. Everything is kept in the database's memo (the tables are read-only,
so nothing goes stale): filter masks and derived fields over the whole table, and for the per-value ops
(pseudonym, hash, mask, most generalizations) the result for each distinct value of a column, worked out
only when a filtered row first needs it. Applying a share then mostly picks rows out of cached arrays;
the vectorised numeric ops (top/bottom code, grid) and `suppress_rare`, which depends on the rows in the
extract, run afresh on the picked rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from sandbox_app.errors import DatabaseError, Problem, ShareError
from sandbox_app.sharing import transforms as tf
from sandbox_app.sharing.aggregate import aggregate
from sandbox_app.sharing.database import ROW_ID, CityDatabase
from sandbox_app.sharing.document import FieldOp, ShareDocument, TableShare
from sandbox_app.sharing.extract import (
    SOURCE_TABLE,
    Extract,
    OutputColumn,
    TablePart,
    by_sensitivity,
    most_sensitive,
)
from sandbox_app.sharing.limits import work_problems
from sandbox_app.sharing.shared_codes import offer
from sandbox_app.sharing.zip3 import large_areas
from synthetic.check import did_you_mean
from synthetic.expr import ExpressionError, parse

_PARTNER = {"lat": "lon", "lon": "lat"}


# ------------------------------------------------------------------------------------- checking

def _expression_problem(file: str, path: str, err: ExpressionError) -> Problem:
    where = "" if err.position is None else f"column {err.position + 1}: "
    return Problem(file, None, path, where + err.message, err.hint)


def _column_info(db: CityDatabase, table: str, column: str) -> dict:
    try:
        return db.column_info(table, column)
    except DatabaseError:
        return {"column_name": column, "table_name": table}


def _check_table(db: CityDatabase, share_table: TableShare, at: str, holding: str | None,
                 file: str) -> list[Problem]:
    problems: list[Problem] = []
    table = share_table.table
    shareable = db.tables()
    if table not in shareable:
        if table in db.tables(include_facilitator=True) or table.startswith("_"):
            problems.append(Problem(file, None, f"{at}.table", f"'{table}' is for facilitators only and cannot "
                                    "be shared", "ground truth, the true population and the generator's "
                                    "settings are kept aside for scoring"))
        else:
            problems.append(Problem(file, None, f"{at}.table", f"unknown table '{table}'",
                                    did_you_mean(table, shareable) or f"tables: {', '.join(shareable)}"))
        return problems
    department = db.department_of(table)
    if holding is not None and department != holding:
        own = [t for t in shareable if db.department_of(t) == holding]
        problems.append(Problem(file, None, f"{at}.table", f"'{table}' is held by {department}, not by {holding}",
                                f"{holding} holds: {', '.join(own)}" if own else None))
    columns = db.columns(table)
    if share_table.where is not None:
        try:
            parse(share_table.where, columns)
        except ExpressionError as err:
            problems.append(_expression_problem(file, f"{at}.where", err))
    semantics = {str(_column_info(db, table, c).get("semantic")) for c in columns}
    for name, op in share_table.fields.items():
        path = f"{at}.fields.{name}"
        if op.op == "derive":
            try:
                parse(op.expr, columns)
            except ExpressionError as err:
                problems.append(_expression_problem(file, f"{path}.expr", err))
            continue
        if name not in columns:
            problems.append(Problem(file, None, path, f"unknown field '{name}' in {table}",
                                    did_you_mean(name, columns) or "to add a new field, use op derive"))
            continue
        info = _column_info(db, table, name)
        partner = _PARTNER.get(str(info.get("semantic")))
        why = tf.applicability(op.op, op.to, info, has_partner=partner in semantics)
        if why:
            problems.append(Problem(file, None, f"{path}.{'to' if op.op == 'generalize' else 'op'}", why))
    return problems


def check_share(db: CityDatabase, share: ShareDocument, *, holding_department: str | None = None,
                file: str = "<share>") -> list[Problem]:
    """Every problem that stops `share` from being applied to `db`, each located by its path in the share."""
    problems: list[Problem] = []
    for i, share_table in enumerate(share.tables):
        problems += _check_table(db, share_table, f"tables[{i}]", holding_department, file)
    agg = share.aggregate
    if agg is not None:
        if len(share.tables) != 1:
            problems.append(Problem(file, None, "aggregate", "an aggregate is computed from exactly one table; "
                                    f"this share has {len(share.tables)}", "make one share per table"))
        else:
            outputs = [name for name, op in share.tables[0].fields.items() if op.op != "drop"]
            hint_all = "list it under the table's fields first"
            for j, name in enumerate(agg.group_by):
                if name not in outputs:
                    problems.append(Problem(file, None, f"aggregate.group_by[{j}]", f"'{name}' is not a field "
                                            "of the share", did_you_mean(name, outputs) or hint_all))
            for j, measure in enumerate(agg.measures):
                if measure.field is not None and measure.field not in outputs:
                    problems.append(Problem(file, None, f"aggregate.measures[{j}].field", f"'{measure.field}' "
                                            "is not a field of the share", did_you_mean(measure.field, outputs)
                                            or hint_all))
    return problems


# ------------------------------------------------------------------------------------- applying

def key_department(db: CityDatabase, share: ShareDocument, holding_department: str | None) -> str:
    """Whose secret keys the pseudonyms: the holding department, else the (sorted, joined) departments of
    the share's tables, so one share always pseudonymises a value the same way in every table."""
    if holding_department:
        return holding_department
    return "+".join(sorted({db.department_of(t.table) for t in share.tables})) or "share"


def _places(db: CityDatabase) -> tf.Places:
    def build() -> tf.Places:
        people = db.resident_places()[["address", "neighbourhood"]].dropna()
        streets = pd.DataFrame({"street": tf.street_keys(people["address"]).to_numpy(),
                                "neighbourhood": people["neighbourhood"].to_numpy()})
        counts = streets.groupby(["street", "neighbourhood"]).size().reset_index(name="n")
        best = counts.sort_values(["street", "n"], ascending=[True, False]).drop_duplicates("street")
        return tf.Places(db.neighbourhood_of_zip(), dict(zip(best["street"], best["neighbourhood"], strict=True)),
                         db.neighbourhood_centres())
    return db.memo(("_residents", "gazetteer"), build)


def _pseudonym_key(db: CityDatabase, department: str) -> bytes:
    secret = db.meta.get("pseudonym_key")
    if not secret:
        raise DatabaseError([Problem(str(db.path), None, "", "this city has no pseudonym key",
                                     "generate it again with this version of the sandbox")])
    return bytes.fromhex(secret) + department.encode()


class _DistinctResults:
    """An op's result for each distinct value of one column, worked out only as rows need them.

    Editing one op of a share then costs time in proportion to the distinct values among the *filtered*
    rows, never twice for the same value, and picking rows is one Arrow `take`.
    """

    def __init__(self, uniques: np.ndarray):
        self.uniques = uniques
        self.results = np.full(len(uniques), None, dtype=object)
        self.done = np.zeros(len(uniques), dtype=bool)
        self.array = pd.array(self.results, dtype="str")
        self.lock = threading.Lock()
        self._factorized: tuple[object, np.ndarray, object] | None = None  # (array, codes, uniques)

    def take(self, codes: np.ndarray, op: Callable[[pd.Series], pd.Series]) -> pd.Series:
        with self.lock:
            present = codes[codes >= 0]
            wanted = np.zeros(len(self.uniques), dtype=bool)  # (a lookup: numpy 2's hashing unique is slow)
            wanted[present] = True
            missing = np.flatnonzero(wanted & ~self.done)
            if len(missing):
                values = op(pd.Series(self.uniques[missing], dtype=object))
                self.results[missing] = values.to_numpy(dtype=object, na_value=None)
                self.done[missing] = True
                self.array = pd.array(self.results, dtype="str")
            array = self.array
        column = pd.Series(array.take(codes, allow_fill=True))
        offer(column, lambda: self._row_codes(array, codes))
        return column

    def _row_codes(self, array, codes: np.ndarray) -> tuple[np.ndarray, object]:
        """Factorised rows of a column taken from `array`: the distinct results are factorised once per
        version of the array (not per score), then each row's code is one lookup."""
        with self.lock:
            if self._factorized is None or self._factorized[0] is not array:
                distinct, uniques = pd.factorize(array, use_na_sentinel=True)
                self._factorized = (array, distinct, uniques)
            _, distinct, uniques = self._factorized
        return np.where(codes >= 0, distinct[np.maximum(codes, 0)], -1), uniques


def _codes(db: CityDatabase, frame: pd.DataFrame, table: str, name: str) -> tuple[np.ndarray, np.ndarray]:
    def compute() -> tuple[np.ndarray, np.ndarray]:
        codes, uniques = pd.factorize(frame[name])
        return codes, np.asarray(uniques, dtype=object)
    return db.memo((table, "codes", name), compute)


def _per_value_op(db: CityDatabase, table: str, name: str, op: FieldOp, department: str,
                  large: frozenset[str] | None) -> Callable[[pd.Series], pd.Series] | None:
    """The op as a function of single values (text out), or None if it needs more than one value at a time."""
    if op.op == "pseudonym":
        return lambda v: tf.pseudonym(v, _pseudonym_key(db, department))
    if op.op == "hash":
        return tf.unkeyed_hash
    if op.op == "mask":
        return lambda v: tf.mask(v, op.keep_last or 0)
    info = _column_info(db, table, name)
    if op.op != "generalize" or op.to == "grid" or (op.to == "neighbourhood" and info.get("semantic") in _PARTNER):
        return None
    reference = pd.Timestamp(db.meta["reference_date"]).date() if db.meta.get("reference_date") else None
    places = _places(db) if op.to == "neighbourhood" else None
    return lambda v: tf.generalize(v, info, op.to, width=op.width, places=places, reference=reference,
                                   large=large if op.to == "zip3" else None)


def _field_values(db: CityDatabase, frame: pd.DataFrame, table: str, name: str, op: FieldOp, department: str,
                  positions: np.ndarray | None, large: frozenset[str] | None = None) -> pd.Series:
    """One output column: per-value ops through the column's cache of distinct results, the rest (cheap,
    vectorised) on the picked rows."""
    per_value = _per_value_op(db, table, name, op, department, large)
    if per_value is not None:
        key = (table, "distinct", name, op.op, tuple(op.params().items()), department if op.op == "pseudonym" else "",
               tuple(sorted(large)) if op.to == "zip3" and large is not None else ())
        codes, uniques = _codes(db, frame, table, name)
        cache = db.memo(key, lambda: _DistinctResults(uniques))
        return cache.take(codes if positions is None else codes[positions], per_value)
    values = _pick(frame[name], positions)
    if op.op == "keep":
        codes, uniques = _codes(db, frame, table, name)  # the table's codes, factorised once per database
        offer(values, lambda: (codes if positions is None else codes[positions], uniques))
        return values
    if op.op == "top_code":
        return tf.top_code(values, op.max)
    if op.op == "bottom_code":
        return tf.bottom_code(values, op.min)
    if op.op == "suppress_rare":
        return tf.suppress_rare(values, op.min_count or tf.RARE_MIN_COUNT)
    if op.op == "generalize" and op.to == "grid":
        return tf.grid(values, op.size)
    if op.op == "generalize":  # neighbourhood from coordinates: needs the other coordinate too
        semantic = _column_info(db, table, name).get("semantic")
        other = next(c for c in db.columns(table) if _column_info(db, table, c).get("semantic") == _PARTNER[semantic])
        return tf.generalize(values, {"semantic": semantic}, "neighbourhood", places=_places(db),
                             partner=_pick(frame[other], positions))
    return values  # keep


def _pick(values: pd.Series, positions: np.ndarray | None) -> pd.Series:
    if positions is None:
        return values.reset_index(drop=True)
    return pd.Series(values.array.take(positions), name=values.name)


def _computed_column(db: CityDatabase, table: str, name: str, op: str, params: dict, sources: list[str],
                     grain: str) -> OutputColumn:
    """A column computed from `sources` (derive, or a row filter): it carries all their categories and meanings."""
    infos = [_column_info(db, table, c) for c in sources]
    categories = by_sensitivity([str(i.get("category") or "internal") for i in infos])
    semantics = tuple(dict.fromkeys(str(i.get("semantic") or "") for i in infos))
    return OutputColumn(name, table, op, params, sources, most_sensitive(list(categories)),
                        "derived" if op == "derive" else "filter", grain, categories, semantics)


def _columns_read(db: CityDatabase, share_table: TableShare, columns: list[str]) -> list[str]:
    """The table's columns a share table reads: its filter's, its fields' (a derived field's expression's), and
    the other coordinate of a coordinate generalised to a neighbourhood."""
    wanted: set[str] = set()
    if share_table.where is not None:
        wanted |= parse(share_table.where, columns).columns
    for name, op in share_table.fields.items():
        if op.op == "derive":
            wanted |= parse(op.expr, columns).columns
        elif op.op != "drop":
            wanted.add(name)
            partner = _PARTNER.get(str(_column_info(db, share_table.table, name).get("semantic")))
            if partner is not None and op.op == "generalize" and op.to == "neighbourhood":
                wanted |= {c for c in columns
                           if _column_info(db, share_table.table, c).get("semantic") == partner}
    return [c for c in columns if c in wanted]


def _apply_table(db: CityDatabase, share_table: TableShare, at: str, department: str, file: str,
                 problems: list[Problem], large: frozenset[str] | None = None) -> TablePart | None:
    table = share_table.table
    columns = db.columns(table)
    frame = db.read_table(table, _columns_read(db, share_table, columns))
    positions = None
    if share_table.where is not None:
        expression = parse(share_table.where, columns)
        try:
            mask = db.memo((table, "where", expression.text), lambda: expression.evaluate_mask(frame))
        except ExpressionError as err:
            problems.append(_expression_problem(file, f"{at}.where", err))
            return None
        positions = np.flatnonzero(mask)
        row_filter = _computed_column(db, table, f"where: {expression.text}", "filter", {"expr": expression.text},
                                      [c for c in columns if c in expression.columns], "flag")
    else:
        row_filter = None
    data: dict[str, pd.Series] = {}
    outputs: list[OutputColumn] = []
    for name, op in share_table.fields.items():
        if op.op == "drop":
            continue
        if op.op == "derive":
            expression = parse(op.expr, columns)
            try:
                values = _pick(db.memo((table, "derive", expression.text), lambda e=expression: e.evaluate(frame)),
                               positions)
            except ExpressionError as err:
                problems.append(_expression_problem(file, f"{at}.fields.{name}.expr", err))
                continue
            sources = [c for c in columns if c in expression.columns]
            outputs.append(_computed_column(db, table, name, op.op, op.params(), sources,
                                            tf.grain("derive", {}, tf.is_flag(values))))
        else:
            values = _field_values(db, frame, table, name, op, department, positions, large)
            info = _column_info(db, table, name)
            outputs.append(OutputColumn(name, table, op.op, op.params(), [name], str(info.get("category") or ""),
                                        str(info.get("semantic") or ""), tf.grain(op.op, op.params()),
                                        zip3_kept=large if op.op == "generalize" and op.to == "zip3" else None))
        values.name = name  # (not rename: the column keeps its array, so shared factorisations find it)
        data[name] = values
    row_ids = frame[ROW_ID].to_numpy()
    truth = db.memo((table, "truth_by_position"), lambda: _truth_by_position(db, table, row_ids))
    if positions is not None:
        row_ids, truth = row_ids[positions], truth[positions]
    count = len(row_ids)
    out = pd.DataFrame(data, copy=False) if data else pd.DataFrame(index=pd.RangeIndex(count))
    return TablePart(table, out, truth, row_ids, outputs, len(frame), row_filter)


def _truth_by_position(db: CityDatabase, table: str, row_ids: np.ndarray) -> np.ndarray:
    truth = db.truth(table)
    return truth.reindex(row_ids).fillna(-1).to_numpy(dtype=np.int64)


def _measure_problems(part: TablePart, share: ShareDocument, file: str) -> list[Problem]:
    problems = []
    grains = {c.name: c.grain for c in part.columns}
    for j, measure in enumerate(share.aggregate.measures):
        if measure.field is None:
            continue
        values = part.frame[measure.field]
        if not (pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype)):
            problems.append(Problem(file, None, f"aggregate.measures[{j}].field", f"{measure.op} needs numbers; "
                                    f"'{measure.field}' is shared as {grains[measure.field]} values",
                                    f"keep the field, or measure count instead of {measure.op}"))
    return problems


def apply_share(db: CityDatabase, share: ShareDocument, *, holding_department: str | None = None,
                file: str = "<share>", zip3_populations: Mapping[str, int] | None = None) -> Extract:
    """The extract `share` yields from `db`.

    `generalize … zip3` writes 000 for every 3-digit area of 20,000 people or fewer (HIPAA Safe Harbor,
    sharing/zip3.py): the scenario's declared `zip3_populations` when given, else the synthetic residents.

    Raises ShareError listing every problem, each located by its path in the share (`file` names the share
    in messages): unknown or facilitator-only tables, tables the holding department does not hold, unknown
    fields, ops that do not suit a column, expression errors, aggregates over unknown fields.
    """
    problems = check_share(db, share, holding_department=holding_department, file=file)
    if problems:
        raise ShareError(problems)
    problems = work_problems([(f"tables[{i}]", len(db.read_table(t.table, [])),
                               sum(op.op == "derive" for op in t.fields.values())) for i, t in enumerate(share.tables)],
                             file)
    if problems:
        raise ShareError(problems)
    department = key_department(db, share, holding_department)
    zip3 = any(op.op == "generalize" and op.to == "zip3" for t in share.tables for op in t.fields.values())
    large = large_areas(db, zip3_populations) if zip3 else None
    parts = [_apply_table(db, t, f"tables[{i}]", department, file, problems, large)
             for i, t in enumerate(share.tables)]
    if problems:
        raise ShareError(problems)
    result = None
    if share.aggregate is not None:
        problems = _measure_problems(parts[0], share, file)
        if problems:
            raise ShareError(problems)
        agg = share.aggregate
        result = aggregate(parts[0].frame, agg.group_by, agg.measures, agg.min_cell_size)
    return Extract(share, [p for p in parts if p is not None], result)


def export_csv(extract: Extract, path: str | Path, *, force: bool = False) -> Path:
    """Write what the recipient gets (`extract.frame`; never ground truth or row ids) as UTF-8 CSV, atomically:
    an existing file is replaced only with `force`, and a failed write leaves it as it was."""
    from sandbox_app.files import atomic_write

    return atomic_write(path, lambda tmp: extract.frame.to_csv(tmp, index=False, encoding="utf-8"), force=force,
                        error=ShareError)


__all__ = ["SOURCE_TABLE", "Extract", "OutputColumn", "TablePart", "apply_share", "check_share", "export_csv", "key_department"]
