"""The city profile (departments per resident, defects against the answer key, ages, neighbourhoods) against
independent pandas counts, the defect rates against what a scenario asks for, and its charts' bars."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure

from sandbox_app.errors import DatabaseError
from sandbox_app.explore.city_profile import AgePyramid, CityProfile, city_profile
from sandbox_app.scenario import load_scenario
from synthetic.generate import generate_city
from synthetic.progress import Cancelled
from tests.cityfixture import small_city

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def storm():
    return load_scenario("winter-storm")


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    return small_city(tmp_path_factory)


@pytest.fixture(scope="module")
def profile(city, storm) -> CityProfile:
    return city_profile(city, storm)


@pytest.fixture(scope="module")
def frames(city) -> dict[str, pd.DataFrame]:
    with sqlite3.connect(city) as conn:
        return {name: pd.read_sql(f'SELECT * FROM "{name}"', conn)
                for name in ("_residents", "_ground_truth", "_data_dictionary", "_meta")}


def _department_tables(frames) -> dict[str, str]:
    d = frames["_data_dictionary"]
    d = d[~d.department.isin(["public", "facilitator"]) & ~d.table_name.str.startswith("_")]
    return dict(zip(d.table_name, d.department, strict=False))


def test_residents_per_number_of_departments_match_pandas(profile, frames):
    tables = _department_tables(frames)
    truth = frames["_ground_truth"]
    truth = truth[truth.table_name.isin(tables)].assign(department=lambda t: t.table_name.map(tables))
    per_resident = truth.groupby("resident_id").department.nunique().value_counts()
    expected = {0: len(frames["_residents"]) - int(per_resident.sum()), **{int(k): int(v) for k, v in per_resident.items()}}
    assert dict(profile.departments_per_resident) == {n: expected.get(n, 0) for n in range(max(expected) + 1)}
    assert profile.departments == len(set(tables.values())) == 5
    assert sum(n for _k, n in profile.departments_per_resident) == profile.residents == 3000


def test_age_pyramid_and_neighbourhoods_match_pandas(profile, frames):
    residents = frames["_residents"]
    reference = dt.date.fromisoformat(frames["_meta"].set_index("key").value["reference_date"])
    born = residents.birth_date.map(dt.date.fromisoformat)
    age = born.map(lambda b: reference.year - b.year - ((reference.month, reference.day) < (b.month, b.day)))
    assert (age == residents.age).all()  # the stored age is the age at the reference date
    band = (age // 10).clip(upper=9)
    for sex in ("F", "M"):
        expected = band[residents.sex == sex].value_counts()
        assert profile.age.counts[sex] == [int(expected.get(b, 0)) for b in range(10)]
    assert profile.age.bands[0] == "0–9" and profile.age.bands[-1] == "90+"
    places = residents.neighbourhood.value_counts()
    assert profile.neighbourhoods == sorted(((str(k), int(v)) for k, v in places.items()), key=lambda kv: (-kv[1], kv[0]))


def _table_with_truth(city, table: str) -> pd.DataFrame:
    with sqlite3.connect(city) as conn:
        rows = pd.read_sql(f'SELECT rowid AS row_id, * FROM "{table}"', conn)
        truth = pd.read_sql("SELECT row_id, resident_id FROM _ground_truth WHERE table_name = ?", conn, params=(table,))
        residents = pd.read_sql("SELECT * FROM _residents", conn).add_prefix("true_")
    out = rows.merge(truth, on="row_id").merge(residents, left_on="resident_id", right_on="true_resident_id")
    assert len(out) == len(rows)
    return out


def _expected_defects(city, frames, table: str, one_per_resident: bool) -> dict[str, tuple[int, int]]:
    """(affected, checked) per kind for one table, computed in pandas and Python date parsing."""
    rows = _table_with_truth(city, table)
    d = frames["_data_dictionary"]
    columns = d[d.table_name == table]
    out: dict[str, list[int]] = {}

    def add(kind, affected, checked):
        out.setdefault(kind, [0, 0])
        out[kind][0] += int(affected)
        out[kind][1] += int(checked)

    for column, semantic, fmt in zip(columns.column_name, columns.semantic, columns.format, strict=True):
        values = rows[column]
        if semantic != "record_id":
            add("missing", values.isna().sum(), len(values))
        if semantic == "zip":
            written = values.notna()
            add("wrong_zip", (written & (values != rows.true_zip)).sum(), written.sum())
        if semantic == "birth_date":
            truth = rows.true_birth_date.map(dt.date.fromisoformat)
            shows = values.notna() & truth.map(lambda b: b.day <= 12 and b.day != b.month)
            parsed = values.map(lambda v, f=fmt: dt.datetime.strptime(v, f).date() if isinstance(v, str) else None)
            add("swapped_day_month", (shows & (parsed != truth)).sum(), shows.sum())
        if semantic in ("full_name", "first_name", "last_name"):
            plain = (rows.true_first_name + rows.true_last_name).map(str.isascii) & values.notna()
            if semantic == "full_name":
                same = [str(v).upper() in ((f + " " + la).upper(), (la + ", " + f).upper())
                        for v, f, la in zip(values, rows.true_first_name, rows.true_last_name, strict=True)]
            else:
                same = values.str.upper() == rows[f"true_{semantic}"].str.upper()
            add("name", (plain & ~pd.Series(same, index=rows.index)).sum(), plain.sum())
    if one_per_resident:
        add("duplicate", len(rows) - rows.resident_id.nunique(), rows.resident_id.nunique())
    return {k: (a, c) for k, (a, c) in out.items()}


def test_defect_counts_per_table_match_pandas(profile, city, frames, storm):
    one_per = {t.name: t.records_per_resident.max == 1 for _d, t in storm.tables()}
    seen = set()
    for department in profile.defects:
        for table, kinds in department.tables.items():
            expected = _expected_defects(city, frames, table, one_per[table])
            assert {k: (r.affected, r.checked) for k, r in kinds.items()} == expected, table
            seen.add(table)
    assert seen == set(one_per)
    three11 = next(d for d in profile.defects if d.department == "three11")
    assert "duplicate" not in three11.kinds  # a requests table repeats residents: not counted as defects
    assert any("s311_service_requests keeps several records per resident" in n for n in profile.notes)
    oem = next(d for d in profile.defects if d.department == "oem")
    assert oem.name == "Office of Emergency Management"
    assert oem.kinds["wrong_zip"].asked == pytest.approx(0.01) and oem.kinds["name"].asked is None


def _within(observed: float, expected: float, n: int) -> bool:
    return abs(observed - expected) <= 3 * math.sqrt(expected * (1 - expected) / n)


def test_measured_rates_are_the_rates_the_scenario_asks_for(tmp_path):
    scenario = load_scenario(DATA / "defects-city.yaml")
    path = tmp_path / "defects.db"
    generate_city(scenario, path, scenario_name=scenario.name)
    tables = next(d for d in city_profile(path, scenario).defects if d.department == "records").tables
    missing = tables["missing_register"]["missing"]  # 10 % of sex and zip; never_missing_zip overrides with 0
    assert missing.asked == pytest.approx(0.10 * 2 / 3) and _within(missing.rate, missing.asked, missing.checked)
    for table, kind, asked in (("duplicate_register", "duplicate", 0.05),
                               ("swapped_register", "swapped_day_month", 0.20)):
        rate = tables[table][kind]
        assert rate.asked == pytest.approx(asked) and _within(rate.rate, asked, rate.checked), (table, rate)
    clean = city_profile(path, scenario).defects[1]  # the clerk asks for no defects and has none
    assert clean.department == "clerks" and all(r.affected == 0 for r in clean.kinds.values())
    only_clean = CityProfile(5000, "2026-01-14", 1, [(0, 2500), (1, 2500)], [clean], AgePyramid([], [], {}), [])
    ax, kinds = _draw("defects", only_clean)
    assert all(b.get_width() == 0 for c in kinds.values() for b in c)
    assert "No defect found in what is checked:\nthe scenario asks for none." in [t.get_text() for t in ax.texts]
    assert clean.kinds["swapped_day_month"].checked > 900  # its dates ("%d-%b-%Y") written from the truth match


def test_a_city_without_the_answer_key_is_refused_in_one_sentence(city, tmp_path):
    copy = tmp_path / "no-key.db"
    shutil.copy(city, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DROP TABLE _ground_truth")
    with pytest.raises(DatabaseError, match="has no _ground_truth: it is not a full generated city"):
        city_profile(copy)


def test_without_the_scenario_or_a_reference_date_it_says_what_it_could_not_count(city, tmp_path):
    copy = tmp_path / "unknown.db"
    shutil.copy(city, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM _meta WHERE key = 'reference_date'")
        conn.execute("UPDATE _meta SET value = 'not-a-built-in' WHERE key = 'scenario'")
    profile = city_profile(copy)
    today = dt.date.today().isoformat()
    assert profile.reference_date == today and today in profile.age_note
    assert all("duplicate" not in d.kinds and d.kinds["missing"].asked is None for d in profile.defects)
    assert profile.notes == ["Records entered twice are not counted: without the scenario file a second record "
                             "cannot be told from a resident's several records."]
    assert profile.defects[0].name == "oem"  # no names without the scenario: the department's id


def test_cancel_stops_the_profile(city):
    class Stop:
        def set_progress(self, fraction, status=""):
            pass

        def is_cancelled(self):
            return True

    with pytest.raises(Cancelled):
        city_profile(city, state=Stop())


# ------------------------------------------------------------------------------------------------ charts

def _draw(name: str, profile: CityProfile):
    from sandbox_app.ui.studio.city_charts import CHARTS

    figure = Figure(figsize=(5.4, 4.2), layout="constrained")
    ax = figure.add_subplot()
    return ax, CHARTS[name](ax, profile)


def test_charts_hold_the_profile_numbers(profile):
    ax, bars = _draw("departments", profile)
    assert [round(b.get_height()) for b in bars] == [n for k, n in profile.departments_per_resident if k > 0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(k) for k, _n in profile.departments_per_resident if k]
    ax, kinds = _draw("defects", profile)
    assert [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()] == [
        f"{d.name} {d.records:,} records" for d in profile.defects]
    for kind, container in kinds.items():
        expected = [100 * d.kinds[kind].rate if kind in d.kinds else 0.0 for d in profile.defects]
        assert [b.get_width() for b in container] == pytest.approx(expected), kind
    ax, sides = _draw("ages", profile)
    assert [-b.get_width() for b in sides["M"]] == profile.age.counts["M"]
    assert [b.get_width() for b in sides["F"]] == profile.age.counts["F"]
    ax, bars = _draw("neighbourhoods", profile)
    assert [b.get_width() for b in bars] == [n for _p, n in profile.neighbourhoods]
    assert [t.get_text() for t in ax.get_yticklabels()] == [p for p, _n in profile.neighbourhoods]


def test_charts_say_plainly_when_there_is_nothing_to_show():
    empty = CityProfile(residents=0, reference_date="2026-01-14", departments=0, departments_per_resident=[(0, 0)],
                        defects=[], age=AgePyramid(["0–9"], [], {}), neighbourhoods=[])
    messages = {"departments": "no department tables", "defects": "nothing to check", "ages": "no ages",
                "neighbourhoods": "no residents"}
    for name, words in messages.items():
        ax, drawn = _draw(name, empty)
        assert not drawn and words in " ".join(t.get_text() for t in ax.texts), name
