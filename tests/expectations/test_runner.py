"""expectations.runner: a helper process is started only where it pays (large exports,
more than one core, an executor other than ``inprocess``)."""

from __future__ import annotations

import pytest

from expectations.record_facts import POOL_MIN_BYTES
from expectations.runner import helper_count
from lakehouse.settings import Warehouse
from lakehouse.stage_config import EXECUTOR_ENV, WORKERS_ENV


def test_a_helper_only_for_large_exports_on_several_cores(clean_copy: Warehouse,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(EXECUTOR_ENV, raising=False)
    monkeypatch.setenv(WORKERS_ENV, "2")
    assert helper_count(clean_copy, 12) == 0  # COCO128's record files: a few MB
    monkeypatch.setattr("expectations.runner.POOL_MIN_BYTES", 1)
    assert POOL_MIN_BYTES > 1
    assert helper_count(clean_copy, 12) == 1
    assert helper_count(clean_copy, 1) == 0
    monkeypatch.setenv(WORKERS_ENV, "4")
    assert helper_count(clean_copy, 12) == 3
    assert helper_count(clean_copy, 2) == 1
    monkeypatch.setenv(EXECUTOR_ENV, "inprocess")
    assert helper_count(clean_copy, 12) == 0
