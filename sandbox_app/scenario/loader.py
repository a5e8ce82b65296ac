"""Load scenario files: YAML with line numbers, every problem reported at once, never a traceback."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from sandbox_app.errors import Problem, ScenarioError
from sandbox_app.files import shown
from sandbox_app.scenario.builtins import builtin_scenarios
from sandbox_app.scenario.checks import check_scenario
from sandbox_app.scenario.model import Scenario
from synthetic.check import check_coverage, did_you_mean

MAX_SCENARIO_BYTES = 5_000_000
DID_YOU_MEAN = re.compile(r"^(.*?) \((did you mean '.*'\?.*|valid categories: .*)\)$")


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A built-in scenario name or a path to a file; a clear error naming the choices otherwise."""
    path = Path(name_or_path)
    try:
        is_file = path.is_file()
    except OSError as err:  # a name too long for the file system, …
        raise ScenarioError([Problem(shown(path), None, "", f"not a usable file name: {err.strerror}")]) from None
    if path.suffix in (".yaml", ".yml") or is_file:
        if not is_file:
            raise ScenarioError([Problem(shown(path), None, "", "no such file")])
        return path
    builtins = builtin_scenarios()
    if str(name_or_path) in builtins:  # even if a folder of that name is in the current directory
        return builtins[str(name_or_path)]
    if path.is_dir():
        raise ScenarioError([Problem(shown(path), None, "", "is a folder, not a scenario file",
                                     f"built-in scenarios: {', '.join(builtins)}")])
    hint = did_you_mean(str(name_or_path)[:100], builtins) or f"built-in scenarios: {', '.join(builtins)}"
    raise ScenarioError([Problem(shown(name_or_path), None, "", "not a built-in scenario or a file", hint)])


MAX_NODES = 200_000  # YAML aliases can expand a small file into billions of values ("billion laughs")


class _TooBig(Exception):
    pass


class _Located:
    """Plain Python data from ruamel's round-trip nodes, plus a map from field path to 1-based line."""

    def __init__(self) -> None:
        self.lines: dict[tuple, int] = {}
        self.nodes = 0

    def plain(self, node: Any, loc: tuple = ()) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig()
        if isinstance(node, CommentedMap):
            out = {}
            for key, value in node.items():
                line = node.lc.key(key)[0] + 1
                self.lines[(*loc, key)] = line
                out[key] = self.plain(value, (*loc, key))
            return out
        if isinstance(node, CommentedSeq):
            out_list = []
            for i, value in enumerate(node):
                self.lines[(*loc, i)] = node.lc.item(i)[0] + 1
                out_list.append(self.plain(value, (*loc, i)))
            return out_list
        if isinstance(node, str):
            return str(node)
        return node

    def line_of(self, loc: tuple) -> int | None:
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return None


def format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _unwrap(arg)]
    if origin in (list, dict):
        return _unwrap(typing.get_args(annotation)[-1])
    return [annotation]


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class that a location inside a Scenario points into (for "did you mean" on unknown keys)."""
    current: list[Any] = [Scenario]
    for part in loc:
        if isinstance(part, int):
            continue  # a list index: the element type is already in `current`
        models = [c for c in current if isinstance(c, type) and issubclass(c, BaseModel)]
        fields = [f for m in models for n, f in m.model_fields.items() if part in (n, f.alias)]
        current = [t for f in fields for t in _unwrap(f.annotation)]
        if not current:
            return None
    return next((c for c in current if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _problem_from_pydantic(err: dict, file: str, located: _Located) -> Problem:
    loc = tuple(err["loc"])
    message = err["msg"].removeprefix("Value error, ")
    hint = None
    if err["type"] == "extra_forbidden":
        key = loc[-1]
        model = _model_at(loc[:-1])
        allowed = [f.alias or n for n, f in model.model_fields.items()] if model else []
        message = f"unknown key '{shown(key, 80)}'"
        hint = did_you_mean(str(key)[:200], allowed) or (f"allowed keys: {', '.join(allowed)}" if allowed else None)
    elif (suggestion := DID_YOU_MEAN.match(message)) is not None:
        message, hint = suggestion.group(1), suggestion.group(2)
    elif err["type"] == "string_type" and isinstance(err.get("input"), int | float) \
            and not isinstance(err.get("input"), bool):
        message = f"{shown(err.get('input'), 80)} was read as a number; this must be text"
        hint = ('quote it, e.g. zip: "01234" (unquoted, YAML reads a number and drops leading zeros)'
                if loc and loc[-1] == "zip" else "quote it")
    elif err["type"] == "missing":
        message = f"'{loc[-1]}' is required"
    elif err["type"] == "literal_error":
        hint = "allowed: " + str(err.get("ctx", {}).get("expected", ""))
        message = f"'{shown(err.get('input'), 80)}' is not allowed here"
    return Problem(file, located.line_of(loc), format_loc(loc), shown(message, 500), hint)


def _custom_category_names(data: dict) -> list[str]:
    """The names a scenario declares under custom_categories (for validating categories with the schema)."""
    items = data.get("custom_categories")
    return [str(c["name"]) for c in items if isinstance(c, dict) and "name" in c] if isinstance(items, list) else []


def _bad_date_line(text: str) -> int | None:
    """The line of the first date-looking value that is not a real date (YAML reports no position)."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in re.finditer(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b", line):
            try:
                dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                return number
    return None


