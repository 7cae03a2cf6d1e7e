"""Every benchmark still runs: each bench/*.py in quick mode prints only `metric: value` lines.

bench/api_lookup.py loads PostgreSQL and drives gunicorn with wrk, bench/api_lookup_cpu.py loads
it and times the lookup's CPU in process, and bench/cohort_dashboard.py loads PostgreSQL and
times the dashboards' queries: they run on the PostgreSQL pass
(TEST_DATABASE_URL set, which they inherit) and are skipped on SQLite-only runs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted((ROOT / "bench").glob("*.py"))
METRIC = re.compile(r"^[a-z0-9_]+: [0-9.]+$")


POSTGRES_ONLY = ("api_lookup.py", "api_lookup_cpu.py", "cohort_dashboard.py")


def skip_reason(script: Path) -> str | None:
    """Why this benchmark cannot run here, or None."""
    if script.name not in POSTGRES_ONLY:
        return None
    if not os.environ.get("TEST_DATABASE_URL", "").strip():
        return (f"{script.name} needs PostgreSQL: TEST_DATABASE_URL is unset (a SQLite-only "
                "run); it runs on the PostgreSQL pass")
    if script.name == "api_lookup.py" and shutil.which("wrk") is None:
        return "api_lookup.py needs wrk: apt-get install wrk"
    return None


def test_there_are_benchmarks():
    assert BENCHMARKS


@pytest.mark.slow
@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.name)
def test_benchmark_runs_quickly_and_prints_metrics(script):
    reason = skip_reason(script)
    if reason:
        pytest.skip(reason)
    result = subprocess.run(
        [sys.executable, str(script.relative_to(ROOT)), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    if lines == ["skipped: 1"]:
        pytest.skip(result.stderr.strip())
    assert lines, "a benchmark must print at least one metric"
    assert [line for line in lines if not METRIC.match(line)] == []
