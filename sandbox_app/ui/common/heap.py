"""Keep full garbage collections out of scrolling: freeze the heap a window built at start-up.

A window with pandas, matplotlib and the Qt wrappers loaded tracks ~130,000 objects; a full (generation 2)
collection walks them all, 50-250 ms on the GUI thread, and scrolling a paged table (page tuples, index
wrappers) eventually triggers one. `gc.freeze()` moves everything alive now into a permanent generation that
collections skip; only objects made later are scanned. The cost: cyclic garbage present at the freeze is
never freed (a young collection first frees most of it, cheaply).
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect the young generations, then freeze what is left; returns how many objects are now frozen."""
    gc.collect(1)
    gc.freeze()
    return gc.get_freeze_count()


__all__ = ["freeze_startup_heap"]
