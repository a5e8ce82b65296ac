"""Result files made the way the trainee app makes them: score a share from an opened pack, record the
attempt in the workspace, build the result, sign it with the pack's key, write it."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox_app.packs import InstalledPack, result_signing_key
from sandbox_app.privacy.score import score_share
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import load_share, share_to_json
from sandbox_app.workspace.results import build_result, sign_result, write_result
from sandbox_app.workspace.store import Workspace


def submit(pack: InstalledPack, db: CityDatabase, exercise: str, share_file: Path, trainee: str,
           out: Path, workspace: Workspace | None = None) -> Path:
    """Submit `share_file` for `exercise` as `trainee`; the signed result file written to `out`."""
    share = load_share(share_file)
    share_json = share_to_json(share)
    report = score_share(db, pack.scenario, exercise, share, file=str(share_file)).to_dict()
    key = f"{trainee}|{pack.pack_id}"
    attempts = []
    if workspace is not None:
        workspace.add_attempt(key, exercise, share_json, report)
        attempts = [a.to_dict() for a in workspace.attempts(key, exercise)]
    data = build_result(trainee=trainee, scenario=pack.scenario, exercise_id=exercise, share_json=share_json,
                        report=report, attempts=attempts, pack_id=pack.pack_id)
    write_result(out, sign_result(data, result_signing_key(pack.scenario, pack)))
    return out


def edit(path: Path, change) -> Path:
    """Apply `change(data)` to a result file in place without re-signing it (what a hand edit does)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path
