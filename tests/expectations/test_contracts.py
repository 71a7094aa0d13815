"""The contracts on the real build of the real data (what .ci/run runs): every
check passes, with no allowance: a failing contract on the default data is a defect."""

from __future__ import annotations

import json

import duckdb
import pytest

from expectations.config import TEST_REPORT_FILE, TEST_RESULTS_FILE
from expectations.suites import CHECK_COUNT, CHECK_NAMES


@pytest.fixture(scope="module")
def contracts_copy(reported_warehouse, tmp_path_factory):
    """A copy of the real build to write this run's results into: the build is shared by
    every worker and never written to (its recorded outputs are what the next build of a
    copy compares with)."""
    from tests.expectations.corrupt import copy_warehouse

    return copy_warehouse(reported_warehouse, tmp_path_factory.mktemp("contracts") / "warehouse")


@pytest.fixture(scope="module")
def real_result(contracts_copy):
    from mmfactory import checks

    result = checks.run(contracts_copy)
    checks.write_results(contracts_copy, result)
    return result


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_contract_holds_on_the_real_build(name, real_result) -> None:
    check = real_result.by_name()[name]
    problems = sorted({item for _, item in check.problems()})
    assert check.success, f"{name} FAILS: {check.observed}\nproblems: {problems[:10]}"


def test_results_files_describe_the_run(real_result, contracts_copy) -> None:
    data = json.loads((contracts_copy.exports / TEST_RESULTS_FILE).read_text(encoding="utf-8"))
    assert [c["name"] for c in data["checks"]] == list(CHECK_NAMES)
    assert data["summary"]["passed"] == real_result.passed
    assert data["summary"]["total"] == CHECK_COUNT == 12
    assert data["summary"]["line"] == f"Project checks: {real_result.passed} / {CHECK_COUNT} " + (
        "PASS" if real_result.success else "FAIL")
    for c in data["checks"]:
        assert c["status"] in ("PASS", "FAIL") and c["observed"] and c["expectations"]
        if c["status"] == "FAIL":
            assert c["first_offending"]
    manifest = json.loads((contracts_copy.exports / "training_manifest.json").read_text(encoding="utf-8"))
    assert data["dbt_invocation_id"] == manifest["dbt_invocation_id"]
    md = (contracts_copy.exports / TEST_REPORT_FILE).read_text(encoding="utf-8")
    assert md.startswith(f"# P3 test report: {data['summary']['line']}")
    for name in CHECK_NAMES:
        assert f"| {name} |" in md


def test_a_missing_relation_fails_its_check_with_a_clear_observed_value(clean_copy, tmp_path) -> None:
    """A relation that is not built fails the checks that read it, saying what is missing;
    nothing crashes."""
    from expectations.runner import run_checks
    from tests.expectations.corrupt import copy_warehouse

    wh = copy_warehouse(clean_copy, tmp_path / "warehouse")
    with duckdb.connect(str(wh.database)) as con:
        con.execute("drop table samples")
    result = run_checks(wh).by_name()
    for name in ("record_schema", "alignment_has_bbox", "multi_image_has_multiple_images", "split_no_overlap"):
        assert not result[name].success
        assert "relation samples does not exist" in result[name].observed, result[name].observed
