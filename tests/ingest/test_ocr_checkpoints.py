"""A killed OCR run keeps its finished chunks and the next run reads only the rest.

Real engine, real files: two FUNSD testing forms and the two ChartQA charts are landed in
a scratch warehouse, ``mmfactory ocr`` runs as a subprocess with a process pool of two
workers and chunks of one read, and is killed (with its workers) once the first chunks
are on disk.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from ingest.chartqa import land_chartqa
from ingest.funsd import land_funsd
from ingest.ocr import RapidOcrEngine, checkpoint_dir, engine_identity, run_ocr
from lakehouse.catalog import ensure_landing
from lakehouse.settings import WAREHOUSE_ENV, Warehouse
from tests.conftest import SHARED_DATASETS


class _Counting:
    """The real engine, counting what it is asked to read."""

    def __init__(self) -> None:
        self._real = RapidOcrEngine()
        self.name, self.version = self._real.name, self._real.version
        self.reads = 0

    def read(self, image):  # noqa: ANN001
        self.reads += 1
        return self._real.read(image)


class _Identity:
    def __init__(self) -> None:
        self.name, self.version = engine_identity()


def _lake(tmp_path: Path) -> Warehouse:
    funsd = tmp_path / "funsd" / "testing_data"
    for sub, ext in (("images", "png"), ("annotations", "json")):
        (funsd / sub).mkdir(parents=True)
        for form in ("82092117", "82251504"):
            shutil.copy(SHARED_DATASETS / "funsd" / "testing_data" / sub / f"{form}.{ext}", funsd / sub)
    chartqa = tmp_path / "chartqa"
    shutil.copytree(SHARED_DATASETS / "chartqa", chartqa)
    wh = Warehouse(tmp_path / "warehouse")
    ensure_landing(wh)
    land_funsd(wh, funsd.parent)
    land_chartqa(wh, chartqa)
    return wh


def test_a_killed_ocr_run_resumes_from_its_checkpoint_chunks(tmp_path: Path, shared_datasets) -> None:
    wh = _lake(tmp_path)
    total = 4  # 2 forms + 2 charts
    chunks = checkpoint_dir(wh, _Identity())
    cli = Path(sys.executable).with_name("mmfactory")
    proc = subprocess.Popen(
        [str(cli), "ocr", "--workers", "2", "--chunk-size", "1"],
        env={**os.environ, WAREHOUSE_ENV: str(wh.root)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if list(chunks.glob("chunk-*.parquet")):
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the OCR run finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its pool workers
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    kept = len(list(chunks.glob("chunk-*.parquet")))
    assert 1 <= kept < total
    assert not list((wh.landing / "ocr_usability").glob("[a-z]*.parquet"))  # nothing landed yet

    engine = _Counting()
    report = run_ocr(wh, engine=engine)
    assert engine.reads == total - kept  # the killed run's chunks are not read again
    assert report.rejects == [] and report.rows_landed["ocr_usability"] == total
    usability = pq.read_table(wh.landing / "ocr_usability").to_pylist()
    assert len({r["asset_id"] for r in usability}) == total
    assert all(r["ocr_line_count"] > 0 and r["char_recall"] is not None for r in usability)
    assert not list(chunks.glob("chunk-*.parquet"))  # landed: the checkpoints are gone
