"""The distribution and cost report: p3_metrics.json, p3_report.md and PNG plots.

In: the ``report_*`` tables dbt builds in the lakehouse (models/marts/reports/), which
read training_records, samples and asset_records, the same tables the project checks
validate against the exported files. Out, under ``<warehouse>/exports/``:
``p3_metrics.json`` (the counts check 11 compares with the files, and every report
table's rows), ``p3_report.md`` and ``plots/task_distribution.png``,
``plots/box_size_histogram.png``, ``plots/pass_rate_by_task_type.png``. Every file is
written to a temporary name and renamed. A report table that is not built (the model-call
cost before the generations staging model exists, say) is reported as unavailable, not
made up.

Typer-free: ``write_report(wh)`` is what ``mmfactory report`` and ``mmfactory build`` call.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from expectations.config import (
    DEFAULT_CONFIG,
    MANIFEST_FILE,
    METRICS_FILE,
    PLOTS_DIR,
    REPORT_FILE,
    TEST_REPORT_FILE,
    TEST_RESULTS_FILE,
)
from lakehouse.atomic import replacing, write_text
from lakehouse.settings import Warehouse

REPORT_TABLES: tuple[str, ...] = (
    "report_task_type_distribution",
    "report_asset_type_distribution",
    "report_record_set_distribution",
    "report_split_distribution",
    "report_language_distribution",
    "report_turn_distribution",
    "report_answer_length_distribution",
    "report_box_size_distribution",
    "report_quality_by_task_type",
    "report_review_costs",
    "report_model_call_costs",
    "report_chart_quality",
    "report_language_audits",
    "report_counting_answer_distribution",
    "report_photo_supervision",
    "report_near_duplicate_clusters",
    "report_document_field_keys",
)
PLOTS: dict[str, str] = {
    "task_distribution": f"{PLOTS_DIR}/task_distribution.png",
    "box_size_histogram": f"{PLOTS_DIR}/box_size_histogram.png",
    "pass_rate_by_task_type": f"{PLOTS_DIR}/pass_rate_by_task_type.png",
}
# the largest share one task type may take (check 3); drawn on the task plot
MAX_TASK_SHARE = DEFAULT_CONFIG.max_task_type_share


# ---- atomic writes ----------------------------------------------------------------------
def atomic_write_json(path: Path, data: Any) -> Path:
    """``data`` as indented JSON, written whole (``lakehouse.atomic``)."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


# ---- reading the report tables ----------------------------------------------------------
def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return value


@dataclass
class ReportData:
    """The rows of every report table (or why a table is unavailable), and the manifest."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.get(table, [])


def read_report_tables(wh: Warehouse) -> ReportData:
    data = ReportData()
    if not wh.database.is_file():
        data.unavailable = {t: f"no lakehouse at {wh.database}" for t in REPORT_TABLES}
        return data
    with duckdb.connect(str(wh.database), read_only=True) as con:
        existing = {r[0] for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'main'").fetchall()}
        for table in REPORT_TABLES:
            if table not in existing:
                data.unavailable[table] = f"relation {table} does not exist (not built)"
                continue
            cur = con.execute(f'select * from "{table}"')
            names = [d[0] for d in cur.description]
            data.tables[table] = [{n: _json_safe(v) for n, v in zip(names, row, strict=True)}
                                  for row in cur.fetchall()]
    manifest_path = wh.exports / MANIFEST_FILE
    if manifest_path.is_file():
        try:
            data.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            data.manifest = None
    return data


def counts_from(data: ReportData) -> dict[str, Any]:
    """The dataset's counts as the report states them (check 11 compares them with the
    exported files): total, smoke, per split, task type, asset type and language."""
    def by(table: str, key: str) -> dict[str, int]:
        return {r[key]: int(r["record_count"]) for r in data.rows(table) if r.get("record_count")}

    splits = {r["split"]: int(r["record_count"]) for r in data.rows("report_split_distribution")}
    by_task = by("report_task_type_distribution", "task_type")
    return {
        "total": sum(by_task.values()),
        "smoke": splits.get("smoke_test", 0),
        "by_split": {k: v for k, v in splits.items() if k != "smoke_test" and v},
        "by_task_type": by_task,
        "by_asset_type": by("report_asset_type_distribution", "asset_type"),
        "by_language": by("report_language_distribution", "language"),
    }


def headline_from(data: ReportData, counts: dict[str, Any]) -> dict[str, Any]:
    """The design documents' headline figures (P03 section 17), from the report tables."""
    assets = {r["asset_type"]: int(r["manifest_asset_count"]) for r in data.rows("report_asset_type_distribution")
              if r["asset_type"] != "interleaved_pair"}
    quality = data.rows("report_quality_by_task_type")
    passed = sum(r.get("audit_passed_count") or 0 for r in quality)
    candidates = sum(r.get("sample_count") or 0 for r in quality)
    audit_available = candidates > 0
    review_total = next((r for r in data.rows("report_review_costs") if r["task_type"] == "(all)"), None)
    calls_total = next((r for r in data.rows("report_model_call_costs") if r.get("level") == "total"), None)
    return {
        "assets_in_manifest": sum(assets.values()),
        "assets_by_type": assets,
        "records": counts["total"],
        "records_by_set": {r["record_set"]: int(r["record_count"])
                           for r in data.rows("report_record_set_distribution")},
        "audit_pass_rate": passed / candidates if audit_available else None,
        "is_audit_available": audit_available,
        "candidate_samples": candidates,
        "flagged_samples": sum(r.get("flagged_sample_count") or 0 for r in quality),
        "review_cost_all_shipped": review_total and review_total.get("review_cost_all_shipped"),
        "review_cost_currency": review_total and review_total.get("currency"),
        "model_calls": calls_total.get("call_count") if calls_total else None,
        "model_call_cost_usd": (calls_total.get("priced_cost_usd") or (0.0 if not calls_total.get("call_count")
                                                                      else None)) if calls_total else None,
        "is_model_call_cost_available": "report_model_call_costs" in data.tables,
    }


