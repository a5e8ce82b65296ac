"""The generated city is safe to hand out and as messy as the scenario says, no more and no less."""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sandbox_app.scenario import load_scenario
from synthetic.defects import nickname
from synthetic.expr import parse
from synthetic.generate import generate_city

DATA = Path(__file__).parent / "data"
BIG = 100_000


def _open(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


@pytest.fixture(scope="module")
def storm():
    return load_scenario("winter-storm")


@pytest.fixture(scope="module")
def big_city(storm, tmp_path_factory) -> Path:
    """winter-storm at 100,000 residents: generated once for the whole module (a few seconds)."""
    out = tmp_path_factory.mktemp("big") / "winter-storm-100k.db"
    generate_city(storm, out, residents=BIG, scenario_name=storm.name)
    return out


@pytest.fixture(scope="module")
def big(big_city):
    conn = _open(big_city)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def big_residents(big) -> pd.DataFrame:
    """_residents of the 100k city, in resident_id order (row i is resident i + 1)."""
    residents = pd.read_sql("SELECT * FROM _residents ORDER BY resident_id", big)
    assert residents.resident_id.tolist() == list(range(1, BIG + 1))
    return residents


@pytest.fixture(scope="module")
def defects_scenario():
    return load_scenario(DATA / "defects-city.yaml")


@pytest.fixture(scope="module")
def messy(defects_scenario, tmp_path_factory):
    """The defect-rate fixture city (5,000 residents, every table covers everyone)."""
    out = tmp_path_factory.mktemp("defects") / "defects-city.db"
    generate_city(defects_scenario, out, scenario_name=defects_scenario.name)
    conn = _open(out)
    yield conn
    conn.close()


def _table_defects(scenario, table_name: str):
    dept, table = next((d, t) for d, t in scenario.tables() if t.name == table_name)
    return dept.defects.merged(table.defects)


def _within(observed: float, expected: float, n: int, sigmas: float = 3.0) -> bool:
    """Is a binomial share `observed` of `n` trials within `sigmas` standard errors of `expected`?"""
    se = math.sqrt(max(expected * (1 - expected), 1e-12) / n)
    return abs(observed - expected) <= sigmas * se


def _with_truth(conn, table: str) -> pd.DataFrame:
    """Every row of `table`, joined through _ground_truth to its true resident (columns prefixed `true_`)."""
    rows = pd.read_sql(f'SELECT rowid AS row_id, * FROM "{table}"', conn)
    truth = pd.read_sql("SELECT row_id, resident_id FROM _ground_truth WHERE table_name = ?", conn, params=(table,))
    residents = pd.read_sql("SELECT * FROM _residents", conn).add_prefix("true_")
    out = rows.merge(truth, on="row_id", how="left", validate="1:1")
    out = out.merge(residents, left_on="resident_id", right_on="true_resident_id", how="left", validate="m:1")
    assert out.true_resident_id.notna().all(), table
    return out


def _columns_with_semantic(conn, semantic: str) -> list[tuple[str, str]]:
    return conn.execute("SELECT table_name, column_name FROM _data_dictionary WHERE semantic = ?",
                        (semantic,)).fetchall()


def _values(conn, table: str, column: str) -> list:
    return [r[0] for r in conn.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')]


# ----------------------------------------------------------------------------------- safe identifiers

def test_every_ssn_is_in_the_never_issued_9xx_range(big):
    columns = _columns_with_semantic(big, "ssn")
    assert ("_residents", "ssn") in columns and ("dss_meal_delivery_clients", "ssn") in columns
    pattern = re.compile(r"^9\d\d-\d\d-\d{4}$")
    for table, column in columns:
        values = _values(big, table, column)
        assert values, (table, column)
        assert [v for v in values if not pattern.match(v)] == [], (table, column)


def test_residents_have_distinct_ssns(big):
    assert big.execute("SELECT count(DISTINCT ssn), count(*) FROM _residents").fetchone() == (BIG, BIG)


def test_every_phone_is_in_the_555_0100_to_0199_fiction_range(big):
    columns = _columns_with_semantic(big, "phone")
    assert len(columns) >= 5  # _residents and four department tables, each in its own style
    for table, column in columns:
        values = _values(big, table, column)
        assert values, (table, column)
        digits = [re.sub(r"\D", "", v) for v in values]
        bad = [v for v, d in zip(values, digits, strict=True) if len(d) != 10 or not re.fullmatch(r"55501\d\d", d[-7:])]
        assert bad == [], (table, column)


def test_every_email_uses_a_reserved_example_domain(big):
    columns = _columns_with_semantic(big, "email")
    assert ("_residents", "email") in columns
    for table, column in columns:
        values = _values(big, table, column)
        assert values, (table, column)
        assert [v for v in values if not re.fullmatch(r"[^@\s]+@example\.(com|org|net)", v)] == [], (table, column)


PHONE_LIKE = re.compile(r"\(?\b\d{3}\)?[-. ]?\d{3}[-. ]?\d{4}\b")
SSN_LIKE = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")


def test_free_text_mentions_only_fictional_phone_numbers_and_no_ssns(big):
    columns = _columns_with_semantic(big, "text")
    phones_seen = 0
    for table, column in columns:
        for value in _values(big, table, column):
            for phone in PHONE_LIKE.findall(value):
                phones_seen += 1
                assert re.sub(r"\D", "", phone)[-7:].startswith("55501"), (table, column, value)
            assert not SSN_LIKE.search(value), (table, column, value)
            assert not re.search(r"@(?!example\.(com|org|net)\b)", value), (table, column, value)
    assert phones_seen > 100  # winter-storm's nurse notes and 311 descriptions quote callback numbers


# ------------------------------------------------------------------------------ name collisions at 100k

def test_accidental_name_and_birth_date_collisions_are_rare_at_100k(big_residents):
    residents = big_residents
    shared = residents.duplicated(["first_name", "last_name", "birth_date"], keep=False)
    rate = float(shared.mean())
    print(f"\nresidents sharing first+last name and birth date with another resident at {BIG:,}: "
          f"{int(shared.sum())} ({rate:.4%})")
    assert len(residents) == BIG
    assert rate < 0.005


# ----------------------------------------------------------------------------------- coverage and overlap

def _residents_in(conn, table: str, where: str) -> int:
    """How many residents with records in `table` satisfy the SQL condition `where`."""
    return conn.execute(f"SELECT count(*) FROM _residents WHERE ({where}) AND resident_id IN "
                        "(SELECT resident_id FROM _ground_truth WHERE table_name = ?)", (table,)).fetchone()[0]


def test_medical_needs_registry_holds_only_residents_the_scenario_covers(big):
    assert _residents_in(big, "oem_medical_needs_registry", "disability = 1 OR power_equipment != 'none'") > 1000
    assert _residents_in(big, "oem_medical_needs_registry", "disability = 0 AND power_equipment = 'none'") == 0


def _coverage_probability(coverage, residents: pd.DataFrame) -> np.ndarray:
    """Each resident's chance of being covered, from a coverage block (first matching `when` wins)."""
    p = np.full(len(residents), coverage.rate, dtype=float)
    decided = np.zeros(len(residents), dtype=bool)
    for cond in coverage.when:
        mask = np.asarray(parse(cond.if_).evaluate_mask(residents), dtype=bool) & ~decided
        p[mask] = cond.rate
        decided |= mask
    return p


def test_residents_appear_in_several_departments(big, storm):
    departments = {t.name: d.id for d, t in storm.tables()}
    truth = pd.read_sql("SELECT DISTINCT table_name, resident_id FROM _ground_truth", big)
    truth = truth[truth.table_name.isin(departments)]
    truth["department"] = truth.table_name.map(departments)
    per_resident = truth.groupby("resident_id").department.nunique()
    in_several = int((per_resident >= 2).sum())
    print(f"\nresidents with records in two or more departments: {in_several}")
    assert in_several > 500


def test_registry_members_in_the_health_table_match_the_scenario_rates(big, big_residents, storm):
    residents = big_residents
    health = next(t for _, t in storm.tables() if t.name == "ph_home_health_clients")
    p_health = _coverage_probability(health.coverage, residents)
    registry = sorted({r[0] for r in big.execute(
        "SELECT resident_id FROM _ground_truth WHERE table_name = 'oem_medical_needs_registry'")})
    in_health = {r[0] for r in big.execute(
        "SELECT resident_id FROM _ground_truth WHERE table_name = 'ph_home_health_clients'")}
    p = p_health[np.array(registry) - 1]
    expected = float(p.mean())
    observed = sum(r in in_health for r in registry) / len(registry)
    se = math.sqrt(float((p * (1 - p)).sum())) / len(registry)
    print(f"\nregistry members also in home health: {observed:.3f} (scenario implies {expected:.3f} ± {3 * se:.3f})")
    assert 0.3 < expected < 0.9  # the scenario makes the two lists overlap a lot, but not entirely
    assert abs(observed - expected) <= 3 * se


# ------------------------------------------------------------------------------------- defect rates

def test_missing_values_match_the_configured_rate(messy, defects_scenario):
    rate = _table_defects(defects_scenario, "missing_register").missing
    n = messy.execute("SELECT count(*) FROM missing_register").fetchone()[0]
    assert n == 5000
    for column in ("sex", "zip"):
        missing = messy.execute(f"SELECT avg({column} IS NULL) FROM missing_register").fetchone()[0]
        assert _within(missing, rate, n), (column, missing, rate)


def test_field_missing_override_and_record_ids_are_never_missing(messy):
    assert messy.execute("SELECT count(*) FROM missing_register WHERE never_missing_zip IS NULL "
                         "OR record_no IS NULL").fetchone() == (0,)


def test_duplicate_records_match_the_configured_rate(messy, defects_scenario):
    rate = _table_defects(defects_scenario, "duplicate_register").duplicate
    counts = pd.read_sql("SELECT resident_id, count(*) AS n FROM _ground_truth "
                         "WHERE table_name = 'duplicate_register' GROUP BY resident_id", messy).n
    assert set(counts) == {1, 2}  # records_per_resident max 1: a second record can only be a duplicate
    assert len(counts) == 5000
    assert _within(float((counts == 2).mean()), rate, len(counts))


def test_duplicate_records_get_their_own_record_ids(messy):
    assert messy.execute("SELECT count(DISTINCT record_no) = count(*) FROM duplicate_register").fetchone() == (1,)


def test_swapped_day_month_matches_the_configured_rate(messy, defects_scenario):
    rate = _table_defects(defects_scenario, "swapped_register").swapped_day_month
    fmt = messy.execute("SELECT format FROM _data_dictionary WHERE table_name = 'swapped_register' "
                        "AND column_name = 'birth_date'").fetchone()[0]
    assert fmt == "%d/%m/%Y"
    rows = _with_truth(messy, "swapped_register")
    swappable = swapped = 0
    for written, true_text in zip(rows.birth_date, rows.true_birth_date, strict=True):
        true = dt.date.fromisoformat(true_text)
        got = dt.datetime.strptime(written, fmt).date()
        if got != true:
            assert got == true.replace(day=true.month, month=true.day), (written, true)
        if true.day <= 12 and true.day != true.month:  # only these dates change when swapped
            swappable += 1
            swapped += got != true
    assert swappable > 1000
    assert _within(swapped / swappable, rate, swappable)
    # the same, over all records: rate x P(the date has a day of 12 or less that differs from its month)
    assert _within(swapped / len(rows), rate * swappable / len(rows), len(rows))


def test_nicknames_appear_at_the_configured_rate(messy, defects_scenario):
    rate = _table_defects(defects_scenario, "nickname_register").nickname
    rows = _with_truth(messy, "nickname_register")
    names = list(zip(rows.first_name, rows.true_first_name, strict=True))
    assert [w for w, t in names if w not in (t, nickname(t))] == []  # no other change to first names
    eligible = [(w, t) for w, t in names if nickname(t) != t]
    nicknamed = sum(w == nickname(t) for w, t in eligible)
    assert nicknamed > 0
    assert _within(nicknamed / len(eligible), rate, len(eligible))


def _one_typo_apart(written: str, true: str) -> bool:
    """A single transposition of neighbours, a dropped letter or a doubled letter."""
    if len(written) == len(true) - 1:
        return any(true[:i] + true[i + 1:] == written for i in range(len(true)))
    if len(written) == len(true) + 1:
        return any(written[:i] + written[i + 1:] == true for i in range(len(written)))
    if len(written) == len(true):
        diff = [i for i in range(len(true)) if written[i] != true[i]]
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and written[diff[0]] == true[diff[1]] and written[diff[1]] == true[diff[0]])
    return False


def test_typos_appear_at_the_configured_rate_one_edit_each(messy, defects_scenario):
    rate = _table_defects(defects_scenario, "typo_register").typo
    rows = _with_truth(messy, "typo_register")
    pairs = list(zip(rows.last_name, rows.true_last_name, strict=True))
    changed = [(w, t) for w, t in pairs if w != t]
    assert changed
    assert [(w, t) for w, t in changed if not _one_typo_apart(w, t)] == []
    # a typo can leave a name unchanged (swapping two equal letters), so allow a little below the rate
    share = len(changed) / len(pairs)
    assert _within(share, rate, len(pairs)) or rate * 0.95 <= share <= rate, share


def test_tables_without_configured_defects_are_clean(messy):
    rows = _with_truth(messy, "clerk_register")
    assert len(rows) > 1000
    for row in rows.itertuples():
        assert row.full_name == f"{row.true_last_name}, {row.true_first_name}".upper()
        assert dt.datetime.strptime(row.birth_date, "%d-%b-%Y").date().isoformat() == row.true_birth_date
        assert re.sub(r"\D", "", row.phone) == re.sub(r"\D", "", row.true_phone)


# ----------------------------------------------------------------------------------- department habits

NAME_SEMANTICS = ("full_name", "first_name", "last_name")


def _name_columns(conn, table: str) -> list[str]:
    return [c for c, s in conn.execute("SELECT column_name, semantic FROM _data_dictionary WHERE table_name = ?",
                                       (table,)) if s in NAME_SEMANTICS]


def test_departments_write_names_in_their_own_case_and_order(big, storm):
    checked = set()
    for dept, table in storm.tables():
        for column in _name_columns(big, table.name):
            names = _values(big, table.name, column)
            assert names, (table.name, column)
            if dept.habits.name_case == "upper":
                assert [n for n in names if n != n.upper()] == [], (table.name, column)
                checked.add("upper")
            elif dept.habits.name_case == "title":
                assert any(n != n.upper() for n in names), (table.name, column)
            if column_semantic(big, table.name, column) == "full_name" and dept.habits.name_order == "last_comma_first":
                assert [n for n in names if "," not in n] == [], (table.name, column)
                checked.add("last_comma_first")
    assert checked == {"upper", "last_comma_first"}  # winter-storm has departments with both habits


def column_semantic(conn, table: str, column: str) -> str:
    return conn.execute("SELECT semantic FROM _data_dictionary WHERE table_name = ? AND column_name = ?",
                        (table, column)).fetchone()[0]


def test_every_date_column_parses_with_its_departments_format(big, storm):
    formats = {(t, c): f for t, c, f in big.execute(
        "SELECT table_name, column_name, format FROM _data_dictionary WHERE data_type = 'date'")}
    for dept, table in storm.tables():
        for column in [c for t, c in formats if t == table.name]:
            assert formats[(table.name, column)] == dept.habits.date_format, (table.name, column)
    assert len(set(formats.values())) >= 2  # several departments, several ways of writing a date
    for (table, column), fmt in formats.items():
        values = set(_values(big, table, column))
        assert values, (table, column)
        unparsable = []
        for value in values:
            try:
                dt.datetime.strptime(value, fmt)
            except ValueError:
                unparsable.append(value)
        assert unparsable == [], (table, column, fmt)


PHONE_STYLES = {"digits": r"\d{3}55501\d\d", "parens": r"\(\d{3}\) 555-01\d\d",
                "dashes": r"\d{3}-555-01\d\d", "dots": r"\d{3}\.555\.01\d\d"}


def _columns_by_semantic(conn, table: str, semantic: str) -> list[str]:
    return [c for (c,) in conn.execute("SELECT column_name FROM _data_dictionary WHERE table_name = ? "
                                       "AND semantic = ?", (table, semantic))]


def test_departments_write_phone_numbers_in_their_own_style(big, storm):
    styles = set()
    for dept, table in storm.tables():
        for column in _columns_by_semantic(big, table.name, "phone"):
            phones = _values(big, table.name, column)
            pattern = re.compile(PHONE_STYLES[dept.habits.phone_style])
            assert phones and [p for p in phones if not pattern.fullmatch(p)] == [], (table.name, column)
            styles.add(dept.habits.phone_style)
    assert len(styles) >= 3


def test_department_record_ids_use_its_prefix_and_digits_and_are_unique(big, storm):
    for dept, table in storm.tables():
        for column in _columns_by_semantic(big, table.name, "record_id"):
            ids = _values(big, table.name, column)
            pattern = re.compile(re.escape(dept.habits.id_prefix) + rf"\d{{{dept.habits.id_digits}}}")
            assert len(ids) == big.execute(f'SELECT count(*) FROM "{table.name}"').fetchone()[0], table.name
            assert [i for i in ids if not pattern.fullmatch(i)] == [], table.name
            assert len(set(ids)) == len(ids), table.name


def test_nobody_is_in_a_table_whose_coverage_excludes_them(big, big_residents, storm):
    residents = big_residents
    coverages = [(t.name, t.coverage) for _, t in storm.tables()]
    coverages.append((storm.public_reference.table, storm.public_reference.coverage))
    for table, coverage in coverages:
        p = _coverage_probability(coverage, residents)
        ids = np.array([r[0] for r in big.execute("SELECT DISTINCT resident_id FROM _ground_truth "
                                                   "WHERE table_name = ?", (table,))])
        assert len(ids) > 0, table
        assert int((p[ids - 1] == 0).sum()) == 0, table
