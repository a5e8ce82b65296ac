"""open_pack() and verify_pack(): check a pack completely, then install it into the app's own pack folder.

A pack is extracted into a staging folder inside packs_dir() and renamed to packs_dir()/<pack id> only
after every check passed, so a refused (or interrupted) pack leaves nothing behind and nothing from a
pack is ever written anywhere else.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sandbox_app.errors import PackError, Problem, SandboxError
from sandbox_app.packs.keys import GradingKey
from sandbox_app.packs.manifest import MANIFEST, Manifest, PackSettings, canonical_json, parse_manifest
from sandbox_app.packs.paths import packs_dir
from sandbox_app.packs.verify import VerifiedPack, verify_into
from sandbox_app.scenario.model import Scenario
from synthetic.progress import TaskState

STAGING_PREFIX = ".staging-"


@dataclass
class InstalledPack:
    """A pack installed in packs_dir()/<pack_id>: what the trainee app (and `grade`) works from.

    `scenario` is loaded from `scenario_path`, so its answer files resolve inside `folder`. `database` is
    the city that came in the pack, or None (then `database_path()` generates the same city locally).
    `result_key` is the key results from this pack are signed with (see keys.py).
    """

    pack_id: str
    folder: Path
    scenario: Scenario
    scenario_path: Path
    database: Path | None
    settings: PackSettings
    result_key: bytes
    app_version: str
    created_at: str
    digest: str

    def database_path(self, state: TaskState | None = None) -> Path:
        """The city to score against: the packed one, else the scenario's generated (cached) city."""
        if self.database is not None:
            return self.database
        from sandbox_app.cache import cached_database

        return cached_database(self.scenario, state=state)


def result_signing_key(scenario: Scenario, pack: InstalledPack | None = None) -> bytes:
    """The key the trainee app signs a result with: the pack's signing key when the exercise came from a
    pack, else the workspace's key for a scenario opened without one (anyone with the file can derive it)."""
    if pack is not None:
        return pack.result_key
    from sandbox_app.workspace.results import result_key

    return result_key(scenario, None)


@dataclass(frozen=True)
class PackInfo:
    """What `verify_pack` found: the checked manifest and settings of a pack that passed every check."""

    manifest: Manifest
    settings: PackSettings
    title: str
    exercises: list[str]


def _staging() -> Path:
    root = packs_dir()
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))


def _check_key(pack: Path, verified: VerifiedPack, key: GradingKey | None) -> None:
    if key is None:
        return
    m = verified.manifest
    if key.pack_id != m.pack_id:
        raise PackError([Problem(str(pack), None, "", f"the grading key is for pack {key.pack_id}, "
                                 f"not this pack ({m.pack_id})")])
    if key.digest != m.digest or key.result_key != verified.result_key:
        raise PackError([Problem(str(pack), None, "", "the pack's contents differ from the pack this grading "
                                 "key was made for (it was changed after `city-sandbox pack`)")])


def verify_pack(path: str | Path, key: GradingKey | None = None) -> PackInfo:
    """Run every check `open_pack` runs, install nothing; PackError (one sentence) on the first failure.

    With the facilitator's grading `key`, also check the pack is exactly the one the key was made for.
    """
    pack = Path(path)
    staging = _staging()
    try:
        verified = verify_into(pack, staging)
        _check_key(pack, verified, key)
        return PackInfo(verified.manifest, verified.settings, verified.scenario.title,
                        [e.id for e in verified.scenario.exercises])
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def open_pack(path: str | Path, key: GradingKey | None = None) -> InstalledPack:
    """Check `path` completely and install it (once per pack id); the installed pack.

    Opening a pack that is already installed reuses it; a different pack claiming an installed pack's id
    is refused.
    """
    pack = Path(path)
    staging = _staging()
    try:
        verified = verify_into(pack, staging)
        _check_key(pack, verified, key)
        manifest_bytes = canonical_json(verified.manifest.to_dict())
        target = packs_dir() / verified.manifest.pack_id
        if target.exists():
            existing = _installed_manifest(target)
            if existing is None or existing.digest != verified.manifest.digest:
                raise PackError([Problem(str(pack), None, "", f"a different pack with the same id "
                                         f"({verified.manifest.pack_id}) is already installed",
                                         f"remove {target} if you trust this one")])
            shutil.rmtree(staging, ignore_errors=True)
            # the same bytes as installed (the digest covers every file): reuse the scenario just checked
            # rather than parse it again
            return _installed(target, existing, verified.settings, verified.result_key, verified.scenario)
        (staging / MANIFEST).write_bytes(manifest_bytes)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return _installed(target, verified.manifest, verified.settings, verified.result_key, verified.scenario)


def _installed_manifest(folder: Path) -> Manifest | None:
    try:
        return parse_manifest((folder / MANIFEST).read_bytes(), str(folder))
    except (OSError, PackError):
        return None


def _installed(folder: Path, manifest: Manifest, settings: PackSettings, result_key: bytes,
               scenario: Scenario) -> InstalledPack:
    scenario_path = folder.joinpath(*manifest.scenario_file.split("/"))
    scenario._source = scenario_path
    database = folder / manifest.database if manifest.database else None
    return InstalledPack(manifest.pack_id, folder, scenario, scenario_path, database, settings, result_key,
                         manifest.app_version, manifest.created_at, manifest.digest)


def load_installed(folder: str | Path) -> InstalledPack:
    """An installed pack from its folder (it passed every check when it was installed)."""
    from sandbox_app.scenario.loader import load_scenario

    folder = Path(folder)
    manifest = _installed_manifest(folder)
    if manifest is None:
        raise PackError([Problem(str(folder), None, "", "not an installed pack (no readable manifest.json)")])
    settings = PackSettings.from_dict(json.loads((folder / "settings.json").read_text(encoding="utf-8")),
                                      str(folder / "settings.json"))
    result_key = bytes.fromhex((folder / "signing.key").read_text(encoding="ascii").strip())
    scenario = load_scenario(folder.joinpath(*manifest.scenario_file.split("/")))
    return _installed(folder, manifest, settings, result_key, scenario)


def installed_packs() -> list[InstalledPack]:
    """Every pack installed on this computer, newest first (for the start screen)."""
    root = packs_dir()
    out = []
    if root.is_dir():
        for folder in root.iterdir():
            if folder.is_dir() and not folder.name.startswith(".") and (folder / MANIFEST).is_file():
                try:
                    out.append(load_installed(folder))
                except (SandboxError, OSError, ValueError):  # e.g. a scenario this app version refuses
                    continue
    return sorted(out, key=lambda p: p.created_at, reverse=True)