def build_metrics(wh: Warehouse, data: ReportData, generated_at: datetime) -> dict[str, Any]:
    counts = counts_from(data)
    manifest = data.manifest or {}
    return {
        "generated_at": generated_at.isoformat(timespec="seconds"),
        "warehouse": wh.root.name,  # no path of the build machine in an export
        "factory_version": manifest.get("factory_version"),
        "dbt_invocation_id": manifest.get("dbt_invocation_id"),
        "source": "report_* tables in lakehouse.duckdb (models/marts/reports/)",
        "counts": counts,
        "headline": headline_from(data, counts),
        "tables": data.tables,
        "unavailable": data.unavailable,
        "plots": dict(PLOTS),
    }


# ---- plots ------------------------------------------------------------------------------
def _save(fig: Any, path: Path) -> None:
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (files only, no display), imported once."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_plots(exports: Path, data: ReportData) -> list[Path]:
    plt = pyplot()
    written = []
    # task distribution: records per task type, with the largest share allowed
    rows = sorted(data.rows("report_task_type_distribution"), key=lambda r: (r["record_count"], r["task_type"]))
    total = sum(r["record_count"] for r in rows)
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.barh([r["task_type"] for r in rows], [r["record_count"] for r in rows], color="#4C72B0")
    for i, r in enumerate(rows):
        ax.text(r["record_count"], i, f" {r['record_count']} ({(r['share'] or 0):.0%})", va="center", fontsize=8)
    if total:
        ax.axvline(MAX_TASK_SHARE * total, color="#C44E52", linestyle="--", linewidth=1)
        ax.text(MAX_TASK_SHARE * total, len(rows) - 0.5, f" {MAX_TASK_SHARE:.0%} cap", color="#C44E52", fontsize=8)
    ax.set_xlabel("records")
    ax.set_title(f"Records per task type ({total} records)")
    ax.margins(x=0.2)
    path = exports / PLOTS["task_distribution"]
    _save(fig, path)
    plt.close(fig)
    written.append(path)

    # box sizes: grounding boxes per area-share bucket
    rows = data.rows("report_box_size_distribution")
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.bar([r["label"] for r in rows], [r["record_count"] for r in rows], color="#55A868")
    ax.set_xlabel("box area as a share of the image (0..1000 grid)")
    ax.set_ylabel("grounding records")
    ax.set_title(f"Grounding box sizes ({sum(r['record_count'] for r in rows)} boxes)")
    ax.tick_params(axis="x", labelsize=8)
    path = exports / PLOTS["box_size_histogram"]
    _save(fig, path)
    plt.close(fig)
    written.append(path)

    # audit pass rate per task type (or why there is none yet)
    rows = [r for r in data.rows("report_quality_by_task_type") if r["sample_count"]]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    if rows:
        ax.bar([r["task_type"] for r in rows], [r["audit_pass_rate"] or 0 for r in rows], color="#8172B2")
        for i, r in enumerate(rows):
            ax.text(i, r["audit_pass_rate"] or 0, f"{(r['audit_pass_rate'] or 0):.1%}\n"
                    f"{r['audit_passed_count']}/{r['sample_count']}", ha="center", va="bottom", fontsize=7)
        ax.set_ylim(0, 1.15)
        ax.set_ylabel("audit pass rate")
        ax.tick_params(axis="x", labelrotation=25, labelsize=8)
    else:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No audit results:\nreport_quality_by_task_type has no candidate sample,\n"
                "so no pass rate is shown.", ha="center", va="center", fontsize=11)
    ax.set_title("Audit pass rate per task type")
    path = exports / PLOTS["pass_rate_by_task_type"]
    _save(fig, path)
    plt.close(fig)
    written.append(path)
    return written


