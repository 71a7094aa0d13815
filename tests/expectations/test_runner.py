"""expectations.runner: a frame validated by Great Expectations gives its outcome and the
ids of its offending rows, and GX takes no fingerprint of the frame on the way
(expectations.parts.gx_module turns that off: it was a fifth of the checks' time at 118k
photos); GX is imported with scipy.stats loaded only when first used."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from expectations.parts import Frame, gxe
from expectations.runner import _outcomes_of_frame, _Validator
from lakehouse.settings import PROJECT_ROOT


def test_a_frame_is_validated_with_its_offending_ids_and_no_fingerprint() -> None:
    frame = Frame("ids", pd.DataFrame({"id": ["a", "b", "c"], "x": [1.0, None, 3.0]}),
                  [gxe().ExpectColumnValuesToNotBeNull(column="x"),
                   gxe().ExpectColumnValuesToBeUnique(column="id")], "id")
    validation = _Validator().validate("test", frame)
    assert "pandas_data_fingerprint" not in validation.meta["batch_markers"]
    not_null, unique = _outcomes_of_frame(frame, validation)
    assert (not_null.success, not_null.offending, not_null.observed) == (
        False, ["b"], "1 of 3 rows unexpected, values [None]")
    assert (unique.success, unique.offending, unique.observed) == (True, [], "0 of 3 rows unexpected")


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
