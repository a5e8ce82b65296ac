"""grade_results(): read many result files, re-score every share, and flag what cannot be trusted.

The score written in a result file is never used: every share is scored again by the engine. A result is
*flagged* (see FLAGS) when it cannot be read, its signature does not hold, it comes from another pack,
scenario version or app version, it repeats another result, its share cannot be applied, or the score it
claims differs from the score the engine gives now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sandbox_app import __version__
from sandbox_app.errors import ResultError, SandboxError, ShareError
from sandbox_app.grading.sources import Scored, Source, Sources
from sandbox_app.workspace.results import read_result, verify_result
from synthetic.progress import TaskState

FLAGS = {
    "unreadable": "not a result file this app can read",
    "edited": "edited after signing: the signature does not match the content",
    "other_pack": "from a pack (or scenario) that is not among those graded",
    "other_scenario": "written for a different version of the scenario file",
    "other_version": "written by another version of the app",
    "duplicate": "repeats another result (the same file, or an older one for the same trainee and exercise)",
    "unscorable": "its share cannot be applied to the city",
    "score_differs": "the score written in the file differs from the engine's",
}


@dataclass
class GradedResult:
    """One result file, graded. `verdict`/`privacy`/`usefulness` are the engine's, never the file's."""

    file: str
    trainee: str = ""
    scenario: str = ""
    exercise: str = ""
    pack_id: str | None = None
    app_version: str = ""
    written_at: str = ""
    attempts: int = 0
    claimed: tuple = (None, None, None)        # (verdict, privacy, usefulness) as written in the file
    scored: Scored | None = None
    flags: dict[str, str] = field(default_factory=dict)   # code -> the reason, in words
    signature: str = ""
    source: str = ""
    share: dict | None = field(default=None, repr=False)     # the share sent, as read (the debrief shows it)
    path: list[tuple[int, int]] = field(default_factory=list, repr=False)  # (privacy, usefulness) per attempt

    @property
    def ok(self) -> bool:
        return not self.flags

    @property
    def verdict(self) -> str | None:
        return self.scored.verdict if self.scored else None

    def to_dict(self) -> dict:
        s = self.scored
        return {"file": self.file, "trainee": self.trainee, "scenario": self.scenario, "exercise": self.exercise,
                "pack_id": self.pack_id, "app_version": self.app_version, "written_at": self.written_at,
                "attempts": self.attempts, "verdict": s.verdict if s else None,
                "privacy_score": s.privacy if s else None, "usefulness_score": s.usefulness if s else None,
                "claimed": dict(zip(("verdict", "privacy_score", "usefulness_score"), self.claimed, strict=True)),
                "findings": list(s.findings) if s else [], "flags": self.flags, "ok": self.ok,
                "graded_against": self.source}


@dataclass
class Grading:
    results: list[GradedResult]
    sources: list[str]           # "pack 1a2b3c4d (winter-storm): signatures checked with the grading key"
    references: dict = field(default_factory=dict)   # (source label, exercise) -> [Reference], if asked for

    @property
    def flagged(self) -> list[GradedResult]:
        return [r for r in self.results if r.flags]


def result_files(paths) -> list[Path]:
    """Files as given, and every *.json under folders given (hidden files and folders skipped), sorted."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [p for p in path.rglob("*.json")
                     if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)]
            out += sorted(found)
        else:
            out.append(path)
    return out


def grade_results(paths, *, packs=(), keys=(), scenarios=(), state: TaskState | None = None,
                  workers: int | None = None, sources: Sources | None = None, references: bool = False) -> Grading:
    """Grade every result file in `paths` (files or folders). PackError/ScenarioError for a bad --pack,
    --key or --scenario (the facilitator's own inputs); problems with result files become flags.

    Files are read and checked first; then the distinct shares are scored, on `workers` processes when there
    are many (default: one per CPU, up to 4; 1 scores everything here), then each result gets its score.
    `sources` (a Sources the caller opened, and closes): packs, cities and scores already loaded are reused,
    and stay open for the caller (packs/keys/scenarios are then ignored). `references`: also score each
    exercise's model and known-bad answers (Grading.references), for the room view.
    """
    from sandbox_app.grading.parallel import prescore

    files = result_files(paths)
    owned = sources is None
    if owned:
        sources = Sources(packs, keys, scenarios)
    graded: list[GradedResult] = []
    try:
        read = [_read_one(path, sources) for path in files]
        _cancel_point(state, 0.1, "read every file")
        pooled = prescore([(source, r.exercise, share) for r, share, source in read if source is not None],
                          workers=workers, state=state)
        # scored in a pool, the files are only looked up here (0.9 on); else the engine runs here: 0.1 on
        start, end = (0.9 if pooled else 0.1), (0.95 if references else 1.0)
        for i, (result, share, source) in enumerate(read):
            if source is not None:
                _score_one(result, share, source)
            graded.append(result)
            _cancel_point(state, start + (end - start) * (i + 1) / len(read), Path(result.file).name)
        _flag_duplicates(graded)
        notes = [f"{s.label}: signatures checked with {s.key_from}" for s in sources.used()]
        answers = {}
        if references:
            from sandbox_app.grading.references import references_of

            answers = references_of(graded, sources)
            _cancel_point(state, 1.0, "scored the model and bad answers")
    finally:
        if owned:
            sources.close()
    return Grading(graded, notes, answers)


