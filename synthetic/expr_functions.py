"""Values, operators and built-in functions for the expression language in `synthetic.expr`.

A value is either a pandas Series aligned with the frame being filtered, or a plain scalar (a literal,
or an operation on literals only); `None` is null. Operations on scalars run on one-row Series
(`apply_lifted`) so that scalars and columns follow exactly the same rules. Nothing here loops over
rows in Python.

Functions signal a problem with one argument by raising `ArgumentError`; the evaluator turns it into a
located `ExpressionError`. Any TypeError/ValueError from pandas is reported by the evaluator as
"cannot be applied to ...".
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

ONE_ROW = pd.RangeIndex(1)

COMPARISONS: dict[str, Callable] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
ARITHMETIC: dict[str, Callable] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "%": operator.mod,
}


class ArgumentError(Exception):
    """An argument a function cannot use; `arg` is its 0-based index (None: the call as a whole)."""

    def __init__(self, message: str, arg: int | None = None):
        super().__init__(message)
        self.arg = arg


# ----------------------------------------------------------------------------------------- values

def is_series(value: object) -> bool:
    return isinstance(value, pd.Series)


def is_null(scalar: object) -> bool:
    return scalar is None or bool(pd.isna(scalar))


def notna(value: object) -> np.ndarray | bool:
    """Per-row "is not null" as a bool array, or a bool for a scalar."""
    return value.notna().to_numpy() if is_series(value) else not is_null(value)


def broadcast(value: object, index: pd.Index) -> pd.Series:
    if is_series(value):
        return value
    return pd.Series(np.nan if is_null(value) else value, index=index)


def unlift(value: object) -> object:
    """The scalar held by a one-row result (null as None, numpy scalars as Python ones)."""
    if is_series(value):
        value = value.iloc[0]
    if is_null(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def apply_lifted(fn: Callable, index: pd.Index, args: Sequence, fixed: Sequence[int] = ()) -> object:
    """Call `fn(index, *args)`; if no (non-fixed) argument is a Series, run it on one-row Series."""
    if any(is_series(a) for i, a in enumerate(args) if i not in fixed):
        return fn(index, *args)
    lifted = [a if i in fixed else pd.Series([a]) for i, a in enumerate(args)]
    return unlift(fn(ONE_ROW, *lifted))


def truthy(value: object) -> np.ndarray | bool:
    """Truthiness per row: nulls are False, numbers are true when nonzero, text when non-empty."""
    if not is_series(value):
        return False if is_null(value) else bool(value)
    dtype = value.dtype
    if dtype == np.dtype(bool):
        return value.to_numpy()
    if ptypes.is_numeric_dtype(dtype):  # includes the nullable "boolean" and "Int64" dtypes
        return (value != 0).to_numpy(dtype=bool, na_value=False) & value.notna().to_numpy()
    if isinstance(dtype, pd.StringDtype):
        return (value.str.len() > 0).to_numpy(dtype=bool, na_value=False)
    present = value.notna().to_numpy()
    out = np.zeros(len(value), dtype=bool)
    out[present] = value.to_numpy(dtype=object)[present].astype(bool)
    return out


def truthy_array(value: object, length: int) -> np.ndarray:
    result = truthy(value)
    return np.full(length, result) if isinstance(result, bool) else result


def failure_message(op: str, args: Sequence) -> str:
    """Why pandas refused `op` (an operator, 'in', or a function as 'name()') on these values."""
    kinds = [kind(a) for a in args]
    if op.endswith("()"):
        return f"{op} cannot be applied to {', '.join(kinds)}"
    if op == "neg":
        return f"cannot negate {kinds[0]}"
    if op in ARITHMETIC:
        return f"cannot apply '{op}' to {kinds[0]} and {kinds[1]}"
    return f"cannot compare {kinds[0]} with {' and '.join(kinds[1:]) or 'a list'} using '{op}'"


def kind(value: object) -> str:
    """How a value is described in error messages: 'text', 'a number', 'dates', ..."""
    if is_series(value):
        dtype = value.dtype
        if ptypes.is_bool_dtype(dtype):
            return "true/false values"
        if ptypes.is_numeric_dtype(dtype):
            return "numbers"
        if ptypes.is_datetime64_any_dtype(dtype):
            return "dates"
        if isinstance(dtype, pd.StringDtype) or ptypes.infer_dtype(value, skipna=True) == "string":
            return "text"
        return "categories" if isinstance(dtype, pd.CategoricalDtype) else "mixed values"
    if is_null(value):
        return "null"
    if isinstance(value, bool | np.bool_):
        return "true/false"
    if isinstance(value, int | float | np.number):
        return "a number"
    return "a date" if isinstance(value, pd.Timestamp) else "text"


def where(mask: np.ndarray, a: object, b: object, index: pd.Index) -> pd.Series:
    a = broadcast(a, index)
    try:
        return a.where(mask, b)
    except (TypeError, ValueError):  # e.g. a text column cannot hold a number: fall back to object
        return a.astype(object).where(mask, b)


# -------------------------------------------------------------------------------------- operators

def compare(op: str, index: pd.Index, left: object, right: object) -> pd.Series:
    """A comparison that is False wherever either side is null."""
    fn = COMPARISONS[op]
    valid = np.broadcast_to(notna(left) & notna(right), len(index))
    try:
        result = fn(left, right).to_numpy(dtype=bool, na_value=False) & valid
    except TypeError:  # e.g. numbers against an object column holding None: compare the non-null rows
        if valid.all():
            raise
        result = np.zeros(len(index), dtype=bool)
        if valid.any():
            pick = [v[valid] if is_series(v) else v for v in (left, right)]
            result[valid] = fn(*pick).to_numpy(dtype=bool, na_value=False)
    return pd.Series(result, index=index)


def _holds_text(value: object) -> bool:
    if not is_series(value):
        return isinstance(value, str)
    if value.dtype.kind == "O":
        return ptypes.infer_dtype(value, skipna=True) not in ("integer", "floating", "mixed-integer-float", "empty")
    return isinstance(value.dtype, pd.StringDtype | pd.CategoricalDtype)


def arithmetic(op: str, index: pd.Index, left: object, right: object) -> pd.Series:
    """Arithmetic with null propagation; division or modulo by zero gives null. Text may only be joined
    with `+`: Python's `'a' * n` and `'%0999999999d' % 1` would let an expression exhaust memory."""
    if op != "+" and (_holds_text(left) or _holds_text(right)):
        raise TypeError(f"'{op}' needs numbers")
    result = ARITHMETIC[op](left, right)
    if op in "/%":
        zero = right == 0
        zero = zero.to_numpy(dtype=bool, na_value=False) if is_series(zero) else bool(zero)
        result = broadcast(result, index).where(~np.broadcast_to(zero, len(index)))
    return result


