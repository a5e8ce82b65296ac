"""A small, safe expression language for row filters, derived fields and scenario conditions.

    needs_power_for_equipment and neighbourhood in ('Riverside', 'Old Mill')
    age >= 65 and disability

`parse()` runs a hand-written tokenizer and precedence-climbing parser (never eval/exec/compile/ast)
and returns an `Expression`, whose tree of frozen dataclasses is evaluated column-at-a-time over a
pandas DataFrame. Every problem, in parsing or evaluation, is an `ExpressionError` with a position.

Grammar, lowest precedence first (keywords are case-insensitive):
    or  /  and  /  not x  /  comparisons: == = != <> < <= > >=, [not] in (literal, ...),
    is [not] null, [not] between a and b (comparisons do not chain)  /  + -  /  * / %  /  unary -
    /  name(args), (expr), literals: 12 3.5 .5 1e3 'text' "text" ('' doubles a quote) true false null
    (also True False None), columns: name or `any name`.
Nulls: comparisons with null are False, arithmetic with null is null, and/or/not treat null as False.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache, partial

import numpy as np
import pandas as pd

from synthetic.expr_functions import (
    FUNCTIONS,
    OPERATIONS,
    ArgumentError,
    apply_lifted,
    broadcast,
    failure_message,
    in_list,
    truthy_array,
)
from synthetic.expr_tokens import (  # ExpressionError is re-exported: the language's public error type
    _PANDAS_ERRORS,
    MAX_IN_ITEMS,
    MAX_LENGTH,
    MAX_NESTING,
    MAX_TREE_DEPTH,
    ExpressionError,
    _did_you_mean,
    _fail,
    _Token,
    _tokenize,
)

__all__ = ["Expression", "ExpressionError", "parse", "FUNCTIONS"]

# -------------------------------------------------------------------------------------------- tree

class Node:
    """Base of the expression tree; `pos` is where the node (or its operator) starts in the text."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: object  # int, float, str, bool or None
    pos: int


@dataclass(frozen=True, slots=True)
class Column(Node):
    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Operation(Node):
    """'and'/'or' (two or more operands); 'not', 'neg', 'is null', 'is not null' (one); comparisons
    == != < <= > >= and arithmetic + - * / % (two); 'between', 'not between' (value, low, high)."""

    op: str
    operands: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class InList(Node):
    operand: Node
    items: tuple[object, ...]  # literal values
    negated: bool
    pos: int


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str  # lower-case, a key of FUNCTIONS
    args: tuple[Node, ...]
    pos: int


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, InList):
        return (node.operand,)
    return node.operands if isinstance(node, Operation) else node.args if isinstance(node, Call) else ()


# ------------------------------------------------------------------------------------------ parser

