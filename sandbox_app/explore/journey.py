"""'How my data moves': every department record about one resident, and where agreements let it flow.

Facilitators pick a resident and get exactly their records from the ground truth. Teams (and facilitators)
can also search by name and birth date the way a department would have to, record linkage by hand: a
record matches when its last name and birth date agree once both are written the same way (case, accents,
the department's date format); near misses are shown with the reason (one letter different, day and month
swapped), and for a table that records no birth date the whole name must agree. The departments' defects
(typos, nicknames, swapped dates, missing values) make it fail in the ways real linkage fails.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import unicodedata
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sandbox_app.errors import DatabaseError, Problem
from sandbox_app.explore.catalog import Catalog, TableInfo, builtin_scenario, open_read_only, quote
from synthetic.progress import Cancelled, NullState, TaskState

NAME_SEMANTICS = ("full_name", "first_name", "last_name")
SEARCH_CHUNK = 50_000  # rows of a table compared at a time (each step on a chunk holds the GIL briefly)


@dataclass
class Flow:
    agreement: str  # title
    to: list[str]  # department names
    purposes: list[str]
    excluded_fields: list[str]  # the record's fields whose category the agreement excludes


@dataclass
class JourneyRecord:
    table: str
    department: str  # name
    row_id: int
    values: dict[str, object]
    date: str = ""  # ISO date of the record's event, if it has one
    match: str = ""  # for search hits: why it matched
    flows: list[Flow] = field(default_factory=list)


def _missing(value: object) -> bool:
    """None, NaN or pandas' NA (a missing name is no name, never the letters N and A)."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def fold(text: object) -> str:
    """Upper case, accents removed, only letters and spaces: how linkage compares names."""
    if _missing(text):
        return ""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return " ".join("".join(c if c.isalpha() else " " for c in plain.upper()).split())


@functools.lru_cache(maxsize=64)
def _fixed_width(fmt: str) -> tuple[tuple[str, int, int], ...] | None:
    """For a date format of only %Y, %m, %d and one-character separators: (part, start, end) of each piece
    ('sep' parts hold the separator in `part[4:]`); None for any other format (strptime reads it)."""
    pieces, at, i = [], 0, 0
    while i < len(fmt):
        if fmt[i] == "%" and fmt[i + 1:i + 2] in ("Y", "m", "d"):
            width = 4 if fmt[i + 1] == "Y" else 2
            pieces.append((fmt[i + 1], at, at + width))
            at, i = at + width, i + 2
        elif fmt[i] == "%":
            return None
        else:
            pieces.append(("sep:" + fmt[i], at, at + 1))
            at, i = at + 1, i + 1
    return tuple(pieces)


@functools.lru_cache(maxsize=1 << 17)
def iso_date(text: object, fmt: str) -> str:
    """The department's date as ISO (YYYY-MM-DD), or '' if it is missing or not a real date."""
    if text is None or text == "":
        return ""
    text, fmt = str(text), fmt or "%Y-%m-%d"
    pieces = _fixed_width(fmt)
    if pieces is not None and len(text) == pieces[-1][2]:  # zero-padded, as departments write it: no strptime
        parts = {}
        for part, start, end in pieces:
            chunk = text[start:end]
            if part.startswith("sep:"):
                if chunk != part[4:]:
                    break
            elif not chunk.isdigit():
                break
            else:
                parts[part] = int(chunk)
        else:
            if len(parts) == 3:
                try:
                    return datetime.date(parts["Y"], parts["m"], parts["d"]).isoformat()
                except ValueError:
                    return ""
    try:
        return datetime.datetime.strptime(text, fmt).date().isoformat()
    except ValueError:
        return ""


def swapped(iso: str) -> str:
    """The same date with day and month swapped ('' when that is not a date)."""
    try:
        day = datetime.date.fromisoformat(iso)
        return datetime.date(day.year, day.day, day.month).isoformat()
    except ValueError:
        return ""


