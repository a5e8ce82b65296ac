"""The explorer's read-only SQL: every write path refused in plain words, time limit, Stop, paging, the CLI."""

from __future__ import annotations

import json
import threading

import pytest
from cityfixture import small_city

from sandbox_app.cli import main
from sandbox_app.explore.sql import QueryCancelled, QueryError, QueryTimeout, ReadOnlyDatabase, locate

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
HOSTILE = {  # query -> words the refusal must contain
    "INSERT INTO public_voter_roll DEFAULT VALUES": "INSERT is not allowed",
    "REPLACE INTO public_voter_roll DEFAULT VALUES": "REPLACE is not allowed",
    "UPDATE public_voter_roll SET zip = '00000'": "UPDATE is not allowed",
    "DELETE FROM public_voter_roll": "DELETE is not allowed",
    "WITH x AS (SELECT 1) INSERT INTO public_voter_roll SELECT * FROM public_voter_roll": "INSERT is not allowed",
    "DROP TABLE public_voter_roll": "DROP TABLE is not allowed",
    "ALTER TABLE public_voter_roll ADD COLUMN x": "ALTER TABLE is not allowed",
    "CREATE TABLE z (a)": "CREATE TABLE is not allowed",
    "CREATE INDEX i ON public_voter_roll (zip)": "CREATE INDEX is not allowed",
    "CREATE TEMP TABLE z (a)": "temporary tables",
    "CREATE TEMPORARY VIEW v AS SELECT 1": "temporary tables",
    "CREATE TEMP TRIGGER t AFTER INSERT ON public_voter_roll BEGIN SELECT 1; END": "temporary tables",
    "ATTACH DATABASE 'other.db' AS other": "ATTACH is not allowed",
    "DETACH main": "DETACH is not allowed",
    "VACUUM INTO 'copy.db'": "VACUUM INTO is not allowed",
    "VACUUM": "VACUUM is not allowed",
    "BEGIN": "BEGIN is not allowed",
    "SAVEPOINT a": "SAVEPOINT is not allowed",
    "ANALYZE": "ANALYZE is not allowed",
    "PRAGMA writable_schema = 1": "PRAGMA writable_schema is not allowed",
    "PRAGMA journal_mode = WAL": "PRAGMA journal_mode is not allowed",
    "PRAGMA query_only = 0": "PRAGMA query_only is not allowed",
    "SELECT load_extension('evil')": "load_extension() is not allowed",
    "SELECT * FROM _residents": "_residents is for facilitators only",
    "SELECT count(*) FROM _ground_truth": "_ground_truth is for facilitators only",
    "SELECT value FROM _meta WHERE key = 'pseudonym_key'": "_meta is for facilitators only",
    "INSERT INTO sqlite_master VALUES (1, 2, 3, 4, 5)": "INSERT is not allowed",
}


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return small_city(tmp_path_factory)


@pytest.fixture()
def db(path):
    with ReadOnlyDatabase(path) as opened:
        yield opened


@pytest.mark.parametrize("query", list(HOSTILE))
def test_every_write_path_is_refused_in_plain_words(db, path, query):
    before = path.read_bytes()
    with pytest.raises(QueryError) as caught:
        db.query(query)
    assert caught.value.kind == "refused"
    assert HOSTILE[query] in str(caught.value)
    assert "Traceback" not in str(caught.value) and "not authorized" not in str(caught.value)
    assert path.read_bytes() == before


def test_a_refusal_points_at_the_statement(db):
    with pytest.raises(QueryError) as caught:
        db.query("-- clean up\n  DELETE FROM public_voter_roll")
    assert (caught.value.line, caught.value.column) == (2, 3)
    assert str(caught.value).startswith("query:2: column 3: DELETE")


def test_facilitator_mode_reads_the_answer_key(path):
    with ReadOnlyDatabase(path, facilitator=True) as db:
        assert db.query("SELECT count(*) FROM _residents").page() == [(3000,)]
        with pytest.raises(QueryError, match="DELETE is not allowed"):
            db.query("DELETE FROM _residents")


def test_reading_queries_and_read_only_pragmas_work(db):
    assert db.query("SELECT count(*) FROM public_voter_roll").page()[0][0] > 0
    assert db.query("PRAGMA table_info(public_voter_roll)").page()[0][1] == "voter_id"
    assert db.query("SELECT name FROM pragma_table_info('public_voter_roll')").page(1) == [("voter_id",)]
    rows = db.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5) SELECT x FROM c")
    assert [r[0] for r in rows.page()] == [1, 2, 3, 4, 5]


def test_errors_are_located_where_sqlite_points(db):
    cases = {"SELECT *\nFORM public_voter_roll": (2, 1, 'near "FORM"'),
             "SELECT nosuch FROM public_voter_roll": (1, 8, "no such column: nosuch"),
             "SELECT 'nosuch', v.nosuch FROM public_voter_roll v": (1, 18, "no such column: v.nosuch"),
             "SELECT * FROM no_table": (1, 15, "no such table: no_table"),
             "SELECT 1 +": (1, 11, "incomplete input"),
             "SELECT 1; SELECT 2": (1, 11, "one statement at a time")}
    for query, (line, column, words) in cases.items():
        with pytest.raises(QueryError) as caught:
            db.query(query)
        assert (caught.value.line, caught.value.column) == (line, column), query
        assert words in str(caught.value)
    assert locate("SELECT 1", "something unexpected") is None


