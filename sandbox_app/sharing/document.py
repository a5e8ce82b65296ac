"""Share documents (`city-sandbox/share@1`, see docs/share-format.md): the model, parsing and canonical JSON.

A share is a trainee's whole decision, so parsing reports *every* problem at once, each located by its
field path (``tables[0].fields.zip.op``), and never raises anything but `ShareError`. Checks that need the
database (does the table or column exist, does the op suit the column) live in `sharing.apply`.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sandbox_app.errors import Problem, ShareError
from sandbox_app.sharing.limits import document_problems
from sandbox_app.sharing.transforms import GENERALIZE_TO, OPS, PARAMETERS, parameter_problems
from synthetic.check import did_you_mean
from synthetic.expr import ExpressionError, parse

SHARE_FORMAT = "city-sandbox/share@1"
MAX_SHARE_BYTES = 5_000_000

MEASURE_OPS = ("count", "sum", "mean")
DECISIONS = ("share", "refuse", "refuse_in_part")


class _ParameterError(ValueError):
    """Raised by `FieldOp` validation; `parse_share_text` reports each problem at its own path instead."""


class _LocatedValueError(ValueError):
    """A validation message with a separate hint (expression errors carry one) and, for document-wide
    checks, the path it belongs to (a model validator's own location is the whole document)."""

    def __init__(self, message: str, hint: str | None = None, path: str | None = None):
        super().__init__((f"{path}: " if path else "") + message + (f" ({hint})" if hint else ""))
        self.message, self.hint, self.path = message, hint, path


def _check_expression(text: str | None) -> str | None:
    if text is not None:
        try:
            parse(text)
        except ExpressionError as err:
            where = "" if err.position is None else f"column {err.position + 1}: "
            raise _LocatedValueError(where + err.message, err.hint) from None
    return text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class FieldOp(_Model):
    """One output field's operation and its parameters (only those the op takes; see docs/share-format.md)."""

    op: Literal["keep", "drop", "pseudonym", "hash", "generalize", "mask", "top_code", "bottom_code",
                "suppress_rare", "derive"]
    to: str | None = None
    width: float | None = Field(default=None, gt=0)
    size: float | None = Field(default=None, gt=0)
    keep_last: int | None = Field(default=None, ge=0)
    max: float | None = None
    min: float | None = None
    min_count: int | None = Field(default=None, ge=1)
    expr: str | None = None

    @field_validator("expr")
    @classmethod
    def _expression(cls, text: str | None) -> str | None:
        return _check_expression(text)

    @model_validator(mode="after")
    def _parameters_fit_op(self) -> FieldOp:
        problems = parameter_problems(self.op, self.params())
        if problems:
            raise _ParameterError("; ".join(m + (f" ({h})" if h else "") for _, m, h in problems))
        return self

    def params(self) -> dict[str, Any]:
        """The parameters given (not None), in canonical order."""
        return {k: getattr(self, k) for k in PARAMETERS if getattr(self, k) is not None}


class TableShare(_Model):
    """One source table: an optional row filter and the output fields (deny by default)."""

    table: str = Field(min_length=1)
    where: str | None = None
    fields: dict[str, FieldOp] = Field(default_factory=dict)

    @field_validator("where")
    @classmethod
    def _expression(cls, text: str | None) -> str | None:
        return _check_expression(text) if text is None or text.strip() else None  # blank: no filter

    @field_validator("fields")
    @classmethod
    def _names(cls, fields: dict[str, FieldOp]) -> dict[str, FieldOp]:
        if any(not name.strip() for name in fields):
            raise ValueError("field names must not be empty")
        return fields


class Measure(_Model):
    """`count` (rows per cell), or `sum`/`mean` of an output field; its column is `op` or `op_field`."""

    op: Literal["count", "sum", "mean"]
    field: str | None = None

    @model_validator(mode="after")
    def _field_fits_op(self) -> Measure:
        if self.op == "count" and self.field is not None:
            raise ValueError("count takes no `field` (it counts rows)")
        if self.op != "count" and not self.field:
            raise ValueError(f"{self.op} needs `field` (an output field holding numbers)")
        return self

    @property
    def column(self) -> str:
        return "count" if self.op == "count" else f"{self.op}_{self.field}"


class Aggregate(_Model):
    """Counts (and sums/means) of the transformed rows by `group_by` output fields, with small-cell suppression."""

    group_by: list[str]
    measures: list[Measure] = Field(default_factory=lambda: [Measure(op="count")])
    min_cell_size: int | None = Field(default=None, ge=1)

    @field_validator("group_by")
    @classmethod
    def _distinct(cls, names: list[str]) -> list[str]:
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"group_by lists {', '.join(repeated)} more than once")
        return names


