"""mmfactory.rebuild. importing_ahead: while its block runs (in a build: dbt, in a process of
its own), Great Expectations and matplotlib are imported on another thread, and the block's
end waits for them; in a fresh interpreter, so that nothing was imported before. And the
error a build whose dbt failed ends with."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from lakehouse.settings import PROJECT_ROOT

_PROBE = textwrap.dedent("""
    import json, sys, threading, time
    from mmfactory.rebuild import importing_ahead
    before = {m: m in sys.modules for m in ("great_expectations", "matplotlib.pyplot")}
    seen_in_block = []
    with importing_ahead():
        # the block itself imports nothing: it waits, as the build waits for dbt
        deadline = time.monotonic() + 60
        while "great_expectations" not in sys.modules and time.monotonic() < deadline:
            time.sleep(0.01)
        seen_in_block.append("great_expectations" in sys.modules)
        threads = [t.name for t in threading.enumerate()]
    import matplotlib
    from expectations.parts import _GX
    print(json.dumps({"before": before, "seen_in_block": seen_in_block[0], "threads": threads,
                      "after_gx": _GX is not None, "after_plt": "matplotlib.pyplot" in sys.modules,
                      "backend": matplotlib.get_backend().lower(),
                      "left": [t.name for t in threading.enumerate() if t.name == "import-ahead"]}))
""")


def test_the_contracts_imports_run_on_a_thread_during_the_block_and_are_done_after_it() -> None:
    proc = subprocess.run([sys.executable, "-c", _PROBE], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["before"] == {"great_expectations": False, "matplotlib.pyplot": False}
    assert seen["seen_in_block"] and "import-ahead" in seen["threads"]
    assert seen["after_gx"] and seen["after_plt"] and seen["backend"] == "agg"
    assert seen["left"] == []


def test_a_failed_dbt_build_lists_the_broken_model_rules() -> None:
    """A failing `model_rules` test's node name does not say which rule broke: the error a
    failed build ends with lists them (read by lakehouse.dbt_failures.broken_rules, whose
    rows tests/lakehouse/test_dbt.py checks on a real failing run)."""
    from lakehouse.dbt_failures import BrokenRule
    from mmfactory.rebuild import DbtBuildFailed

    broken = [BrokenRule("samples", "not_null", "task_type", 1), BrokenRule("samples", "unique", "sample_id", 2)]
    assert str(DbtBuildFailed(1, broken)).splitlines() == [
        "dbt build failed (exit 1); see its output above",
        "broken model rules:",
        "  samples: not_null task_type (1 row(s))",
        "  samples: unique sample_id (2 row(s))",
    ]
    assert str(DbtBuildFailed(2)) == "dbt build failed (exit 2); see its output above"
