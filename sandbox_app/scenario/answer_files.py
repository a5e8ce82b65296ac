"""A scenario's answer files (share documents beside it): where a new one goes, reading one, writing one.

Answers live in the folder named after the scenario file (`my-city.yaml` -> `my-city/`), one JSON file per
answer, `<exercise>.model.json` or `<exercise>.<label>.json`, and the YAML refers to them by that relative
path. Writes are atomic (a crash never leaves half a file).
"""

from __future__ import annotations

import re
from pathlib import Path

from sandbox_app.errors import Problem, ShareError
from sandbox_app.files import atomic_write, shown

LABEL = re.compile(r"[^a-z0-9-]+")


def label_of(text: str) -> str:
    """A file-name label from a facilitator's words: 'Too many fields!' -> 'too-many-fields'."""
    return LABEL.sub("-", text.strip().lower()).strip("-")[:40] or "bad"


def answer_ref(scenario_path: Path, exercise_id: str, label: str, taken: list[str] | None = None) -> str:
    """The relative path a new answer file gets: `<stem>/<exercise>.<label>.json`, numbered if `taken` has it
    (or a file of that name exists)."""
    base = f"{Path(scenario_path).stem}/{exercise_id}.{label_of(label)}"
    ref, n = f"{base}.json", 2
    while (taken and ref in taken) or (Path(scenario_path).parent / ref).exists():
        ref, n = f"{base}-{n}.json", n + 1
    return ref


def answer_file(scenario_path: Path, ref: str) -> Path:
    """The file an answer path names, relative to the scenario's folder; refuses paths leaving that folder."""
    base = Path(scenario_path).parent.resolve()
    path = (base / ref).resolve()
    if not ref or Path(ref).is_absolute() or base not in path.parents:
        raise ShareError([Problem(shown(ref), None, "", "an answer path must be relative and stay inside the "
                                  "scenario's folder", f"e.g. {Path(scenario_path).stem}/exercise.model.json")])
    return path


def read_answer(scenario_path: Path, ref):
    """The share document of answer `ref` (a relative path or an inline mapping); ShareError in one sentence
    if it is missing, not JSON or not a share."""
    import json

    from sandbox_app.sharing.document import load_share, parse_share_text

    if isinstance(ref, dict):
        return parse_share_text(json.dumps(ref), "inline answer")
    return load_share(answer_file(scenario_path, str(ref)))


def write_answer(scenario_path: Path, ref: str, share_json: str) -> Path:
    """Write `share_json` to answer `ref` atomically (making the answers folder if needed); the path written."""
    path = answer_file(scenario_path, ref)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ShareError([Problem(shown(path.parent), None, "", f"cannot make the answers folder: "
                                  f"{err.strerror or err}")]) from None
    text = share_to_text(share_json)
    return atomic_write(path, text, force=True, error=ShareError)


def share_to_text(share_json: str) -> str:
    return share_json if share_json.endswith("\n") else share_json + "\n"


__all__ = ["answer_file", "answer_ref", "label_of", "read_answer", "write_answer"]