class ShareDocument(_Model):
    """A share: which tables, rows and fields go to the requesting department, and how (docs/share-format.md)."""

    format: Literal["city-sandbox/share@1"] = SHARE_FORMAT
    scenario: str = ""
    exercise: str = ""
    purpose: str = ""
    destroy_by: Annotated[date | None, Field(strict=False)] = None
    deidentified: bool = False
    redisclosure_notice: bool = False
    decision: Literal["share", "refuse", "refuse_in_part"] = "share"
    reason: str = ""
    tables: list[TableShare] = Field(default_factory=list)
    aggregate: Aggregate | None = None

    @model_validator(mode="after")
    def _refusal_is_complete(self) -> ShareDocument:
        problem = decision_problem(self)
        if problem:
            raise _LocatedValueError(*problem)
        return self


def decision_problem(doc: ShareDocument) -> tuple[str, str | None, str] | None:
    """(message, hint, path) if the decision and the rest of the document disagree: a refusal needs a reason,
    and a whole refusal shares no tables and no aggregate."""
    if doc.decision == "share":
        return None
    if not doc.reason.strip():
        return ("a refusal needs a reason", "say why, e.g. which law or agreement clause forbids the request",
                "reason")
    if doc.decision == "refuse" and doc.tables:
        return ("a refusal shares nothing, but the share lists tables", "remove the tables, or use "
                "decision refuse_in_part for the part you can share", "tables")
    if doc.decision == "refuse" and doc.aggregate is not None:
        return ("a refusal shares nothing, but the share has an aggregate", "set aggregate to null", "aggregate")
    return None


# --------------------------------------------------------------------------------------- parsing

_MODELS = {"": ShareDocument, "tables": TableShare, "fields": FieldOp, "aggregate": Aggregate,
           "measures": Measure}
_TYPE_MESSAGES = {
    "string_type": "must be text", "int_type": "must be a whole number", "float_type": "must be a number",
    "bool_type": "must be true or false", "list_type": "must be a list [...]", "dict_type": "must be an object {...}",
    "model_type": "must be an object {...}", "model_attributes_type": "must be an object {...}",
    "finite_number": "must be a finite number", "int_from_float": "must be a whole number",
}


