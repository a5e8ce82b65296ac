"""Small CLI defects: whole answer names in `check`, README paths that work anywhere, plain `pytest`,
no library warnings on stderr."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

from sandbox_app import cli
from sandbox_app.cli import main
from tests.cityfixture import small_city

ROOT = Path(__file__).parents[1]


def test_check_prints_answer_names_longer_than_40_characters(tmp_path, tmp_path_factory, capsys):
    folder = tmp_path / "winter-storm"
    shutil.copytree(ROOT / "scenarios" / "winter-storm", folder)
    long_name = "welfare-checks.everything-including-the-nurse-notes.json"
    (folder / "welfare-checks.everything.json").rename(folder / long_name)
    text = (ROOT / "scenarios" / "winter-storm.yaml").read_text(encoding="utf-8")
    (tmp_path / "storm.yaml").write_text(text.replace("winter-storm/welfare-checks.everything.json",
                                                      f"winter-storm/{long_name}"), encoding="utf-8")
    main(["check", str(tmp_path / "storm.yaml"), "--db", str(small_city(tmp_path_factory))])
    out = capsys.readouterr().out
    assert re.search(rf"{re.escape(long_name)} +reject", out)


def test_readme_try_it_commands_work_from_any_folder(tmp_path, tmp_path_factory, monkeypatch, capsys):
    block = re.search(r"Try it:\n\n```sh\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    scores = [line.split()[1:] for line in block.splitlines() if line.startswith("city-sandbox score")]
    assert len(scores) == 2
    monkeypatch.chdir(tmp_path)
    db = ["--db", str(small_city(tmp_path_factory))]  # the README's city, smaller
    assert [main([*args, *db]) for args in scores] == [1, 0]  # the bad answer is rejected, the model approved
    assert "Verdict: APPROVE" in capsys.readouterr().out


def test_plain_pytest_collects_the_tests():
    pytest_exe = Path(sys.executable).with_name("pytest")
    done = subprocess.run([str(pytest_exe), "--collect-only", "-q", "tests/test_docs_reference.py"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "3 tests collected" in done.stdout


def test_library_warnings_do_not_reach_stderr(monkeypatch, capsys):
    def noisy(args):
        warnings.warn("invalid value encountered in cast", RuntimeWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(cli, "cmd_list", noisy)
    monkeypatch.setattr(sys, "warnoptions", [])
    with warnings.catch_warnings():
        assert main(["list"]) == 0
    assert capsys.readouterr().err == ""