def one_letter_apart(a: str, b: str) -> bool:
    """True when a and b differ by exactly one inserted, deleted or changed letter."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _columns_by_semantic(info: TableInfo) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in info.columns:
        out.setdefault(c.semantic, c.name)
    return out


def _linkable(catalog: Catalog) -> list[TableInfo]:
    return [t for t in catalog.tables if not t.name.startswith("_")
            and set(_columns_by_semantic(t)) & set(NAME_SEMANTICS)]


def _names(frame: pd.DataFrame, cols: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """(first, last) name of every row, folded; a full name is 'LAST, FIRST' or 'First Last'. Computed with
    pyarrow's string kernels, column at a time (the same result as `fold` per value, tested; they release
    the GIL, so a search over a big table leaves the window free)."""
    index = frame.index
    if "last_name" in cols:
        last = _series(fold_column(_strings(frame[cols["last_name"]])), index)
        first = _series(fold_column(_strings(frame[cols["first_name"]])), index) if "first_name" in cols else \
            pd.Series("", index=index, dtype=object)
        return first, last
    raw = _strings(frame[cols["full_name"]])
    parts = pc.split_pattern(pc.fill_null(raw, ""), ",", max_splits=1)
    comma = pc.equal(pc.list_value_length(parts), 2)
    words = fold_column(raw)
    first_word = pc.fill_null(pc.struct_field(pc.extract_regex(words, r"^(?P<w>[A-Z]*)"), [0]), "")
    last_word = pc.fill_null(pc.struct_field(pc.extract_regex(words, r"(?P<w>[A-Z]*)$"), [0]), "")
    with_comma = pc.if_else(comma, parts, pa.scalar(["", ""], type=parts.type))
    last_part = fold_column(pc.list_element(with_comma, 0))
    first_part = fold_column(pc.list_element(with_comma, 1))
    first = pc.if_else(comma, first_part, first_word)
    last = pc.if_else(comma, last_part, last_word)
    return _series(first, index), _series(last, index)


def fold_column(values: pa.Array) -> pa.Array:
    """`fold` of every value of a string column, in pyarrow: NFKD, drop what is not ASCII, upper case,
    every run of non-letters to one space, trimmed; missing values give ''."""
    folded = pc.utf8_normalize(values, "NFKD")
    folded = pc.replace_substring_regex(folded, r"[^\x00-\x7F]", "")
    folded = pc.ascii_upper(folded)
    folded = pc.replace_substring_regex(folded, r"[^A-Z]+", " ")
    return pc.fill_null(pc.utf8_trim(folded, " "), "")


def _strings(values: pd.Series) -> pa.Array:
    """A pandas column as a pyarrow string array (numbers and other values as their text; missing as null)."""
    if values.dtype == object or not pd.api.types.is_string_dtype(values.dtype):
        values = values.astype("string")  # numbers as their text, missing values kept missing
    return pa.array(values, type=pa.string(), from_pandas=True)


def _series(values: pa.Array, index: pd.Index) -> pd.Series:
    return pd.Series(values.to_numpy(zero_copy_only=False), index=index, dtype=object)


def search_residents(catalog: Catalog, first_name: str, last_name: str, birth_date: str,
                     state: TaskState | None = None) -> list[JourneyRecord]:
    """Records of the department tables that look like this person (birth date as YYYY-MM-DD)."""
    state = state or NullState()
    want_first, want_last, want_birth = fold(first_name), fold(last_name), birth_date.strip()
    hits: list[JourneyRecord] = []
    tables = _linkable(catalog)
    with contextlib.closing(open_read_only(catalog.path)) as conn:
        for done, info in enumerate(tables, start=1):
            if state.is_cancelled():
                raise Cancelled()
            cols = _columns_by_semantic(info)
            wanted = [cols[s] for s in (*NAME_SEMANTICS, "birth_date") if s in cols]
            chunks = pd.read_sql_query(f"SELECT rowid AS _row_id, {', '.join(quote(c) for c in wanted)} "
                                       f"FROM {quote(info.name)}", conn, chunksize=SEARCH_CHUNK)
            for frame in chunks:  # in chunks: no single step holds the GIL long enough to stall the window
                if state.is_cancelled():
                    raise Cancelled()
                hits += _chunk_hits(catalog, conn, info, cols, frame, want_first, want_last, want_birth)
            state.set_progress(done / len(tables), f"searched {info.name}")
    return _with_flows(catalog, hits)


def _chunk_hits(catalog: Catalog, conn, info: TableInfo, cols: dict, frame: pd.DataFrame, want_first: str,
                want_last: str, want_birth: str) -> list[JourneyRecord]:
    """The records of one chunk of a table that look like the person, each with why it matched."""
    birth_col = cols.get("birth_date")
    first, last = _names(frame, cols)
    if birth_col and want_birth:
        fmt = info.column(birth_col).format
        births = _each_distinct(frame[birth_col], lambda v, f=fmt: iso_date(v, f))
        near = _each_distinct(last, lambda v: one_letter_apart(v, want_last))
        flip = swapped(want_birth)
        reasons = [((last == want_last) & (births == want_birth), "same last name and birth date"),
                   (near & (births == want_birth), "birth date agrees, last name one letter different "
                                                   "(a typo?)"),
                   ((last == want_last) & (births == flip) if flip and flip != want_birth else None,
                    "same last name, birth date with day and month swapped")]
    else:
        why = "this department records no birth date" if not birth_col else "no birth date given"
        reasons = [((last == want_last) & (first == want_first), f"same first and last name ({why})")]
    hits: list[JourneyRecord] = []
    for mask, reason in reasons:
        if mask is None or not mask.any():
            continue
        ids = frame.loc[mask, "_row_id"].tolist()
        rows = pd.read_sql_query(f"SELECT rowid AS _row_id, * FROM {quote(info.name)} WHERE rowid IN "
                                 f"({', '.join('?' * len(ids))})", conn, params=ids)
        hits += [_record(catalog, info, row, reason) for row in rows.to_dict("records")]
    return hits


def _each_distinct(values: pd.Series, fn) -> pd.Series:
    """`fn` of every value, computed once per distinct value (names and dates repeat a lot)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    mapped = pd.Series([fn(u) for u in uniques], dtype=object)
    return pd.Series(mapped.to_numpy()[codes], index=values.index)


