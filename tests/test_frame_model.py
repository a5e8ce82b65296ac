"""The extract preview's table model: lazy, bounded, and correct at any row of a large frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt

from sandbox_app.ui.common.frame_model import BLOCK, CACHED_BLOCKS, FrameModel, cell_text


def big_frame(rows: int = 100_000) -> pd.DataFrame:
    return pd.DataFrame({"n": np.arange(rows), "x": np.arange(rows) / 4,
                         "s": pd.array([f"r{i}" for i in range(rows)], dtype="string[pyarrow]")})


def test_cells_show_the_frames_values_at_the_start_middle_and_end(qtmodeltester):
    frame = big_frame()
    model = FrameModel(frame)
    for row in (0, 1, BLOCK - 1, BLOCK, 50_001, len(frame) - 1):
        assert model.data(model.index(row, 0)) == str(row)
        assert model.data(model.index(row, 1)) == cell_text(row / 4)
        assert model.data(model.index(row, 2)) == f"r{row}"
    qtmodeltester.check(FrameModel(frame.head(300)))


def test_reading_a_page_reads_one_block_per_column_and_the_cache_stays_bounded():
    model = FrameModel(big_frame())
    for row in range(40):
        for col in range(3):
            model.data(model.index(row, col))
    assert len(model._blocks) == 3
    for row in range(0, 100_000, BLOCK):
        model.data(model.index(row, 0))
    assert len(model._blocks) <= CACHED_BLOCKS


def test_nulls_floats_and_flags_read_as_words():
    model = FrameModel(pd.DataFrame({"a": [None, 1.5, 2.0], "b": [True, False, None]}))
    assert [model.data(model.index(r, 0)) for r in range(3)] == ["—", "1.5", "2"]
    assert model.data(model.index(0, 1)) == "yes" and model.data(model.index(1, 1)) == "no"


def test_highlighted_rows_and_columns_are_marked_in_the_headers_too():
    model = FrameModel(big_frame(1000))
    model.set_highlight({3, 999}, ["s"])
    assert model.headerData(3, Qt.Orientation.Vertical) == "▶ 4"
    assert model.headerData(2, Qt.Orientation.Horizontal) == "▶ s"
    assert model.data(model.index(3, 0), Qt.ItemDataRole.BackgroundRole) is not None
    assert model.data(model.index(4, 0), Qt.ItemDataRole.BackgroundRole) is None


def test_multidata_answers_what_data_answers_for_every_role_a_delegate_asks_for():
    model = FrameModel(pd.DataFrame({"a": [None, 1.5, 2.0], "s": ["x", None, "z"]}))
    model.set_highlight({1}, ["s"])
    roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.BackgroundRole,
             Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.TextAlignmentRole]
    items = {role: QModelRoleData(int(role.value)) for role in roles}  # reused from cell to cell, as Qt does
    for row, col in [(r, c) for r in range(3) for c in range(2)] * 2 + [(5, 0)]:
        index = model.index(row, col)
        for role, item in items.items():
            model.multiData(index, QModelRoleDataSpan(item))
            assert item.data() == model.data(index, role), (row, col, role)
