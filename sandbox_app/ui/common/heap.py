"""Keep Python's full garbage collections short, so no thread holds the GIL long enough to freeze the window.

A full (generation 2) collection scans every tracked object while holding the GIL, on whichever thread
triggers it: with Qt, pandas and a scenario loaded that is 80,000+ objects and 100-190 ms, so a collection
that a worker's allocations trigger (parsing YAML, scoring) freezes the GUI thread too. `settle()` moves
what exists now into the permanent generation (`gc.freeze()`: no scan, well under a millisecond), so later
full collections scan only what was made since. The windows call it once they are up and after each large
load (a city, a database, a room of results). Cyclic garbage that exists at that moment is kept for good,
which is why it is called after loads and not after every task. Measured by benchmarks/bench_studio.py and
bench_trainee.py (the GUI thread's longest gap).
"""

from __future__ import annotations

import gc


def settle() -> int:
    """Freeze every object alive now out of future collections; how many objects are frozen in all."""
    gc.freeze()
    return gc.get_freeze_count()


__all__ = ["settle"]