def _facilitators_only(catalog: Catalog) -> DatabaseError:
    return DatabaseError([Problem(str(catalog.path), None, "", "the ground truth and the residents table are for "
                                  "facilitators", "open the explorer with --facilitator")])


def resident_journey(catalog: Catalog, resident_id: int) -> list[JourneyRecord]:
    """Every visible department record about the resident, from the ground truth (facilitator only)."""
    if not catalog.facilitator:
        raise _facilitators_only(catalog)
    records: list[JourneyRecord] = []
    with contextlib.closing(open_read_only(catalog.path)) as conn:
        truth = conn.execute("SELECT table_name, row_id FROM _ground_truth WHERE resident_id = ? "
                             "ORDER BY table_name, row_id", (int(resident_id),)).fetchall()
        by_table: dict[str, list[int]] = {}
        for table, row_id in truth:
            by_table.setdefault(table, []).append(row_id)
        for info in catalog.tables:
            ids = by_table.get(info.name)
            if not ids:
                continue
            frame = pd.read_sql_query(f"SELECT rowid AS _row_id, * FROM {quote(info.name)} WHERE rowid IN "
                                      f"({', '.join('?' * len(ids))})", conn, params=ids)
            records += [_record(catalog, info, row, "") for row in frame.to_dict("records")]
    return _with_flows(catalog, records)


def _record(catalog: Catalog, info: TableInfo, row: dict, match: str) -> JourneyRecord:
    cols = _columns_by_semantic(info)
    date = ""
    if "event_date" in cols:
        date = iso_date(row.get(cols["event_date"]), info.column(cols["event_date"]).format)
    values = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items() if k != "_row_id"}
    return JourneyRecord(info.name, catalog.department_name(info.department), int(row["_row_id"]), values, date,
                         match)


def _with_flows(catalog: Catalog, records: list[JourneyRecord]) -> list[JourneyRecord]:
    agreements = scenario_agreements(catalog)
    for record in records:
        info = catalog.table(record.table)
        for agreement in agreements:
            if info.department not in agreement.parties:
                continue
            excluded = [c.name for c in info.columns if c.category in agreement.prohibited_categories]
            record.flows.append(Flow(agreement.title, [catalog.department_name(p) for p in agreement.parties
                                                       if p != info.department], list(agreement.purposes),
                                     excluded))
    return sorted(records, key=lambda r: (r.date == "", r.date, r.table, r.row_id))


def scenario_agreements(catalog: Catalog) -> list:
    """The agreements of the built-in scenario the city was made from ([] if it is not a built-in)."""
    scenario = builtin_scenario(catalog.meta.get("scenario", ""))
    return [] if scenario is None else list(scenario.agreements)


@dataclass
class AgreementMap:
    departments: dict[str, str]  # id -> name, every department of the city
    agreements: list  # scenario Agreement objects


def agreement_map(catalog: Catalog) -> AgreementMap:
    """Departments (nodes) and agreements (each joining its parties) of the city's scenario."""
    departments = {t.department: catalog.department_name(t.department) for t in catalog.tables
                   if not t.name.startswith("_") and t.department != "public"}
    agreements = scenario_agreements(catalog)
    for agreement in agreements:
        for party in agreement.parties:
            departments.setdefault(party, catalog.department_name(party))
    return AgreementMap(departments, agreements)


def pick_resident(catalog: Catalog, turn: int = 0) -> int | None:
    """A resident with records in several departments (the `turn`-th such, so 'another one' moves on)."""
    if not catalog.facilitator:
        raise _facilitators_only(catalog)
    with contextlib.closing(open_read_only(catalog.path)) as conn:
        row = conn.execute("SELECT resident_id FROM _ground_truth GROUP BY resident_id HAVING "
                           "count(DISTINCT table_name) >= 3 ORDER BY (resident_id * 7919) % 10007, resident_id "
                           "LIMIT 1 OFFSET ?", (turn,)).fetchone()
    return int(row[0]) if row else None


def resident_card(catalog: Catalog, resident_id: int) -> dict:
    """The true resident (name, birth date…) a facilitator picked, from _residents."""
    if not catalog.facilitator:
        raise _facilitators_only(catalog)
    with contextlib.closing(open_read_only(catalog.path)) as conn:
        conn.row_factory = None
        cursor = conn.execute("SELECT resident_id, first_name, last_name, birth_date, sex, address, zip "
                              "FROM _residents WHERE resident_id = ?", (int(resident_id),))
        row = cursor.fetchone()
        names = [d[0] for d in cursor.description]
    return dict(zip(names, row, strict=True)) if row else {}


__all__ = ["AgreementMap", "Flow", "JourneyRecord", "agreement_map", "pick_resident", "fold", "iso_date", "resident_card", "resident_journey", "scenario_agreements",
           "search_residents", "swapped"]