def format_path(loc: tuple) -> str:
    """('tables', 0, 'fields', 'zip', 'op') -> 'tables[0].fields.zip.op'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _model_at(loc: tuple) -> type[BaseModel]:
    """The model a location points into (the key after "fields" is a field name, not a model key)."""
    names = [p for p in loc if not isinstance(p, int)]
    named = [n for i, n in enumerate(names) if i == 0 or names[i - 1] != "fields"]
    return next((_MODELS[n] for n in reversed(named) if n in _MODELS), ShareDocument)


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, BaseModel) else "an object"
    return text if len(text) <= 40 else text[:37] + "..."


def _problem(err: dict, file: str) -> Problem | None:
    loc = tuple(err["loc"])
    path, kind = format_path(loc), err["type"]
    ctx_error = err.get("ctx", {}).get("error")
    hint = None
    if isinstance(ctx_error, _ParameterError):
        return None  # reported from the raw data, one problem per parameter
    if isinstance(ctx_error, _LocatedValueError):
        message, hint = ctx_error.message, ctx_error.hint
        path = ctx_error.path or path
    elif kind == "extra_forbidden":
        allowed = list(_model_at(loc[:-1]).model_fields)
        message = f"unknown key '{loc[-1]}'"
        hint = did_you_mean(loc[-1], allowed) or f"allowed keys: {', '.join(allowed)}"
    elif kind == "missing":
        message = f"'{loc[-1]}' is required"
    elif kind == "literal_error" and loc == ("decision",):
        message = f"unknown decision {_shown(err['input'])}"
        hint = (did_you_mean(err["input"], DECISIONS) if isinstance(err["input"], str) else None) \
            or f"choose from {', '.join(DECISIONS)}"
    elif kind == "literal_error" and loc == ("format",):
        message = (f"unsupported share format {_shown(err['input'])}; this version of the sandbox reads "
                   f"'{SHARE_FORMAT}'")
    elif kind == "literal_error":
        what, candidates = ("measure", MEASURE_OPS) if "measures" in loc else ("operation", OPS)
        message = f"unknown {what} {_shown(err['input'])}"
        hint = (did_you_mean(err["input"], candidates) if isinstance(err["input"], str) else None) \
            or f"choose from {', '.join(candidates)}"
    elif kind in _TYPE_MESSAGES:
        message = f"{_TYPE_MESSAGES[kind]}, not {_shown(err['input'])}"
    elif kind.startswith("date"):
        message = f"must be a date like 2026-02-13, not {_shown(err['input'])}"
    elif kind in ("greater_than", "greater_than_equal"):
        bound = err.get("ctx", {}).get("gt", err.get("ctx", {}).get("ge"))
        what = "more than" if kind == "greater_than" else "at least"
        message = f"must be {what} {_shown(_number(bound))}, not {_shown(err['input'])}"
    elif kind in ("too_short", "string_too_short"):
        message = "must not be empty"
    else:
        message = err["msg"].removeprefix("Value error, ")
    return Problem(file, None, path, message, hint)


_TOP_ORDER = ("format", "scenario", "exercise", "decision", "reason", "purpose", "destroy_by", "deidentified",
              "redisclosure_notice", "tables", "aggregate")


def _document_order(problem: Problem) -> tuple:
    """Sort key putting problems in the order a reader meets them: top-level keys, then table by table."""
    top, _, rest = problem.path.partition("[")
    top = top.split(".")[0]
    index = rest.split("]")[0] if top == "tables" else ""
    return _TOP_ORDER.index(top) if top in _TOP_ORDER else len(_TOP_ORDER), int(index) if index.isdigit() else -1


def _raw_parameter_problems(data: Any, file: str) -> list[Problem]:
    """Op/parameter mismatches, read from the raw JSON so they are found alongside other errors."""
    problems: list[Problem] = []
    tables = data.get("tables") if isinstance(data, dict) else None
    for ti, table in enumerate(tables if isinstance(tables, list) else []):
        fields = table.get("fields") if isinstance(table, dict) else None
        for name, spec in (fields.items() if isinstance(fields, dict) else ()):
            if isinstance(spec, dict) and isinstance(spec.get("op"), str):
                for param, message, hint in parameter_problems(spec["op"], spec):
                    loc = ("tables", ti, "fields", name) + ((param,) if param else ())
                    problems.append(Problem(file, None, format_path(loc), message, hint))
    return problems


class _Object(dict):
    """A JSON object that remembers keys written twice (json.loads would silently keep the last)."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__(pairs)
        keys = [k for k, _ in pairs]
        self.duplicates = sorted({k for k in keys if keys.count(k) > 1}) if len(self) < len(keys) else []


def _duplicate_problems(value: Any, file: str, loc: tuple = ()) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(value, _Object):
        problems += [Problem(file, None, format_path((*loc, key)), f"key '{key}' is written more than once",
                             "keep one of them") for key in value.duplicates]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        problems += _duplicate_problems(item, file, (*loc, key))
    return problems


MAX_INTEGER_DIGITS = 30


class _LongInteger(ValueError):
    pass


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _LongInteger(text)
    return int(text)


def _load_json(text: str, file: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_Object, parse_int=_integer)
    except _LongInteger as err:
        line = text.count("\n", 0, max(text.find(str(err)), 0)) + 1
        raise ShareError([Problem(file, line, "", f"a whole number of {len(str(err).lstrip('-')):,} digits; "
                                  f"numbers in a share have at most {MAX_INTEGER_DIGITS}")]) from None
    except json.JSONDecodeError as err:
        raise ShareError([Problem(file, err.lineno, "", f"JSON syntax: {err.msg} (col {err.colno})",
                                  "check commas, quotes and brackets")]) from None
    except RecursionError:
        raise ShareError([Problem(file, None, "", "JSON is nested too deeply")]) from None


def parse_share_text(text: str, file: str = "<share>") -> ShareDocument:
    """Validate share JSON text; raise ShareError listing every problem found, each with its field path."""
    return parse_share_data(_load_json(text.removeprefix("\ufeff"), file), file)


