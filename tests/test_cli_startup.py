"""`city-sandbox --help` loads no heavy library (pandas, numpy, pydantic, Qt): start-up stays fast."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "numpy", "pydantic", "pyarrow", "PySide6", "faker", "ruamel")

PROBE = f"""
import contextlib, io, json, sys
from sandbox_app.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main(["--help"])
    except SystemExit:
        pass
print(json.dumps({{"loaded": sorted(m for m in {HEAVY!r} if m in sys.modules), "help": out.getvalue()}}))
"""


def test_help_imports_no_heavy_library():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    assert result["loaded"] == []
    assert "score" in result["help"] and "generate" in result["help"]
