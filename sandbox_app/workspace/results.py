"""Result files a trainee hands in: build, sign (HMAC-SHA256), write atomically, read back with located errors.

The HMAC key is derived from the scenario file's hash (and a pack id), so a valid signature proves the file
was written by this app *or by anyone holding the scenario file* — it catches hand edits, not forgery by
someone who has the scenario. See docs/facilitator.md "Result files".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import re
from pathlib import Path
from typing import Any

from sandbox_app import __version__
from sandbox_app.errors import Problem, ResultError
from sandbox_app.files import atomic_write, check_target
from sandbox_app.workspace.fingerprint import scenario_sha256

RESULT_FORMAT = "city-sandbox/result@1"
FORMAT_VERSION = 1
MAX_RESULT_BYTES = 5_000_000
REQUIRED = {"format": str, "app_version": str, "trainee": str, "scenario": dict, "exercise": str,
            "share": dict, "report": dict, "attempts": list, "written_at": str, "signature": str}
_FORMAT = re.compile(r"^city-sandbox/result@(\d+)$")
_KEY_CONTEXT = b"city-sandbox/result-key@1"


def utc_now() -> str:
    """Now as a UTC ISO 8601 string with seconds ("2026-12-01T22:03:32Z")."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _iso(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    raise TypeError(f"not a timestamp: {value!r}")


def plain_json(value: Any) -> Any:
    """``value`` as plain JSON data: NaN/inf become null, tuples lists, anything else unknown its str()."""
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return plain_json(value.item())
    return str(value)


def _share_object(share) -> dict:
    return json.loads(share) if isinstance(share, str) else plain_json(share)


def _attempt(number: int, raw: dict) -> dict:
    """One attempt as stored in the file: number, time, verdict, scores, justification and the share."""
    share = raw.get("share", raw.get("share_json"))
    report = raw.get("report") or {}
    return plain_json({
        "number": raw.get("number", number),
        "submitted_at": _iso(raw.get("submitted_at")),
        "verdict": raw.get("verdict", report.get("verdict")),
        "privacy_score": raw.get("privacy_score", report.get("privacy_score")),
        "usefulness_score": raw.get("usefulness_score", report.get("usefulness_score")),
        "justification": raw.get("justification", ""),
        "share": _share_object(share) if share is not None else None,
    })


def build_result(*, trainee: str, scenario, exercise_id: str, share_json: str, report: dict,
                 attempts: list[dict], justification: str = "", started_at=None,
                 pack_id: str | None = None) -> dict:
    """An unsigned result document (sign it with ``sign_result(data, result_key(scenario))``).

    ``attempts`` are dicts with verdict, privacy_score, usefulness_score, submitted_at and share (or
    share_json); ``Attempt.to_dict()`` from the workspace store gives exactly that.
    """
    report = plain_json(report)
    data = {
        "format": RESULT_FORMAT,
        "app_version": __version__,
        "trainee": trainee,
        "scenario": {"name": scenario.name, "sha256": scenario_sha256(scenario), "pack_id": pack_id},
        "exercise": exercise_id,
        "verdict": report.get("verdict"),
        "privacy_score": report.get("privacy_score"),
        "usefulness_score": report.get("usefulness_score"),
        "justification": justification,
        "share": _share_object(share_json),
        "report": report,
        "attempts": [_attempt(i, a) for i, a in enumerate(attempts, start=1)],
        "started_at": _iso(started_at),
        "written_at": utc_now(),
    }
    return data


def signed_result(*, trainee: str, scenario, exercise_id: str, share_json: str, report: dict,
                  attempts: list[dict] | None = None, justification: str = "", started_at=None,
                  pack_id: str | None = None) -> dict:
    """build_result + sign_result; without ``attempts`` the scored share is the one and only attempt."""
    if not trainee or not trainee.strip():
        raise ResultError("a result file needs the trainee's name (--trainee NAME)")
    if attempts is None:
        attempts = [{"number": 1, "submitted_at": utc_now(), "report": report, "share_json": share_json,
                     "justification": justification}]
    data = build_result(trainee=trainee.strip(), scenario=scenario, exercise_id=exercise_id,
                        share_json=share_json, report=report, attempts=attempts, justification=justification,
                        started_at=started_at, pack_id=pack_id)
    return sign_result(data, result_key(scenario, pack_id))


def result_key(scenario, pack_id: str | None = None) -> bytes:
    """The HMAC key for a scenario's result files: derived from its file hash and an optional pack id."""
    material = b"\0".join([_KEY_CONTEXT, scenario_sha256(scenario).encode(), (pack_id or "").encode()])
    return hashlib.sha256(material).digest()


