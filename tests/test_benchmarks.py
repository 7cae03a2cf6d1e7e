"""Every benchmark still runs: each bench/*.py in quick mode prints only `metric: value` lines."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted((ROOT / "bench").glob("*.py"))
METRIC = re.compile(r"^[a-z0-9_]+: [0-9.]+$")


def test_there_are_benchmarks():
    assert BENCHMARKS


@pytest.mark.slow
@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda path: path.name)
def test_benchmark_runs_quickly_and_prints_metrics(script):
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
    assert lines, "a benchmark must print at least one metric"
    assert [line for line in lines if not METRIC.match(line)] == []
