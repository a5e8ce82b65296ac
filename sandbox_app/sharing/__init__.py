"""Share documents and their application to a generated city: the extract a trainee's decision yields.

    db = CityDatabase("winter-storm.db")
    share = load_share("welfare-checks.json")
    extract = apply_share(db, share, holding_department="health")
    extract.frame            # what the recipient gets
    share = apply_edit(share, {"edit": "set_where", "table": "ph_home_health_clients", "where": "age >= 65"})

The names below are imported on first use (PEP 562), so importing a light submodule such as
`sandbox_app.sharing.grains` does not load pandas (`city-sandbox --help` stays fast).
"""

from __future__ import annotations

from sandbox_app.lazy import lazy_exports

_EXPORTS = {
    # (the function `aggregate` is not listed: its name is its submodule's; import it from .aggregate)
    "aggregate": ("AggregateResult", "recoverable_cells"),
    "apply": ("Extract", "OutputColumn", "TablePart", "apply_share", "check_share", "export_csv"),
    "database": ("CityDatabase",),
    "document": ("DECISIONS", "SHARE_FORMAT", "Aggregate", "FieldOp", "Measure", "ShareDocument", "TableShare",
                 "load_share", "parse_share_data", "parse_share_text", "share_to_json"),
    "edits": ("EDIT_KINDS", "apply_edit", "apply_edits"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__getattr__, __dir__, __all__ = lazy_exports(__name__, _MODULE_OF)
