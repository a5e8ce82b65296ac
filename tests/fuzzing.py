"""Hostile inputs for the property-based fuzz tests (tests/test_fuzz_*.py): structured mutations of the
built-in scenario files, share documents and expressions, as hypothesis strategies.

Profiles (tests/conftest.py): "ci" (the default, a few seconds per target) and "long" (10,000 examples per
target): ``HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz_scenarios.py tests/test_fuzz_shares.py``.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from hypothesis import strategies as st
from ruamel.yaml import YAML

ROOT = Path(__file__).parents[1]
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "tests" / "data" / "small-city.yaml"]


def _plain(node):
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_plain(path: Path) -> dict:
    return _plain(YAML(typ="safe").load(path.read_text(encoding="utf-8")))


def leaf_paths(node, path: tuple = ()) -> list[tuple]:
    """Every path to a value (mapping values, list items, and the containers themselves)."""
    out = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += leaf_paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += leaf_paths(value, (*path, i))
    return out


HUGE = "__huge_integer__"  # written out as a 4,400-digit integer (Python will not even print it by default)
HOSTILE_NUMBERS = st.sampled_from([
    -1, 0, 1, -1.0, 0.5, 1.5, 2, 10**6, 10**12, 2**63, -(2**63) - 1, 10**30, HUGE, float("nan"),
    float("inf"), float("-inf"), 1e-300, 1e308, -1e308, 5_000_000, 9999, 365_000, -365_000, True, False])
HOSTILE_VALUES = st.one_of(
    HOSTILE_NUMBERS,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "x", "{age.__class__}", "{age:>1000000000}", "{", "{0}", "{age!z}", "{nope}",
                     "age >", "age >= 65", "((((((((((((", "nobody", "health", "44101", "01234", "x" * 5000,
                     "2026-02-30", "0001-01-01", "9999-12-31", "%Y", "é", "\x00", "\t", None, [], {}, [1], {"a": 1},
                     dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(1850, 6, 1), dt.date(2026, 1, 1)]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
)


@st.composite
def mutated_scenario(draw) -> dict:
    """A built-in (or test) scenario with one to three structured mutations: replace a value, delete a key or
    item, duplicate a list item, or empty a container."""
    data = copy.deepcopy(_SCENARIOS[draw(st.sampled_from(sorted(_SCENARIOS)))])
    for _ in range(draw(st.integers(1, 3))):
        paths = leaf_paths(data)
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        kind = draw(st.sampled_from(["replace", "replace", "replace", "delete", "duplicate", "empty"]))
        if kind == "replace":
            parent[key] = copy.deepcopy(draw(HOSTILE_VALUES))
        elif kind == "delete":
            del parent[key]
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif kind == "empty" and isinstance(parent[key], list | dict):
            parent[key] = type(parent[key])()
    return data


FUZZ_RESIDENTS = 400  # the files' own 2,000-20,000 residents, scaled down: validate draws the population


def _scaled(data: dict) -> dict:
    data["city"]["residents"] = FUZZ_RESIDENTS
    return data


_SCENARIOS = {p.stem: _scaled(load_plain(p)) for p in SCENARIO_FILES}


def dump_yaml(data) -> str:
    import io

    out = io.StringIO()
    yaml = YAML(typ="safe")
    yaml.default_flow_style = None
    yaml.dump(data, out)
    return out.getvalue().replace(HUGE, "9" * 4400)


EXPRESSION_ATOMS = st.sampled_from([
    "age", "sex", "zip", "birth_date", "1", "0", "-1", "2.5", "1e308", "9" * 30, "'F'", "'44101'", "null", "true",
    "`full name`", "year(birth_date)", "month(birth_date)", "week(birth_date)", "days_between(birth_date, birth_date)",
    "weeks_between(birth_date, birth_date)", "length(zip)", "lower(sex)", "nope", "age / 0", "age % 0",
    "age ** 999", "'" + "x" * 100 + "'", "date('2026-01-01')", "date('9999-99-99')"])
EXPRESSION_OPS = st.sampled_from([" + ", " - ", " * ", " / ", " % ", " == ", " != ", " < ", " >= ", " and ", " or ",
                                  " in ", ", ", " ", ""])


@st.composite
def expressions(draw) -> str:
    """Text that is mostly expression-shaped: atoms joined by operators, with stray brackets and calls."""
    parts = [draw(EXPRESSION_ATOMS)]
    for _ in range(draw(st.integers(0, 6))):
        parts += [draw(EXPRESSION_OPS), draw(EXPRESSION_ATOMS)]
    text = "".join(parts)
    wrap = draw(st.sampled_from(["", "not ", "(", "-", "year(", "round("]))
    close = draw(st.sampled_from(["", ")", "))", "]"]))
    return wrap + text + close if draw(st.booleans()) else draw(st.text(max_size=40))


SHARE_FILES = sorted((ROOT / "scenarios" / "winter-storm").glob("*.json"))
_SHARES = {p.stem: __import__("json").loads(p.read_text(encoding="utf-8")) for p in SHARE_FILES}
SHARE_VALUES = st.one_of(
    HOSTILE_VALUES,
    expressions(),
    st.sampled_from([{"op": "keep"}, {"op": "derive", "expr": "year(birth_date)"}, {"op": "generalize", "to": "week"},
                     {"op": "generalize", "to": "band", "width": 1e-300}, {"op": "top_code", "max": HUGE},
                     {"op": "mask", "keep_last": -1}, {"op": "suppress_rare", "min_count": 10**30}, {"op": "nope"},
                     {"group_by": ["zip"], "measures": [{"op": "sum", "field": "zip"}]}, "refuse", "share",
                     {"table": "_ground_truth"}, {"table": "_residents", "fields": {"resident_id": {"op": "keep"}}}]),
)


@st.composite
def mutated_share(draw) -> tuple[str, str]:
    """(exercise id, JSON text): a winter-storm answer with one to three structured mutations."""
    import json

    name = draw(st.sampled_from(sorted(_SHARES)))
    data = copy.deepcopy(_SHARES[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(leaf_paths(data)))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        kind = draw(st.sampled_from(["replace", "replace", "delete", "duplicate", "add"]))
        if kind == "replace":
            parent[key] = copy.deepcopy(draw(SHARE_VALUES))
        elif kind == "delete":
            del parent[key]
        elif kind == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif kind == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["where", "aggregate", "decision", "reason", "fields", "extra", "age",
                                         "birth_date", "zip", "sex"]))] = copy.deepcopy(draw(SHARE_VALUES))
    text = json.dumps(data, default=str).replace(f'"{HUGE}"', "9" * 4400)
    return name.split(".")[0], text
