"""Background tasks for the windows: long work runs on a thread pool, never on the GUI thread.

A task is a plain function `fn(state)` taking the same progress/cancel object the CLI uses
(`synthetic.progress.TaskState`), so the work itself stays headless and testable. `TaskRunner` runs one task
at a time for one view: starting a new one cancels the one in flight, and a generation number on every
signal drops the late answers of a cancelled task, so a stale result never lands.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from sandbox_app.errors import BUG_MESSAGE, MEMORY_MESSAGE, SandboxError
from sandbox_app.ui.common import heap
from synthetic.progress import Cancelled

log = logging.getLogger("city_sandbox.ui")


class CancelState:
    """`TaskState` for a worker thread: a cancel flag, and progress forwarded when the shown percent changes."""

    def __init__(self, report: Callable[[float, str], None] | None = None) -> None:
        self._cancelled = threading.Event()
        self._report = report
        self._shown = -1

    def cancel(self) -> None:
        self._cancelled.set()

    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def set_progress(self, fraction: float, status: str = "") -> None:
        percent = int(max(0.0, min(fraction, 1.0)) * 100)
        if self._report is not None and percent != self._shown:
            self._shown = percent
            self._report(fraction, status)


class _Signals(QObject):
    progress = Signal(int, float, str)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)


def _emit_progress(signals: _Signals, generation: int, fraction: float, status: str) -> None:
    try:
        signals.progress.emit(generation, fraction, status)
    except RuntimeError:  # the view closed while the task ran
        pass


class _Task(QRunnable):
    def __init__(self, generation: int, fn: Callable[[CancelState], Any], signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.generation, self.fn, self.signals = generation, fn, signals
        self.state = CancelState(lambda f, s: _emit_progress(signals, generation, f, s))

    def run(self) -> None:
        gen, signals = self.generation, self.signals
        try:
            with heap.collections_paused():
                outcome = ("finished", self.fn(self.state))
        except Cancelled:
            outcome = ("cancelled", None)
        except SandboxError as err:
            outcome = ("failed", str(err))
        except MemoryError:
            outcome = ("failed", MEMORY_MESSAGE)
        except Exception:  # a bug: the window shows a calm message, the details go to the log file
            log.error("background task failed\n%s", traceback.format_exc())
            outcome = ("failed", BUG_MESSAGE)
        if outcome[0] == "finished" and self.state.is_cancelled():
            outcome = ("cancelled", None)
        try:
            if outcome[0] == "finished":
                signals.finished.emit(gen, outcome[1])
            elif outcome[0] == "failed":
                signals.failed.emit(gen, outcome[1])
            else:
                signals.cancelled.emit(gen)
        except RuntimeError:  # the view closed while this ran: nobody is waiting for the answer
            pass


class TaskRunner(QObject):
    """Runs one task at a time for one view; a new `start` cancels the old task and drops its result."""

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(threads)  # a cancelled task may still be finishing its stage
        self._signals = _Signals(self)
        self._signals.progress.connect(self._on_progress)
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._signals.cancelled.connect(self._on_cancelled)
        self._generation = 0
        self._current: _Task | None = None
        self.dropped = 0  # results of superseded tasks thrown away (tests read it)

    @property
    def busy(self) -> bool:
        return self._current is not None

    @property
    def generation(self) -> int:
        return self._generation

    def start(self, fn: Callable[[CancelState], Any]) -> int:
        """Cancel the task in flight (if any) and start `fn(state)`; returns the new task's generation."""
        was_busy = self.busy
        if self._current is not None:
            self._current.state.cancel()
        self._generation += 1
        self._current = _Task(self._generation, fn, self._signals)
        self._pool.start(self._current)
        if not was_busy:
            self.busy_changed.emit(True)
        return self._generation

    def cancel(self) -> None:
        """Ask the task in flight to stop; `cancelled` is emitted when it has."""
        if self._current is not None:
            self._current.state.cancel()

    def shutdown(self, wait_ms: int = 10_000) -> None:
        """Cancel and wait for every task of this runner (on quit, or when the view closes)."""
        self.cancel()
        self._current = None
        self._pool.waitForDone(wait_ms)

    def _live(self, generation: int) -> bool:
        if generation != self._generation or self._current is None:
            self.dropped += 1
            return False
        return True

    def _done(self) -> None:
        self._current = None
        self.busy_changed.emit(False)

    @Slot(int, float, str)
    def _on_progress(self, generation: int, fraction: float, status: str) -> None:
        if generation == self._generation and self._current is not None:
            self.progress.emit(fraction, status)

    @Slot(int, object)
    def _on_finished(self, generation: int, result: object) -> None:
        if self._live(generation):
            self._done()
            self.finished.emit(result)

    @Slot(int, str)
    def _on_failed(self, generation: int, message: str) -> None:
        if self._live(generation):
            self._done()
            self.failed.emit(message)

    @Slot(int)
    def _on_cancelled(self, generation: int) -> None:
        if generation == self._generation and self._current is not None:
            self._done()
            self.cancelled.emit()