def parse_scenario_text(text: str, file: str = "<scenario>", *, deep: bool = False,
                        base: Path | None = None, on_data=None) -> Scenario:
    """Validate scenario YAML text; raise ScenarioError listing every problem found.

    `deep` also draws the population to find tables no resident can appear in (what `validate` does; about
    0.1 s for 20,000 residents, so loading for other commands skips it). `on_data(dict)`, if given, gets the
    file's plain data as soon as the YAML is read, valid or not (the studio's form reads it: one parse serves both).
    """
    yaml = YAML(typ="rt")
    try:
        raw = yaml.load(text)
    except RecursionError:
        raise ScenarioError([Problem(file, None, "", "the YAML is nested too deeply to read",
                                     "a scenario needs only a few levels of nesting")]) from None
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        message = f"YAML syntax: {err.problem or err.context}"
        raise ScenarioError([Problem(file, line, "", message, "check indentation, colons and quotes")]) from None
    except YAMLError as err:
        raise ScenarioError([Problem(file, None, "", f"YAML syntax: {err}")]) from None
    except ValueError as err:  # a value YAML recognises but cannot build, e.g. the date 2026-13-45
        if "integer string conversion" in str(err):  # thousands of digits: Python will not even read it
            line = next((n for n, text_line in enumerate(text.splitlines(), start=1)
                         if re.search(r"\d{4000,}", text_line)), None)
            raise ScenarioError([Problem(file, line, "", "a number of thousands of digits",
                                         "numbers in a scenario have at most 19 digits")]) from None
        raise ScenarioError([Problem(file, _bad_date_line(text), "", f"a value cannot be read: {err}",
                                     "dates are written YYYY-MM-DD")]) from None
    if not isinstance(raw, CommentedMap):
        raise ScenarioError([Problem(file, 1, "", "a scenario file must be a mapping of keys to values",
                                     "start with 'name:', 'title:', 'seed:' …")])
    located = _Located()
    try:
        data = located.plain(raw)
    except (_TooBig, RecursionError):
        raise ScenarioError([Problem(file, None, "", f"the file expands to more than {MAX_NODES:,} values "
                                     "(through YAML aliases or deep nesting)",
                                     "write the values out; scenario files need no aliases")]) from None
    if on_data is not None:
        on_data(data)
    try:
        scenario = Scenario.model_validate(data, context={"custom_categories": _custom_category_names(data)})
    except ValidationError as err:
        problems = [_problem_from_pydantic(e, file, located) for e in err.errors()]
        problems += [Problem(file, located.line_of(i.loc), format_loc(i.loc), i.message, i.hint)
                     for i in _issues_beside_broken_items(data, err)]
        problems.sort(key=lambda p: (p.line or 0, p.path))
        raise ScenarioError(problems) from None
    issues = check_scenario(scenario, base)
    if deep and not issues:
        issues = check_coverage(scenario)
    if issues:
        raise ScenarioError([Problem(file, located.line_of(i.loc), format_loc(i.loc), i.message, i.hint)
                             for i in sorted(issues, key=lambda i: located.line_of(i.loc) or 0)])
    return scenario


