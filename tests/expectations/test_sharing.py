"""expectations.sharing: the checks shared with a helper process give exactly what one
process gives; the order they are taken in; and a helper process that dies mid-run: what
it took and did not send back is run in this process, and every check has its result."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from expectations.config import DEFAULT_CONFIG
from expectations.inputs import CheckInputs
from expectations.parts import Check, Part, Violations
from expectations.sharing import SharedRun, longest_first
from expectations.suites import CHECKS
from expectations.validation import Validator
from lakehouse.settings import Warehouse

MARKER_ENV = "MMFACTORY_TEST_HELPER_MARKER"


def _check(number: int, name: str) -> Check:
    return Check(number, name, name, lambda inputs, config: [])


def test_units_in_order_longest_first_with_unknown_first() -> None:
    a, b, c, d, e = (_check(n, name) for n, name in enumerate("abcde", 1))
    durations = {"a": 1.0, "b": 5.0, "c": 3.0, "d": 0.5}
    units = longest_first([a, b, c, d, e], durations)
    assert [[x.name for x in unit] for unit in units] == [["e"], ["b"], ["c"], ["a"], ["d"]]
    assert longest_first([a, b], {}) == [[a], [b]]


def _without_times(results) -> list[dict]:
    return [{k: v for k, v in r.to_dict().items() if k != "duration_s"} for r in results]


def test_checks_shared_with_a_helper_give_the_one_process_results(baseline, clean_copy: Warehouse) -> None:
    with SharedRun(clean_copy, 1) as shared:
        shared.wait_until_ready()  # else this process may run every check before the helper starts
        inputs = CheckInputs(clean_copy)
        try:
            results = shared.run(longest_first(CHECKS, {}), inputs, DEFAULT_CONFIG, Validator())
        finally:
            inputs.close()
        assert 0 < shared.helper_units < len(CHECKS)
    by_name = {r.name: r for r in results}
    assert _without_times(by_name[c.name] for c in CHECKS) == _without_times(baseline.checks)
    assert all(r.success for r in results)


def helper_dies(inputs: CheckInputs, config) -> list[Part]:
    """In a helper process: leave the marker and die at once, sending nothing back. Here:
    wait for the marker (so that the helper has taken the other unit), then pass."""
    marker = Path(os.environ[MARKER_ENV])
    if multiprocessing.parent_process() is not None:
        marker.touch()
        os._exit(3)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert time.monotonic() < deadline, "the helper never took a unit"
        time.sleep(0.05)
    import pandas as pd

    return [Violations("none", pd.DataFrame({"id": []}), "id", "nothing breaks")]


def test_the_units_of_a_helper_that_died_are_run_here(clean_copy: Warehouse, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MARKER_ENV, str(tmp_path / "helper-took-a-unit"))
    units = [[Check(1, "first", "first", helper_dies)], [Check(2, "second", "second", helper_dies)]]
    with SharedRun(clean_copy, 1) as shared:
        inputs = CheckInputs(clean_copy)
        try:
            results = shared.run(units, inputs, DEFAULT_CONFIG, Validator())
        finally:
            inputs.close()
        [helper] = shared._helpers
    assert helper.exitcode == 3
    assert [(r.name, r.success) for r in results] == [("first", True), ("second", True)]
