"""The share document being edited: the one state of the builder, with undo/redo.

Every change is an edit in the engine's vocabulary (`sandbox_app.sharing.edits`), applied by the engine's
validated `apply_edit`, and pushed as a `QUndoCommand`; widgets only ever show `editor.document`. Typing in a
box merges into one undo step per box (`merge_key`), so undo does not walk back one keystroke at a time.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from sandbox_app.errors import ShareError
from sandbox_app.sharing import ShareDocument, parse_share_text, share_to_json
from sandbox_app.sharing.edits import apply_edit

_MERGE_IDS: dict[str, int] = {}


def _merge_id(key: str | None) -> int:
    if key is None:
        return -1
    return _MERGE_IDS.setdefault(key, len(_MERGE_IDS) + 1)


class _EditCommand(QUndoCommand):
    def __init__(self, editor: ShareEditor, before: ShareDocument, after: ShareDocument, text: str,
                 merge_key: str | None) -> None:
        super().__init__(text)
        self.editor, self.before, self.after, self.merge_key = editor, before, after, merge_key
        self._json: dict[str, str] = {}  # "before"/"after" -> share JSON, made once (the history is saved per edit)

    def json_of(self, which: str) -> str:
        """The share JSON of the state `which` ("before" or "after"), serialised once."""
        if which not in self._json:
            self._json[which] = share_to_json(getattr(self, which))
        return self._json[which]

    def id(self) -> int:
        return _merge_id(self.merge_key)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _EditCommand) or other.merge_key != self.merge_key or self.merge_key is None:
            return False
        self.after = other.after
        self._json.pop("after", None)
        return True

    def redo(self) -> None:
        self.editor._show(self.after)

    def undo(self) -> None:
        self.editor._show(self.before)


class ShareEditor(QObject):
    """Holds the share document; `edit()` changes it through the engine, undoably. `changed` carries it."""

    changed = Signal(object)  # ShareDocument: redraw (emitted while the undo stack is still moving)
    settled = Signal(object)  # ShareDocument: the edit is complete and `history()` includes it (save now)

    def __init__(self, document: ShareDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._document = document
        self.stack = QUndoStack(self)
        self._restoring = False
        self.stack.indexChanged.connect(self._index_changed)

    @property
    def document(self) -> ShareDocument:
        return self._document

    def edit(self, edit: dict, text: str = "", merge_key: str | None = None) -> ShareDocument:
        """Apply one edit (raises ShareError, document unchanged, if the engine refuses it)."""
        return self.edits([edit], text or str(edit.get("edit", "edit")).replace("_", " "), merge_key)

    def edits(self, edits: list[dict], text: str, merge_key: str | None = None) -> ShareDocument:
        """Apply several edits as ONE undo step (an "Apply fix" is one)."""
        after = self._document
        for edit in edits:
            after = apply_edit(after, edit)
        if share_to_json(after) == share_to_json(self._document):
            return after
        index = self.stack.index()
        self.stack.push(_EditCommand(self, self._document, after, text, merge_key))
        if self.stack.index() == index:  # merged into the last step: the index did not move, so settle here
            self._settle()
        return after

    def reset(self, document: ShareDocument, history: list[str] | None = None, index: int | None = None) -> None:
        """Start over on `document` (opening an exercise); `history` restores a saved undo history."""
        self._restoring = True
        self.stack.clear()
        self._document = document
        if history and len(history) > 1:
            try:
                states = [parse_share_text(text, "<saved undo history>") for text in history]
            except ShareError:
                states = []
            for before, after in zip(states, states[1:], strict=False):
                self.stack.push(_EditCommand(self, before, after, "restored edit", None))
            if states:
                self.stack.setIndex(max(0, min(index if index is not None else len(states) - 1,
                                                self.stack.count())))
                if share_to_json(self._document) != share_to_json(document):
                    self._document = document
        self.stack.setClean()
        self._restoring = False
        self.changed.emit(self._document)

    def history(self) -> tuple[list[str], int]:
        """The undo history as share JSON states (first the state before any edit) and the current index."""
        count = self.stack.count()
        if count == 0:
            return [share_to_json(self._document)], 0
        states = [self.stack.command(0).json_of("before")]
        states += [self.stack.command(i).json_of("after") for i in range(count)]
        return states, self.stack.index()

    def _index_changed(self, _index: int) -> None:
        self._settle()

    def _settle(self) -> None:
        if not self._restoring:
            self.settled.emit(self._document)

    def _show(self, document: ShareDocument) -> None:
        self._document = document
        self.changed.emit(document)
