"""The fast path is the default install: pyarrow is a runtime dependency and the city's text is Arrow-backed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from sandbox_app.sharing.database import CityDatabase
from tests.cityfixture import small_city

PYPROJECT = Path(__file__).parents[1] / "pyproject.toml"


def test_pyarrow_is_a_runtime_dependency():
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    names = [d.split(">")[0].split("=")[0].split("<")[0].strip().lower() for d in project["dependencies"]]
    assert "pyarrow" in names and "pandas" in names


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = CityDatabase(small_city(tmp_path_factory))
    yield database
    database.close()


def test_text_columns_are_read_as_arrow_strings(db):
    frame = db.read_table("public_voter_roll")
    text = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c].dtype)]
    assert {"full_name", "zip", "sex"} <= set(text)
    assert all(getattr(frame[c].dtype, "storage", None) == "pyarrow" for c in text), {
        c: str(frame[c].dtype) for c in text}
