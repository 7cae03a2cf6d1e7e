"""The statistics modules are pure like the scorers: no Flask, no database, no other package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("activity", "dropout", "retention", "item_analysis", "rule_errors")


def test_statistics_modules_import_no_flask_and_no_database():
    code = (
        "import sys\n"
        + "".join(f"import graders.{name}\n" for name in MODULES)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'bootcamp', 'courses', 'exams'})\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
