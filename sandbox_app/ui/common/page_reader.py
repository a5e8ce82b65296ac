"""The background reader of a paged table model: many small reads, newest first, tagged with a generation.

tasks.TaskRunner runs one task per view; a table model needs more: while it shows one view (a sort, a
filter) it queues many page reads that must not cancel each other, the newest (what is on screen now)
first. `start(fn)` begins a new generation (a new sort or filter), cancelling everything in flight;
`submit(fn, priority)` queues a read in the current generation (a cancelled read is silent: it is no
"stop"). Each task is a plain `fn(state)` taking the progress/cancel object of synthetic/progress.py;
answers of an old generation are dropped. One thread, so the model's SQLite connection is only ever used by
one thread at a time.

Reads give way to the GUI thread: the model calls `hold()` when a view starts asking it for cells (a
repaint), and until control is back in the event loop `state.pause()` waits. A read's many small GIL
hand-overs (sqlite3 releases the GIL for every row) then never interleave with a repaint's hundreds of
Python calls, each of which could otherwise wait up to the 5 ms switch interval for the GIL. A task waits at
most HOLD_LIMIT_S in all, so a GUI thread that never rests still gets its pages.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from sandbox_app.errors import SandboxError
from synthetic.progress import Cancelled

log = logging.getLogger(__name__)
HOLD_LIMIT_S = 0.25  # the longest one task waits, in all, for the GUI thread to go idle


class ReadState:
    """The cancel flag and progress sink one task polls (thread-safe; progress sent only when it changes)."""

    def __init__(self, signals: _TaskSignals, generation: int, gui_idle: threading.Event) -> None:
        self._cancelled = threading.Event()
        self._signals, self._generation = signals, generation
        self._shown: tuple[int, str] | None = None
        self._gui_idle = gui_idle
        self._wait_left = HOLD_LIMIT_S

    def pause(self) -> None:
        """Wait while the GUI thread is busy (at most HOLD_LIMIT_S over the task); raise Cancelled if asked."""
        idle = self._gui_idle
        if self._wait_left > 0 and not idle.is_set():
            t0 = time.monotonic()
            idle.wait(self._wait_left)
            self._wait_left -= time.monotonic() - t0
        if self._cancelled.is_set():
            raise Cancelled()

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
                 generation: int, done: Callable[[ReadState], None], report_cancel: bool) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self.fn, self.state, self.signals, self.generation, self.done = fn, state, signals, generation, done
        self.report_cancel = report_cancel

    def run(self) -> None:
        try:
            if self.state.is_cancelled():
                raise Cancelled()
            result = self.fn(self.state)
        except Cancelled:
            if self.report_cancel:
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
        self._gui_idle = threading.Event()  # clear while the GUI thread paints this reader's model
        self._gui_idle.set()
        self.holding = False

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._live)

    def start(self, fn: Callable[[ReadState], Any], priority: int = 0) -> int:
        """Cancel everything in flight, then run `fn(state)` as a new generation. Returns the generation."""
        self.cancel()
        self.generation += 1
        self._queue(fn, priority, report_cancel=True)
        return self.generation

    def submit(self, fn: Callable[[ReadState], Any], priority: int = 0) -> ReadState:
        """Queue `fn(state)` in the current generation without cancelling other work; its cancel is silent."""
        return self._queue(fn, priority, report_cancel=False)

    def _queue(self, fn: Callable[[ReadState], Any], priority: int, report_cancel: bool) -> ReadState:
        state = ReadState(self._signals, self.generation, self._gui_idle)
        with self._lock:
            self._live.add(state)
        self.pool.start(_Task(fn, state, self._signals, self.generation, self._forget, report_cancel), priority)
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
        self._gui_idle.set()
        return self.pool.waitForDone(timeout_ms)

    def hold(self) -> None:
        """The GUI thread is busy with the model (a repaint): reads wait until the current event is done."""
        if not self.holding:
            self.holding = True
            self._gui_idle.clear()
            QTimer.singleShot(0, self, self._release)

    def _release(self) -> None:
        self.holding = False
        self._gui_idle.set()

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
