"""Share documents and their application to a generated city: the extract a trainee's decision yields.

    db = CityDatabase("winter-storm.db")
    share = load_share("welfare-checks.json")
    extract = apply_share(db, share, holding_department="health")
    extract.frame            # what the recipient gets
    share = apply_edit(share, {"edit": "set_where", "table": "ph_home_health_clients", "where": "age >= 65"})
"""

from sandbox_app.sharing.aggregate import AggregateResult, aggregate, recoverable_cells
from sandbox_app.sharing.apply import Extract, OutputColumn, TablePart, apply_share, check_share, export_csv
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import (
    DECISIONS,
    SHARE_FORMAT,
    Aggregate,
    FieldOp,
    Measure,
    ShareDocument,
    TableShare,
    load_share,
    parse_share_data,
    parse_share_text,
    share_to_json,
)
from sandbox_app.sharing.edits import EDIT_KINDS, apply_edit, apply_edits

__all__ = [
    "DECISIONS", "EDIT_KINDS", "SHARE_FORMAT", "Aggregate", "AggregateResult", "CityDatabase", "Extract",
    "FieldOp", "Measure", "OutputColumn", "ShareDocument", "TableShare", "TablePart", "aggregate", "apply_edit",
    "apply_edits", "apply_share", "check_share", "export_csv", "load_share", "parse_share_data",
    "parse_share_text", "recoverable_cells", "share_to_json",
]
