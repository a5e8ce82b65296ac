"""A finding's examples as typed values: what each rule shows as "e.g." (docs/share-format.md#examples).

Every example is a frozen dataclass with a `kind`, written to JSON by `to_dict()` as a plain object with
that `kind` and read back by `example_from_json`, which also reads the untyped examples of result files
written before (a bare row number, a bare text excerpt, a class's values with its `size`, the pairwise
differencing example) so old files keep loading.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python ones, NaN/NA as None, nested dicts and lists converted too."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if value is not None and not isinstance(value, str | int | float | bool):
        try:
            import pandas as pd

            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
        return str(value)
    return value


@dataclass(frozen=True)
class _Example:
    kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, **_plain(dataclasses.asdict(self))}


@dataclass(frozen=True)
class ClassExample(_Example):
    """An equivalence class (k-anonymity): its quasi-identifier values and how many records share them."""

    kind: ClassVar[str] = "equivalence_class"
    values: dict[str, Any]
    size: int

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.values.items())
        return f"{shown}: {self.size} record{'s' if self.size != 1 else ''}"


@dataclass(frozen=True)
class RowExample(_Example):
    """A row of the extract (its 0-based position in that table's rows), e.g. one the linkage attack
    re-identified."""

    kind: ClassVar[str] = "row"
    table: str
    position: int

    def __str__(self) -> str:
        return f"{self.table} row {self.position}" if self.table else f"row {self.position}"


@dataclass(frozen=True)
class TextExample(_Example):
    """An excerpt of a published text value (at most 80 characters), e.g. free text hiding an identifier."""

    kind: ClassVar[str] = "text"
    field: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class CountTerm:
    """One published count in a differencing sum: where it is published (`this share` or a prior release's
    title), its table, whether it is a `cell`, a `margin` or a row-level table's `rows` count, the cell's
    values, the count itself and its coefficient in the sum (None: not known, in older files)."""

    source: str
    table: str
    kind: str
    cell: dict[str, Any]
    count: int | None = None
    coefficient: float | None = None


@dataclass(frozen=True)
class DifferencingExample(_Example):
    """A small group worked out from published counts: its size, and the sum (`terms`, at most the first
    few of `terms_total`) that gives it."""

    kind: ClassVar[str] = "differencing"
    difference: int
    terms: tuple[CountTerm, ...]
    terms_total: int

    def __str__(self) -> str:
        shown = " ".join(f"{'+' if (t.coefficient or 0) >= 0 else '-'} {_cell(t)}" for t in self.terms)
        return f"{self.difference} people = {shown.removeprefix('+ ')}"


def _cell(term: CountTerm) -> str:
    coefficient = abs(term.coefficient) if term.coefficient is not None else 1
    times = "" if coefficient == 1 else f"{coefficient:g} x "
    where = ", ".join(f"{k}={v}" for k, v in term.cell.items()) or "total"
    return f"{times}{term.count if term.count is not None else '?'} ({term.source}: {term.kind} {where})"


@dataclass(frozen=True)
class OtherExample(_Example):
    """An example of a shape this version does not know (kept as it was read)."""

    kind: ClassVar[str] = "other"
    value: Any

    def __str__(self) -> str:
        return str(self.value)


Example = ClassExample | RowExample | TextExample | DifferencingExample | OtherExample


def _term(data: Any) -> CountTerm:
    data = data if isinstance(data, dict) else {}
    cell = data.get("cell")
    return CountTerm(str(data.get("source", "")), str(data.get("table", "")), str(data.get("kind", "cell")),
                     dict(cell) if isinstance(cell, dict) else {}, data.get("count"), data.get("coefficient"))


def example_from_json(data: Any, *, table: str = "", field: str = "") -> Example:
    """The typed example a JSON value holds: one this version wrote (with `kind`), or an older untyped one.
    `table`/`field`: the finding's, for old examples that did not say."""
    if isinstance(data, bool) or data is None:
        return OtherExample(data)
    if isinstance(data, int):
        return RowExample(table, data)
    if isinstance(data, str):
        return TextExample(field, data)
    if not isinstance(data, dict):
        return OtherExample(data)
    kind = data.get("kind")
    if kind == ClassExample.kind or (kind is None and isinstance(data.get("size"), int)):
        values = data.get("values") if kind else {k: v for k, v in data.items() if k != "size"}
        return ClassExample(dict(values or {}), int(data["size"]))
    if kind == RowExample.kind:
        return RowExample(str(data.get("table", table)), int(data.get("position", 0)))
    if kind == TextExample.kind:
        return TextExample(str(data.get("field", field)), str(data.get("text", "")))
    if kind == DifferencingExample.kind:
        terms = tuple(_term(t) for t in data.get("terms") or [])
        return DifferencingExample(int(data.get("difference", 0)), terms, int(data.get("terms_total", len(terms))))
    if kind is None and "new_cell" in data and "prior_cell" in data:  # the pairwise format of earlier versions
        terms = (CountTerm("this share", table, "cell", dict(data["new_cell"] or {})),
                 CountTerm("prior release", table, "cell", dict(data["prior_cell"] or {})))
        return DifferencingExample(int(data.get("difference", 0)), terms, 2)
    return OtherExample(data)


__all__ = ["ClassExample", "CountTerm", "DifferencingExample", "Example", "OtherExample", "RowExample",
           "TextExample", "example_from_json"]