def negate(index: pd.Index, value: pd.Series) -> pd.Series:
    return 0 - value if value.dtype.kind == "O" else -value  # `-` fails on None in object columns


def is_missing(index: pd.Index, value: pd.Series, negated: bool) -> pd.Series:
    missing = value.isna()
    return ~missing if negated else missing


def in_list(index: pd.Index, value: pd.Series, items: tuple, negated: bool) -> pd.Series:
    """`x in (...)`; a null item matches null values. Null values never satisfy `not in`."""
    values = [item for item in items if item is not None]
    present = value.notna().to_numpy()
    found = value.isin(values).to_numpy(dtype=bool, na_value=False) & present
    if negated:
        return pd.Series(~found & present, index=index)
    if len(values) < len(items):
        found |= ~present
    return pd.Series(found, index=index)


def between(index: pd.Index, value: object, low: object, high: object, negated: bool) -> pd.Series:
    value = broadcast(value, index)
    inside = compare(">=", index, value, low).to_numpy() & compare("<=", index, value, high).to_numpy()
    if negated:
        inside = ~inside & notna(value) & notna(low) & notna(high)
    return pd.Series(inside, index=index)


def logical(op: str, index: pd.Index, *args: object) -> pd.Series:
    """and / or / not, on truthiness (so null counts as False)."""
    truths = [truthy_array(a, len(index)) for a in args]
    if op == "not":
        return pd.Series(~truths[0], index=index)
    return pd.Series(np.logical_and.reduce(truths) if op == "and" else np.logical_or.reduce(truths), index=index)


