"""Incremental `mmfactory build` on a copy of the session's real build: an unchanged build
skips dbt and every later stage; a landed review verdict is not skipped and rebuilds only
what reads it; and its exports equal, file for file (sha256), those of the full build
run right after it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from lakehouse.build_state import STATE_DIR, export_digests, read_state
from lakehouse.settings import Warehouse
from tests.warehouses import REUSE_BUILD_ENV, run_mmfactory

VERDICTS_HEADER = "sample_id,reviewer,role,verdict,error_type,note,time\n"


@pytest.fixture(scope="module")
def copied(built_warehouse, tmp_path_factory) -> Warehouse:
    """A copy of the session build with its recorded build state, built once where it
    now lives (a moved warehouse rebuilds its views: they name the landing's path)."""
    wh = Warehouse(tmp_path_factory.mktemp("incremental") / "warehouse")
    shutil.copytree(built_warehouse.root, wh.root, symlinks=True)
    reused = os.environ.get(REUSE_BUILD_ENV)
    if reused and (Path(reused) / STATE_DIR).is_dir():  # the session copied a build, not its state
        shutil.copytree(Path(reused) / STATE_DIR, wh.root / STATE_DIR, dirs_exist_ok=True)
    first = run_mmfactory(wh, "build", "--no-land")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return wh


def test_an_unchanged_build_skips_dbt_and_reuses_the_contract_results(copied):
    state = read_state(copied)
    assert state is not None
    proc = run_mmfactory(copied, "build", "--no-land")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "dbt: skipped, nothing changed" in proc.stdout
    assert "stage dbt" not in proc.stdout and "stage report_and_check" not in proc.stdout
    results = json.loads((copied.exports / "p3_test_results.json").read_text(encoding="utf-8"))
    assert f"data contracts of that build (reused): {results['summary']['line']}" in proc.stdout
    assert read_state(copied)["dbt_invocation_id"] == state["dbt_invocation_id"]


def test_a_review_verdict_rebuilds_what_reads_it_and_exports_equal_a_full_build(copied, tmp_path):
    manifest = json.loads((copied.exports / "training_manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(copied.database), read_only=True) as con:
        sample = con.execute("select sample_id from manual_review_samples order by sample_id limit 1").fetchone()[0]
    verdicts = tmp_path / "round1.csv"
    verdicts.write_text(VERDICTS_HEADER + f"{sample},ann,first_review,approve,,,2026-01-01T00:00:00Z\n",
                        encoding="utf-8")
    landed = run_mmfactory(copied, "review", "import", str(verdicts))
    assert landed.returncode == 0, landed.stdout + landed.stderr

    incremental = run_mmfactory(copied, "build", "--no-land")
    assert incremental.returncode == 0, incremental.stdout[-3000:]
    dbt_line = next(line for line in incremental.stdout.splitlines() if line.startswith("dbt:"))
    # the import lands its (empty) rejects file beside the verdicts: both tables changed
    assert dbt_line.startswith("dbt: landed table(s) changed: ") and "review_verdicts" in dbt_line
    assert "rebuilding only what reads them" in dbt_line and "stage dbt" in incremental.stdout
    after = json.loads((copied.exports / "training_manifest.json").read_text(encoding="utf-8"))
    assert after["quality"]["first_reviews"] == manifest["quality"]["first_reviews"] + 1
    assert after["dbt_invocation_id"] != manifest["dbt_invocation_id"]
    digests = export_digests(copied)

    full = run_mmfactory(copied, "build", "--no-land", "--full")
    assert full.returncode == 0, full.stdout[-3000:]
    assert "rebuilding everything" in full.stdout
    rebuilt = export_digests(copied)
    assert len(rebuilt) > 40
    assert {k: v for k, v in digests.items() if rebuilt.get(k) != v} == {}
    assert digests == rebuilt
