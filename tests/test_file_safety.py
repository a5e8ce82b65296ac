"""Files the app writes: temp file then rename, no symlink followed, --force to overwrite, plain messages;
databases changed outside the app are refused with one message."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox_app.cli import main
from sandbox_app.errors import DatabaseError, SandboxError
from sandbox_app.files import atomic_write, shown
from sandbox_app.sharing.database import CityDatabase
from synthetic.generate import remove_stale_partials
from tests.cityfixture import small_city

MODEL = Path(__file__).parents[1] / "scenarios" / "winter-storm" / "welfare-checks.model.json"


def test_atomic_write_needs_force_to_replace_and_never_leaves_a_partial(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write(path, "first")
    with pytest.raises(SandboxError, match="already exists"):
        atomic_write(path, "second")
    with pytest.raises(RuntimeError):
        atomic_write(path, lambda tmp: (tmp.write_text("half"), (_ for _ in ()).throw(RuntimeError("killed"))),
                     force=True)
    assert path.read_text() == "first"
    atomic_write(path, b"second", force=True)
    assert path.read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_atomic_write_never_writes_through_a_symlink(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    with pytest.raises(SandboxError, match="symbolic link"):
        atomic_write(link, "overwritten", force=True)
    assert target.read_text() == "keep me" and link.is_symlink()


def test_apply_and_schema_need_force_to_overwrite(tmp_path, tmp_path_factory, capsys):
    db = str(small_city(tmp_path_factory))
    out = tmp_path / "extract.csv"
    out.write_text("previous")
    assert main(["apply", "winter-storm", str(MODEL), "--out", str(out), "--db", db]) == 2
    assert "already exists (use --force to replace it)" in capsys.readouterr().err
    assert out.read_text() == "previous"
    assert main(["apply", "winter-storm", str(MODEL), "--out", str(out), "--db", db, "--force"]) == 0
    assert out.read_text().startswith("first_name,")
    schema = tmp_path / "schema.json"
    assert main(["schema", "--out", str(schema)]) == 0
    assert main(["schema", "--out", str(schema)]) == 1
    assert main(["schema", "--out", str(schema), "--force"]) == 0
    assert main(["schema", "--out", str(tmp_path / "missing" / "schema.json")]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "missing does not exist" in err and "Traceback" not in err


def test_generate_removes_partials_left_by_a_killed_generation(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    out = tmp_path / "city.db"
    stale = tmp_path / f".city.db.partial-{int(dead.stdout)}"
    stale.write_bytes(b"half a database")
    mine = tmp_path / f".city.db.partial-{os.getppid()}"  # a live process's file is left alone
    mine.write_bytes(b"in progress")
    assert remove_stale_partials(out) == [stale]
    assert not stale.exists() and mine.exists()


def test_generate_failures_are_plain_sentences(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert main(["generate", "winter-storm", "--out", str(blocker / "city.db"), "--residents", "100"]) == 1

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("synthetic.generate.generate_city", disk_full)
    assert main(["generate", "winter-storm", "--out", str(tmp_path / "city.db"), "--residents", "100"]) == 1
    err = capsys.readouterr().err
    assert "is not a folder" in err and "cannot write the database: the disk is full" in err
    assert "Traceback" not in err


def test_sandbox_home_pointing_at_a_file_is_a_plain_message(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    monkeypatch.setenv("CITY_SANDBOX_HOME", str(home))
    assert main(["score", "winter-storm", "welfare-checks", str(MODEL)]) == 1
    assert capsys.readouterr().err == (f"{home}: CITY_SANDBOX_HOME is a file, not a folder (point "
                                       "CITY_SANDBOX_HOME at a folder (it is created if missing))\n")


EDITS = {
    "meta-wrong-type": "UPDATE _meta SET value = X'00ff' WHERE key = 'pseudonym_key'",
    "meta-not-a-number": "UPDATE _meta SET value = 'many' WHERE key = 'residents'",
    "meta-missing-key": "DELETE FROM _meta WHERE key = 'reference_date'",
    "dictionary-flag": "UPDATE _data_dictionary SET facilitator_only = 'yes'",
    "dictionary-type": "UPDATE _data_dictionary SET data_type = 7",
    "dictionary-blob": "UPDATE _data_dictionary SET category = X'00' WHERE rowid = 1",
    "truth-wrong-type": "UPDATE _ground_truth SET resident_id = 'abc' WHERE table_name = "
                        "'ph_home_health_clients' AND row_id = 1",
    "truth-emptied": "DELETE FROM _ground_truth",
    "truth-column": "ALTER TABLE _ground_truth RENAME COLUMN resident_id TO rid",
    "no-residents": "DROP TABLE _residents",
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_a_database_changed_outside_the_app_is_refused(edit, tmp_path, tmp_path_factory, capsys):
    path = tmp_path / "edited.db"
    shutil.copy(small_city(tmp_path_factory), path)
    with sqlite3.connect(path) as conn:
        conn.execute(EDITS[edit])
    conn.close()
    with pytest.raises(DatabaseError, match="not a database this version wrote"):
        CityDatabase(path)
    assert main(["score", "winter-storm", "welfare-checks", str(MODEL), "--db", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a database this version wrote" in err


def test_a_fifo_or_a_folder_as_the_database(tmp_path):
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    with pytest.raises(DatabaseError, match="not a regular file"):
        CityDatabase(fifo)  # opening it would wait forever for a writer
    with pytest.raises(DatabaseError, match="is a folder"):
        CityDatabase(tmp_path)


def test_long_names_are_cut_in_messages(capsys):
    name = "x" * 1_000_000
    assert len(shown(name)) < 250
    assert main(["validate", name + ".yaml"]) == 1
    assert main(["score", "winter-storm", "welfare-checks", name + ".json"]) in (1, 2)
    assert main(["apply", "winter-storm", str(MODEL), "--out", name + ".csv"]) in (1, 2)
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and len(err) < 1500 and "Traceback" not in err


def test_a_closed_pipe_ends_quietly():
    read, write = os.pipe()
    os.close(read)
    done = subprocess.run([sys.executable, "-m", "sandbox_app", "validate", "--json", "winter-storm"],
                          stdout=write, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1])
    os.close(write)
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


def test_a_folder_named_like_a_built_in_does_not_shadow_it(tmp_path, monkeypatch, capsys):
    (tmp_path / "winter-storm").mkdir()  # as in the repository's own scenarios/ folder
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "winter-storm"]) == 0
    assert capsys.readouterr().out.startswith("winter-storm: OK")
