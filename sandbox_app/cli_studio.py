"""`city-sandbox studio [SCENARIO]`: the facilitator studio (Qt, imported only when the command runs)."""

from __future__ import annotations


def cmd_studio(args) -> int:
    target = None
    if args.scenario:
        from sandbox_app.scenario.loader import resolve_scenario_path

        target = str(resolve_scenario_path(args.scenario))  # a missing file: one sentence, before any window
    from sandbox_app.ui.studio.studio_app import run_studio

    return run_studio(target)


def add_studio_command(sub) -> None:
    p = sub.add_parser("studio", help="open the facilitator studio: edit a scenario with live validation, "
                                      "generate its city and check its answers")
    p.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO",
                   help="built-in scenario name or scenario file to open (built-ins open read-only)")
    p.set_defaults(func=cmd_studio)
