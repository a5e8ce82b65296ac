"""The rule catalogue as a Markdown table, generated from rules.yaml (so the README never repeats it by hand).

``python -m sandbox_app.privacy.reference --write README.md`` refreshes the block between the
``<!-- rules:start -->`` and ``<!-- rules:end -->`` markers; a test checks the README is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sandbox_app.privacy.catalogue import catalogue

START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def rules_markdown() -> str:
    lines = ["| rule | severity | what it checks | law or source |", "|---|---|---|---|"]
    for rule in catalogue().values():
        lines.append(f"| `{rule.id}` | {rule.severity} | {rule.title} | {rule.cited} |")
    return "\n".join(lines)


def refresh(text: str) -> str:
    """`text` with the block between the markers replaced by the current table."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{rules_markdown()}\n{END}{tail}"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        path = Path(sys.argv[2])
        path.write_text(refresh(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(rules_markdown())
