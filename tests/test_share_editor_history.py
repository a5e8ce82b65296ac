"""The share editor's undo history: serialised once per state, so saving after each edit costs the same however
long the session has been (it re-serialised every state on every edit before)."""

from __future__ import annotations

from pathlib import Path

from sandbox_app.sharing import parse_share_text, share_to_json
from sandbox_app.ui.trainee import share_editor

MODEL = Path(__file__).parent / "data" / "answers-city" / "checks.model.json"


def test_history_serialises_each_state_once_and_matches_a_fresh_serialisation(qtbot, monkeypatch):
    editor = share_editor.ShareEditor(parse_share_text(MODEL.read_text(encoding="utf-8"), str(MODEL)))
    calls = []
    real = share_editor.share_to_json
    monkeypatch.setattr(share_editor, "share_to_json", lambda doc: calls.append(1) or real(doc))
    for i in range(30):
        editor.edit({"edit": "set_where", "table": "clinic_patients", "where": f"equipment != 'x{i}'"})
        editor.history()  # what the page saves after every edit
    calls.clear()
    editor.edit({"edit": "set_where", "table": "clinic_patients", "where": "equipment != 'last'"})
    states, index = editor.history()
    assert len(calls) <= 3  # the edit's own no-change check (2) and the new state (1), not all 32 states
    assert index == 31 and len(states) == 32
    fresh = [real(editor.stack.command(0).before)] + [real(editor.stack.command(i).after) for i in range(31)]
    assert states == fresh and states[-1] == share_to_json(editor.document)
    editor.stack.undo()
    assert editor.history() == (fresh, 30)


def test_typing_merged_into_one_step_serialises_the_merged_state(qtbot):
    editor = share_editor.ShareEditor(parse_share_text(MODEL.read_text(encoding="utf-8"), str(MODEL)))
    for text in ("equipment != 'o'", "equipment != 'ox'", "equipment != 'oxy'"):
        editor.edit({"edit": "set_where", "table": "clinic_patients", "where": text}, "type", merge_key="where")
        states, _ = editor.history()
    assert len(states) == 2 and "oxy" in states[-1] and states[-1] == share_to_json(editor.document)
