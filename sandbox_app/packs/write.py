"""write_pack(): a scenario, its answers, settings and optionally its city into one `.citypack` (a zip).

The pack is written to a temporary file beside the target and renamed into place, so a failed or
interrupted write leaves no half pack. The grading key is written beside it (FILE.citypack.key) and into
the facilitator's data folder; it is never inside the zip.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sandbox_app import __version__
from sandbox_app.errors import PackError, Problem
from sandbox_app.packs.keys import (
    KEY_SUFFIX,
    GradingKey,
    derive_result_key,
    new_secret,
    remember_grading_key,
    write_grading_key,
)
from sandbox_app.packs.manifest import (
    DATABASE,
    MANIFEST,
    SCENARIO_DIR,
    SETTINGS,
    SIGNING_KEY,
    Manifest,
    PackSettings,
    canonical_json,
)
from sandbox_app.scenario.model import Scenario
from synthetic.progress import TaskState


@dataclass(frozen=True)
class WrittenPack:
    path: Path
    key_path: Path          # the facilitator's grading key, beside the pack
    pack_id: str
    size: int               # bytes of the .citypack
    files: int              # files inside it (manifest included)


def key_path_for(pack: Path) -> Path:
    """FILE.citypack -> FILE.citypack.key"""
    return pack.with_name(pack.name + KEY_SUFFIX)


def _answer_files(scenario: Scenario) -> dict[str, Path]:
    """Pack member -> file on disk for every answer the scenario names by path (inline answers need none)."""
    base = scenario._source.parent if scenario._source else Path.cwd()
    out: dict[str, Path] = {}
    for exercise in scenario.exercises:
        refs = [exercise.model_answer, *(b.share for b in exercise.bad_answers)]
        for ref in (r for r in refs if isinstance(r, str)):
            rel = PurePosixPath(ref.replace("\\", "/"))
            if rel.is_absolute() or ".." in rel.parts:
                raise PackError([Problem(str(scenario._source), None, f"exercises.{exercise.id}",
                                         f"answer '{ref}' is outside the scenario's folder",
                                         "keep answers in a folder beside the scenario file")])
            path = base / rel
            if not path.is_file():
                raise PackError([Problem(str(scenario._source), None, f"exercises.{exercise.id}",
                                         f"answer file '{ref}' does not exist")])
            out[f"{SCENARIO_DIR}/{rel.as_posix()}"] = path
    return out


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1024**2):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def write_pack(scenario: Scenario, out: str | Path, *, with_db: bool = False,
               settings: PackSettings | None = None, force: bool = False,
               state: TaskState | None = None) -> WrittenPack:
    """Write `scenario` (loaded from a file, so its answers can be found) as a pack at `out`.

    `with_db` puts the generated city inside (generated first if it is not cached; `state` reports that).
    Refuses to replace `out` or its key file unless `force`.
    """
    from sandbox_app.cache import cached_database

    out = Path(out)
    key_path = key_path_for(out)
    if scenario._source is None:
        raise PackError([Problem(str(out), None, "", "the scenario was not loaded from a file")])
    if out.is_dir():
        raise PackError([Problem(str(out), None, "", "is a folder; give a file name ending in .citypack")])
    if not out.parent.is_dir():
        raise PackError([Problem(str(out.parent), None, "", "no such folder")])
    for path in (out, key_path):
        if path.exists() and not force:
            raise PackError([Problem(str(path), None, "", "already exists; use --force to replace it")])
    settings = settings or PackSettings()
    secret = new_secret()
    pack_id = uuid.uuid4().hex
    sources: dict[str, Path] = {f"{SCENARIO_DIR}/{scenario._source.name}": scenario._source}
    sources.update(_answer_files(scenario))
    if with_db:
        sources[DATABASE] = cached_database(scenario, state=state)
    blobs = {SETTINGS: canonical_json(settings.to_dict()),
             SIGNING_KEY: (derive_result_key(secret, pack_id).hex() + "\n").encode("ascii")}
    files = {}
    for name, path in sources.items():
        digest, size = _sha256_file(path)
        files[name] = {"sha256": digest, "size": size}
    for name, data in blobs.items():
        files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    manifest = Manifest(pack_id, __version__, created, scenario.name, f"{SCENARIO_DIR}/{scenario._source.name}",
                        DATABASE if with_db else None, dict(sorted(files.items())))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=out.suffix or ".citypack", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(MANIFEST, canonical_json(manifest.to_dict()))
            for name, data in blobs.items():
                zf.writestr(name, data)
            for name, path in sources.items():
                zf.write(path, name)
        key = GradingKey(pack_id, scenario.name, manifest.digest, created, secret, str(out.resolve()))
        write_grading_key(key, key_path)
        os.replace(tmp, out)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise PackError([Problem(str(out), None, "", f"cannot write the pack: {err.strerror or err}")]) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    remember_grading_key(key)
    return WrittenPack(out, key_path, pack_id, out.stat().st_size, len(files) + 1)
