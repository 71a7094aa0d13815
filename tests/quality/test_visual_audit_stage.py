"""The visual audit stage (quality/visual_audit_stage.py) on real plans and real images.

A plan is a few rows of the session build's ``qa_visual_audit`` copied into a DuckDB file
of a scratch warehouse (``plan_lake``), so the stage can be run, changed and re-run there
without a dbt build: it draws each chosen sample once, reuses an unchanged PNG (the same
file, not drawn again), draws a changed one again and removes the PNG of a sample no
longer chosen; a sample whose image cannot be read is recorded in the index, not fatal.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from lakehouse.settings import Warehouse
from quality.visual_audit_stage import FOLDER, INDEX_FILE, run_visual_audit
from tests.quality.test_visual_audit import red_box_edges
from tests.warehouses import run_mmfactory


def plan_lake(built: Warehouse, root: Path, limit: int) -> Warehouse:
    """A scratch warehouse at ``root`` whose DuckDB file holds only the first ``limit``
    drawable rows of ``built``'s ``qa_visual_audit`` (and their image heights)."""
    wh = Warehouse(root)
    root.mkdir(parents=True)
    with duckdb.connect(str(wh.database)) as con:
        con.execute(f"attach '{built.database}' as built (read_only)")
        con.execute("create table qa_visual_audit as select * from built.qa_visual_audit "
                    f"where render_error is null order by sample_id limit {int(limit)}")
        con.execute("create table heights as select asset_id, height_px from "
                    "built.stg_landing__assets where asset_id in "
                    "(select asset_id from qa_visual_audit)")
    return wh


def index_rows(wh: Warehouse) -> list[dict]:
    return pq.read_table(wh.derived / FOLDER / INDEX_FILE).to_pylist()


def pngs(wh: Warehouse) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((wh.derived / FOLDER).glob("*.png"))}


@pytest.fixture
def lake(built_warehouse: Warehouse, tmp_path: Path) -> Warehouse:
    return plan_lake(built_warehouse, tmp_path / "warehouse", 4)


def test_draws_each_sample_once_and_reuses_redraws_or_removes_on_rerun(lake: Warehouse) -> None:
    first = run_visual_audit(lake, executor="inprocess")
    assert (first.chosen, first.drawn, first.reused, first.removed) == (4, 4, 0, 0)
    rows = index_rows(lake)
    assert [r["render_error"] for r in rows] == [None] * 4
    assert all((lake.root / r["png_path"]).is_file() for r in rows)
    # the red box read back from the PNG is the answer's box, within 1 px
    with duckdb.connect(str(lake.database), read_only=True) as con:
        sample_id, box, height = con.execute(
            "select sample_id, recovered_box_px, height_px from qa_visual_audit "
            "join heights using (asset_id) order by sample_id limit 1").fetchone()
    edges = red_box_edges(lake.derived / FOLDER / f"{sample_id}.png", height)
    for drawn, true in zip(edges, (box["x1"], box["y1"], box["x2"], box["y2"])):
        assert abs(drawn - true) <= 1.0
    inodes = {p.name: p.stat().st_ino for p in (lake.derived / FOLDER).glob("*.png")}

    again = run_visual_audit(lake, executor="inprocess")
    assert (again.drawn, again.reused, again.removed) == (0, 4, 0)
    assert {p.name: p.stat().st_ino for p in (lake.derived / FOLDER).glob("*.png")} == inodes
    assert index_rows(lake) == rows

    changed, dropped = rows[0]["sample_id"], rows[1]["sample_id"]
    with duckdb.connect(str(lake.database)) as con:
        con.execute("update qa_visual_audit set label = 'relabelled', drawing_key = 'changed' "
                    "where sample_id = ?", [changed])
        con.execute("delete from qa_visual_audit where sample_id = ?", [dropped])
    third = run_visual_audit(lake, executor="inprocess")
    assert (third.chosen, third.drawn, third.reused, third.removed) == (3, 1, 2, 1)
    assert not (lake.derived / FOLDER / f"{dropped}.png").exists()
    redrawn = {r["sample_id"]: r for r in index_rows(lake)}[changed]
    assert redrawn["drawing_key"] == "changed" and redrawn["png_sha256"] != rows[0]["png_sha256"]
    assert not list(lake.derived.glob(".visual_audit-*")), "staging folders left behind"


def test_an_unreadable_image_is_recorded_in_the_index_and_the_rest_is_drawn(
        lake: Warehouse, tmp_path: Path) -> None:
    broken = tmp_path / "not-an-image.jpg"
    broken.write_bytes(b"not a jpeg")
    with duckdb.connect(str(lake.database)) as con:
        first, second = [r[0] for r in con.execute(
            "select sample_id from qa_visual_audit order by sample_id limit 2").fetchall()]
        con.execute("update qa_visual_audit set image_path = ? where sample_id = ?",
                    [str(broken), first])
        con.execute("update qa_visual_audit set png_path = null, render_error = 'no box' "
                    "where sample_id = ?", [second])
    report = run_visual_audit(lake, executor="inprocess")
    assert (report.drawn, report.not_drawn) == (2, 2)
    rows = {r["sample_id"]: r for r in index_rows(lake)}
    assert rows[first]["png_path"] is None and str(broken) in rows[first]["render_error"]
    assert rows[second]["render_error"] == "no box" and rows[second]["png_sha256"] is None
    assert sorted(pngs(lake)) == sorted(f"{s}.png" for s in rows if s not in (first, second))


def test_the_command_without_a_lakehouse_says_so_in_one_line(tmp_path: Path) -> None:
    proc = run_mmfactory(Warehouse(tmp_path / "empty"), "visual-audit", "--executor", "inprocess")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no lakehouse" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