def canonical_json(data: dict) -> bytes:
    """The bytes that are signed: every key but "signature", sorted, compact, UTF-8."""
    body = {k: v for k, v in data.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode()


def sign_result(data: dict, key: bytes) -> dict:
    """A copy of ``data`` with "signature": hex HMAC-SHA256 over the canonical JSON of everything else."""
    data = plain_json(data)
    data["signature"] = hmac.new(key, canonical_json(data), hashlib.sha256).hexdigest()
    return data


def verify_result(data: dict, key: bytes) -> bool:
    """True when ``data``'s signature matches its content under ``key`` (False if unsigned or altered)."""
    signature = data.get("signature")
    if not isinstance(signature, str):
        return False
    try:
        expected = hmac.new(key, canonical_json(data), hashlib.sha256).hexdigest()
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected, signature)


def check_result_target(path) -> None:
    """Raise ResultError if ``path`` cannot take a result file (symlink, folder, missing folder)."""
    check_target(Path(path), force=True, error=ResultError)


def write_result(path, data: dict) -> None:
    """Write ``data`` as JSON atomically (files.atomic_write: temp file, fsync, rename; never through a link)."""
    text = json.dumps(plain_json(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write(Path(path), text, force=True, error=ResultError)


def _line_of(text: str, key: str) -> int | None:
    match = re.search(r'^\s*"' + re.escape(key) + r'"\s*:', text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def read_result(path) -> dict:
    """A result file's data, checked for format and required fields (the signature is not checked here)."""
    path = Path(path)
    name = str(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_RESULT_BYTES + 1)
    except FileNotFoundError:
        raise ResultError([Problem(name, None, "", "no such file")]) from None
    except IsADirectoryError:
        raise ResultError([Problem(name, None, "", "is a folder, not a result file")]) from None
    except OSError as err:
        raise ResultError([Problem(name, None, "", f"cannot read: {err.strerror}")]) from None
    if len(raw) > MAX_RESULT_BYTES:
        raise ResultError([Problem(name, None, "", f"larger than {MAX_RESULT_BYTES // 1_000_000} MB; "
                                   "not a result file this app wrote")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ResultError([Problem(name, line, "", "not UTF-8 text; not a result file")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        hint = "the file looks cut short" if not text.rstrip().endswith("}") else None
        raise ResultError([Problem(name, err.lineno, "", f"not valid JSON at column {err.colno}: "
                                   f"{err.msg.lower()}", hint)]) from None
    if not isinstance(data, dict):
        raise ResultError([Problem(name, 1, "", "not a result file: expected a JSON object")])
    _check_format(name, text, data)
    problems = []
    for key, kind in REQUIRED.items():
        if key not in data:
            problems.append(Problem(name, None, key, "missing"))
        elif not isinstance(data[key], kind):
            problems.append(Problem(name, _line_of(text, key), key,
                                    f"expected {'an object' if kind is dict else 'a list' if kind is list else 'text'}"))
    scenario = data.get("scenario")
    if isinstance(scenario, dict):
        for key in ("name", "sha256"):
            if not isinstance(scenario.get(key), str):
                problems.append(Problem(name, _line_of(text, "scenario"), f"scenario.{key}", "missing or not text"))
    if problems:
        raise ResultError(problems)
    return data


def _check_format(name: str, text: str, data: dict) -> None:
    fmt = data.get("format")
    line = _line_of(text, "format")
    if fmt is None:
        raise ResultError([Problem(name, None, "format", "missing; not a city-sandbox result file")])
    match = _FORMAT.match(fmt) if isinstance(fmt, str) else None
    if match is None:
        raise ResultError([Problem(name, line, "format", f"{fmt!r} is not a city-sandbox result file",
                                   f"expected {RESULT_FORMAT!r}")])
    if int(match.group(1)) > FORMAT_VERSION:
        raise ResultError([Problem(name, line, "format", f"{fmt} was written by a newer version of the app",
                                   f"this version reads {RESULT_FORMAT}; update city-sandbox")])
    if int(match.group(1)) < FORMAT_VERSION:
        raise ResultError([Problem(name, line, "format", f"{fmt} is an older format this app cannot read")])


def check_result(data: dict, scenario, pack_id: str | None = None, file: str = "") -> None:
    """Raise ResultError unless ``data`` is for ``scenario``'s exact file and its signature holds."""
    expected = scenario_sha256(scenario)
    got = data.get("scenario", {})
    if got.get("name") != scenario.name:
        raise ResultError([Problem(file, None, "scenario.name",
                                   f"is for scenario '{got.get('name')}', not '{scenario.name}'")])
    if got.get("sha256") != expected:
        raise ResultError([Problem(file, None, "scenario.sha256", "was written for a different version "
                                   f"of scenario '{scenario.name}' (file hash {str(got.get('sha256'))[:12]}, "
                                   f"this one {expected[:12]})")])
    if not verify_result(data, result_key(scenario, pack_id)):
        raise ResultError([Problem(file, None, "signature", "does not match the content; the file was "
                                   "changed after the app wrote it")])
