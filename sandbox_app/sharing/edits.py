"""Share edits: small JSON-serialisable changes to a share (set a field's op, set the filter, refuse...).

The vocabulary is in docs/share-format.md ("Edits"). Every edit works on the share's canonical JSON and the
result goes through `parse_share_data`, the validation a share file gets, so an edit can only ever yield a
valid document; the input document is never changed. A malformed edit is a ShareError located in the edit
(``edit.table``), an edit that would make an invalid share one located in the document
(``tables[0].fields.zip.op``). Tables are named by their name, or by their 0-based position when a share
lists the same table twice.
"""

from __future__ import annotations

import json
from typing import Any

from sandbox_app.errors import Problem, ShareError
from sandbox_app.sharing.document import DECISIONS, ShareDocument, parse_share_data, share_to_json
from synthetic.check import did_you_mean

SETTABLE = ("purpose", "destroy_by", "deidentified", "redisclosure_notice", "scenario", "exercise")

# kind -> (required keys, optional keys), besides "edit"
EDIT_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "add_table": (("table",), ()),
    "remove_table": (("table",), ()),
    "set_field": (("table", "field", "op"), ()),
    "remove_field": (("table", "field"), ()),
    "set_where": (("table", "where"), ()),
    "set": (("key", "value"), ()),
    "set_aggregate": (("aggregate",), ()),
    "set_decision": (("decision",), ("reason",)),
    "replace": (("document",), ()),
}
EDIT_KINDS = tuple(EDIT_KEYS)
_DEDICATED = {"tables": "add_table/remove_table", "aggregate": "set_aggregate", "decision": "set_decision",
              "reason": "set_decision", "format": "replace"}


class _EditProblem(Exception):
    def __init__(self, key: str | None, message: str, hint: str | None = None):
        super().__init__(message)
        self.key, self.message, self.hint = key, message, hint


