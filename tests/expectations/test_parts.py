"""expectations.parts: Great Expectations is imported with scipy.stats loaded only when
first used."""

from __future__ import annotations

import subprocess
import sys

from lakehouse.settings import PROJECT_ROOT


def test_scipy_stats_waits_for_its_first_use_and_then_works() -> None:
    """gx_module imports GX with scipy.stats deferred (expectations.parts.defer_scipy_stats):
    in a fresh interpreter, GX and its KL-divergence expectation are imported without
    running scipy.stats; the name GX bound then works, and loads it whole."""
    code = """
import sys
from expectations.parts import gx_module
gx_module()
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
print("scipy.stats._stats_py" in sys.modules)
print(round(float(kl.stats.entropy([0.5, 0.5], [0.9, 0.1])), 6))
print("scipy.stats._stats_py" in sys.modules, sys.modules["scipy.stats"] is kl.stats)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # KL(p || q) of (0.5, 0.5) against (0.9, 0.1): 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1)
    assert proc.stdout.split("\n")[:3] == ["False", "0.510826", "True True"]
