"""Where a result is re-scored: its pack (or built-in scenario), the city, and the key its signature must hold.

Each source opens its city once and scores each distinct share once, so grading a room is quick however many
trainees sent the same answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app.errors import PackError, Problem, SandboxError, ShareError
from sandbox_app.packs import (
    InstalledPack,
    load_grading_key,
    load_installed,
    open_pack,
    packs_dir,
    remembered_grading_keys,
)
from sandbox_app.packs.keys import GradingKey
from sandbox_app.packs.manifest import canonical_json
from sandbox_app.scenario.model import Scenario
from sandbox_app.workspace.fingerprint import scenario_sha256
from sandbox_app.workspace.results import result_key


@dataclass(frozen=True)
class Scored:
    """What the engine says about one share today (the score written in a result file is never used)."""

    verdict: str
    privacy: int
    usefulness: int
    findings: tuple[dict, ...]       # rule, severity, title, citation, message
    records: int
    reidentified: int


def score_one(db, scenario: Scenario, exercise: str, share: dict) -> Scored | list[Problem]:
    """Score one share (a plain dict, as in a result file); the problems if it cannot be applied."""
    from sandbox_app.privacy.score import score_share
    from sandbox_app.sharing.document import parse_share_text

    try:
        doc = parse_share_text(canonical_json(share).decode("utf-8"), "share")
        report = score_share(db, scenario, exercise, doc, file="share")
    except ShareError as err:
        return list(err.problems)
    m = report.metrics
    return Scored(report.verdict, report.privacy_score, report.usefulness_score,
                  tuple({"rule": f.rule, "severity": f.severity, "title": f.title, "citation": f.citation,
                         "message": f.message} for f in report.findings),
                  int(m.records), int(m.reidentified_by_linkage))


@dataclass(eq=False)
class Source:
    """One pack or scenario that results are graded against."""

    label: str
    scenario: Scenario
    sha256: str
    key: bytes
    key_from: str                   # "grading key", "the pack's signing key" or "scenario (no pack)"
    pack_id: str | None
    pack: InstalledPack | None = None
    _db: object = None
    _scores: dict = field(default_factory=dict)

    def database_path(self) -> Path:
        """The city this source scores against (generated and cached first if it is not there yet)."""
        path = self.pack.database_path() if self.pack else None
        if path is None:
            from sandbox_app.cache import cached_database

            path = cached_database(self.scenario)
        return path

    def database(self):
        from sandbox_app.sharing.database import CityDatabase

        if self._db is None:
            self._db = CityDatabase(self.database_path())
        return self._db

    @staticmethod
    def key_of(exercise: str, share: dict) -> tuple[str, str]:
        return exercise, hashlib.sha256(canonical_json(share)).hexdigest()

    def score(self, exercise: str, share: dict, file: str) -> Scored:
        """The engine's verdict on `share` for `exercise`; ShareError if the share cannot be applied."""
        key = self.key_of(exercise, share)
        if key not in self._scores:
            self._scores[key] = score_one(self.database(), self.scenario, exercise, share)
        found = self._scores[key]
        if isinstance(found, list):
            raise ShareError([Problem(file, p.line, p.path, p.message, p.hint) for p in found])
        return found

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class Sources:
    """Finds the source for each result: the packs given with --pack; packs with a grading key (given with
    --key, or kept in the facilitator's data folder by `pack`), found beside the key, installed here, or where
    `pack` wrote them; the scenarios given; and the built-in scenarios. A pack neither given nor keyed is never
    used: anyone can make a pack."""

    def __init__(self, packs=(), keys=(), scenarios=()):
        from sandbox_app.scenario.loader import load_scenario

        self.keys: dict[str, GradingKey] = remembered_grading_keys()
        self.packs: dict[str, InstalledPack] = {}
        for path in keys:
            key = load_grading_key(path)
            self.keys[key.pack_id] = key
            beside = Path(str(path).removesuffix(".key"))
            if str(path).endswith(".key") and beside.is_file() and key.pack_id not in self.packs:
                self._add_pack(beside, key)
        for path in packs:
            self._add_pack(Path(path), None)
        self.scenarios = {s.name: s for s in (load_scenario(p) for p in scenarios)}
        self._sources: dict[tuple, Source | str] = {}

    def _add_pack(self, path: Path, key: GradingKey | None) -> None:
        pack = open_pack(path)
        key = key or self.keys.get(pack.pack_id)
        if key is not None and key.digest != pack.digest:
            raise PackError([Problem(str(path), None, "", f"this pack differs from the one its grading key "
                                     f"({pack.pack_id}) was made for")])
        self.packs[pack.pack_id] = pack

    def for_result(self, name: str, pack_id: str | None) -> Source | str:
        """The source for a result naming scenario `name` and `pack_id`, or why there is none."""
        ident = (name, pack_id)
        if ident not in self._sources:
            try:
                self._sources[ident] = self._find(name, pack_id)
            except SandboxError as err:
                self._sources[ident] = f"cannot use it: {err.problems[0].message}"
        return self._sources[ident]

    def _find(self, name: str, pack_id: str | None) -> Source | str:
        if pack_id is not None:
            pack = self.packs.get(pack_id)
            key = self.keys.get(pack_id)
            if pack is None and key is not None:   # a pack found by itself is trusted only with its grading key
                if (packs_dir() / pack_id).is_dir():
                    pack = load_installed(packs_dir() / pack_id)
                    if pack.digest != key.digest:
                        return f"pack {pack_id} installed here differs from the one its grading key was made for"
                    self.packs[pack_id] = pack
                elif key.pack_file and Path(key.pack_file).is_file():
                    self._add_pack(Path(key.pack_file), key)
                    pack = self.packs[pack_id]
            if pack is None:
                return (f"from pack {pack_id}, which is not among the packs graded (give --pack FILE.citypack, "
                        "or --key FILE.citypack.key beside it)")
            if pack.scenario.name != name:
                return f"names scenario '{name}', but pack {pack_id} holds '{pack.scenario.name}'"
            return Source(f"pack {pack_id[:8]} ({name})", pack.scenario, scenario_sha256(pack.scenario),
                          key.result_key if key else pack.result_key,
                          "grading key" if key else "the pack's signing key", pack_id, pack)
        scenario = self.scenarios.get(name)
        if scenario is None:
            from sandbox_app.scenario.loader import builtin_scenarios, load_scenario

            if name not in builtin_scenarios():
                return f"scenario '{name}' is neither built in nor given with --scenario"
            scenario = self.scenarios[name] = load_scenario(name)
        return Source(f"scenario {name}", scenario, scenario_sha256(scenario), result_key(scenario, None),
                      "scenario (no pack)", None)

    def used(self) -> list[Source]:
        return [s for s in self._sources.values() if isinstance(s, Source)]

    def close(self) -> None:
        for source in self.used():
            source.close()
