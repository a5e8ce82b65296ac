"""Property-based fuzzing of the expression language: any text parses and evaluates, or raises one located
ExpressionError; never another exception (profiles: tests/conftest.py)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given

from synthetic.expr import ExpressionError, parse
from tests.fuzzing import expressions

FRAME = pd.DataFrame({
    "age": pd.array([34, 71, None, 90], dtype="Int64"),
    "sex": ["F", "M", None, "X"],
    "zip": ["44101", "44102", "44101", None],
    "birth_date": ["1991-05-02", "03/04/1954", None, "not a date"],
    "full name": ["Ada Lovelace", "", None, "O'Brien"],
})


@given(expressions())
def test_expressions_parse_and_evaluate_or_are_refused(text):
    try:
        expression = parse(text, FRAME.columns)
        values = expression.evaluate(FRAME)
    except ExpressionError as err:
        assert err.message and (err.position is None or 0 <= err.position <= len(text)), repr(err)
        return
    assert len(values) == len(FRAME)