# ---- the markdown report ----------------------------------------------------------------
def _fmt(value: Any, column: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and (column.endswith("share") or column.endswith("_rate")):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def _table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    if not rows:
        return "_no rows_\n"
    columns = columns or list(rows[0])
    out = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(_fmt(r.get(c), c) for c in columns) + " |" for r in rows]
    return "\n".join(out) + "\n"


def _section(md: list[str], title: str, data: ReportData, table: str, columns: list[str] | None = None,
             note: str = "") -> None:
    md.append(f"## {title}\n")
    if note:
        md.append(note + "\n")
    if table in data.unavailable:
        md.append(f"Not available: {data.unavailable[table]}.\n")
    else:
        md.append(_table(data.rows(table), columns))
    md.append(f"_Source: `{table}`._\n")


def _check_line(wh: Warehouse, metrics: dict[str, Any]) -> str:
    path = wh.exports / TEST_RESULTS_FILE
    if not path.is_file():
        return "Project checks: not run on this build yet (`mmfactory check`)."
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return "Project checks: results file unreadable."
    if results.get("dbt_invocation_id") != metrics.get("dbt_invocation_id") or results.get("selected_checks"):
        return "Project checks: not run on this build yet (`mmfactory check`)."
    summary = results.get("summary", {})
    return f"{summary.get('line', 'Project checks: unknown')} (details: {TEST_REPORT_FILE})."


def _document_keys_section(data: ReportData) -> list[str]:
    """Issue 14's document-QA key figures: distinct field keys asked and the largest share
    one key takes, from ``report_document_field_keys``."""
    md = ["## Document field keys\n"]
    if "report_document_field_keys" in data.unavailable:
        return [*md, f"Not available: {data.unavailable['report_document_field_keys']}.\n"]
    rows = data.rows("report_document_field_keys")
    total = sum(int(r["question_count"]) for r in rows)
    if not total:
        return [*md, "No document_qa samples.\n"]
    top = ", ".join(f"{r['field_key']} {r['question_count']}" for r in rows[:5])
    md.append(f"{len(rows)} distinct field keys asked by {total:,} document_qa questions; the "
              f"most asked key takes {float(rows[0]['share']):.1%} (targets: >= 30 keys, none "
              f"above 15%). Most asked: {top}.\n")
    md.append("_Source: `report_document_field_keys` (lower-cased `field_name` of document_qa "
              "samples)._\n")
    return md


def _near_duplicate_detail(data: ReportData) -> str:
    """One line on the near-duplicate clusters: assets in them and splits they straddle."""
    if "report_near_duplicate_clusters" in data.unavailable:
        return "report_near_duplicate_clusters not built"
    rows = data.rows("report_near_duplicate_clusters")
    assets = sum(int(r["asset_count"]) for r in rows)
    straddling = sum(1 for r in rows if int(r["split_count"]) > 1)
    return (f"{assets} asset(s) in clusters, {straddling} straddling train and val "
            "(pHash, band join)")