OPERATIONS: dict[str, Callable] = {  # fn(index, *operands) for each operator the parser produces
    **{op: partial(logical, op) for op in ("and", "or", "not")},
    **{op: partial(compare, op) for op in COMPARISONS},
    **{op: partial(arithmetic, op) for op in ARITHMETIC},
    "neg": negate,
    "is null": partial(is_missing, negated=False),
    "is not null": partial(is_missing, negated=True),
    "between": partial(between, negated=False),
    "not between": partial(between, negated=True),
}


# -------------------------------------------------------------------------------------- functions

def _text(value: pd.Series, arg: int = 0):
    """The `.str` accessor of a text Series, or None if it is entirely null (then so is the result)."""
    if value.isna().all():
        return None
    try:
        if isinstance(value.dtype, pd.StringDtype | pd.CategoricalDtype) or value.dtype.kind == "O":
            return value.str  # raises AttributeError for an object column that holds no text
    except AttributeError:
        pass
    raise ArgumentError(f"needs text, not {kind(value)}", arg)


def _string_method(method: str, index: pd.Index, value: pd.Series) -> pd.Series:
    text = _text(value)
    return broadcast(None, index) if text is None else getattr(text, method)()


def _string_test(method: str, index: pd.Index, value: object, part: object) -> pd.Series:
    if is_null(part):
        return pd.Series(False, index=index)
    if not isinstance(part, str):
        raise ArgumentError(f"needs text to look for, not {kind(part)}", 1)
    text = _text(broadcast(value, index))
    if text is None:
        return pd.Series(False, index=index)
    kwargs = {"regex": False} if method == "contains" else {}
    return getattr(text, method)(part, na=False, **kwargs).astype(bool)


def _numeric(fn: Callable) -> Callable:
    """Wrap `fn(numbers, *rest)` as a function of a number column (null if it is entirely null)."""
    def apply(index: pd.Index, value: pd.Series, *rest: object) -> pd.Series:
        if value.isna().all():
            return broadcast(None, index)
        if not ptypes.is_numeric_dtype(value.dtype) or ptypes.is_bool_dtype(value.dtype):
            raise ArgumentError(f"needs numbers, not {kind(value)}", 0)
        return fn(value, *rest)
    return apply


def _round(value: pd.Series, digits: object = 0) -> pd.Series:
    if isinstance(digits, bool) or not isinstance(digits, int):
        raise ArgumentError("needs a whole number of decimals", 1)
    return value.round(digits)


def _coalesce(index: pd.Index, *args: object) -> object:
    result = args[0]
    for other in args[1:]:
        if not is_series(result):
            if not is_null(result):
                break
            result = other
            continue
        missing = result.isna().to_numpy()
        if not missing.any():
            break
        result = where(~missing, result, other, index)
    return result


def _min_max(op: str, index: pd.Index, a: object, b: object) -> pd.Series:
    """The smaller (`<=`) or larger (`>=`) of two values; null if either is null."""
    pick_a = compare(op, index, a, b).to_numpy()
    both = np.broadcast_to(notna(a) & notna(b), len(index))
    return where(pick_a, a, b, index).where(both)


def _if(index: pd.Index, condition: object, then: object, otherwise: object) -> pd.Series:
    return where(truthy_array(condition, len(index)), then, otherwise, index)


def _parse_dates(values: pd.Series) -> pd.Series:
    """Parse text as dates: ISO first, then US month/day/year, then anything pandas recognises."""
    out = pd.to_datetime(values, errors="coerce", format="ISO8601")
    for fmt in ("%m/%d/%Y", "mixed"):
        todo = (out.isna() & values.notna()).to_numpy()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(values[todo], errors="coerce", format=fmt)
    return out


def to_dates(value: object, index: pd.Index, arg: int = 0) -> pd.Series:
    """A datetime Series; unparseable text is null. Each distinct text is parsed once."""
    if not is_series(value):
        parsed = unlift(to_dates(pd.Series([value]), ONE_ROW, arg))
        if parsed is None:
            return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
        return pd.Series(parsed, index=index)
    if ptypes.is_datetime64_any_dtype(value.dtype):
        return value
    if value.isna().all():
        return pd.Series(pd.NaT, index=value.index, dtype="datetime64[ns]")
    if not (isinstance(value.dtype, pd.StringDtype | pd.CategoricalDtype) or value.dtype.kind == "O"):
        raise ArgumentError(f"needs dates or text like '2024-03-31', not {kind(value)}", arg)
    codes, uniques = pd.factorize(value)
    parsed = _parse_dates(pd.Series(np.asarray(uniques, dtype=object)).astype(str))  # dates are read from text
    return pd.Series(parsed.array.take(codes, allow_fill=True), index=value.index)


