"""Editing a scenario's exercises in its YAML text, keeping everything else byte for byte.

The studio's Exercises form writes through these functions so the file stays the one source of truth. Only
the text of the exercise being edited is re-written (parsed and dumped with ruamel's round-trip mode, so its
comments, key order, quoting and flow style stay); every other line of the file is left exactly as it was
(a whole-file dump would re-flow aligned tables such as the neighbourhood lists). Each function takes the
text and returns the new text; nothing here reads or writes files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

from sandbox_app.errors import Problem, ScenarioError

# The order keys are written in when the form adds one (as docs/scenario-format.md lists them).
EXERCISE_KEYS = ("id", "title", "brief", "requesting_department", "holding_department", "agreement", "purpose",
                 "purpose_text", "needs", "lawful_answer", "model_answer", "bad_answers")
NEEDS_KEYS = ("tables", "rows", "fields", "linkable", "aggregate")
ANSWER_KEYS = ("share", "expect", "teaches")
LAWFUL_ANSWERS = ("share", "refuse", "refuse_in_part")
_TOP_EXERCISES = re.compile(r"^exercises:[ \t]*(#.*)?$")
_NO_EXERCISES = re.compile(r"^exercises:[ \t]*\[[ \t]*\][ \t]*(#.*)?$")  # `exercises: []`
_TOP_KEY = re.compile(r"^[^\s#-]")  # a line that starts a new top-level key (or document marker)


def _fail(message: str, line: int | None = None, hint: str | None = None, path: str = "exercises") -> None:
    raise ScenarioError([Problem("<editor>", line, path, message, hint)])


def _yaml(indent: int = 2) -> YAML:
    """Round-trip YAML laid out as the file is: list dashes `indent` columns in, keys two further."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the author wrote on one
    yaml.indent(mapping=2, sequence=indent + 2, offset=indent)
    return yaml


_WRAP = "exercises:\n"  # an item is read and written inside its list's key, so every column stays as written


@dataclass(frozen=True)
class _Blocks:
    """Where the exercises are in the text: each item's [start, end) line range, and where a new one goes."""

    lines: list[str]
    items: list[tuple[int, int]]
    insert_at: int | None   # the line after the last item (None: the file has no `exercises:` list)
    indent: int             # columns before each item's dash


