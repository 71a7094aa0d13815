"""The distribution and cost reports: the report tables, p3_metrics.json, p3_report.md and
the plots, on the real build; the figures equal the exported files' counts."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from expectations.config import TASK_TYPES
from lakehouse.settings import PROJECT_ROOT, WAREHOUSE_ENV
from mmfactory.reports import PLOTS, REPORT_TABLES
from tests.expectations import corrupt

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def metrics(reported_warehouse) -> dict:
    return json.loads((reported_warehouse.exports / "p3_metrics.json").read_text(encoding="utf-8"))


def test_metrics_counts_equal_the_exported_files(metrics, reported_warehouse) -> None:
    assert metrics["counts"] == corrupt.recount(reported_warehouse)


def test_headline_figures_equal_the_exported_files(metrics, reported_warehouse) -> None:
    exports = reported_warehouse.exports
    headline = metrics["headline"]
    assert headline["assets_in_manifest"] == len(corrupt.read_jsonl(exports / "asset_manifest.jsonl"))
    for record_set, n in headline["records_by_set"].items():
        assert n == len(corrupt.read_jsonl(exports / f"llava_{record_set}.jsonl")), record_set
    assert headline["records"] == len(corrupt.read_jsonl(exports / "final_llava_dataset.jsonl"))


def test_every_report_table_is_reported_or_said_to_be_unavailable(metrics) -> None:
    assert set(metrics["tables"]) | set(metrics["unavailable"]) == set(REPORT_TABLES)
    assert not set(metrics["tables"]) & set(metrics["unavailable"])
    # the model-call cost waits for the generations staging model; every other table is built
    assert set(metrics["unavailable"]) <= {"report_model_call_costs"}


def test_task_distribution_lists_every_task_type(metrics) -> None:
    rows = metrics["tables"]["report_task_type_distribution"]
    assert {r["task_type"] for r in rows} >= set(TASK_TYPES)
    assert sum(r["record_count"] for r in rows) == metrics["counts"]["total"]
    assert abs(sum(r["share"] or 0 for r in rows) - 1) < 1e-9


def test_box_histogram_counts_every_grounding_record(metrics) -> None:
    rows = metrics["tables"]["report_box_size_distribution"]
    assert sum(r["record_count"] for r in rows) == metrics["counts"]["by_task_type"].get("region_grounding", 0)


def test_review_cost_is_minutes_times_rate_from_the_seed(metrics) -> None:
    with open(PROJECT_ROOT / "seeds" / "review_rates.csv", newline="", encoding="utf-8") as fh:
        rates = {r["task_type"]: r for r in csv.DictReader(fh)}
    assert set(rates) == set(TASK_TYPES)
    assert all(r["source"].strip() for r in rates.values())
    rows = {r["task_type"]: r for r in metrics["tables"]["report_review_costs"]}
    expected_total = 0.0
    for task, n in metrics["counts"]["by_task_type"].items():
        rate = rates[task]
        cost = n * float(rate["minutes_per_sample"]) * float(rate["rate_per_hour"]) / 60
        assert rows[task]["review_cost_all_shipped"] == pytest.approx(cost)
        expected_total += cost
    assert rows["(all)"]["review_cost_all_shipped"] == pytest.approx(expected_total)
    assert rows["(all)"]["shipped_record_count"] == metrics["counts"]["total"]


def test_plots_and_markdown_report_are_written(metrics, reported_warehouse) -> None:
    exports = reported_warehouse.exports
    for rel in PLOTS.values():
        data = (exports / rel).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5000, rel
    md = (exports / "p3_report.md").read_text(encoding="utf-8")
    for heading in ("## Headline", "## Task types", "## Asset types", "## Splits", "## Languages",
                    "## Turns per conversation", "## Answer length", "## Grounding box sizes",
                    "## Quality signals per task type", "## Cost: manual review", "## Cost: model calls"):
        assert heading in md, heading
    for rel in PLOTS.values():
        assert f"]({rel})" in md
    assert f"| training records | {metrics['counts']['total']:,} |" in md
    if "report_model_call_costs" in metrics["unavailable"]:
        assert "Not available: relation report_model_call_costs does not exist" in md


def test_report_tables_are_plain_duckdb_tables(reported_warehouse) -> None:
    """Users query them from any DuckDB session (no plugin)."""
    with duckdb.connect(str(reported_warehouse.database), read_only=True) as con:
        n = con.execute("select sum(record_count) from report_split_distribution where not is_subset").fetchone()[0]
    assert n == corrupt.recount(reported_warehouse)["total"]


def _scratch_project(dest: Path) -> Path:
    """The dbt project's files copied to ``dest``, with the model-call cost model enabled
    and, while the real one does not exist, a stand-in generations staging model."""
    for name in ("models", "macros", "seeds"):
        shutil.copytree(PROJECT_ROOT / name, dest / name)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(PROJECT_ROOT / name, dest / name)
    yml = dest / "models" / "marts" / "reports" / "_reports__models.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("      enabled: false\n", "      enabled: true\n"),
                   encoding="utf-8")
    if not list((dest / "models").rglob("stg_generation__generations.sql")):
        stand_in = dest / "models" / "staging" / "generation_stand_in" / "stg_generation__generations.sql"
        stand_in.parent.mkdir(parents=True)
        stand_in.write_text("select * from read_parquet('{{ warehouse_root() }}"
                            "/landing/generations/*.parquet', union_by_name = true)\n", encoding="utf-8")
    return dest


def _call(i: int, sample_id: str | None, model: str, prompt: int, completion: int, at: datetime,
          status: str = "ok") -> dict:
    return dict(request_hash=f"h{i}", group_hash=None, run_id="r1", batch_no=1, stage="recaption",
                item_id=f"item{i}", sample_id=sample_id, sample_index=0, asset_ids=["a"], images=None,
                base_url="http://127.0.0.1:1/v1", model=model, temperature=0.0, top_p=1.0, max_tokens=64,
                seed=None, template_id="t", template_hash="th", inputs_hash="ih", system_prompt=None, prompt="p",
                response_text="r", finish_reason="stop", response_id=None, response_model=model,
                prompt_tokens=prompt, completion_tokens=completion, cost_usd=None, latency_ms=1.0, total_ms=1.0,
                attempts=1, status=status, http_status=200, error=None, requested_at=at, completed_at=at)


def test_model_call_cost_prices_tokens_with_the_seed_as_of_the_call_day(clean_copy, tmp_path) -> None:
    from generation.redact import Scrubber
    from generation.store import GENERATIONS, BatchWriter, ensure_generation_tables

    wh = corrupt.copy_warehouse(clean_copy, tmp_path / "warehouse")
    with duckdb.connect(str(wh.database), read_only=True) as con:
        (grounding,) = con.execute("select id from training_records where task_type = 'region_grounding' "
                                   "order by id limit 1").fetchone()
    ensure_generation_tables(wh)
    BatchWriter(wh, GENERATIONS, "r1", Scrubber()).write([
        _call(1, grounding, "gpt-4o-mini", 1_000_000, 1_000_000, datetime(2025, 3, 1, tzinfo=UTC)),  # 0.15+0.60
        _call(2, grounding, "GPT-4o", 1_000_000, 100_000, datetime(2024, 6, 1, tzinfo=UTC)),  # 5.0+1.5 (old price)
        _call(3, grounding, "gpt-4o", 1_000_000, 100_000, datetime(2025, 3, 1, tzinfo=UTC)),  # 2.5+1.0
        _call(4, None, "mystery-model", 10, 10, datetime(2025, 3, 1, tzinfo=UTC)),  # no price
    ])
    project = _scratch_project(tmp_path / "project")
    env = {**os.environ, WAREHOUSE_ENV: str(wh.root), "DBT_PROFILES_DIR": str(project),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run([dbt, "run", "--select", "stg_generation__generations", "report_model_call_costs"],
                          cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    with duckdb.connect(str(wh.database), read_only=True) as con:
        rows = con.execute("select level, task_type, model, call_count, unpriced_call_count, priced_cost_usd, "
                           "shipped_record_count, priced_cost_usd_per_1000_samples "
                           "from report_model_call_costs").fetchall()
        shipped = con.execute("select count(*) from training_records where task_type = 'region_grounding'"
                              ).fetchone()[0]
    by = {(r[0], r[1], r[2]): r for r in rows}
    assert by[("detail", "region_grounding", "gpt-4o-mini")][5] == pytest.approx(0.75)
    assert by[("detail", "region_grounding", "GPT-4o")][5] == pytest.approx(6.5)
    assert by[("detail", "region_grounding", "gpt-4o")][5] == pytest.approx(3.5)
    task = by[("task_type", "region_grounding", "(all)")]
    assert task[3] == 3 and task[5] == pytest.approx(10.75) and task[6] == shipped
    assert task[7] == pytest.approx(1000 * 10.75 / shipped)
    unpriced = by[("detail", "(no sample)", "mystery-model")]
    assert unpriced[4] == 1 and unpriced[5] is None
    total = by[("total", "(all)", "(all)")]
    assert total[3] == 4 and total[4] == 1 and total[5] == pytest.approx(10.75)