def _date_part(part: str, index: pd.Index, value: object) -> pd.Series:
    return getattr(to_dates(value, index).dt, part)


def _years_between(index: pd.Index, start: object, end: object) -> pd.Series:
    """Whole years from `start` to `end` (negative if `end` is earlier), like an age on a date."""
    a, b = to_dates(start, index, 0), to_dates(end, index, 1)
    valid = (a.notna() & b.notna()).to_numpy()
    swap = (b < a).to_numpy()
    lo, hi = a.where(~swap, b), b.where(~swap, a)
    before = (hi.dt.month < lo.dt.month) | ((hi.dt.month == lo.dt.month) & (hi.dt.day < lo.dt.day))
    years = hi.dt.year - lo.dt.year - before.astype(int)
    return years.where(~swap, -years).where(valid)


def _week(index: pd.Index, value: object) -> pd.Series:
    """ISO week number (1-53) of a date."""
    return to_dates(value, index).dt.isocalendar()["week"].astype("Int64")


def _days_between(index: pd.Index, start: object, end: object, per: int = 1) -> pd.Series:
    """Whole days (or weeks, `per` = 7) from `start` to `end`; negative if `end` is earlier."""
    a, b = to_dates(start, index, 0), to_dates(end, index, 1)
    days = (b - a).dt.days
    whole = np.trunc(days.astype("float64") / per)
    return pd.Series(whole, index=index).astype("Int64")


@dataclass(frozen=True)
class Function:
    name: str
    fn: Callable
    min_args: int
    max_args: int | None  # None: any number
    fixed: tuple[int, ...] = ()  # arguments that must be single values, not columns

    @property
    def arity(self) -> str:
        if self.max_args is None:
            return f"{self.min_args} or more arguments"
        if self.max_args == self.min_args:
            return f"{self.min_args} argument" + ("" if self.min_args == 1 else "s")
        joiner = "or" if self.max_args == self.min_args + 1 else "to"
        return f"{self.min_args} {joiner} {self.max_args} arguments"

    def accepts(self, count: int) -> bool:
        return self.min_args <= count and (self.max_args is None or count <= self.max_args)

    def __call__(self, index: pd.Index, args: Sequence) -> object:
        for i in self.fixed:
            if i < len(args) and is_series(args[i]):
                raise ArgumentError(f"needs a single value as argument {i + 1}, not a column", i)
        return apply_lifted(self.fn, index, args, self.fixed)


FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    Function("lower", partial(_string_method, "lower"), 1, 1),
    Function("upper", partial(_string_method, "upper"), 1, 1),
    Function("trim", partial(_string_method, "strip"), 1, 1),
    Function("length", partial(_string_method, "len"), 1, 1),
    Function("contains", partial(_string_test, "contains"), 2, 2, fixed=(1,)),
    Function("startswith", partial(_string_test, "startswith"), 2, 2, fixed=(1,)),
    Function("endswith", partial(_string_test, "endswith"), 2, 2, fixed=(1,)),
    Function("abs", _numeric(pd.Series.abs), 1, 1),
    Function("round", _numeric(_round), 1, 2, fixed=(1,)),
    Function("floor", _numeric(np.floor), 1, 1),
    Function("ceil", _numeric(np.ceil), 1, 1),
    Function("coalesce", _coalesce, 1, None),
    Function("isnull", lambda index, x: x.isna(), 1, 1),
    Function("year", partial(_date_part, "year"), 1, 1),
    Function("month", partial(_date_part, "month"), 1, 1),
    Function("day", partial(_date_part, "day"), 1, 1),
    Function("date", lambda index, s: to_dates(s, index), 1, 1),
    Function("years_between", _years_between, 2, 2),
    Function("week", _week, 1, 1),
    Function("days_between", _days_between, 2, 2),
    Function("weeks_between", partial(_days_between, per=7), 2, 2),
    Function("min", partial(_min_max, "<="), 2, 2),
    Function("max", partial(_min_max, ">="), 2, 2),
    Function("if", _if, 3, 3),
]}
