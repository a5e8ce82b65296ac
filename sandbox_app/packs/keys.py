"""The facilitator's grading key and the result-signing key a pack gives the trainee app.

At `pack` time a random 32-byte secret (the grading key) is made. The pack carries only
HMAC-SHA256(secret, "city-sandbox/result-key@1|" + pack id), the key the trainee app signs results with.
The secret itself is written beside the pack (FILE.citypack.key) and into the facilitator's data folder,
never into the zip. `grade` derives the signing key from the secret, so it does not trust the key a
pack (or a result) says it has: nobody without the secret can make signing keys for a pack of their own.
What this proves and does not prove: docs/security.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sandbox_app.errors import PackError, Problem
from sandbox_app.packs.paths import keys_dir

KEY_FORMAT = "city-sandbox/grading-key@1"
KEY_SUFFIX = ".key"


def derive_result_key(secret: bytes, pack_id: str) -> bytes:
    """The key results from pack `pack_id` are signed with (32 bytes)."""
    return hmac.new(secret, f"city-sandbox/result-key@1|{pack_id}".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class GradingKey:
    """What only the facilitator holds for one pack: its secret, and what the pack it was made for contains."""

    pack_id: str
    scenario: str
    digest: str          # content digest of the pack (manifest.content_digest), to match the pack to its key
    created_at: str
    secret: bytes
    pack_file: str = ""  # where `pack` wrote the pack, so `grade` can find it without --pack

    @property
    def result_key(self) -> bytes:
        return derive_result_key(self.secret, self.pack_id)

    def to_dict(self) -> dict:
        return {"format": KEY_FORMAT, "pack_id": self.pack_id, "scenario": self.scenario,
                "digest": self.digest, "created_at": self.created_at, "secret": self.secret.hex(),
                "pack_file": self.pack_file}


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def write_grading_key(key: GradingKey, path: Path) -> None:
    """Write the key file atomically, readable by its owner only."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=KEY_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(key.to_dict(), fh, indent=2)
            fh.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remember_grading_key(key: GradingKey) -> Path:
    """Keep a copy in the facilitator's data folder, where `grade` finds it by pack id."""
    folder = keys_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key.pack_id}{KEY_SUFFIX}"
    write_grading_key(key, path)
    return path


def load_grading_key(path: str | Path) -> GradingKey:
    """Read a key file; PackError in one sentence if it is missing or not a grading key."""
    path = Path(path)
    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise PackError([Problem(where, None, "", f"cannot read the grading key: {err.strerror or err}")]) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise PackError([Problem(where, None, "", "not a grading key (not JSON)",
                                 "use the FILE.citypack.key that `city-sandbox pack` wrote")]) from None
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT:
        raise PackError([Problem(where, None, "format", "not a grading key",
                                 "use the FILE.citypack.key that `city-sandbox pack` wrote")])
    try:
        secret = bytes.fromhex(str(data["secret"]))
        key = GradingKey(str(data["pack_id"]), str(data["scenario"]), str(data["digest"]),
                         str(data["created_at"]), secret, str(data.get("pack_file") or ""))
    except (KeyError, ValueError) as err:
        raise PackError([Problem(where, None, "", f"damaged grading key ({err})")]) from None
    if len(secret) != 32:
        raise PackError([Problem(where, None, "secret", "damaged grading key (the secret is not 32 bytes)")])
    return key


def remembered_grading_keys() -> dict[str, GradingKey]:
    """Every grading key in the facilitator's data folder, by pack id (unreadable files are skipped)."""
    out = {}
    folder = keys_dir()
    if folder.is_dir():
        for path in sorted(folder.glob(f"*{KEY_SUFFIX}")):
            try:
                key = load_grading_key(path)
            except PackError:
                continue
            out[key.pack_id] = key
    return out
