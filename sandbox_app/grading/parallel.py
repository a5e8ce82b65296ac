"""Score many distinct shares on several processes before grading looks the scores up.

Each worker loads the scenario and opens the city once, then scores its share of the distinct shares; the
parent stores the outcomes in the source's cache, so grading itself only looks them up. Below PARALLEL_MIN
distinct shares per source, or with one CPU, nothing happens here and shares are scored in the parent as
grading reaches them (starting processes would cost more than it saves). If the pool breaks, the shares it
did not score are scored in the parent too: the result is the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from synthetic.progress import Cancelled, TaskState

PARALLEL_MIN = 300     # a worker takes ~3 s to start (imports, scenario, city); a share ~30 ms to score
MAX_WORKERS = 4
CHUNKS_PER_WORKER = 4   # smaller chunks: progress and Cancel are seen sooner


def default_workers() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def prescore(items, *, workers: int | None = None, state: TaskState | None = None) -> int:
    """Score the distinct (source, exercise, share) in `items` not scored yet; how many were scored here."""
    workers = default_workers() if workers is None else workers
    todo: dict[int, tuple[object, dict]] = {}
    for source, exercise, share in items:
        key = source.key_of(exercise, share)
        if key not in source._scores:
            todo.setdefault(id(source), (source, {}))[1].setdefault(key, (exercise, share))
    done = 0
    for source, pending in todo.values():
        if workers < 2 or len(pending) < PARALLEL_MIN:
            continue
        done += _score_in_pool(source, pending, workers, state)
    return done


def _score_in_pool(source, pending: dict, workers: int, state: TaskState | None) -> int:
    items = [(key, exercise, share) for key, (exercise, share) in pending.items()]
    n_chunks = min(len(items), workers * CHUNKS_PER_WORKER)
    chunks = [items[i::n_chunks] for i in range(n_chunks)]
    scenario_path, db_path = str(source.scenario._source), str(source.database_path())
    done = 0
    # spawn, not fork: a fresh interpreter is safe whatever threads the caller (the Qt app) has running
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(score_chunk, scenario_path, db_path, chunk) for chunk in chunks]
        try:
            for future in as_completed(futures):
                for key, outcome in future.result():
                    source._scores[key] = outcome
                    done += 1
                if state is not None:
                    state.set_progress(0.1 + 0.8 * done / len(items), f"scored {done:,} of {len(items):,} shares")
                    if state.is_cancelled():
                        raise Cancelled()
        except BrokenProcessPool:
            pass  # whatever was not scored is scored in the parent as grading reaches it
        finally:
            for future in futures:
                future.cancel()
    return done


def score_chunk(scenario_path: str, db_path: str, chunk: list) -> list:
    """In a worker: [(key, Scored or the problems)] for each (key, exercise, share) of `chunk`."""
    from sandbox_app.grading.sources import score_one
    from sandbox_app.scenario.loader import load_scenario
    from sandbox_app.sharing.database import CityDatabase

    scenario = load_scenario(scenario_path)
    db = CityDatabase(db_path)
    try:
        return [(key, score_one(db, scenario, exercise, share)) for key, exercise, share in chunk]
    finally:
        db.close()
