"""Incremental `mmfactory build`: the session's real build (from an empty warehouse) left
nothing for the next build (its new failures recorded under the run id and time its one
dbt run already counted them with), so a copy of it builds again as a skip that reuses
its contract results.
A landed verdict's incremental build against a full one, export for export, is in
tests/review/test_review_page.py (the page's verdicts, then ONE rebuild, then a full build)."""

from __future__ import annotations

import json
import os
import shutil

import duckdb
import pyarrow.parquet as pq

from lakehouse.build_state import outputs_fingerprint, read_state
from lakehouse.landing import landed_files
from lakehouse.settings import Warehouse
from quality.failure_library import FAILURE_LIBRARY_TABLE, known_failure_keys
from tests.warehouses import REUSE_BUILD_ENV, run_mmfactory


def test_a_build_records_its_failures_and_the_next_build_skips(built_warehouse, tmp_path):
    """The session build found failures the library did not hold: its one dbt run counted
    them as recorded under the run id and time it was given (dbt's metadata variables, kept
    in run_results.json), and the build landed them under exactly those, so its
    failure_replay has nothing left to record and its manifest counts every recorded
    failure; the same build again, on a copy, skips dbt and every later stage and reuses
    the contract results."""
    state = read_state(built_warehouse)
    if state is not None:  # the session build is shared and never written to after it ended
        changed = sorted(k for k, v in outputs_fingerprint(built_warehouse).items() if state["outputs"].get(k) != v)
        assert not changed, f"a test wrote into the session build: {changed[:5]}"
    library = len(known_failure_keys(built_warehouse))
    with duckdb.connect(str(built_warehouse.database), read_only=True) as con:
        replay = con.execute("select sum(new_failures), sum(known_failures) from failure_replay").fetchone()
        flags = con.execute("select count(distinct failure_key) from low_quality_flags").fetchone()[0]
    assert library >= flags > 0 and replay == (0, library)
    manifest = json.loads((built_warehouse.exports / "training_manifest.json").read_text(encoding="utf-8"))
    assert sum(manifest["quality"]["known_failures_by_error_type"].values()) == library
    # one dbt run, told the recording beforehand: the landed rows carry its stamps
    ran = json.loads((built_warehouse.root / "build_state" / "run_results.json").read_text(encoding="utf-8"))
    told = ran["metadata"]["env"]
    stamps = {(r["first_seen_run_id"], r["first_seen_at"].isoformat())
              for p in landed_files(built_warehouse, FAILURE_LIBRARY_TABLE)
              for r in pq.read_table(p).to_pylist()}
    assert stamps == {(told["MMFACTORY_FAILURE_RUN_ID"], told["MMFACTORY_FAILURE_RECORDED_AT"])}
    with duckdb.connect(str(built_warehouse.database), read_only=True) as con:
        (last,) = con.execute("select max(last_recorded_at) from failure_replay").fetchone()
    assert last.isoformat() == told["MMFACTORY_FAILURE_RECORDED_AT"]

    wh = Warehouse(tmp_path / "warehouse")  # a reused build's copy is not as built: its original
    shutil.copytree(os.environ.get(REUSE_BUILD_ENV) or built_warehouse.root, wh.root, symlinks=True)
    recorded = read_state(wh)
    assert recorded is not None
    proc = run_mmfactory(wh, "build", "--no-land")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "dbt: skipped, nothing changed" in proc.stdout, proc.stdout[-3000:]
    assert "stage dbt" not in proc.stdout and "stage report_and_check" not in proc.stdout
    results = json.loads((wh.exports / "p3_test_results.json").read_text(encoding="utf-8"))
    assert f"data contracts of that build (reused): {results['summary']['line']}" in proc.stdout
    assert read_state(wh)["dbt_invocation_id"] == recorded["dbt_invocation_id"]