def _locate(text: str) -> _Blocks:
    lines = text.splitlines(keepends=True)
    head = next((i for i, line in enumerate(lines) if _TOP_EXERCISES.match(line.rstrip("\r\n"))), None)
    if head is None:
        if any(line.startswith("exercises:") and not _NO_EXERCISES.match(line.rstrip("\r\n")) for line in lines):
            _fail("the exercises are written on one line", hint="write them as a list, one '- id:' per exercise")
        return _Blocks(lines, [], None, 2)
    end = next((i for i in range(head + 1, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
    starts, indent = [], None
    for i in range(head + 1, end):
        stripped = lines[i].lstrip(" ")
        if stripped.startswith("- ") or stripped.rstrip("\r\n") == "-":
            column = len(lines[i]) - len(stripped)
            if indent is None:
                indent = column
            if column == indent:
                starts.append(i)
    body_end = end
    while body_end > head + 1 and not lines[body_end - 1].strip():
        body_end -= 1  # blank lines before the next top-level key stay where they are
    items = [(s, starts[k + 1] if k + 1 < len(starts) else body_end) for k, s in enumerate(starts)]
    return _Blocks(lines, items, body_end, 2 if indent is None else indent)


def exercise_count(text: str) -> int:
    """How many exercises the text lists (counted from the text's layout, without parsing it)."""
    return len(_locate(text).items)


def exercise_line(text: str, index: int) -> int | None:
    """The 1-based line where exercise `index` starts (its `- id:`), None if there is no such exercise."""
    items = _locate(text).items
    return items[index][0] + 1 if 0 <= index < len(items) else None


def _parse_block(block: str, indent: int, first_line: int) -> CommentedMap:
    try:
        data = _yaml(indent).load(_WRAP + block)
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = first_line + mark.line - 1 if mark is not None else first_line
        _fail(f"this exercise's YAML cannot be read ({getattr(err, 'problem', None) or 'syntax'})", line,
              "fix it in the editor first; the form follows the text")
    items = data.get("exercises") if isinstance(data, CommentedMap) else None
    if not isinstance(items, CommentedSeq) or len(items) != 1 or not isinstance(items[0], CommentedMap):
        _fail("this exercise is not a mapping of keys to values", first_line, "start it with '- id: …'")
    return items[0]


def _dump_item(item: CommentedMap, indent: int) -> str:
    out = io.StringIO()
    _yaml(indent).dump(CommentedMap([("exercises", CommentedSeq([item]))]), out)
    return out.getvalue().removeprefix(_WRAP)


def read_exercise(text: str, index: int) -> CommentedMap:
    """Exercise `index` of the text as ruamel round-trip data (ScenarioError if it cannot be read)."""
    blocks = _locate(text)
    if not 0 <= index < len(blocks.items):
        _fail(f"there is no exercise number {index + 1}", path=f"exercises[{index}]")
    start, end = blocks.items[index]
    return _parse_block("".join(blocks.lines[start:end]), blocks.indent, start + 1)


def edit_exercise(text: str, index: int, change: Callable[[CommentedMap], None]) -> str:
    """The text with exercise `index` changed by `change(item)`; every other line as it was."""
    blocks = _locate(text)
    if not 0 <= index < len(blocks.items):
        _fail(f"there is no exercise number {index + 1}", path=f"exercises[{index}]")
    start, end = blocks.items[index]
    item = _parse_block("".join(blocks.lines[start:end]), blocks.indent, start + 1)
    change(item)
    new = _dump_item(item, blocks.indent)
    old_tail = blocks.lines[end - 1] if end > start else "\n"
    if not new.endswith("\n") and old_tail.endswith("\n"):
        new += "\n"
    return "".join(blocks.lines[:start]) + new + "".join(blocks.lines[end:])


def put(mapping: CommentedMap, key: str, value, order: tuple[str, ...], *, drop=(None, "", [], {})) -> None:
    """Set `key` (in its place of `order` when new); a value in `drop` removes the key instead."""
    if any(value is d or (type(value) is type(d) and value == d) for d in drop):
        mapping.pop(key, None)
        return
    if key in mapping:
        mapping[key] = value
        return
    rank = order.index(key) if key in order else len(order)
    position = sum(1 for k in mapping if k in order and order.index(k) < rank)
    mapping.insert(position, key, value)


def text_value(text: str):
    """A form's text as YAML: several lines become a literal block (|), one line stays a plain string."""
    text = text.replace("\r\n", "\n").rstrip()
    return LiteralScalarString(text + "\n") if "\n" in text else text


def flow_list(values) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def flow_map(pairs) -> CommentedMap:
    mapping = CommentedMap(pairs)
    mapping.fa.set_flow_style()
    return mapping


def set_exercise_keys(text: str, index: int, **values) -> str:
    """Set top-level keys of one exercise (title=…, brief=…); None or "" removes an optional key, and
    lawful_answer="share" (the default) is removed too."""
    def change(item: CommentedMap) -> None:
        for key, value in values.items():
            if key not in EXERCISE_KEYS:
                raise ValueError(f"not an exercise key: {key}")
            if key in ("brief", "title", "purpose_text") and isinstance(value, str):
                value = text_value(value)
            drop = (None, "", "share") if key == "lawful_answer" else (None, "")
            if key in ("id", "title", "brief", "requesting_department", "holding_department", "agreement",
                       "purpose") and value in (None, ""):
                value = ""  # required: kept empty so validation names it, rather than vanishing
                drop = (None,)
            put(item, key, value, EXERCISE_KEYS, drop=drop)
    return edit_exercise(text, index, change)


def _needs(item: CommentedMap) -> CommentedMap:
    needs = item.get("needs")
    if not isinstance(needs, CommentedMap):
        needs = CommentedMap()
        put(item, "needs", needs, EXERCISE_KEYS)
    return needs


def set_needs(text: str, index: int, **values) -> str:
    """Set keys of one exercise's `needs`: tables=[…], rows="…", linkable=bool, aggregate={group_by, measures}
    or None, fields={field: grain} (in that order). Empty values remove the key (`tables` is required: kept)."""
    def change(item: CommentedMap) -> None:
        needs = _needs(item)
        for key, value in values.items():
            if key not in NEEDS_KEYS:
                raise ValueError(f"not a needs key: {key}")
            if key == "tables":
                old = needs.get("tables")
                value = _like(old, list(value)) if isinstance(old, CommentedSeq) else flow_list(list(value))
                put(needs, key, value, NEEDS_KEYS, drop=(None,))
            elif key == "fields":
                put(needs, key, _merged_fields(needs.get("fields"), dict(value)), NEEDS_KEYS)
            elif key == "aggregate" and value:
                agg = flow_map([("group_by", flow_list(list(value["group_by"]))),
                                ("measures", flow_list(list(value.get("measures") or ["count"])))])
                put(needs, key, agg, NEEDS_KEYS)
            elif key == "linkable":
                put(needs, key, True if value else False, NEEDS_KEYS,
                    drop=(None,) if "linkable" in needs and not value else (None, False))
            else:
                put(needs, key, value.strip() if isinstance(value, str) else value, NEEDS_KEYS)
    return edit_exercise(text, index, change)


def _like(old: CommentedSeq, values: list) -> CommentedSeq:
    """`values` in a sequence of the same style (flow or block) as `old`."""
    seq = CommentedSeq(values)
    if old.fa.flow_style():
        seq.fa.set_flow_style()
    return seq


def _merged_fields(old, fields: dict[str, str]) -> CommentedMap:
    """The needed fields as a mapping: the keys already written keep their place, new ones go last."""
    if isinstance(old, CommentedMap):
        for key in [k for k in old if k not in fields]:
            del old[key]
        for key, grain in fields.items():
            old[key] = grain
        return old
    return flow_map(list(fields.items()))


def set_model_answer(text: str, index: int, ref: str | None) -> str:
    return set_exercise_keys(text, index, model_answer=ref)


def add_bad_answer(text: str, index: int, share: str, expect: str, teaches: str = "") -> str:
    """Append a known-bad answer {share, expect, teaches} to exercise `index` (one line, flow style)."""
    def change(item: CommentedMap) -> None:
        answers = item.get("bad_answers")
        if not isinstance(answers, CommentedSeq):
            answers = CommentedSeq()
            put(item, "bad_answers", answers, EXERCISE_KEYS)
        entry = flow_map([("share", share), ("expect", expect)]
                         + ([("teaches", DoubleQuotedScalarString(teaches))] if teaches else []))
        answers.append(entry)
    return edit_exercise(text, index, change)


def set_bad_answer(text: str, index: int, answer: int, **values) -> str:
    """Set share=, expect= or teaches= of known-bad answer `answer` of exercise `index`."""
    def change(item: CommentedMap) -> None:
        answers = item.get("bad_answers")
        if not isinstance(answers, CommentedSeq) or not 0 <= answer < len(answers) \
                or not isinstance(answers[answer], CommentedMap):
            _fail(f"exercise {index + 1} has no known-bad answer number {answer + 1}",
                  path=f"exercises[{index}].bad_answers[{answer}]")
        for key, value in values.items():
            if key not in ANSWER_KEYS:
                raise ValueError(f"not an answer key: {key}")
            if key == "teaches" and value:
                value = DoubleQuotedScalarString(value)  # a lesson is a sentence: commas and colons stay text
            put(answers[answer], key, value, ANSWER_KEYS, drop=(None, "") if key == "teaches" else (None,))
    return edit_exercise(text, index, change)


def remove_bad_answer(text: str, index: int, answer: int) -> str:
    def change(item: CommentedMap) -> None:
        answers = item.get("bad_answers")
        if isinstance(answers, CommentedSeq) and 0 <= answer < len(answers):
            del answers[answer]
            if not answers:
                del item["bad_answers"]
    return edit_exercise(text, index, change)


def add_exercise(text: str, fields: dict) -> tuple[str, int]:
    """Append a new exercise (keys of `fields` in the usual order) at the end of the list; (text, its index).
    A file without exercises gets an `exercises:` list at its end."""
    blocks = _locate(text)
    item = CommentedMap()
    for key in EXERCISE_KEYS:
        if key in fields:
            value = fields[key]
            item[key] = text_value(value) if key == "brief" and isinstance(value, str) else value
    new = _dump_item(item, blocks.indent)
    lines = blocks.lines
    if blocks.insert_at is None:
        empty = next((i for i, line in enumerate(lines) if _NO_EXERCISES.match(line.rstrip("\r\n"))), None)
        if empty is not None:  # `exercises: []` becomes the list's header
            return "".join(lines[:empty]) + "exercises:\n" + new + "".join(lines[empty + 1:]), 0
        prefix = "".join(lines)
        if prefix and not prefix.endswith("\n"):
            prefix += "\n"
        return prefix + "\nexercises:\n" + new, 0
    at = blocks.insert_at
    before = "".join(lines[:at])
    if before and not before.endswith("\n"):
        before += "\n"
    separator = "\n" if blocks.items else ""
    return before + separator + new + "".join(lines[at:]), len(blocks.items)


def remove_exercise(text: str, index: int) -> str:
    """The text without exercise `index` (its lines, comments beside it included)."""
    blocks = _locate(text)
    if not 0 <= index < len(blocks.items):
        _fail(f"there is no exercise number {index + 1}", path=f"exercises[{index}]")
    start, end = blocks.items[index]
    if len(blocks.items) == 1:  # the last one: an empty list, not `exercises:` with nothing (null)
        head = next(i for i in range(start - 1, -1, -1) if _TOP_EXERCISES.match(blocks.lines[i].rstrip("\r\n")))
        if all(not line.strip() or line.lstrip().startswith("#") for line in blocks.lines[head + 1:start]):
            return ("".join(blocks.lines[:head]) + "exercises: []\n" + "".join(blocks.lines[head + 1:start])
                    + "".join(blocks.lines[end:]))
    return "".join(blocks.lines[:start]) + "".join(blocks.lines[end:])


def unique_id(taken: list[str], base: str = "new-exercise") -> str:
    """`base`, or `base-2`, `base-3` … : an exercise id not yet in `taken`."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


__all__ = ["EXERCISE_KEYS", "LAWFUL_ANSWERS", "add_bad_answer", "add_exercise", "edit_exercise",
           "exercise_count", "exercise_line", "read_exercise", "remove_bad_answer", "remove_exercise", "set_bad_answer",
           "set_exercise_keys", "set_model_answer", "set_needs", "unique_id"]
