"""``--executor`` / ``$MMFACTORY_EXECUTOR``: an unknown executor ends a command with one line
(exit 2) before anything is landed; the session's choice reaches the stages and is undone
after it."""

from __future__ import annotations

import pytest

from lakehouse.settings import Warehouse
from lakehouse.stages import EXECUTOR_ENV, StageConfigError, default_executor, executor_session
from tests.warehouses import run_mmfactory


def test_an_unknown_executor_is_one_line_and_exit_2(tmp_path) -> None:
    wh = Warehouse(tmp_path / "warehouse")
    proc = run_mmfactory(wh, "ocr", "--executor", "spark", timeout=300)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unknown executor 'spark'" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (wh.landing / "ocr_lines").exists() or not any(
        p.name != "_schema.parquet" for p in (wh.landing / "ocr_lines").glob("*.parquet"))


def test_a_session_sets_the_executor_for_its_block_only(monkeypatch) -> None:
    monkeypatch.delenv(EXECUTOR_ENV, raising=False)
    assert default_executor() == "pool"
    with executor_session("inprocess") as chosen:
        assert chosen == default_executor() == "inprocess"
        with executor_session("pool"):
            assert default_executor() == "pool"
        assert default_executor() == "inprocess"
    assert default_executor() == "pool"
    monkeypatch.setenv(EXECUTOR_ENV, "InProcess")
    assert default_executor() == "inprocess"
    monkeypatch.setenv(EXECUTOR_ENV, "spark")
    with pytest.raises(StageConfigError, match=f"\\${EXECUTOR_ENV}: unknown executor 'spark'"):
        default_executor()