def render_markdown(wh: Warehouse, metrics: dict[str, Any], data: ReportData) -> str:
    h, c = metrics["headline"], metrics["counts"]
    md = ["# P3 report: the delivered dataset\n",
          f"Factory version {_fmt(metrics.get('factory_version'))}, dbt invocation "
          f"`{metrics.get('dbt_invocation_id')}`, generated {metrics['generated_at']}. Every figure below is "
          "read from the `report_*` tables in `lakehouse.duckdb`, built by dbt from the same tables the "
          "project checks validate against the exported files; re-run the SQL with e.g. "
          "`select * from report_task_type_distribution`.\n",
          "## Headline\n"]
    pass_rate = h["audit_pass_rate"]
    review = h["review_cost_all_shipped"]
    md.append(_table([
        {"item": "assets in the manifest", "value": h["assets_in_manifest"],
         "detail": ", ".join(f"{k} {v}" for k, v in h["assets_by_type"].items())},
        {"item": "training records", "value": c["total"],
         "detail": ", ".join(f"{k} {v}" for k, v in h["records_by_set"].items())},
        {"item": "splits", "value": None,
         "detail": ", ".join(f"{k} {v}" for k, v in c["by_split"].items()) + f", smoke {c['smoke']}"},
        {"item": "near-duplicate clusters",
         "value": len(data.rows("report_near_duplicate_clusters")),
         "detail": _near_duplicate_detail(data)},
        {"item": "audit pass rate", "value": f"{pass_rate:.1%}" if pass_rate is not None else None,
         "detail": (f"{h['candidate_samples']:,} candidate samples, {h['flagged_samples']:,} flagged"
                    if h["is_audit_available"] else "no audit results")},
        {"item": "manual review cost (every shipped record)",
         "value": f"{review:,.2f} {h['review_cost_currency']}" if review is not None else None,
         "detail": "minutes x rate from seeds/review_rates.csv"},
        {"item": "model-call cost (USD, priced from tokens)", "value": h["model_call_cost_usd"],
         "detail": (f"{h['model_calls'] or 0:,} calls landed" if h["is_model_call_cost_available"]
                    else "report_model_call_costs not built")},
        {"item": "project checks", "value": _check_line(wh, metrics), "detail": ""},
    ], ["item", "value", "detail"]))
    _section(md, "Task types", data, "report_task_type_distribution",
             note=f"![records per task type]({PLOTS['task_distribution']})")
    _section(md, "Asset types", data, "report_asset_type_distribution")
    _section(md, "Record sets", data, "report_record_set_distribution")
    _section(md, "Splits", data, "report_split_distribution")
    _section(md, "Near-duplicate clusters", data, "report_near_duplicate_clusters",
             ["near_duplicate_cluster_id", "asset_count", "max_phash_distance_bits", "source_count",
              "asset_types", "split_count", "splits", "locations"],
             note="Photos and documents whose pHashes differ in at most "
                  "`var('near_duplicate_max_distance_bits')` bits (a band join in "
                  "`int_asset_near_duplicates_paired`); each cluster shares one split group.")
    _section(md, "Languages", data, "report_language_distribution")
    _section(md, "Turns per conversation", data, "report_turn_distribution")
    _section(md, "Answer length (characters)", data, "report_answer_length_distribution")
    _section(md, "Grounding box sizes", data, "report_box_size_distribution",
             note=f"![box sizes]({PLOTS['box_size_histogram']})")
    _section(md, "Quality signals per task type", data, "report_quality_by_task_type",
             note=f"![audit pass rate]({PLOTS['pass_rate_by_task_type']})")
    _section(md, "Charts", data, "report_chart_quality",
             note="Derived charts (issue 14): line charts over box-size bins, every series named, "
                  "units in agreement, Chinese names from the seeds.")
    _section(md, "Language audits (grammar_agreement, language_mixing)", data, "report_language_audits",
             note="Candidate samples the language audits flag, per task type and language (rows with no "
                  "flag left out), and among shipped samples (target 0). English: a number next to a noun "
                  "that disagrees (\"1 objects\", \"the skis is\"); Chinese: Latin text outside 「」/“” "
                  "quotes, or quoted but not text the image shows.")
    # issue 14, photo tasks: the counting answers' histogram
    _section(md, "Counting answers", data, "report_counting_answer_distribution",
             note="Delivered counting records per true count; no single count may exceed 35%.")
    _section(md, "Photo supervision", data, "report_photo_supervision",
             note="Descriptions, comparisons and counting against issue 14's targets.")
    _section(md, "Cost: manual review", data, "report_review_costs",
             ["task_type", "shipped_record_count", "minutes_per_sample", "rate_per_hour", "currency",
              "review_cost_all_shipped", "reviewed_sample_count", "review_cost_reviewed",
              "review_cost_per_1000_samples"],
             note="Minutes per sample and the hourly rate come from `seeds/review_rates.csv` (its `source` "
                  "column says where each number comes from).")
    _section(md, "Cost: model calls", data, "report_model_call_costs",
             ["level", "task_type", "stage", "model", "call_count", "unpriced_call_count", "prompt_tokens",
              "completion_tokens", "priced_cost_usd", "recorded_cost_usd", "priced_cost_usd_per_1000_samples"],
             note="Tokens of every landed call x the price list `seeds/model_prices.csv` in force on the "
                  "call's day.")
    md += _document_keys_section(data)
    return "\n".join(md)


# ---- the entry point --------------------------------------------------------------------
@dataclass
class ReportOutputs:
    metrics_path: Path
    report_path: Path
    plot_paths: list[Path]
    metrics: dict[str, Any]


def write_report(wh: Warehouse, plots: bool = True) -> ReportOutputs:
    """Read the report tables of ``wh``, write p3_metrics.json, p3_report.md and (unless
    ``plots`` is False) the PNG plots under ``wh.exports``."""
    data = read_report_tables(wh)
    metrics = build_metrics(wh, data, datetime.now(UTC))
    exports = wh.exports
    plot_paths = write_plots(exports, data) if plots else [exports / p for p in PLOTS.values()]
    metrics_path = atomic_write_json(exports / METRICS_FILE, metrics)
    report_path = write_text(exports / REPORT_FILE, render_markdown(wh, metrics, data))
    return ReportOutputs(metrics_path, report_path, plot_paths, metrics)
