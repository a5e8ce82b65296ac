"""`city-sandbox new NAME [--from SCENARIO]`: a new scenario file, and its answers folder, copied from a built-in
(or any) scenario with the name and every answer path rewritten, ready to edit, validate and check."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sandbox_app.errors import Problem, ScenarioError
from sandbox_app.files import atomic_write, check_target, shown
from sandbox_app.scenario.loader import load_scenario, parse_scenario_text, resolve_scenario_path

NAME = re.compile(r"^[a-z][a-z0-9-]{0,59}$")
DEFAULT_TEMPLATE = "winter-storm"


def new_scenario(name: str, source: str = DEFAULT_TEMPLATE, folder: str | Path = ".", *,
                 force: bool = False) -> Path:
    """Write FOLDER/NAME.yaml and FOLDER/NAME/ (the answers) from `source`; returns the new file's path.

    The copy validates (checked before returning): its `name` is NAME and its answer paths point into NAME/.
    """
    if not NAME.match(name):
        raise ScenarioError([Problem(shown(name, 60), None, "", "a scenario name is lower-case letters, digits "
                                     "and '-', starting with a letter (at most 60)", "e.g. library-cards")])
    origin = resolve_scenario_path(source)
    scenario = load_scenario(origin)
    folder = Path(folder)
    target = folder / f"{name}.yaml"
    answers = folder / name
    check_target(target, force=force, error=ScenarioError)
    text = origin.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^name:\s*\S+\s*$", f"name: {name}", text, count=1)
    if not count:
        raise ScenarioError([Problem(str(origin), None, "name", "has no top-level `name:` line to rewrite")])
    copies: dict[str, str] = {}
    for exercise in scenario.exercises:
        refs = [exercise.model_answer, *(b.share for b in exercise.bad_answers)]
        for ref in refs:
            if isinstance(ref, str):
                copies[ref] = f"{name}/{Path(ref).name}"
    for old, new in copies.items():
        text = re.sub(rf"((?:model_answer|share):\s*)([\"']?){re.escape(old)}\2", rf"\g<1>\g<2>{new}\2", text)
    created = not answers.exists()
    written: list[Path] = []
    try:
        if copies:
            answers.mkdir(parents=True, exist_ok=True)
        for old, new in copies.items():
            data = json.loads((origin.parent / old).read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("scenario"):
                data["scenario"] = name
            written.append(atomic_write(folder / new, json.dumps(data, indent=1, ensure_ascii=False) + "\n",
                                        force=force, error=ScenarioError))
        parse_scenario_text(text, str(target), deep=True, base=folder)  # the copy must validate
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        if created and answers.is_dir() and not any(answers.iterdir()):
            answers.rmdir()
        raise
    return atomic_write(target, text, force=force, error=ScenarioError)
