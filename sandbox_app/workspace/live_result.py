"""What the live meter needs of a score, small enough to send between processes, and its extract as a file.

The scoring process (workspace/scoring_process.py) sends a `LiveResult` back for each share: the verdict,
both scores, the metrics, the findings and usefulness, exactly as `score_share` made them, but not the
extract's rows. Those are written to an Arrow IPC file that the window memory-maps (`read_preview`): the
preview reads the pages it paints from the mapping, so a 100,000-row extract is never pickled, copied or
turned into Python objects. A `LiveResult` reads like a `ScoreReport` where the window uses one.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

from sandbox_app.privacy.catalogue import Finding
from sandbox_app.privacy.share_metrics import Metrics
from sandbox_app.privacy.usefulness import Usefulness
from sandbox_app.sharing.document import ShareDocument


@dataclass
class LiveExtract:
    """The extract as the preview sees it: the share it came from and its rows (an Arrow table)."""

    share: ShareDocument
    frame: pa.Table | None = None       # read from the preview file in the window
    is_aggregate: bool = False
    rows: int = 0
    path: str = ""                      # the preview file the scoring process wrote


@dataclass
class LiveResult:
    """A score for the live meter: the figures of `ScoreReport`, without the extract's rows and the linkage
    details (who was re-identified is facilitator data)."""

    exercise: str
    verdict: str
    privacy_score: int
    usefulness_score: int
    metrics: Metrics
    findings: list[Finding] = field(default_factory=list)
    usefulness: Usefulness | None = None
    extract: LiveExtract | None = None


def _plain(values: pd.Series) -> pa.Array:
    """A column Arrow cannot type (mixed Python objects) as text, nulls kept as nulls."""
    def text(value):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        return str(value)
    return pa.array([text(v) for v in values], type=pa.string())


def frame_to_arrow(frame: pd.DataFrame) -> pa.Table:
    """The extract's frame as an Arrow table, column by column (a column of mixed objects becomes text)."""
    arrays, names = [], []
    for position in range(len(frame.columns)):
        column = frame.iloc[:, position]
        try:
            array = pa.Array.from_pandas(column)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            array = _plain(column)
        arrays.append(array)
        names.append(str(frame.columns[position]))
    return pa.Table.from_arrays(arrays, names=names)


def write_preview(frame: pd.DataFrame, path: Path) -> None:
    """Write the extract's rows as an Arrow IPC file, atomically (the window may be reading the last one)."""
    table = frame_to_arrow(frame)
    partial = path.with_name(path.name + ".partial")
    with pa.OSFile(str(partial), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(partial, path)


def read_preview(path: str | Path) -> pa.Table:
    """The preview file, memory-mapped: no row is read until the preview paints it."""
    return ipc.open_file(pa.memory_map(str(path), "r")).read_all()


def live_result(report, preview_path: Path | None = None) -> LiveResult:
    """The LiveResult of a ScoreReport; the extract's rows go to `preview_path` when one is given."""
    extract = report.extract
    live_extract = None
    if extract is not None:
        frame = extract.frame
        if preview_path is not None:
            write_preview(frame, preview_path)
        live_extract = LiveExtract(extract.share, None, extract.aggregate is not None, len(frame),
                                   str(preview_path or ""))
    return LiveResult(report.exercise, report.verdict, report.privacy_score, report.usefulness_score,
                      report.metrics, list(report.findings), report.usefulness, live_extract)