def _text(edit: dict, key: str, *, nullable: bool = False) -> str | None:
    value = edit[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _EditProblem(key, f"must be text{' or null' if nullable else ''}, not {_shown(value)}")
    return value


def _object(edit: dict, key: str, *, nullable: bool = False) -> dict | None:
    value = edit[key]
    if value is None and nullable:
        return None
    if not isinstance(value, dict):
        raise _EditProblem(key, f"must be an object {{...}}{' or null' if nullable else ''}, not {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _table_index(data: dict, edit: dict) -> int:
    """The position of the table an edit names (by name, or by 0-based position)."""
    target, tables = edit["table"], data["tables"]
    names = [t["table"] for t in tables]
    if isinstance(target, int) and not isinstance(target, bool):
        if 0 <= target < len(tables):
            return target
        raise _EditProblem("table", f"the share has no table at position {target}",
                           f"positions 0 to {len(tables) - 1}" if tables else "the share lists no tables yet")
    if not isinstance(target, str):
        raise _EditProblem("table", f"must be a table name or position, not {_shown(target)}")
    found = [i for i, name in enumerate(names) if name == target]
    if len(found) == 1:
        return found[0]
    if found:
        raise _EditProblem("table", f"'{target}' is listed {len(found)} times (positions "
                           f"{', '.join(map(str, found))})", "name the table by its position instead")
    raise _EditProblem("table", f"the share has no table '{target}'",
                       did_you_mean(target, names) or "add it first with add_table")


def _change(data: dict, edit: dict) -> dict:
    """Apply one well-formed edit to the share's JSON data (a fresh copy) and return the new data."""
    kind = edit["edit"]
    if kind == "add_table":
        data["tables"].append({"table": _text(edit, "table"), "fields": {}})
    elif kind == "remove_table":
        del data["tables"][_table_index(data, edit)]
    elif kind in ("set_field", "remove_field"):
        table = data["tables"][_table_index(data, edit)]
        name = _text(edit, "field")
        if kind == "set_field":
            table["fields"][name] = _object(edit, "op")  # a new field goes last; an existing one keeps its place
        elif name in table["fields"]:
            del table["fields"][name]
        else:
            raise _EditProblem("field", f"{table['table']} shares no field '{name}'",
                               did_you_mean(name, list(table["fields"])))
    elif kind == "set_where":
        where = _text(edit, "where", nullable=True)
        table = data["tables"][_table_index(data, edit)]
        table.pop("where", None)
        if where is not None:
            table["where"] = where
    elif kind == "set":
        key = _text(edit, "key")
        if key not in SETTABLE:
            hint = (f"use the {_DEDICATED[key]} edit" if key in _DEDICATED else None) or did_you_mean(key, SETTABLE)
            raise _EditProblem("key", f"cannot set '{key}'", hint or f"settable keys: {', '.join(SETTABLE)}")
        data[key] = edit["value"]
    elif kind == "set_aggregate":
        data["aggregate"] = _object(edit, "aggregate", nullable=True)
    elif kind == "set_decision":
        decision = _text(edit, "decision")
        if decision not in DECISIONS:
            raise _EditProblem("decision", f"unknown decision '{decision}'",
                               did_you_mean(decision, DECISIONS) or f"choose from {', '.join(DECISIONS)}")
        data["decision"] = decision
        data["reason"] = _text(edit, "reason") if "reason" in edit else ""
        if decision == "refuse":  # a whole refusal shares nothing
            data["tables"], data["aggregate"] = [], None
    elif kind == "replace":
        data = _object(edit, "document")
    return data


def _edit_shape(edit: Any) -> None:
    """Raise _EditProblem if the edit is not a known kind with exactly its keys."""
    if not isinstance(edit, dict):
        raise _EditProblem(None, f"an edit must be an object {{\"edit\": ...}}, not {_shown(edit)}")
    if "edit" not in edit:
        raise _EditProblem("edit", "'edit' is required", f"the kind of edit: {', '.join(EDIT_KINDS)}")
    kind = edit["edit"]
    if kind not in EDIT_KEYS:
        hint = did_you_mean(kind, EDIT_KINDS) if isinstance(kind, str) else None
        raise _EditProblem("edit", f"unknown edit {_shown(kind)}", hint or f"choose from {', '.join(EDIT_KINDS)}")
    required, optional = EDIT_KEYS[kind]
    for key in required:
        if key not in edit:
            raise _EditProblem(key, f"'{key}' is required for {kind}")
    allowed = ("edit", *required, *optional)
    for key in edit:
        if key not in allowed:
            raise _EditProblem(key, f"unknown key '{key}' for {kind}",
                               did_you_mean(str(key), allowed) or f"{kind} takes: {', '.join(allowed[1:])}")


def apply_edit(doc: ShareDocument, edit: dict, file: str = "<edit>", *, at: str = "edit") -> ShareDocument:
    """A new, validated share: `doc` with `edit` applied (`doc` is unchanged). Raises ShareError with one
    located problem for a malformed edit (path `at.key`), or the share's own problems if the result is invalid."""
    try:
        _edit_shape(edit)
        json.dumps(edit, allow_nan=False)  # only JSON values, as in a share file
        data = _change(json.loads(share_to_json(doc)), edit)
        data = json.loads(json.dumps(data, allow_nan=False))  # nothing of the edit is shared with the result
    except _EditProblem as err:
        path = at if err.key is None else f"{at}.{err.key}"
        raise ShareError([Problem(file, None, path, err.message, err.hint)]) from None
    except (TypeError, ValueError) as err:
        raise ShareError([Problem(file, None, at, f"holds a value that is not JSON ({err})",
                                  "edits hold only text, numbers, true/false, null, lists and objects")]) from None
    try:
        return parse_share_data(data, file)
    except ShareError as err:
        if at == "edit":
            raise
        raise ShareError([Problem(p.file, p.line, p.path, f"after {at}: {p.message}", p.hint)
                          for p in err.problems]) from None


def apply_edits(doc: ShareDocument, edits: list[dict], file: str = "<edits>") -> ShareDocument:
    """Apply edits in order; all or nothing: the first failing one raises, located as ``edits[i]...``."""
    if not isinstance(edits, list):
        raise ShareError([Problem(file, None, "edits", f"must be a list [...] of edits, not {_shown(edits)}")])
    for i, edit in enumerate(edits):
        doc = apply_edit(doc, edit, file, at=f"edits[{i}]")
    return doc


__all__ = ["EDIT_KINDS", "SETTABLE", "apply_edit", "apply_edits"]