def _cancel_point(state: TaskState | None, fraction: float, status: str) -> None:
    if state is not None:
        state.set_progress(fraction, status)
        if state.is_cancelled():
            from synthetic.progress import Cancelled

            raise Cancelled()


def _read_one(path: Path, sources: Sources) -> tuple[GradedResult, dict | None, Source | None]:
    """The result with everything but its score, its share, and the source to score it against (or None)."""
    result = GradedResult(str(path))
    try:
        data = read_result(path)
    except ResultError as err:
        result.flags["unreadable"] = str(err.problems[0])
        return result, None, None
    scenario = data["scenario"]
    result.trainee = data["trainee"].strip()
    result.scenario = str(scenario.get("name"))
    result.exercise = data["exercise"]
    result.pack_id = scenario.get("pack_id") if isinstance(scenario.get("pack_id"), str) else None
    result.app_version = data["app_version"]
    result.written_at = str(data.get("written_at"))
    result.attempts = len(data["attempts"])
    result.signature = data["signature"]
    result.claimed = (data.get("verdict"), data.get("privacy_score"), data.get("usefulness_score"))
    result.share = data["share"]
    result.path = [(a["privacy_score"], a["usefulness_score"]) for a in data["attempts"]
                   if isinstance(a, dict) and isinstance(a.get("privacy_score"), int)
                   and isinstance(a.get("usefulness_score"), int)]
    if result.app_version != __version__:
        result.flags["other_version"] = f"written by app {result.app_version}; this is {__version__}"
    source = sources.for_result(result.scenario, result.pack_id)
    if isinstance(source, str):
        result.flags["other_pack"] = source
        return result, None, None
    result.source = source.label
    _check_source(result, data, source)
    return result, data["share"], source


def _score_one(result: GradedResult, share: dict, source: Source) -> None:
    try:
        result.scored = source.score(result.exercise, share, result.file)
    except ShareError as err:
        result.flags["unscorable"] = str(err.problems[0])
        return
    except SandboxError as err:  # the city cannot be opened or generated: nothing here can be scored
        result.flags["unscorable"] = f"the city cannot be used: {err.problems[0].message}"
        return
    s = result.scored
    if result.claimed != (s.verdict, s.privacy, s.usefulness):
        verdict, privacy, usefulness = result.claimed
        result.flags["score_differs"] = (f"the file says {verdict} {privacy}/{usefulness}; the engine gives "
                                         f"{s.verdict} {s.privacy}/{s.usefulness}")


def _check_source(result: GradedResult, data: dict, source: Source) -> None:
    if not verify_result(data, source.key):
        result.flags["edited"] = "the signature does not match the content: changed after the app wrote it"
    if data["scenario"].get("sha256") != source.sha256:
        result.flags["other_scenario"] = (f"written for scenario file {str(data['scenario'].get('sha256'))[:12]}, "
                                          f"not {source.sha256[:12]} ({source.label})")


def _flag_duplicates(graded: list[GradedResult]) -> None:
    """The same signed result twice (a copied file), or several results for one trainee and exercise: all
    but the newest are flagged."""
    by_signature: dict[str, GradedResult] = {}
    for r in graded:
        if not r.signature:
            continue
        first = by_signature.setdefault(r.signature, r)
        if first is not r:
            r.flags["duplicate"] = f"the same result as {first.file}"
    groups: dict[tuple, list[GradedResult]] = {}
    for r in graded:
        if r.signature and "duplicate" not in r.flags and r.trainee:
            groups.setdefault((r.trainee.casefold(), r.scenario, r.pack_id, r.exercise), []).append(r)
    for group in groups.values():
        if len(group) > 1:
            newest = max(group, key=lambda r: (r.written_at, r.file))
            for r in group:
                if r is not newest:
                    r.flags["duplicate"] = f"{newest.file} is a newer result for the same trainee and exercise"