# Lists whose broken items can be set aside so the rest of the file is still cross-checked.
PRUNABLE_LISTS = {("departments",), ("departments", "tables"), ("departments", "tables", "fields"),
                  ("population", "attributes"), ("agreements",), ("exercises",)}


def _prunable(loc: tuple) -> tuple | None:
    """The location of the innermost prunable list item that contains `loc`, if any."""
    for end in range(len(loc), 0, -1):
        prefix = loc[:end]
        if isinstance(prefix[-1], int) and tuple(p for p in prefix if not isinstance(p, int)) in PRUNABLE_LISTS:
            return prefix
    return None


def _issues_beside_broken_items(data: dict, err: ValidationError) -> list:
    """Cross-reference problems in the parts of the file that are well-formed, so a facilitator sees every
    problem at once. Items with structural errors are set aside; references to them are not reported
    (their names still count as known), and locations are mapped back to the original indices."""
    broken = {_prunable(tuple(e["loc"])) for e in err.errors()}
    if not broken or None in broken:
        return []  # a problem outside any list item: nothing sensible to check around it
    pruned = copy.deepcopy(data)
    kept: dict[tuple, list[int]] = {}  # original path of a list -> original indices still in it
    names: set[str] = set()
    for item in sorted(broken, key=len, reverse=True):  # innermost first
        parent = _walk(data, item[:-1])
        if isinstance(parent, list) and item[-1] < len(parent):
            names |= _names_within(parent[item[-1]])
        kept.setdefault(item[:-1], list(range(len(parent) if isinstance(parent, list) else 0)))
        if item[-1] in kept[item[:-1]]:
            kept[item[:-1]].remove(item[-1])
    # Innermost lists first: the lists around them are still whole, so original indices still find them.
    for path, indices in sorted(kept.items(), key=lambda kv: len(kv[0]), reverse=True):
        target = _walk(pruned, path)
        if isinstance(target, list):
            target[:] = [item for i, item in enumerate(target) if i in indices]
    try:
        partial = Scenario.model_validate(pruned)
    except ValidationError:
        return []
    issues = []
    for issue in check_scenario(partial):
        if any(f"'{name}'" in issue.message for name in names):
            continue  # "unknown department 'x'" where x is only broken, not missing
        issues.append(type(issue)(_original_loc(issue.loc, kept), issue.message, issue.hint))
    return issues


def _names_within(node) -> set[str]:
    """Every `name` and `id` inside a set-aside item (its tables and fields are known names too)."""
    if isinstance(node, dict):
        own = {str(node[k]) for k in ("name", "id") if isinstance(node.get(k), str | int)}
        return own.union(*(_names_within(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_names_within(v) for v in node))
    return set()


def _walk(data, path: tuple):
    """The value at `path` in `data`, or None."""
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _original_loc(loc: tuple, kept: dict) -> tuple:
    out: tuple = ()
    for part in loc:
        if isinstance(part, int) and out in kept:
            part = kept[out][part]
        out = (*out, part)
    return out


def load_scenario(name_or_path: str | Path, *, deep: bool = False) -> Scenario:
    """Load a built-in scenario by name, or a scenario file by path (`deep`: see parse_scenario_text)."""
    path = resolve_scenario_path(name_or_path)
    file = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_SCENARIO_BYTES:
            raise ScenarioError([Problem(file, None, "", f"file is {size / 1e6:.1f} MB; scenario files are "
                                         f"at most {MAX_SCENARIO_BYTES / 1e6:.0f} MB", "is this the right file?")])
        raw = path.read_bytes()
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text() does
    except UnicodeDecodeError as err:
        raise ScenarioError([Problem(file, None, "", f"not UTF-8 text (byte {err.start})",
                                     "save the file as UTF-8")]) from None
    except OSError as err:
        raise ScenarioError([Problem(file, None, "", f"cannot read the file: {err.strerror}")]) from None
    scenario = parse_scenario_text(text, file, deep=deep, base=path.parent if deep else None)
    scenario._source = path  # where relative answer paths are resolved
    scenario._sha256 = hashlib.sha256(raw).hexdigest()  # the bytes loaded, even if the file changes later
    return scenario
