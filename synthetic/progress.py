"""The small progress/cancel object long work takes, so the same code drives a CLI bar, a Qt bar or nothing."""

from __future__ import annotations

from typing import Protocol


class Cancelled(Exception):
    """The user asked to stop; whatever was being written has been removed."""


class TaskState(Protocol):
    def set_progress(self, fraction: float, status: str = "") -> None: ...
    def is_cancelled(self) -> bool: ...


class NullState:
    """No progress shown, never cancelled."""

    def set_progress(self, fraction: float, status: str = "") -> None:
        pass

    def is_cancelled(self) -> bool:
        return False


class Steps:
    """Turns units of work done into a fraction, and checks for cancellation at each step."""

    def __init__(self, state: TaskState | None, total: float) -> None:
        self.state = state or NullState()
        self.total = max(total, 1.0)
        self.done = 0.0

    def advance(self, units: float, status: str = "") -> None:
        self.done += units
        if self.state.is_cancelled():
            raise Cancelled()
        self.state.set_progress(min(self.done / self.total, 1.0), status)
