"""Every check a pack must pass before anything in it is used, each refused with one plain sentence.

The archive is read defensively: names are checked before anything is extracted (absolute, `..`, links,
duplicates), sizes and compression ratios are bounded before and while reading (zip bombs), every file is
hashed as it is written into a staging folder inside the app's own pack folder, and only then are the
scenario, its answers, the settings and the database checked. The caller removes or renames the staging
folder, so a refused pack leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import re
import stat
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sandbox_app.errors import DatabaseError, PackError, Problem, SandboxError
from sandbox_app.packs.manifest import (
    MANIFEST,
    SCENARIO_DIR,
    SETTINGS,
    SIGNING_KEY,
    Manifest,
    PackSettings,
    parse_manifest,
)

MAX_MEMBERS = 2_000
MAX_TOTAL_BYTES = 4 * 1024**3          # expanded size of everything in the pack
MAX_MANIFEST_BYTES = 2 * 1024**2
MAX_RATIO = 200                        # expanded / compressed, for members larger than RATIO_FLOOR
RATIO_FLOOR = 1024**2
CHUNK = 1024**2
CHANGED = "does not match its checksum in the manifest (the pack was changed or damaged)"
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class VerifiedPack:
    """A pack that passed every check, its files extracted into `folder` (a staging folder)."""

    manifest: Manifest
    settings: PackSettings
    result_key: bytes
    folder: Path
    scenario: object   # sandbox_app.scenario.model.Scenario, loaded from `folder`


def _refuse(pack: Path, message: str, hint: str | None = None, member: str = "") -> PackError:
    return PackError([Problem(str(pack), None, member, message, hint)])


def _open_zip(pack: Path) -> zipfile.ZipFile:
    if not pack.exists():
        raise _refuse(pack, "no such file")
    if pack.is_dir():
        raise _refuse(pack, "is a folder, not a pack file")
    try:
        with pack.open("rb") as fh:
            magic = fh.read(4)
        return zipfile.ZipFile(pack)
    except OSError as err:
        raise _refuse(pack, f"cannot read the file: {err.strerror or err}") from None
    except zipfile.BadZipFile:
        if magic.startswith(b"PK"):
            raise _refuse(pack, "the archive is truncated or damaged (its zip directory cannot be read)",
                          "copy the pack again from the facilitator") from None
        raise _refuse(pack, "not a scenario pack: the file is not a zip archive",
                      "a pack is the .citypack file made by `city-sandbox pack`") from None


def _check_name(pack: Path, name: str) -> None:
    parts = name.rstrip("/").split("/")   # raw parts: PurePosixPath would quietly drop "." and "//"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise _refuse(pack, "an absolute path is not allowed in a pack", member=name)
    if "\\" in name or "\x00" in name:
        raise _refuse(pack, "a path with a backslash or NUL is not allowed in a pack", member=name)
    if ".." in parts:
        raise _refuse(pack, "a path that leaves the pack ('..') is not allowed", member=name)
    if "." in parts or "" in parts:
        raise _refuse(pack, "a path with '.' or '//' in it is not allowed in a pack", member=name)


def check_members(pack: Path, zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's files by name, after the checks that need no reading: names, links, duplicates, sizes."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(pack, f"the archive holds {len(infos):,} entries; a pack holds at most {MAX_MEMBERS:,}")
    counts = Counter(info.filename.casefold() for info in infos)
    total = 0
    files: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        name = info.filename
        _check_name(pack, name)
        if counts[name.casefold()] > 1:
            raise _refuse(pack, "this name appears more than once in the archive", member=name)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise _refuse(pack, "links are not allowed in a pack", member=name)
        if mode and stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise _refuse(pack, "only plain files are allowed in a pack (this is a device or pipe)", member=name)
        if info.flag_bits & 0x1:
            raise _refuse(pack, "encrypted files are not allowed in a pack", member=name)
        if info.is_dir():
            continue
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise _refuse(pack, f"the pack expands to more than {MAX_TOTAL_BYTES / 1024**3:.0f} GB",
                          "this is not a pack the app makes (a zip bomb?)")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(pack, f"compressed more than {MAX_RATIO}:1, which no real pack file is",
                          "this is not a pack the app makes (a zip bomb?)", member=name)
        files[name] = info
    return files


def _read_member(pack: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, out: Path | None, limit: int,
                 too_long: str) -> tuple[str, int, bytes]:
    """(sha256, size, bytes if `out` is None) of a member, else written to `out`; never reads past `limit`."""
    digest = hashlib.sha256()
    size = 0
    kept = bytearray()
    try:
        with zf.open(info) as src, (out.open("wb") if out else _Null()) as dst:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _refuse(pack, too_long, member=info.filename)
                digest.update(chunk)
                if out is None:
                    kept += chunk
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise _refuse(pack, f"the archive is truncated or damaged ({err})", "copy the pack again from the "
                      "facilitator", member=info.filename) from None
    except NotImplementedError:
        raise _refuse(pack, "uses a compression method this app cannot read", member=info.filename) from None
    return digest.hexdigest(), size, bytes(kept)


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def write(self, data: bytes) -> None:
        return None


def verify_into(pack: Path, staging: Path) -> VerifiedPack:
    """Run every check on `pack`, extracting its files into the empty folder `staging`."""
    pack = Path(pack)
    zf = _open_zip(pack)
    with zf:
        members = check_members(pack, zf)
        if MANIFEST not in members:
            raise _refuse(pack, "not a scenario pack: it has no manifest.json",
                          "a pack is the .citypack file made by `city-sandbox pack`")
        info = members[MANIFEST]
        if info.file_size > MAX_MANIFEST_BYTES:
            raise _refuse(pack, "manifest.json is too large to be a manifest", member=MANIFEST)
        _, _, raw = _read_member(pack, zf, info, None, MAX_MANIFEST_BYTES, "manifest.json is too large")
        manifest = parse_manifest(raw, str(pack))
        for name in members:
            if name != MANIFEST and name not in manifest.files:
                raise _refuse(pack, "this file is not listed in the manifest", member=name)
        for name in manifest.files:
            _check_name(pack, name)
            if name not in members:
                raise _refuse(pack, "listed in the manifest but missing from the archive", member=name)
        for name, entry in manifest.files.items():
            info = members[name]
            target = staging.joinpath(*PurePosixPath(name).parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                digest, size, _ = _read_member(pack, zf, info, target, entry["size"], CHANGED)
            except OSError as err:  # disk full, or a file and a folder of the same name
                raise _refuse(pack, f"cannot be extracted: {err.strerror or err}", member=name) from None
            if digest != entry["sha256"] or size != entry["size"]:
                raise _refuse(pack, CHANGED, "copy the pack again from the facilitator", member=name)
    settings = PackSettings.from_dict(_json(pack, staging, SETTINGS), f"{pack}: {SETTINGS}")
    result_key = _signing_key(pack, staging)
    scenario = _check_scenario(pack, staging, manifest)
    if manifest.database:
        _check_database(pack, staging / manifest.database, manifest.scenario_name)
    return VerifiedPack(manifest, settings, result_key, staging, scenario)


def _json(pack: Path, staging: Path, name: str):
    import json

    try:
        return json.loads((staging / name).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _refuse(pack, f"not valid JSON ({err})", member=name) from None


def _signing_key(pack: Path, staging: Path) -> bytes:
    text = (staging / SIGNING_KEY).read_text(encoding="ascii", errors="replace").strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise _refuse(pack, "damaged: not a 32-byte key in hex", member=SIGNING_KEY)
    return bytes.fromhex(text)


def _check_scenario(pack: Path, staging: Path, manifest: Manifest):
    from sandbox_app.scenario.loader import load_scenario
    from sandbox_app.sharing.document import load_share

    member = manifest.scenario_file
    if not (member.startswith(f"{SCENARIO_DIR}/") and member.endswith((".yaml", ".yml"))):
        raise _refuse(pack, f"the scenario must be a .yaml file under {SCENARIO_DIR}/", member="scenario.file")
    try:
        scenario = load_scenario(staging / member)
    except SandboxError as err:
        raise _refuse(pack, f"the scenario does not validate: {_inside(err, staging, pack)}") from None
    if scenario.name != manifest.scenario_name:
        raise _refuse(pack, f"the manifest names scenario '{manifest.scenario_name}' but the file is "
                      f"'{scenario.name}'", member="scenario.name")
    root = staging.resolve()
    for exercise in scenario.exercises:
        refs = [exercise.model_answer, *(b.share for b in exercise.bad_answers)]
        for ref in (r for r in refs if isinstance(r, str)):
            path = (scenario._source.parent / ref).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                raise _refuse(pack, f"exercise '{exercise.id}' names an answer that is not in the pack: {ref}")
            try:
                load_share(path)
            except SandboxError as err:
                raise _refuse(pack, f"an answer does not validate: {_inside(err, staging, pack)}") from None
    return scenario


def _inside(err: SandboxError, staging: Path, pack: Path) -> str:
    """The first problem of `err`, with staging paths shown as paths inside the pack."""
    first = str(err.problems[0]).replace(str(staging.resolve()) + "/", "").replace(str(staging) + "/", "")
    more = len(err.problems) - 1
    return first + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


def _check_database(pack: Path, path: Path, scenario_name: str) -> None:
    from sandbox_app.sharing.database import CityDatabase

    try:
        db = CityDatabase(path)
    except DatabaseError as err:
        raise _refuse(pack, f"the city database cannot be used: {err.problems[0].message}",
                      member=path.name) from None
    try:
        made_from = db.meta.get("scenario")
    finally:
        db.close()
    if made_from != scenario_name:
        raise _refuse(pack, f"the city database was generated from '{made_from}', not '{scenario_name}'",
                      member=path.name)
