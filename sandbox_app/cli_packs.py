"""Command line for scenario packs: `pack SCENARIO --out FILE.citypack` and `pack --verify FILE.citypack`."""

from __future__ import annotations

import argparse
import json
import sys


def cmd_pack(args) -> int:
    from sandbox_app.errors import PackError
    from sandbox_app.packs import load_grading_key, verify_pack

    if args.verify:
        if args.scenario or args.out:
            print("pack --verify takes only the pack file (and --key)", file=sys.stderr)
            return 2
        try:
            key = load_grading_key(args.key) if args.key else None
            info = verify_pack(args.verify, key=key)
        except PackError as err:
            if not args.json:
                raise
            print(json.dumps({"pack": args.verify, "ok": False, "error": str(err)}, indent=2))
            return err.exit_code
        m = info.manifest
        summary = {"pack": args.verify, "ok": True, "pack_id": m.pack_id, "scenario": m.scenario_name,
                   "title": info.title, "exercises": info.exercises, "app_version": m.app_version,
                   "created_at": m.created_at, "database": m.database is not None, "files": len(m.files) + 1,
                   "settings": info.settings.to_dict(), "grading_key_checked": key is not None}
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            print(f"{args.verify}: OK ({m.scenario_name}: {len(info.exercises)} exercises, "
                  f"{'with' if m.database else 'without'} the city database; pack {m.pack_id}, "
                  f"made {m.created_at} by app {m.app_version})"
                  + ("; matches its grading key" if key else ""))
        return 0
    if args.key:
        print("--key is for pack --verify; `pack` writes a new key beside the pack", file=sys.stderr)
        return 2
    if not args.scenario or not args.out:
        print("usage: city-sandbox pack SCENARIO --out FILE.citypack (or pack --verify FILE.citypack)",
              file=sys.stderr)
        return 2
    return _write(args)


def _write(args) -> int:
    from sandbox_app.cli import TextProgress
    from sandbox_app.packs import PackSettings, write_pack
    from sandbox_app.scenario.loader import load_scenario

    scenario = load_scenario(args.scenario, deep=True)
    settings = PackSettings(args.show_model_answer, args.hide_attack_replay, args.time_limit)
    progress = TextProgress(f"generating {scenario.name}", enabled=None if not args.json else False)
    written = write_pack(scenario, args.out, with_db=args.with_db, settings=settings, force=args.force,
                         state=progress)
    if args.json:
        print(json.dumps({"pack": str(written.path), "key": str(written.key_path), "pack_id": written.pack_id,
                          "bytes": written.size, "files": written.files, "settings": settings.to_dict()},
                         indent=2))
    else:
        print(f"wrote {written.path} ({written.size / 1e6:.1f} MB, {written.files} files, pack {written.pack_id})")
        print(f"grading key: {written.key_path} (keep it; never hand it out: it is not in the pack)")
    return 0


def _minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of minutes") from None
    if not 1 <= value <= 1440:
        raise argparse.ArgumentTypeError("must be between 1 and 1440 minutes")
    return value


# As sandbox_app.packs.manifest.SHOW_MODEL_ANSWER, written out so `--help` imports nothing heavy (tested).
SHOW_MODEL_ANSWER = ("never", "after_approve", "always")


def add_pack_commands(sub) -> None:
    p = sub.add_parser("pack", help="write a scenario pack (.citypack) for trainees, or --verify one",
                       description="Write a scenario pack for trainees, or check one without installing it. "
                       "The grading key is written beside the pack (FILE.citypack.key) and is never inside it.",
                       epilog="Exit codes: 0 ok; 1 the scenario or pack is refused (the reason is printed); "
                       "2 usage error.")
    p.add_argument("scenario", nargs="?", metavar="SCENARIO", help="built-in scenario name or a scenario file")
    p.add_argument("--out", metavar="FILE.citypack", help="pack file to write")
    p.add_argument("--with-db", action="store_true", help="put the generated city inside (bigger; no "
                   "generation on the trainees' laptops)")
    p.add_argument("--show-model-answer", choices=SHOW_MODEL_ANSWER, default="after_approve",
                   help="when trainees may see the model answer after a submit (default: after_approve)")
    p.add_argument("--hide-attack-replay", action="store_true", help="keep the linkage replay out of reports")
    p.add_argument("--time-limit", type=_minutes, metavar="MINUTES", help="time limit per exercise")
    p.add_argument("--force", action="store_true", help="replace an existing pack and its key")
    p.add_argument("--verify", metavar="FILE.citypack", help="run every check on a pack; install nothing")
    p.add_argument("--key", metavar="KEYFILE", help="with --verify: also check the pack matches this grading key")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_pack)
