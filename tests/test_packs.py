"""Scenario packs: the round trip, and every hostile archive refused with its message, leaving nothing behind."""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from pathlib import Path

import pytest

from sandbox_app.cache import cached_database
from sandbox_app.cli import main
from sandbox_app.errors import PackError
from sandbox_app.packs import (
    PackSettings,
    installed_packs,
    load_grading_key,
    open_pack,
    packs_dir,
    remembered_grading_keys,
    verify_pack,
    write_pack,
)
from sandbox_app.packs import verify as verify_module
from sandbox_app.packs.keys import derive_result_key
from sandbox_app.scenario import load_scenario

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "answers-city.yaml"
SCENARIO_FILE = "scenario/answers-city.yaml"
MODEL = "scenario/answers-city/checks.model.json"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    """Each test installs packs into its own data folder."""
    folder = tmp_path / "data"
    monkeypatch.setenv("CITY_SANDBOX_DATA", str(folder))
    return folder


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One pack of the tiny answers city with its city inside, written once for the module: (pack, city db)."""
    home = tmp_path_factory.mktemp("pack-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CITY_SANDBOX_HOME", str(home / "cache"))
        mp.setenv("CITY_SANDBOX_DATA", str(home / "facilitator"))
        scenario = load_scenario(SCENARIO)
        out = home / "answers-city.citypack"
        settings = PackSettings("never", True, 45)
        written = write_pack(scenario, out, with_db=True, settings=settings)
        return written, cached_database(scenario)


def _members(pack: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(pack) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def _rebuild(src: Path, dst: Path, *, edit=None, add=(), fix_checksums=False, manifest_edit=None) -> Path:
    """Copy a pack with changes: `edit(name, data) -> data | None` (None drops a member), `add` extra
    (ZipInfo or name, data) members, optionally recomputing the manifest's checksums."""
    members = []
    manifest = None
    for info, data in _members(src):
        if info.filename == "manifest.json":
            manifest = json.loads(data)
            continue
        data = edit(info.filename, data) if edit else data
        if data is not None:
            members.append((info, data))
    if fix_checksums:
        for info, data in [*members, *add]:
            name = info if isinstance(info, str) else info.filename
            manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    if manifest_edit:
        manifest_edit(manifest)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names, which one test writes on purpose
        with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest))
            for info, data in [*members, *add]:
                zf.writestr(info, data)
    return dst


def _refused(pack: Path, *words: str) -> str:
    """Both verify_pack and open_pack refuse `pack` with a message holding `words`; nothing is left behind."""
    for action in (verify_pack, open_pack):
        with pytest.raises(PackError) as caught:
            action(pack)
        message = str(caught.value)
        assert "\n" not in message
        for word in words:
            assert word in message, message
        assert not packs_dir().exists() or list(packs_dir().iterdir()) == []
    return message


def test_round_trip_gives_identical_scenario_database_and_settings(made):
    written, city = made
    installed = open_pack(written.path)
    source = load_scenario(SCENARIO)
    assert installed.scenario_path.read_bytes() == source._source.read_bytes()
    assert installed.database.read_bytes() == city.read_bytes()
    assert installed.folder == packs_dir() / written.pack_id
    assert installed.settings == PackSettings("never", True, 45)
    assert installed.scenario.model_dump() == source.model_dump()
    model = installed.scenario.exercises[0].model_answer
    assert (installed.scenario_path.parent / model).read_bytes() == (source._source.parent / model).read_bytes()
    key = load_grading_key(written.key_path)
    assert installed.result_key == key.result_key == derive_result_key(key.secret, written.pack_id)
    assert open_pack(written.path).folder == installed.folder  # opening it again reuses the installed copy
    assert [p.name for p in packs_dir().iterdir()] == [written.pack_id]
    assert [p.pack_id for p in installed_packs()] == [written.pack_id]


def test_the_grading_key_is_never_inside_the_pack(made):
    written, _ = made
    secret_hex = load_grading_key(written.key_path).secret.hex()
    assert all(secret_hex.encode() not in data for _, data in _members(written.path))
    assert written.key_path.stat().st_mode & 0o077 == 0


def test_pack_remembers_the_key_in_the_facilitator_data_folder(tmp_path):
    (tmp_path / "out").mkdir()
    written = write_pack(load_scenario(SCENARIO), tmp_path / "out" / "p.citypack")
    assert remembered_grading_keys()[written.pack_id].secret == load_grading_key(written.key_path).secret
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p.citypack", "p.citypack.key"]  # no temp files


