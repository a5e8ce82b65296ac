"""Keep Python's full garbage collections short, so no thread holds the GIL long enough to freeze the window.

A full (generation 2) collection scans every tracked object while holding the GIL, on whichever thread
triggers it: with Qt, pandas and a scenario loaded that is 80,000+ objects and 100-190 ms, so a collection
that a worker's allocations trigger (parsing YAML, scoring) freezes the GUI thread too. `settle()` moves
what exists now into the permanent generation (`gc.freeze()`: no scan, well under a millisecond), so later
full collections scan only what was made since. The windows call it once they are up and after each large
load (a city, a database, a room of results). Cyclic garbage that exists at that moment is kept for good,
which is why it is called after loads and not after every task. Measured by benchmarks/bench_studio.py and
bench_trainee.py (the GUI thread's longest gap). Background tasks also run with collections paused
(`collections_paused`): their own big allocations then trigger no scans at all.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_pause_lock = threading.Lock()
_pausing = 0  # background tasks running with the cyclic collector paused


def settle() -> int:
    """Freeze every object alive now out of future collections; how many objects are frozen in all."""
    gc.freeze()
    return gc.get_freeze_count()


@contextlib.contextmanager
def collections_paused() -> Iterator[None]:
    """Pause automatic cyclic collections while a background task runs (nested and concurrent tasks share the
    pause; the collector is back on when the last one ends).

    A task that holds millions of objects alive (the rows of a million-resident table, a search's candidates)
    makes each full collection scan them all with the GIL held, from whichever thread allocates next: 30-180 ms
    in which the GUI thread cannot run. Paused, those scans never happen; what the task made is freed by
    reference counting when it ends, so the next collection has little to scan. Only cyclic garbage made
    during the task waits until then."""
    global _pausing
    with _pause_lock:
        _pausing += 1
        if _pausing == 1:
            gc.disable()
    try:
        yield
    finally:
        with _pause_lock:
            _pausing -= 1
            if _pausing == 0:
                gc.enable()


__all__ = ["collections_paused", "settle"]
