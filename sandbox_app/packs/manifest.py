"""What is inside a scenario pack: the file layout, the manifest (`city-sandbox/pack@1`) and the settings."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Literal, get_args

from sandbox_app.errors import PackError, Problem

PACK_FORMAT = "city-sandbox/pack@1"
PACK_FORMAT_PREFIX = "city-sandbox/pack@"
PACK_VERSION = 1
PACK_SUFFIX = ".citypack"

MANIFEST = "manifest.json"
SETTINGS = "settings.json"
SIGNING_KEY = "signing.key"     # the key the trainee app signs results with (see keys.py)
DATABASE = "city.db"
SCENARIO_DIR = "scenario"       # the scenario file and its answers, laid out as beside the original file

ShowModelAnswer = Literal["never", "after_approve", "always"]
SHOW_MODEL_ANSWER: tuple[str, ...] = get_args(ShowModelAnswer)


@dataclass(frozen=True)
class PackSettings:
    """What the facilitator decided for the trainees who open the pack.

    `show_model_answer`: when the trainee app may show the exercise's model answer after a submit (never,
    after the trainee's own share is approved, always). `hide_attack_replay`: keep the step-by-step
    linkage replay out of the score report. `time_limit_minutes`: per exercise, None for no limit.
    """

    show_model_answer: ShowModelAnswer = "after_approve"
    hide_attack_replay: bool = False
    time_limit_minutes: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object, where: str) -> PackSettings:
        """Settings from a pack's settings.json; PackError naming the field if one is wrong."""
        if not isinstance(data, dict):
            raise _bad(where, "", "must be a JSON object")
        unknown = sorted(set(data) - {"show_model_answer", "hide_attack_replay", "time_limit_minutes"})
        if unknown:
            raise _bad(where, unknown[0], "unknown setting")
        show = data.get("show_model_answer", "after_approve")
        if show not in SHOW_MODEL_ANSWER:
            raise _bad(where, "show_model_answer", f"'{show}' is not one of {', '.join(SHOW_MODEL_ANSWER)}")
        hide = data.get("hide_attack_replay", False)
        if not isinstance(hide, bool):
            raise _bad(where, "hide_attack_replay", "must be true or false")
        limit = data.get("time_limit_minutes")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1440):
            raise _bad(where, "time_limit_minutes", "must be a whole number of minutes from 1 to 1440, or null")
        return cls(show, hide, limit)


def _bad(where: str, path: str, message: str) -> PackError:
    return PackError([Problem(where, None, path, message)])


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(data: dict) -> bytes:
    """Stable JSON bytes (sorted keys, no spaces): what digests and signatures are computed over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_digest(files: dict[str, dict]) -> str:
    """One sha256 over every file's path and checksum: identifies a pack's content whatever its id."""
    return sha256_bytes(canonical_json({path: entry["sha256"] for path, entry in sorted(files.items())}))


@dataclass(frozen=True)
class Manifest:
    """manifest.json, parsed and checked (checksums are compared by verify.py)."""

    pack_id: str
    app_version: str
    created_at: str
    scenario_name: str
    scenario_file: str          # path inside the pack, e.g. scenario/winter-storm.yaml
    database: str | None        # DATABASE when the generated city is inside, else None
    files: dict[str, dict]      # path -> {"sha256": hex, "size": bytes}; every file but the manifest

    def to_dict(self) -> dict:
        return {"format": PACK_FORMAT, "pack_id": self.pack_id, "app_version": self.app_version,
                "created_at": self.created_at,
                "scenario": {"name": self.scenario_name, "file": self.scenario_file},
                "database": self.database, "files": self.files}

    @property
    def digest(self) -> str:
        return content_digest(self.files)


def parse_manifest(raw: bytes, where: str) -> Manifest:
    """manifest.json bytes -> Manifest; PackError for an unknown or future format or a malformed field."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _bad(where, "", f"manifest.json is not valid JSON ({err})") from None
    if not isinstance(data, dict):
        raise _bad(where, "", "manifest.json must be a JSON object")
    fmt = data.get("format")
    if isinstance(fmt, str) and fmt.startswith(PACK_FORMAT_PREFIX) and fmt != PACK_FORMAT:
        version = fmt.removeprefix(PACK_FORMAT_PREFIX)
        newer = version.isdigit() and int(version) > PACK_VERSION
        raise PackError([Problem(where, None, "", f"pack format '{fmt}' is "
                                 + ("from a newer version of the app" if newer else "not one this app knows"),
                                 f"this app reads {PACK_FORMAT}" + ("; update the app" if newer else ""))])
    if fmt != PACK_FORMAT:
        raise PackError([Problem(where, None, "format", f"unknown pack format {json.dumps(fmt)}",
                                 f"a pack's manifest says \"format\": \"{PACK_FORMAT}\"")])
    for key in ("pack_id", "app_version", "created_at"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise _bad(where, key, "missing from the manifest")
    pack_id = data["pack_id"]
    if not (8 <= len(pack_id) <= 64 and all(c in "0123456789abcdef-" for c in pack_id)):
        raise _bad(where, "pack_id", "must be 8-64 lowercase hex digits or dashes")
    scenario = data.get("scenario")
    if not isinstance(scenario, dict) or not all(isinstance(scenario.get(k), str) for k in ("name", "file")):
        raise _bad(where, "scenario", "must name the scenario and its file")
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        raise _bad(where, "files", "must list every file with its sha256")
    for path, entry in files.items():
        ok = (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64
              and isinstance(entry.get("size"), int) and not isinstance(entry.get("size"), bool))
        if not ok:
            raise _bad(where, f"files.{path}", "needs a sha256 (64 hex digits) and a size")
    database = data.get("database")
    if database not in (None, DATABASE):
        raise _bad(where, "database", f"must be \"{DATABASE}\" or null")
    for required in filter(None, (scenario["file"], SETTINGS, SIGNING_KEY, database)):
        if required not in files:
            raise _bad(where, "files", f"{required} is not listed")
    return Manifest(pack_id, data["app_version"], data["created_at"], scenario["name"], scenario["file"],
                    database, files)
