"""Tokens of the expression language, its limits and its one error type (see `synthetic.expr`)."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

MAX_LENGTH = 4000
MAX_NESTING = 64  # parentheses, calls, unary minus and `not`, counted while parsing
MAX_TREE_DEPTH = 200  # whole tree (long `a + b + c ...` chains), keeps evaluation far from the recursion limit
MAX_IN_ITEMS = 1000
_INT64_MAX = 2**63 - 1
_PANDAS_ERRORS = (TypeError, ValueError, ArithmeticError, NotImplementedError)  # incl. pyarrow's


class ExpressionError(ValueError):
    """A problem with an expression. `position` is a 0-based offset into `text` (None if not located)."""

    def __init__(self, message: str, position: int | None = None, text: str = "", hint: str | None = None):
        super().__init__(message, position, text, hint)
        self.message, self.position, self.text, self.hint = message, position, text, hint

    def __str__(self) -> str:
        where = "" if self.position is None else f"column {self.position + 1}: "
        return where + self.message + (f" ({self.hint})" if self.hint else "")


def _did_you_mean(name: str, candidates: Iterable[object]) -> str | None:
    matches = difflib.get_close_matches(name, sorted(str(c) for c in candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


# ------------------------------------------------------------------------------------------ tokens

@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "number", "string", "name", "quoted" (a `backtick` column), "keyword", "op", "end"
    value: object
    pos: int

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the expression"
        return f"the text {self.value!r}" if self.kind == "string" else f"'{self.value}'"


_KEYWORDS = {"and", "or", "not", "in", "is", "between", "null", "none", "true", "false"}
_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WORD = re.compile(r"[A-Za-z0-9_.]+")
_OPERATORS = ("==", "!=", "<>", "<=", ">=", "<", ">", "=", "+", "-", "*", "/", "%", "(", ")", ",")
_NOT_ALLOWED = {  # Python-isms and other symbols, with what to write instead
    "**": "there is no power operator", "&&": "use 'and'", "||": "use 'or'", "&": "use 'and'",
    "|": "use 'or'", "!": "use 'not', or '!=' to compare", ".": "attribute access and methods are not "
    "supported; use functions such as lower(name)", "[": "write lists in parentheses: x in ('a', 'b')",
    "]": "write lists in parentheses: x in ('a', 'b')", "{": "braces are not supported",
    "}": "braces are not supported", ";": "write a single expression, not statements",
    ":": "lambdas, slices and dictionaries are not supported",
}


def _fail(message: str, pos: int | None, text: str, hint: str | None = None) -> NoReturn:
    raise ExpressionError(message, pos, text, hint)


def _read_quoted(text: str, start: int, quote: str) -> tuple[str, int]:
    """The contents of a quoted string or name starting at `start` (a doubled quote is one quote)."""
    parts, i = [], start + 1
    while (end := text.find(quote, i)) >= 0:
        parts.append(text[i:end])
        if not text.startswith(quote, end + 1):
            return "".join(parts), end + 1
        parts.append(quote)
        i = end + 2
    what = "column name" if quote == "`" else "text"
    _fail(f"unterminated {what}: missing closing {quote}", start, text,
          f"to put {quote} inside, double it: {quote}O{quote}{quote}Brien{quote}" if quote != "`" else None)


def _number(text: str, start: int, end: int) -> int | float:
    if end < len(text) and (text[end].isalnum() or text[end] in "_."):
        _fail(f"'{_WORD.match(text, start).group()}' is not a valid number", start, text)
    source = text[start:end]
    value = float(source) if any(c in source for c in ".eE") else int(source)
    if (isinstance(value, int) and value > _INT64_MAX) or not math.isfinite(value):
        _fail(f"the number {source} is too large", start, text)
    return value


def _tokenize(text: str) -> list[_Token]:
    tokens, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "'\"`":
            value, end = _read_quoted(text, i, c)
            if c == "`" and not value:
                _fail("empty column name", i, text)
            tokens.append(_Token("quoted" if c == "`" else "string", value, i))
            i = end
        elif match := _NUMBER.match(text, i):
            tokens.append(_Token("number", _number(text, i, match.end()), i))
            i = match.end()
        elif match := _NAME.match(text, i):
            word = match.group()
            if word.lower() == "lambda":
                _fail("'lambda' is not allowed here", i, text,
                      "functions cannot be defined in an expression; write `lambda` for a column of that name")
            if word.lower() in _KEYWORDS:
                tokens.append(_Token("keyword", "null" if word.lower() == "none" else word.lower(), i))
            else:
                tokens.append(_Token("name", word, i))
            i = match.end()
        else:
            for symbol in ("**", "&&", "||"):
                if text.startswith(symbol, i):
                    _fail(f"'{symbol}' is not allowed here", i, text, _NOT_ALLOWED[symbol])
            op = next((op for op in _OPERATORS if text.startswith(op, i)), None)
            if op is None:
                shown = f"'{c}'" if c.isprintable() else repr(c)
                _fail(f"{shown} is not allowed here", i, text, _NOT_ALLOWED.get(c))
            tokens.append(_Token("op", op, i))
            i += len(op)
    tokens.append(_Token("end", None, len(text)))
    return tokens
