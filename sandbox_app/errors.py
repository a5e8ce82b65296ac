"""User-facing errors: each says what is wrong and where, in one plain sentence, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass

MAX_PART = 500  # characters of a problem's message or hint; a file name or field path gets 200
_LIMITS = {"file": 200, "path": 200, "message": MAX_PART, "hint": MAX_PART}


def clip(value: object, limit: int = MAX_PART) -> str:
    """`value` as one line of at most `limit` characters (then "… (N characters)"), for echoing user input."""
    text = str(value).replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


# What a window says when background work fails for a reason that is not the user's (tasks, scoring process).
MEMORY_MESSAGE = "This needs more memory than the computer has; try a smaller share."
BUG_MESSAGE = ("Something went wrong while working on this; the details are in the log file "
               "(Help → Open the log folder).")


def sqlite_reason(err: Exception) -> tuple[str, str] | None:
    """A SQLite error that says something about the file, as (plain sentence, hint); None for any other."""
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        return ("the database is locked by another program that is writing to it",
                "wait until it has finished, or close it, then try again")
    if "not a database" in text or "malformed" in text or "encrypted" in text:
        return "not a SQLite database, or the file is damaged", "generate the city again"
    return None


@dataclass(frozen=True)
class Problem:
    """One located problem in a user's file: ``file:line: field.path: message (hint)``.

    Every part is cut to one short line when made, so a megabyte-long name or value in the user's file
    never becomes a megabyte-long message (the cut says how long the original was).
    """

    file: str
    line: int | None
    path: str
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        for name, limit in _LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > limit:
                object.__setattr__(self, name, clip(value, limit))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "path": self.path, "message": self.message,
                "hint": self.hint}


class SandboxError(Exception):
    """Base of every error a user can cause. The CLI prints it and exits 1 (or 2 for usage)."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem(file="", line=None, path="", message=problems)]
        self.problems = problems
        super().__init__("\n".join(str(p).lstrip(": ") for p in problems))


class ScenarioError(SandboxError):
    """A scenario file that cannot be used: every problem found, located."""


class ShareError(SandboxError):
    """A share document that cannot be applied."""

    exit_code = 2


class DatabaseError(SandboxError):
    """A database that is missing, corrupt, locked or not a generated city."""


class PackError(SandboxError):
    """A scenario pack that cannot be written, verified or opened: one plain sentence naming the pack."""


class WorkspaceError(SandboxError):
    """A workspace database that cannot be opened safely (corrupt, locked, newer); a backup was kept."""


class ResultError(SandboxError):
    """A result file that cannot be read or written: bad JSON, wrong format, missing fields, too big."""
