"""Free-text templates of scenario files: `{name}` placeholders only, `{{` and `}}` for literal braces.

Deliberately not ``str.format``: a template cannot reach attributes (`{age.__class__}`), index (`{0}`),
convert (`{age!r}`) or pad (`{age:>1000000000}`). The generator renders each value with ``str``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME = re.compile(r"[a-z][a-z0-9_]{0,59}")
MAX_TEMPLATE_LENGTH = 2000


@dataclass(frozen=True)
class TemplateError(ValueError):
    """A malformed template; `position` is the 0-based offset of the problem."""

    message: str
    position: int

    def __str__(self) -> str:
        return f"column {self.position + 1}: {self.message}"


def parse_template(text: str) -> list[str | tuple[str]]:
    """The parts of a template: literal strings and 1-tuples `(name,)` for placeholders."""
    if len(text) > MAX_TEMPLATE_LENGTH:
        raise TemplateError(f"a template is at most {MAX_TEMPLATE_LENGTH:,} characters", MAX_TEMPLATE_LENGTH)
    parts: list[str | tuple[str]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "{}" and text[i + 1:i + 2] == ch:
            literal.append(ch)
            i += 2
            continue
        if ch == "}":
            raise TemplateError("a lone '}' (write '}}' for a literal brace)", i)
        if ch == "{":
            end = text.find("}", i + 1)
            if end < 0:
                raise TemplateError("a '{' is never closed (write '{{' for a literal brace)", i)
            name = text[i + 1:end]
            if not NAME.fullmatch(name):
                shown = name if len(name) <= 40 else name[:40] + "…"
                raise TemplateError(f"'{{{shown}}}' is not a placeholder: write a column name in braces, "
                                    "e.g. {first_name}, with nothing else inside", i)
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append((name,))
            i = end + 1
            continue
        literal.append(ch)
        i += 1
    if literal:
        parts.append("".join(literal))
    return parts


def placeholders(text: str) -> list[str]:
    """The placeholder names of a template, in order (raises TemplateError if malformed)."""
    return [p[0] for p in parse_template(text) if isinstance(p, tuple)]


def render(parts: list[str | tuple[str]], values: dict[str, object]) -> str:
    """A parsed template with each placeholder replaced by ``str`` of its value."""
    return "".join(p if isinstance(p, str) else str(values[p[0]]) for p in parts)