OR, AND, NOT, COMPARE, SUM, PRODUCT, UNARY = range(1, 8)
_INFIX = {"or": OR, "and": AND, "+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "%": PRODUCT}
_COMPARISONS = {"==": "==", "=": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_LITERALS = {"true": True, "false": False, "null": None}


class _Parser:
    def __init__(self, text: str, columns: frozenset[str] | None):
        self.text, self.columns = text, columns
        self.tokens = _tokenize(text)
        self.i = self.depth = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> _Token:
        token = self.tokens[self.i]
        self.i += token.kind != "end"
        return token

    def at(self, kind: str, value: object) -> bool:
        return self.peek().kind == kind and self.peek().value == value

    def expect(self, kind: str, value: object, message: str, hint: str | None = None) -> _Token:
        if not self.at(kind, value):
            _fail(f"{message}, found {self.peek().describe()}", self.peek().pos, self.text, hint)
        return self.next()

    def nest(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            _fail(f"expression is nested too deeply (more than {MAX_NESTING} levels)", token.pos, self.text)

    def parse(self) -> Node:
        if self.peek().kind == "end":
            _fail("expression is empty", 0, self.text)
        node = self.expression(0)
        token = self.peek()
        if self.at("op", ")"):
            _fail("unmatched ')'", token.pos, self.text)
        if token.kind != "end":
            _fail(f"unexpected {token.describe()} after a complete expression", token.pos, self.text,
                  "join conditions with 'and' or 'or'")
        return node

    def infix(self) -> str | None:
        token = self.peek()
        if token.kind == "op":
            return _COMPARISONS.get(token.value) or (token.value if token.value in _INFIX else None)
        if token.kind != "keyword":
            return None
        if token.value == "not" and self.peek(1).kind == "keyword" and self.peek(1).value in ("in", "between"):
            return f"not {self.peek(1).value}"
        return token.value if token.value in ("and", "or", "in", "is", "between") else None

    def expression(self, min_precedence: int) -> Node:
        left = self.prefix(min_precedence)
        compared = False
        while (op := self.infix()) is not None:
            precedence = _INFIX.get(op, COMPARE)
            if precedence < min_precedence:
                break
            token = self.next()
            if precedence == COMPARE:
                if compared:
                    _fail("comparisons cannot be chained", token.pos, self.text,
                          "combine them with 'and': a < b and b < c")
                left = self.comparison(op, token, left)
            elif op in ("and", "or"):
                right = self.expression(precedence + 1)
                operands = left.operands if isinstance(left, Operation) and left.op == op else (left,)
                left = Operation(op, (*operands, right), token.pos)
            else:
                left = Operation(op, (left, self.expression(precedence + 1)), token.pos)
            compared = precedence == COMPARE
        return left

    def comparison(self, op: str, token: _Token, left: Node) -> Node:
        if op.startswith("not "):
            self.next()
        if op in ("in", "not in"):
            return InList(left, self.in_list(), op == "not in", token.pos)
        if op == "is":
            negated = self.at("keyword", "not")
            self.i += negated
            self.expect("keyword", "null", f"expected 'null' after '{'is not' if negated else 'is'}'",
                        "use '==' or '!=' to compare with a value")
            return Operation("is not null" if negated else "is null", (left,), token.pos)
        if op in ("between", "not between"):
            low = self.expression(SUM)
            self.expect("keyword", "and", "expected 'and' between the bounds of 'between'")
            return Operation(op, (left, low, self.expression(SUM)), token.pos)
        return Operation(op, (left, self.expression(SUM)), token.pos)

    def in_list(self) -> tuple[object, ...]:
        opening = self.expect("op", "(", "expected '(' after 'in'", "write the values in parentheses: x in ('a', 'b')")
        items: list[object] = []
        while not self.at("op", ")"):
            token = self.next()
            if token.kind in ("number", "string"):
                items.append(token.value)
            elif token.kind == "keyword" and token.value in _LITERALS:
                items.append(_LITERALS[token.value])
            elif token.kind == "op" and token.value == "-" and self.peek().kind == "number":
                items.append(-self.next().value)
            else:
                _fail(f"expected a value in the list, found {token.describe()}", token.pos, self.text,
                      "list items must be plain values: quoted text, numbers, true, false or null")
            if len(items) > MAX_IN_ITEMS:
                _fail(f"too many items in the list (more than {MAX_IN_ITEMS})", token.pos, self.text)
            if not self.at("op", ")"):
                self.expect("op", ",", "expected ',' or ')' in the list")
        if not items:
            _fail("the list after 'in' is empty", opening.pos, self.text)
        self.next()
        return tuple(items)

    def prefix(self, min_precedence: int) -> Node:
        token = self.next()
        if token.kind in ("number", "string"):
            return Literal(token.value, token.pos)
        if token.kind == "keyword" and token.value in _LITERALS:
            return Literal(_LITERALS[token.value], token.pos)
        if token.kind == "quoted" or (token.kind == "name" and not self.at("op", "(")):
            return self.column(token)
        if token.kind == "name":
            return self.call(token)
        if token.kind == "op" and token.value == "(":
            self.nest(token)
            node = self.expression(0)
            self.expect("op", ")", f"expected ')' to close the '(' at column {token.pos + 1}")
            self.depth -= 1
            return node
        if token.kind == "op" and token.value == "-":
            self.nest(token)
            operand = self.expression(UNARY)
            self.depth -= 1
            if isinstance(operand, Literal) and type(operand.value) in (int, float):
                return Literal(-operand.value, token.pos)
            return Operation("neg", (operand,), token.pos)
        if token.kind == "keyword" and token.value == "not":
            if min_precedence > NOT:
                _fail("'not' cannot be used here", token.pos, self.text, "put it in parentheses: (not x)")
            self.nest(token)
            operand = self.expression(NOT)
            self.depth -= 1
            return Operation("not", (operand,), token.pos)
        _fail(f"expected a value, found {token.describe()}", token.pos, self.text)

    def column(self, token: _Token) -> Column:
        if self.columns is not None and token.value not in self.columns:
            _fail(f"unknown column '{token.value}'", token.pos, self.text, _did_you_mean(token.value, self.columns))
        return Column(token.value, token.pos)

    def call(self, token: _Token) -> Call:
        name = token.value.lower()
        function = FUNCTIONS.get(name)
        if function is None:
            _fail(f"unknown function '{token.value}'", token.pos, self.text, _did_you_mean(name, FUNCTIONS))
        self.next()
        self.nest(token)
        args: list[Node] = []
        while not self.at("op", ")"):
            args.append(self.expression(0))
            if not self.at("op", ")"):
                self.expect("op", ",", f"expected ',' or ')' in the arguments of {name}()")
        self.next()
        self.depth -= 1
        if not function.accepts(len(args)):
            _fail(f"{name}() takes {function.arity}, got {len(args)}", token.pos, self.text)
        return Call(name, tuple(args), token.pos)


def _column_names(root: Node, text: str) -> frozenset[str]:
    """The columns a tree references; also enforces MAX_TREE_DEPTH (iteratively, so it cannot overflow)."""
    names, stack = set(), [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            _fail(f"expression is too complex (more than {MAX_TREE_DEPTH} levels of operations)", node.pos, text,
                  "split it into simpler parts")
        if isinstance(node, Column):
            names.add(node.name)
        stack.extend((child, depth + 1) for child in _children(node))
    return frozenset(names)


# -------------------------------------------------------------------------------------- evaluation

class _Evaluator:
    def __init__(self, text: str, frame: pd.DataFrame):
        self.text, self.frame, self.index = text, frame, frame.index

    def value(self, node: Node) -> object:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Column):
            return self.column(node)
        args = [self.value(child) for child in _children(node)]
        try:
            if isinstance(node, Call):
                return FUNCTIONS[node.name](self.index, args)
            if isinstance(node, InList):
                return apply_lifted(partial(in_list, items=node.items, negated=node.negated), self.index, args)
            return apply_lifted(OPERATIONS[node.op], self.index, args)
        except ArgumentError as exc:
            at = node.args[exc.arg] if exc.arg is not None else node
            _fail(f"{node.name}() {exc}", at.pos, self.text)
        except _PANDAS_ERRORS:
            op = f"{node.name}()" if isinstance(node, Call) else getattr(node, "op", "in")
            _fail(failure_message(op, args), node.pos, self.text)

    def column(self, node: Column) -> pd.Series:
        if node.name not in self.frame.columns:
            _fail(f"unknown column '{node.name}'", node.pos, self.text, _did_you_mean(node.name, self.frame.columns))
        column = self.frame[node.name]
        if isinstance(column, pd.DataFrame):
            _fail(f"column '{node.name}' appears more than once in the data", node.pos, self.text)
        return column


# ------------------------------------------------------------------------------------------ public

@dataclass(frozen=True)
class Expression:
    """A parsed expression; immutable, so one parse can be shared (parse() caches them)."""

    text: str
    root: Node = field(repr=False, compare=False)
    columns: frozenset[str] = frozenset()  # column names referenced

    def __str__(self) -> str:
        return self.text

    def _value(self, frame: pd.DataFrame) -> object:
        with np.errstate(all="ignore"):
            return _Evaluator(self.text, frame).value(self.root)

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """The value for every row of `frame`, aligned with its index (a scalar result is broadcast)."""
        return broadcast(self._value(frame), frame.index)

    def evaluate_mask(self, frame: pd.DataFrame) -> np.ndarray:
        """The rows for which the expression is true: a new bool array; null and NaN count as false,
        other values by truthiness (nonzero number, non-empty text)."""
        return np.array(truthy_array(self._value(frame), len(frame)), dtype=bool)


def parse(text: str, columns: Collection[str] | None = None) -> Expression:
    """Parse `text`; if `columns` is given, every column referenced must be one of them.

    Raises ExpressionError (located, with a hint where one helps) for anything not in the grammar and
    for hostile input: more than MAX_LENGTH characters, nesting deeper than MAX_NESTING, more than
    MAX_IN_ITEMS items in an `in` list.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}", None, repr(text),
                              "put it in quotes")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is longer than {MAX_LENGTH} characters", MAX_LENGTH, text)
    return _parse_cached(text, None if columns is None else frozenset(columns))


@lru_cache(maxsize=1024)
def _parse_cached(text: str, columns: frozenset[str] | None) -> Expression:
    root = _Parser(text, columns).parse()
    return Expression(text, root, _column_names(root, text))
