"""Incremental `mmfactory build` on a copy of the session's real build: the build it was
copied from left nothing for the next one (its new failures recorded and what reads them
rebuilt), so building the copy again is a skip; a landed review verdict is not skipped and
rebuilds only what reads it, and its exports equal, file for file (sha256), those of the
full build run right after it; then an unchanged build skips dbt and every later stage."""

from __future__ import annotations

import json
import os
import shutil

import duckdb
import pytest

from lakehouse.build_state import export_digests, outputs_fingerprint, read_state
from lakehouse.settings import Warehouse
from quality.failure_library import known_failure_keys
from tests.warehouses import REUSE_BUILD_ENV, run_mmfactory

VERDICTS_HEADER = "sample_id,reviewer,role,verdict,error_type,note,time\n"


@pytest.fixture(scope="module")
def copied(built_warehouse, tmp_path_factory) -> Warehouse:
    """A copy of the session build with its recorded build state (the copy's first
    writing command re-points its views at the copy's own landing)."""
    state = read_state(built_warehouse)
    if state is not None:  # the session build is shared and never written to after it ended
        changed = sorted(k for k, v in outputs_fingerprint(built_warehouse).items() if state["outputs"].get(k) != v)
        assert not changed, f"a test wrote into the session build: {changed[:5]}"
    wh = Warehouse(tmp_path_factory.mktemp("incremental") / "warehouse")
    shutil.copytree(built_warehouse.root, wh.root, symlinks=True)
    return wh


def test_a_build_records_its_failures_and_leaves_nothing_for_the_next(built_warehouse, tmp_path):
    """The session build (from an empty warehouse) found failures the library did not hold:
    it recorded them and rebuilt what reads the library in the same build, so its
    failure_replay has nothing left to record, its manifest counts every recorded failure,
    and the same build again, on a copy, skips dbt."""
    library = len(known_failure_keys(built_warehouse))
    with duckdb.connect(str(built_warehouse.database), read_only=True) as con:
        replay = con.execute("select sum(new_failures), sum(known_failures) from failure_replay").fetchone()
        flags = con.execute("select count(distinct failure_key) from low_quality_flags").fetchone()[0]
    assert library >= flags > 0 and replay == (0, library)
    manifest = json.loads((built_warehouse.exports / "training_manifest.json").read_text(encoding="utf-8"))
    assert sum(manifest["quality"]["known_failures_by_error_type"].values()) == library

    wh = Warehouse(tmp_path / "warehouse")  # a reused build's copy is not as built: its original
    shutil.copytree(os.environ.get(REUSE_BUILD_ENV) or built_warehouse.root, wh.root, symlinks=True)
    proc = run_mmfactory(wh, "build", "--no-land")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "dbt: skipped, nothing changed" in proc.stdout, proc.stdout[-3000:]


@pytest.fixture(scope="module")
def verdict_then_full(copied, tmp_path_factory) -> dict:
    """One first-review reject landed in the copy, the incremental build it causes (which
    records the sample's failure and rebuilds what reads the library), then a full build of
    the same inputs; the manifest before, the output and exports of each."""
    manifest = json.loads((copied.exports / "training_manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(copied.database), read_only=True) as con:
        sample = con.execute("select sample_id from manual_review_samples order by sample_id limit 1").fetchone()[0]
    verdicts = tmp_path_factory.mktemp("verdicts") / "round1.csv"
    verdicts.write_text(VERDICTS_HEADER + f"{sample},ann,first_review,reject,,,2026-01-01T00:00:00Z\n",
                        encoding="utf-8")
    landed = run_mmfactory(copied, "review", "import", str(verdicts))
    assert landed.returncode == 0, landed.stdout + landed.stderr

    incremental = run_mmfactory(copied, "build", "--no-land")
    assert incremental.returncode == 0, incremental.stdout[-3000:]
    after = json.loads((copied.exports / "training_manifest.json").read_text(encoding="utf-8"))
    digests = export_digests(copied)
    full = run_mmfactory(copied, "build", "--no-land", "--full")
    assert full.returncode == 0, full.stdout[-3000:]
    return {"sample_id": sample, "before": manifest, "import": landed, "incremental": incremental,
            "after": after, "digests": digests, "full": full, "rebuilt": export_digests(copied)}


def test_a_review_verdict_rebuilds_what_reads_it_and_exports_equal_a_full_build(copied, verdict_then_full):
    incremental = verdict_then_full["incremental"].stdout
    # the import, the copy's first writer, re-pointed its views; the build had no move left
    imported = verdict_then_full["import"].stdout
    assert "the warehouse moved from " in imported and "view(s) now read its own landing" in imported
    assert "the warehouse moved from " not in incremental
    dbt_line = next(line for line in incremental.splitlines() if line.startswith("dbt:"))
    # the import lands its (empty) rejects file beside the verdicts: both tables changed
    assert dbt_line.startswith("dbt: landed table(s) changed: ") and "review_verdicts" in dbt_line
    assert "rebuilding only what reads them" in dbt_line and "stage dbt" in incremental
    before, after = verdict_then_full["before"], verdict_then_full["after"]
    assert after["quality"]["first_reviews"] == before["quality"]["first_reviews"] + 1
    assert after["dbt_invocation_id"] != before["dbt_invocation_id"]
    # the reject is a new failure: recorded, and the manifest read it back in the same build
    assert "failure library: 1 new failure(s) recorded" in incremental and "stage failure_library" in incremental
    known = sum(after["quality"]["known_failures_by_error_type"].values())
    assert known == sum(before["quality"]["known_failures_by_error_type"].values()) + 1
    assert "failure library: 0 new failure(s) recorded" in verdict_then_full["full"].stdout
    final = (copied.exports / "final_llava_dataset.jsonl").read_text(encoding="utf-8")
    assert verdict_then_full["sample_id"] not in final  # rejected: out of the exports

    assert "rebuilding everything" in verdict_then_full["full"].stdout
    digests, rebuilt = verdict_then_full["digests"], verdict_then_full["rebuilt"]
    assert len(rebuilt) > 40
    assert {k: v for k, v in digests.items() if rebuilt.get(k) != v} == {}
    assert digests == rebuilt


def test_an_unchanged_build_skips_dbt_and_reuses_the_contract_results(copied, verdict_then_full):
    state = read_state(copied)
    assert state is not None
    proc = run_mmfactory(copied, "build", "--no-land")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "dbt: skipped, nothing changed" in proc.stdout
    assert "stage dbt" not in proc.stdout and "stage report_and_check" not in proc.stdout
    results = json.loads((copied.exports / "p3_test_results.json").read_text(encoding="utf-8"))
    assert f"data contracts of that build (reused): {results['summary']['line']}" in proc.stdout
    assert read_state(copied)["dbt_invocation_id"] == state["dbt_invocation_id"]
