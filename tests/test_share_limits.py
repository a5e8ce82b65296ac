"""Shares too big to apply in bounded time are refused up front with a message naming the limit."""

from __future__ import annotations

import json

import pytest

from sandbox_app.errors import ShareError
from sandbox_app.sharing import limits
from sandbox_app.sharing.apply import apply_share
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import parse_share_text
from tests.cityfixture import small_city

TABLE = "ph_home_health_clients"


def share(tables: list[dict]) -> str:
    return json.dumps({"format": "city-sandbox/share@1", "tables": tables})


def refused(text: str) -> ShareError:
    with pytest.raises(ShareError) as info:
        parse_share_text(text, "big.json")
    return info.value


def test_too_many_tables_names_the_limit():
    (problem,) = refused(share([{"table": TABLE}] * 25)).problems
    assert (problem.file, problem.path) == ("big.json", "tables")
    assert problem.message == "25 tables; a share has at most 20"


def test_tens_of_thousands_of_fields_are_refused_before_validation():
    fields = {f"f{i}": {"op": "keep"} for i in range(50_000)}
    (problem,) = refused(share([{"table": TABLE, "fields": fields}])).problems
    assert problem.path == "tables[0].fields" and "50,000 fields; a table shares at most 500" in problem.message


def test_hundreds_of_derived_fields_are_refused():
    fields = {f"d{i}": {"op": "derive", "expr": f"age + {i}"} for i in range(150)}
    problems = refused(share([{"table": TABLE, "fields": fields}])).problems
    assert any("150 derived fields; a share has at most 100" in p.message for p in problems)


def test_derived_work_over_many_rows_is_refused_when_applied(tmp_path_factory, monkeypatch):
    """Rows x derived fields: the limit (50,000,000) is lowered here so the small test city exceeds it."""
    fields = {f"d{i}": {"op": "derive", "expr": f"year(birth_date) + {i}"} for i in range(3)}
    document = parse_share_text(share([{"table": TABLE, "fields": fields}]), "work.json")
    with CityDatabase(small_city(tmp_path_factory)) as db:
        rows = len(db.read_table(TABLE))
        assert apply_share(db, document, file="work.json").frame.shape == (rows, 3)
        monkeypatch.setattr(limits, "MAX_DERIVED_VALUES", 3 * rows - 1)
        with pytest.raises(ShareError) as info:
            apply_share(db, document, file="work.json")
    (problem,) = info.value.problems
    assert problem.path == "tables[0]" and f"would compute {3 * rows:,} values; the limit is" in problem.message