def test_a_pack_differing_from_its_grading_key_is_refused(made, tmp_path):
    written, _ = made
    key = load_grading_key(written.key_path)
    other = write_pack(load_scenario(SCENARIO), tmp_path / "other.citypack")
    with pytest.raises(PackError, match="grading key is for pack"):
        verify_pack(other.path, key=key)
    changed = _rebuild(written.path, tmp_path / "changed.citypack", fix_checksums=True,
                       edit=lambda n, d: d.replace(b'"never"', b'"always"') if n == "settings.json" else d)
    with pytest.raises(PackError, match="changed after `city-sandbox pack`"):
        verify_pack(changed, key=key)
    assert verify_pack(written.path, key=key).manifest.pack_id == written.pack_id


def test_not_a_zip(tmp_path):
    pack = tmp_path / "notes.citypack"
    pack.write_text("these are my notes\n")
    _refused(pack, "not a zip archive")


def test_truncated_archive(made, tmp_path):
    pack = tmp_path / "cut.citypack"
    data = made[0].path.read_bytes()
    pack.write_bytes(data[: len(data) // 2])
    _refused(pack, "truncated or damaged")


def test_damaged_member_data(made, tmp_path):
    data = bytearray(made[0].path.read_bytes())
    with zipfile.ZipFile(made[0].path) as zf:
        info = zf.getinfo("city.db")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 1000
    data[start:start + 64] = bytes(64)
    pack = tmp_path / "flipped.citypack"
    pack.write_bytes(bytes(data))
    _refused(pack, "city.db", "truncated or damaged")


@pytest.mark.parametrize(("fmt", "words"), [
    ("city-sandbox/pack@2", ["newer version of the app", "city-sandbox/pack@1"]),
    ("city-sandbox/pack@beta", ["not one this app knows"]),
    ("someone-else/bundle@1", ["unknown pack format"]),
])
def test_unknown_or_future_format(made, tmp_path, fmt, words):
    pack = _rebuild(made[0].path, tmp_path / "format.citypack", manifest_edit=lambda m: m.update(format=fmt))
    _refused(pack, *words)


def test_missing_manifest(made, tmp_path):
    pack = tmp_path / "bare.citypack"
    with zipfile.ZipFile(pack, "w") as zf:
        for info, data in _members(made[0].path):
            if info.filename != "manifest.json":
                zf.writestr(info, data)
    _refused(pack, "no manifest.json")


def test_wrong_checksum(made, tmp_path):
    pack = _rebuild(made[0].path, tmp_path / "edited.citypack",
                    edit=lambda n, d: d.replace(b"seed:", b"seed: ", 1) if n == SCENARIO_FILE else d)
    _refused(pack, SCENARIO_FILE, "does not match its checksum")


def test_file_missing_from_the_archive(made, tmp_path):
    pack = _rebuild(made[0].path, tmp_path / "less.citypack", edit=lambda n, d: None if n == "city.db" else d)
    _refused(pack, "city.db", "listed in the manifest but missing")


def test_file_not_in_the_manifest(made, tmp_path):
    pack = _rebuild(made[0].path, tmp_path / "more.citypack", add=[("scenario/extra.py", b"print('hi')\n")])
    _refused(pack, "scenario/extra.py", "not listed in the manifest")


@pytest.mark.parametrize(("name", "words"), [
    ("/etc/cron.d/evil", ["/etc/cron.d/evil", "absolute path"]),
    ("C:/Windows/evil.dll", ["absolute path"]),
    ("scenario/../../evil.sh", ["leaves the pack"]),
    ("scenario\\..\\evil.sh", ["backslash"]),
    ("scenario/./answers-city.yaml", ["'.' or '//'"]),
])
def test_paths_outside_the_pack(made, tmp_path, name, words):
    pack = _rebuild(made[0].path, tmp_path / "escape.citypack", add=[(name, b"#!/bin/sh\n")])
    _refused(pack, *words)
    assert not (tmp_path.parent / "evil.sh").exists()


def test_symlink(made, tmp_path):
    link = zipfile.ZipInfo("scenario/answers-city/link.json")
    link.external_attr = (0o120777 << 16)
    pack = _rebuild(made[0].path, tmp_path / "link.citypack", add=[(link, b"/etc/passwd")])
    _refused(pack, "scenario/answers-city/link.json", "links are not allowed")


def test_duplicate_names(made, tmp_path):
    pack = _rebuild(made[0].path, tmp_path / "twice.citypack", add=[(SCENARIO_FILE, b"name: other\n")])
    _refused(pack, SCENARIO_FILE, "more than once")


def test_names_differing_only_in_case_count_as_duplicates(made, tmp_path):
    pack = _rebuild(made[0].path, tmp_path / "case.citypack", add=[("SETTINGS.json", b"{}")])
    _refused(pack, "more than once")


def test_zip_bomb_compression_ratio(made, tmp_path):
    pack = _rebuild(made[0].path, tmp_path / "bomb.citypack", add=[("scenario/padding.bin", bytes(20 * 1024**2))])
    _refused(pack, "scenario/padding.bin", "compressed more than", "zip bomb")


def test_total_expanded_size(made, tmp_path, monkeypatch):
    monkeypatch.setattr(verify_module, "MAX_TOTAL_BYTES", 100_000)
    _refused(made[0].path, "expands to more than")


def test_a_member_larger_than_the_manifest_says(made, tmp_path):
    def shrink(manifest):
        manifest["files"]["city.db"]["size"] = 4096

    pack = _rebuild(made[0].path, tmp_path / "liar.citypack", manifest_edit=shrink)
    _refused(pack, "city.db", "does not match its checksum")


def test_scenario_that_fails_validation(made, tmp_path):
    def break_it(name, data):
        return data.replace(b"residents: 2000", b"residents: lots", 1) if name == SCENARIO_FILE else data

    pack = _rebuild(made[0].path, tmp_path / "invalid.citypack", edit=break_it, fix_checksums=True)
    message = _refused(pack, "the scenario does not validate", "scenario/answers-city.yaml:10: city.residents")
    assert str(packs_dir()) not in message  # located inside the pack, not in the staging folder


def test_answer_that_fails_validation(made, tmp_path):
    answer = MODEL
    pack = _rebuild(made[0].path, tmp_path / "answer.citypack", fix_checksums=True,
                    edit=lambda n, d: b'{"format": "nonsense"}' if n == answer else d)
    _refused(pack, "an answer does not validate", "checks.model.json")


def test_bad_settings(made, tmp_path):
    pack = _rebuild(made[0].path, tmp_path / "settings.citypack", fix_checksums=True,
                    edit=lambda n, d: b'{"show_model_answer": "sometimes"}' if n == "settings.json" else d)
    _refused(pack, "settings.json", "show_model_answer", "'sometimes' is not one of")


def test_database_from_another_scenario(made, tmp_path):
    other = write_pack(load_scenario(DATA / "small-city.yaml"), tmp_path / "small.citypack", with_db=True)
    city = dict((i.filename, d) for i, d in _members(other.path))["city.db"]
    pack = _rebuild(made[0].path, tmp_path / "swapped.citypack", fix_checksums=True,
                    edit=lambda n, d: city if n == "city.db" else d)
    _refused(pack, "generated from 'small-city', not 'answers-city'")


def test_another_pack_claiming_an_installed_id_is_refused(made, tmp_path):
    written, _ = made
    open_pack(written.path)
    pack = _rebuild(written.path, tmp_path / "impostor.citypack", fix_checksums=True,
                    edit=lambda n, d: d.replace(b'"never"', b'"always"') if n == "settings.json" else d)
    with pytest.raises(PackError, match="different pack with the same id"):
        open_pack(pack)
    assert [p.name for p in packs_dir().iterdir()] == [written.pack_id]
    assert open_pack(written.path).settings.show_model_answer == "never"


def test_cli_offers_exactly_the_settings_packs_know():
    from sandbox_app.cli_packs import SHOW_MODEL_ANSWER as CHOICES
    from sandbox_app.packs.manifest import SHOW_MODEL_ANSWER

    assert CHOICES == SHOW_MODEL_ANSWER


def test_cli_pack_and_verify(tmp_path, capsys):
    out = tmp_path / "ws.citypack"
    assert main(["pack", str(SCENARIO), "--out", str(out), "--show-model-answer", "always",
                 "--time-limit", "30"]) == 0
    assert "grading key:" in capsys.readouterr().out
    assert main(["pack", str(SCENARIO), "--out", str(out)]) == 1
    assert "already exists; use --force" in capsys.readouterr().err
    assert main(["pack", "--verify", str(out), "--key", f"{out}.key", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["grading_key_checked"]
    assert report["settings"] == {"show_model_answer": "always", "hide_attack_replay": False,
                                  "time_limit_minutes": 30}
    assert not packs_dir().exists() or list(packs_dir().iterdir()) == []  # --verify installs nothing
    (tmp_path / "junk.citypack").write_bytes(b"PK\x03\x04junk")
    assert main(["pack", "--verify", str(tmp_path / "junk.citypack")]) == 1
    assert "truncated or damaged" in capsys.readouterr().err
    assert main(["pack", "--verify", str(tmp_path / "junk.citypack"), "--json"]) == 1
    refused = json.loads(capsys.readouterr().out)
    assert refused["ok"] is False and "truncated or damaged" in refused["error"]
    assert main(["pack", str(SCENARIO)]) == 2


def test_a_file_and_a_folder_of_the_same_name(made, tmp_path):
    pack = _rebuild(made[0].path, tmp_path / "clash.citypack", fix_checksums=True,
                    add=[("scenario/answers-city.yaml/x.json", b"{}")])
    _refused(pack, "scenario/answers-city.yaml/x.json", "cannot be extracted")