def test_the_time_limit_interrupts_a_runaway_recursive_query(db):
    with pytest.raises(QueryTimeout, match="time limit of 0.05 s"):
        db.query(RUNAWAY, timeout=0.05).page()
    assert db.query("SELECT 1").page() == [(1,)]  # the connection is still usable


class StopAfter:
    """A cancel flag that says 'stop' after the query has been checked `n` times."""

    def __init__(self, n: int) -> None:
        self.n = n

    def set_progress(self, fraction: float, status: str = "") -> None:
        pass

    def is_cancelled(self) -> bool:
        self.n -= 1
        return self.n < 0


def test_the_cancel_flag_stops_a_runaway_query(db):
    with pytest.raises(QueryCancelled, match="stopped"):
        db.query(RUNAWAY, timeout=None, state=StopAfter(50)).page()


def test_stop_from_another_thread_interrupts_the_query(db):
    started = threading.Event()

    class Signal(StopAfter):
        def is_cancelled(self) -> bool:
            started.set()
            return False

    stopper = threading.Thread(target=lambda: (started.wait(), db.cancel()))
    stopper.start()
    with pytest.raises(QueryCancelled):
        db.query(RUNAWAY, timeout=None, state=Signal(0)).page()
    stopper.join()


def test_results_stream_in_pages(db):
    result = db.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 1234) SELECT x FROM c")
    sizes = [len(page) for page in result.pages(size=500)]
    assert sizes == [500, 500, 234]
    assert result.exhausted and result.rows_read == 1234
    limited = db.query(RUNAWAY.replace("count(*)", "x"), timeout=None)
    assert sum(len(p) for p in limited.pages(size=100, limit=250)) == 250  # an endless result, read in part


# ------------------------------------------------------------------------------------------------ CLI

def test_cli_prints_a_table_and_counts_rows(path, capsys):
    assert main(["sql", str(path), "SELECT 1 AS a, NULL AS b, 'x' AS c"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["a", "b", "c"] and out[2].split() == ["1", "NULL", "x"] and out[-1] == "(1 row)"


def test_cli_json_and_csv(path, capsys):
    assert main(["sql", str(path), "SELECT voter_id, zip FROM public_voter_roll ORDER BY rowid", "--json",
                 "--limit", "3"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert len(rows) == 3 and set(rows[0]) == {"voter_id", "zip"}
    assert "stopped at 3 rows" in captured.err
    assert main(["sql", str(path), "SELECT 1 AS a, 'x,y' AS b", "--csv"]) == 0
    assert capsys.readouterr().out == 'a,b\n1,"x,y"\n'


def test_cli_refusals_and_errors_exit_1_with_one_plain_line(path, capsys):
    for query in ("DELETE FROM public_voter_roll", "SELECT * FROM _residents", "SELECT nosuch FROM zzz"):
        assert main(["sql", str(path), query]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("query:1: column ") and "\n" not in err and "Traceback" not in err
    assert main(["sql", str(path), RUNAWAY, "--timeout", "0.05"]) == 1
    assert "time limit" in capsys.readouterr().err
    assert main(["sql", str(path), "SELECT count(*) FROM _residents", "--facilitator", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "3000"


def test_cli_usage_errors_exit_2(path, capsys):
    for argv in (["sql", str(path)], ["sql", str(path), "SELECT 1", "--limit", "x"],
                 ["sql", str(path), "SELECT 1", "--json", "--csv"], ["sql", str(path), "SELECT 1", "--timeout", "-1"]):
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
    capsys.readouterr()


def test_cli_missing_database_is_one_plain_line(tmp_path, capsys):
    assert main(["sql", str(tmp_path / "none.db"), "SELECT 1"]) == 1
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'none.db'}: no such file (generate a city first: " \
                                             "city-sandbox generate SCENARIO)"


def test_a_city_locked_by_a_writer_is_one_plain_line_for_every_command(tmp_path, path, capsys):
    import contextlib
    import shutil
    import sqlite3

    locked = tmp_path / "locked.db"
    shutil.copy(path, locked)
    with contextlib.closing(sqlite3.connect(locked, isolation_level=None)) as writer:
        writer.execute("BEGIN EXCLUSIVE")  # another program in the middle of writing the file
        writer.execute("CREATE TABLE scratch (x)")
        for args in (["sql", str(locked), "SELECT count(*) FROM public_voter_roll"],
                     ["export", str(locked), "--participants", "--out", str(tmp_path / "copy.db")],
                     ["export", str(locked), "--table", "public_voter_roll", "--out", str(tmp_path / "out")]):
            assert main(args) == 1, args
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "Traceback" not in err, (args, err)
            assert err.startswith("locked.db: the database is locked by another program") or \
                err.startswith(f"{locked}: the database is locked by another program"), (args, err)
            assert "try again" in err
        writer.execute("ROLLBACK")
    assert not (tmp_path / "copy.db").exists()
    assert main(["sql", str(locked), "SELECT count(*) FROM public_voter_roll"]) == 0  # nothing lost: it reads again