def parse_share_data(data: Any, file: str = "<share>") -> ShareDocument:
    """Validate a share already read from JSON (a dict of JSON values): the checks of `parse_share_text`."""
    if not isinstance(data, dict):
        raise ShareError([Problem(file, None, "", "a share document must be a JSON object {...}",
                                  f'start with {{"format": "{SHARE_FORMAT}", ...')])
    too_big = document_problems(data, file)
    if too_big:
        raise ShareError(too_big)
    problems = _duplicate_problems(data, file)
    if "format" not in data:
        problems.append(Problem(file, None, "format", "'format' is required",
                                f'add "format": "{SHARE_FORMAT}"'))
    elif data["format"] != SHARE_FORMAT:  # nothing else is read from a document of another version
        found = _shown(data["format"])
        raise ShareError([Problem(file, None, "format", f"unsupported share format {found}; this version of "
                                  f"the sandbox reads '{SHARE_FORMAT}'", "convert the share or use a matching "
                                  "version of the sandbox")])
    try:
        document = ShareDocument.model_validate(data)
    except ValidationError as err:
        problems += [p for p in (_problem(e, file) for e in err.errors()) if p is not None]
        problems += _raw_parameter_problems(data, file)
        document = None
    if problems:
        raise ShareError(sorted(problems, key=_document_order))
    return document


def load_share(path: str | Path) -> ShareDocument:
    """Read and validate a share file; every file problem (missing, too big, not UTF-8) is a ShareError."""
    from sandbox_app.files import shown

    path = Path(path)
    file = shown(path)  # a megabyte-long name is cut in messages
    try:
        if path.is_dir():
            raise ShareError([Problem(file, None, "", "is a folder, not a share file")])
        size = path.stat().st_size
        if size > MAX_SHARE_BYTES:
            raise ShareError([Problem(file, None, "", f"file is {size / 1e6:.1f} MB; share files are at most "
                                      f"{MAX_SHARE_BYTES / 1e6:.0f} MB", "is this the right file?")])
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ShareError([Problem(file, None, "", "no such file")]) from None
    except UnicodeDecodeError as err:
        raise ShareError([Problem(file, None, "", f"not UTF-8 text (byte {err.start})",
                                  "save the file as UTF-8")]) from None
    except OSError as err:
        raise ShareError([Problem(file, None, "", f"cannot read the file: {err.strerror}")]) from None
    return parse_share_text(text, file)


# ------------------------------------------------------------------------------------ canonical JSON

def _number(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _compact(obj: dict) -> str:
    return json.dumps({k: _number(v) for k, v in obj.items()}, ensure_ascii=False, separators=(", ", ": "))


def share_to_json(doc: ShareDocument) -> str:
    """Canonical pretty JSON: fixed key order, one line per field op and measure; parses back to `doc`.
    `decision` and `reason` are written only when not the default, so a plain share reads as it always did."""
    head = {"format": doc.format, "scenario": doc.scenario, "exercise": doc.exercise}
    if doc.decision != "share":
        head["decision"] = doc.decision
    if doc.reason:
        head["reason"] = doc.reason
    head |= {"purpose": doc.purpose, "destroy_by": doc.destroy_by.isoformat() if doc.destroy_by else None,
            "deidentified": doc.deidentified, "redisclosure_notice": doc.redisclosure_notice}
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}," for k, v in head.items()]
    tables = []
    for table in doc.tables:
        parts = [f'    {{"table": {json.dumps(table.table, ensure_ascii=False)}']
        if table.where is not None:
            parts.append(f'     "where": {json.dumps(table.where, ensure_ascii=False)}')
        fields = [f"        {json.dumps(name, ensure_ascii=False)}: {_compact({'op': op.op, **op.params()})}"
                  for name, op in table.fields.items()]
        parts.append('     "fields": {' + ("\n" + ",\n".join(fields) + "\n     }}" if fields else "}}"))
        tables.append(",\n".join(parts))
    lines.append('  "tables": [' + ("\n" + ",\n".join(tables) + "\n  ]," if tables else "],"))
    if doc.aggregate is None:
        lines.append('  "aggregate": null')
    else:
        agg = doc.aggregate
        measures = ", ".join(_compact(m.model_dump(exclude_none=True)) for m in agg.measures)
        lines.append(f'  "aggregate": {{"group_by": {json.dumps(agg.group_by, ensure_ascii=False)},\n'
                     f'                "measures": [{measures}],\n'
                     f'                "min_cell_size": {json.dumps(agg.min_cell_size)}}}')
    return "\n".join(lines) + "\n}\n"


__all__ = ["DECISIONS", "Aggregate", "FieldOp", "GENERALIZE_TO", "Measure", "OPS", "SHARE_FORMAT", "ShareDocument",
           "TableShare", "decision_problem", "load_share", "parameter_problems", "parse_share_data",
           "parse_share_text", "share_to_json"]
