"""The background reader of a paged table model: many small reads, newest first, tagged with a generation.

tasks.TaskRunner runs one task per view; a table model needs more: while it shows one view (a sort, a
filter) it queues many page reads that must not cancel each other, the newest (what is on screen now)
first. `start(fn)` begins a new generation (a new sort or filter), cancelling everything in flight;
`submit(fn, priority)` queues a read in the current generation. Each task is a plain `fn(state)` taking
the progress/cancel object of synthetic/progress.py; answers of an old generation are dropped. One thread,
so the model's SQLite connection is only ever used by one thread at a time.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from sandbox_app.errors import SandboxError
from synthetic.progress import Cancelled

log = logging.getLogger(__name__)


class ReadState:
    """The cancel flag and progress sink one task polls (thread-safe; progress sent only when it changes)."""

    def __init__(self, signals: _TaskSignals, generation: int) -> None:
        self._cancelled = threading.Event()
        self._signals, self._generation = signals, generation
        self._shown: tuple[int, str] | None = None

    def set_progress(self, fraction: float, status: str = "") -> None:
        shown = (int(fraction * 100), status)
        if shown != self._shown:
            self._shown = shown
            self._signals.progress.emit(self._generation, fraction, status)

    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()


class _TaskSignals(QObject):
    finished = Signal(int, object)
    errored = Signal(int, str)
    cancelled = Signal(int)
    progress = Signal(int, float, str)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[ReadState], Any], state: ReadState, signals: _TaskSignals,
                 generation: int, done: Callable[[ReadState], None]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.fn, self.state, self.signals, self.generation, self.done = fn, state, signals, generation, done

    def run(self) -> None:
        try:
            if self.state.is_cancelled():
                raise Cancelled()
            result = self.fn(self.state)
        except Cancelled:
            self.signals.cancelled.emit(self.generation)
        except SandboxError as err:
            self.signals.errored.emit(self.generation, str(err))
        except Exception as err:  # a bug: say so calmly, keep the details in the log
            log.error("background task failed:\n%s", traceback.format_exc())
            self.signals.errored.emit(self.generation, f"Something went wrong ({type(err).__name__}: {err}); "
                                                       "the details are in the log.")
        else:
            self.signals.finished.emit(self.generation, result)
        finally:
            self.done(self.state)


class PageReader(QObject):
    """Background reads for one model; only the current generation's results come out of its signals."""

    finished = Signal(object)
    errored = Signal(str)
    cancelled = Signal()
    progress = Signal(float, str)

    def __init__(self, parent: QObject | None = None, *, threads: int = 1) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.generation = 0
        self._signals = _TaskSignals(self)
        self._signals.finished.connect(self._finished)
        self._signals.errored.connect(self._errored)
        self._signals.cancelled.connect(self._cancelled)
        self._signals.progress.connect(self._progress)
        self._live: set[ReadState] = set()
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._live)

    def start(self, fn: Callable[[ReadState], Any], priority: int = 0) -> int:
        """Cancel everything in flight, then run `fn(state)` as a new generation. Returns the generation."""
        self.cancel()
        self.generation += 1
        self.submit(fn, priority)
        return self.generation

    def submit(self, fn: Callable[[ReadState], Any], priority: int = 0) -> ReadState:
        """Queue `fn(state)` in the current generation without cancelling other work."""
        state = ReadState(self._signals, self.generation)
        with self._lock:
            self._live.add(state)
        self.pool.start(_Task(fn, state, self._signals, self.generation, self._forget), priority)
        return state

    def _forget(self, state: ReadState) -> None:
        with self._lock:
            self._live.discard(state)

    def cancel(self) -> None:
        """Ask every task in flight to stop (they raise Cancelled at their next check)."""
        with self._lock:
            for state in self._live:
                state.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel, then wait for the pool's threads: call when the view closes."""
        self.cancel()
        self.generation += 1
        return self.pool.waitForDone(timeout_ms)

    def _finished(self, generation: int, result: object) -> None:
        if generation == self.generation:
            self.finished.emit(result)

    def _errored(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.errored.emit(message)

    def _cancelled(self, generation: int) -> None:
        if generation == self.generation:
            self.cancelled.emit()

    def _progress(self, generation: int, fraction: float, status: str) -> None:
        if generation == self.generation:
            self.progress.emit(fraction, status)


__all__ = ["PageReader", "ReadState"]
