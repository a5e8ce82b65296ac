"""The command line, in-process: list, validate, generate, schema, help texts and exit codes."""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from sandbox_app import __version__
from sandbox_app.cli import build_parser, main
from sandbox_app.errors import SandboxError
from sandbox_app.scenario import builtin_scenarios, load_scenario

DATA = Path(__file__).parent / "data"
SMALL = str(DATA / "small-city.yaml")
ROOT = Path(__file__).resolve().parent.parent


def _bad_scenario(tmp_path: Path) -> tuple[Path, int]:
    """A copy of the small city with `residents` misspelt; returns the file and the misspelt key's line."""
    text = (DATA / "small-city.yaml").read_text(encoding="utf-8").replace("  residents: 2000", "  residnets: 2000")
    path = tmp_path / "typo.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "residnets" in row)
    return path, line


def test_tests_never_touch_the_users_cache(isolated_sandbox_home):
    from sandbox_app.cache import cache_dir

    assert cache_dir() == isolated_sandbox_home
    assert not cache_dir().is_relative_to(Path.home() / ".cache")


# ------------------------------------------------------------------------------------------------ list

def test_list_names_every_builtin_scenario(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in builtin_scenarios():
        assert f"\n{name}: " in f"\n{out}"
    assert "  - welfare-checks: " in out


def test_list_json_describes_each_builtin_scenario(capsys):
    assert main(["list", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [i["name"] for i in items] == list(builtin_scenarios())
    storm = next(i for i in items if i["name"] == "winter-storm")
    scenario = load_scenario("winter-storm")
    assert storm == {"name": "winter-storm", "title": scenario.title, "residents": scenario.city.residents,
                     "departments": [d.id for d in scenario.departments],
                     "exercises": [{"id": e.id, "title": e.title} for e in scenario.exercises]}


# -------------------------------------------------------------------------------------------- validate

def test_validate_good_file_exits_0_and_says_ok(capsys):
    assert main(["validate", SMALL]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{SMALL}: OK (small-city: 2 departments, 1 exercises)\n"
    assert captured.err == ""


def test_validate_bad_file_exits_1_with_file_line_path_message(tmp_path, capsys):
    path, line = _bad_scenario(tmp_path)
    assert main(["validate", str(path)]) == 1
    captured = capsys.readouterr()
    errors = captured.err.splitlines()
    assert f"{path}:{line}: city.residnets: unknown key 'residnets' (did you mean 'residents'?)" in errors
    assert all(e.startswith(f"{path}:") for e in errors)
    assert captured.out == ""


def test_validate_reports_every_file_and_fails_if_any_is_bad(tmp_path, capsys):
    path, _ = _bad_scenario(tmp_path)
    assert main(["validate", SMALL, str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{SMALL}: OK")
    assert str(path) in captured.err


def test_validate_json_lists_problems_per_file(tmp_path, capsys):
    path, line = _bad_scenario(tmp_path)
    assert main(["validate", "--json", SMALL, str(path)]) == 1
    good, bad = json.loads(capsys.readouterr().out)
    assert (good["valid"], good["scenario"], good["problems"]) == (True, "small-city", [])
    assert bad["valid"] is False
    assert {"file": str(path), "line": line, "path": "city.residnets", "message": "unknown key 'residnets'",
            "hint": "did you mean 'residents'?"} in bad["problems"]


# -------------------------------------------------------------------------------------------- generate

def test_generate_json_prints_the_documented_summary(tmp_path, capsys):
    out = tmp_path / "city.db"
    assert main(["generate", "winter-storm", "--out", str(out), "--residents", "2000", "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert set(summary) == {"database", "scenario", "seed", "residents", "tables", "seconds"}
    assert summary["database"] == str(out)
    seed = load_scenario("winter-storm").seed
    assert (summary["scenario"], summary["seed"], summary["residents"]) == ("winter-storm", seed, 2000)
    assert isinstance(summary["seconds"], (int, float)) and summary["seconds"] >= 0
    assert out.is_file()
    with sqlite3.connect(out) as conn:
        for table, rows in summary["tables"].items():
            assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == rows
        meta = dict(conn.execute("SELECT key, value FROM _meta"))
    assert meta["app_version"] == __version__
    assert "public_voter_roll" in summary["tables"]
    assert captured.err == ""  # --json: no progress bar


def test_generate_seed_override_is_used_and_reported(tmp_path, capsys):
    out = tmp_path / "city.db"
    assert main(["generate", SMALL, "--out", str(out), "--seed", "99", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 99
    with sqlite3.connect(out) as conn:
        assert dict(conn.execute("SELECT key, value FROM _meta"))["seed"] == "99"


@pytest.mark.parametrize("seed", ["-1", str(2**63), str(-(10**40))])
def test_generate_seed_outside_the_valid_range_is_one_plain_message(seed, tmp_path, capsys):
    out = tmp_path / "city.db"
    assert main(["generate", SMALL, "--out", str(out), "--seed", seed]) == 1
    captured = capsys.readouterr()
    assert captured.err.strip().endswith("is not a valid seed: it must be a whole number from 0 to "
                                         "9,223,372,036,854,775,807"), captured.err
    assert captured.err.startswith("--seed: ") and len(captured.err.splitlines()) == 1
    assert "Traceback" not in captured.err and not out.exists()


def test_a_seed_override_keeps_the_scenario_validated_and_unchanged():
    scenario = load_scenario(SMALL)
    again = scenario.with_seed(2**63 - 1)
    assert (again.seed, scenario.seed) == (2**63 - 1, 7)
    assert again._source == scenario._source
    with pytest.raises(SandboxError, match="--seed: -1 is not a valid seed"):
        scenario.with_seed(-1)
    with pytest.raises(SandboxError, match="not a valid seed"):
        scenario.with_seed(True)  # a flag is not a number


def test_generate_human_output_lists_the_tables(tmp_path, capsys):
    out = tmp_path / "small.db"
    assert main(["generate", SMALL, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Generated small-city (2,000 residents, seed 7) in ")
    assert text.splitlines()[0].endswith(f"-> {out}")
    assert "clinic_patients" in text and "oem_registry" in text


def test_generate_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "city.db"
    out.write_bytes(b"keep me")
    assert main(["generate", SMALL, "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"{out}: already exists (use --force to replace it)\n"
    assert out.read_bytes() == b"keep me"


def test_generate_with_force_replaces_the_database(tmp_path, capsys):
    out = tmp_path / "city.db"
    out.write_bytes(b"old")
    assert main(["generate", SMALL, "--out", str(out), "--force", "--json"]) == 0
    capsys.readouterr()
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT count(*) FROM _residents").fetchone() == (2000,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["city.db"]


def test_generate_into_a_missing_folder_exits_1(tmp_path, capsys):
    out = tmp_path / "nowhere" / "city.db"
    assert main(["generate", SMALL, "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"{out}: folder {out.parent} does not exist (create it first, or give another path)\n"
    assert not out.parent.exists()


def test_generate_unknown_scenario_exits_1_with_a_hint(tmp_path, capsys):
    assert main(["generate", "winter-strom", "--out", str(tmp_path / "x.db")]) == 1
    captured = capsys.readouterr()
    assert captured.err == "winter-strom: not a built-in scenario or a file (did you mean 'winter-storm'?)\n"
    assert list(tmp_path.iterdir()) == []


def test_generate_invalid_scenario_file_exits_1_with_located_problems(tmp_path, capsys):
    path, line = _bad_scenario(tmp_path)
    assert main(["generate", str(path), "--out", str(tmp_path / "x.db")]) == 1
    assert f"{path}:{line}: city.residnets: unknown key 'residnets'" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("value", ["abc", "2.5", "0", "-5"])
def test_generate_bad_residents_is_a_usage_error(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as info:
        main(["generate", SMALL, "--out", str(tmp_path / "x.db"), "--residents", value])
    assert info.value.code == 2
    assert "--residents" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- schema

def test_schema_out_writes_a_valid_json_schema(tmp_path, capsys):
    out = tmp_path / "scenario.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    schema = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_without_out_prints_the_same_schema(tmp_path, capsys):
    out = tmp_path / "s.json"
    main(["schema", "--out", str(out)])
    capsys.readouterr()
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(out.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------ help

def _subcommands() -> dict[str, str | None]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {choice.dest: choice.help for choice in sub._choices_actions}
    assert set(helps) == set(sub.choices)  # every subcommand was added with help=
    return helps


def test_every_subcommand_has_help_text():
    helps = _subcommands()
    assert {"gui", "list", "validate", "generate", "schema"} <= set(helps)
    assert [name for name, text in helps.items() if not (text or "").strip()] == []


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_subcommand_help_exits_0(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: city-sandbox {command}")


def test_every_option_has_help_text():
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    missing = [f"{name} {'/'.join(a.option_strings) or a.dest}"
               for name, p in sub.choices.items() for a in p._actions
               if not isinstance(a, argparse._HelpAction) and not (a.help or "").strip()]
    assert missing == []


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in _subcommands():
        assert command in out


def test_python_m_sandbox_app_version():
    result = subprocess.run([sys.executable, "-m", "sandbox_app", "--version"], capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"city-sandbox {__version__}"
