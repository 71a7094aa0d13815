"""ChartQA charts -> ``chart_image`` assets with their tables and QA pairs, or rejects.

In: a ChartQA root holding ``png/<id>.png``, ``tables/<id>.csv`` and QA files ``*.json``
(a list of ``{"imgname": "<id>.png", "query": ..., "label": ...}``) side by side; the
full dataset's ``train/``, ``val/``, ``test/`` folders, each laid out that way, work too.

Out (one file per source each): ``assets``, ``charts`` (one row per landed chart, with
the table's plausibility verdict), ``chart_tables`` (one row per cell), ``chart_qa_pairs``,
``rejects`` and the ``asset_sources`` row.

Decisions:
- A table's first column holds the categories (its header is the x label), the other
  columns are the series. A CSV that is not UTF-8, is empty, has fewer than 2 columns, no
  data row, or rows of another length than the header is rejected whole (``invalid_csv``);
  the chart still lands, with ``has_table = false`` and ``is_table_plausible = false``.
- Every parsed table runs ``ingest.documents.plausibility.check_table``; a table that
  fails lands flagged (``is_table_plausible = false``, the reason, ``is_suspect_value`` on
  the blamed cells) and must never become supervision. Both shared tables fail.
- QA pairs are people's questions about the chart image, not about the table: they land
  for every landed chart whatever its table's verdict (``origin = 'dataset'``). A pair for
  a chart that is not there is rejected (``unknown_chart``), one whose image was rejected
  gets ``chart_rejected``, one without a string query and label ``malformed_record``.
- ChartQA does not say which kind of chart an image is or give its title: those columns
  are NULL. ``chart_text`` holds the table's category and series labels (the text the
  chart is known to show), ``chart_text_kind = 'table_labels'``.
- License: ChartQA's license could not be verified (commonly listed GPL-3.0) and the
  charts are Pew Research Center content: the asset license says so.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ingest.documents.files import Landing, inspect_files, parse_json, read_inside
from ingest.documents.plausibility import check_table, parse_value
from ingest.documents.reasons import DocumentReason
from ingest.documents.report import DocumentLandingReport
from ingest.image_files import License
from lakehouse.commit import all_or_nothing
from lakehouse.landing import LandingError, check_source_name, new_run_id, utc_now
from lakehouse.rejects import Reason, Reject
from lakehouse.settings import Warehouse
from lakehouse.tables.documents import (
    CHART_QA_PAIRS_SCHEMA,
    CHART_QA_PAIRS_TABLE,
    CHART_TABLES_SCHEMA,
    CHART_TABLES_TABLE,
    CHARTS_SCHEMA,
    CHARTS_TABLE,
)

SOURCE_KIND = "chartqa"
ASSET_TYPE = "chart_image"
CHARTQA_LICENSE = License(
    license_id="chartqa:unverified",
    name="ChartQA: license unverified (commonly listed GPL-3.0); "
    "chart images are Pew Research Center content",
    url="https://github.com/vis-nlp/ChartQA",
)

LANDED_TABLES: dict[str, pa.Schema] = {
    CHARTS_TABLE: CHARTS_SCHEMA,
    CHART_TABLES_TABLE: CHART_TABLES_SCHEMA,
    CHART_QA_PAIRS_TABLE: CHART_QA_PAIRS_SCHEMA,
}


@dataclass(frozen=True)
class ParsedTable:
    """A chart's data table: the x label, categories, and series of (raw text, value)."""

    x_label: str
    categories: list[str]
    series: list[tuple[str, list[str], list[float | None]]]
    units: set[str]


class TableError(ValueError):
    """A table CSV that cannot be parsed (the message says why)."""


def parse_table(data: bytes) -> ParsedTable:
    """Parse a ChartQA table CSV; raise ``TableError`` when it is not a usable table."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        rows = [
            row for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row)
        ]
    except csv.Error as exc:
        raise TableError(f"not CSV ({exc})") from None
    if not rows:
        raise TableError("the file is empty")
    header, body = rows[0], rows[1:]
    if len(header) < 2:
        raise TableError(
            f"the header has {len(header)} column(s); a table needs a category column and a series"
        )
    if not body:
        raise TableError("the table has a header but no data row")
    for i, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise TableError(f"row {i} has {len(row)} fields, the header {len(header)}")
    units: set[str] = set()
    series = []
    for col in range(1, len(header)):
        raw = [row[col].strip() for row in body]
        values = []
        for cell in raw:
            value, unit = parse_value(cell)
            values.append(value)
            if unit:
                units.add(unit)
        series.append((header[col].strip(), raw, values))
    return ParsedTable(header[0].strip(), [row[0].strip() for row in body], series, units)


def _chart_dirs(root: Path) -> list[Path]:
    """Folders under ``root`` (``root`` included) that hold a ``png`` folder."""
    found = [p.parent for p in sorted(root.rglob("png")) if p.is_dir()]
    return sorted(
        {p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts)}
    )


@all_or_nothing
def land_chartqa(
    wh: Warehouse, root: Path, source: str = "chartqa", license: License = CHARTQA_LICENSE,
    replace: bool = False,
) -> DocumentLandingReport:
    """Land the ChartQA charts under ``root`` as ``source`` (files replaced atomically).
    Raises ``LandingError`` (nothing written) if ``root`` holds no ``png`` folder."""
    check_source_name(source)
    dirs = _chart_dirs(root) if root.is_dir() else []
    if not dirs:
        raise LandingError(
            f"{root}: a ChartQA root holds png/ (with tables/ and the QA *.json beside it)"
        )
    run = Landing(wh, source, new_run_id(), utc_now(), DocumentLandingReport(source=source),
                  kind=SOURCE_KIND, replace=replace)
    charts: dict[tuple[Path, str], str] = {}  # (chart folder, stem) -> image path relative to root
    for folder in dirs:
        for p in sorted((folder / "png").iterdir()):
            if p.suffix.lower() == ".png" and not p.name.startswith("."):
                charts[(folder, p.stem)] = p.relative_to(root).as_posix()
    inspected = inspect_files(root, list(charts.values()))
    run.report.add_rejects(list(inspected.rejects.values()))
    run.land_assets(
        list(inspected.files.values()), ASSET_TYPE, {p: license for p in inspected.files}
    )

    rejects: list[Reject] = []
    chart_rows: list[dict] = []
    cell_rows: list[dict] = []
    qa_rows: list[dict] = []
    for folder in dirs:
        tables_dir = folder / "tables"
        table_files = (
            {p.stem: p for p in sorted(tables_dir.glob("*.csv"))} if tables_dir.is_dir() else {}
        )
        for stem in sorted(set(table_files) - {s for (f, s) in charts if f == folder}):
            rel = table_files[stem].relative_to(root).as_posix()
            rejects.append(
                Reject(
                    CHART_TABLES_TABLE,
                    rel,
                    DocumentReason.UNKNOWN_CHART,
                    f"{rel}: no chart image png/{stem}.png beside it",
                )
            )
        for (f, stem), image_path in sorted(charts.items()):
            if f != folder:
                continue
            image = inspected.files.get(image_path)
            table_file = table_files.get(stem)
            table_rel = (
                table_file.relative_to(root).as_posix()
                if table_file
                else (tables_dir / f"{stem}.csv").relative_to(root).as_posix()
            )
            if image is None:
                if table_file:
                    cause = inspected.rejects[image_path]
                    rejects.append(
                        Reject(
                            CHART_TABLES_TABLE,
                            table_rel,
                            DocumentReason.CHART_REJECTED,
                            f"{table_rel}: its chart image was rejected ({cause.reason})",
                        )
                    )
                continue
            chart_rows.append(
                _chart_row(image.asset_id, stem, table_file, table_rel, cell_rows, rejects)
            )
        qa_rows += _qa_rows(root, folder, charts, inspected.files, rejects)

    per_asset: dict[str, int] = {}
    for qa in qa_rows:  # number the pairs within each chart
        qa["qa_index"] = per_asset.get(qa["asset_id"], 0)
        per_asset[qa["asset_id"]] = qa["qa_index"] + 1
    run.report.add_rejects(rejects)
    run.land_rows(CHARTS_TABLE, chart_rows, CHARTS_SCHEMA)
    run.land_rows(CHART_TABLES_TABLE, cell_rows, CHART_TABLES_SCHEMA)
    run.land_rows(CHART_QA_PAIRS_TABLE, qa_rows, CHART_QA_PAIRS_SCHEMA)
    return run.finish(SOURCE_KIND, ASSET_TYPE, root, None)


def _chart_row(
    asset_id: str,
    stem: str,
    table_file: Path | None,
    table_rel: str,
    cell_rows: list[dict],
    rejects: list[Reject],
) -> dict:
    """The ``charts`` row of one landed chart; appends its cells and table rejects."""
    row = {
        "asset_id": asset_id,
        "chart_key": stem,
        "chart_type": None,
        "title": None,
        "x_label": None,
        "y_label": None,
        "unit": None,
        "series_count": 0,
        "category_count": 0,
        "has_table": False,
        "is_table_plausible": False,
        "plausibility_reason": None,
        "chart_text": None,
        "chart_text_kind": None,
    }
    if table_file is None:
        rejects.append(
            Reject(
                CHART_TABLES_TABLE,
                table_rel,
                DocumentReason.MISSING_TABLE,
                f"{table_rel}: chart {stem} has no data table",
            )
        )
        row["plausibility_reason"] = "missing_table: no data table"
        return row
    root = table_file.parents[len(Path(table_rel).parts) - 1]  # table_rel is relative to it
    data = read_inside(root, table_rel, CHART_TABLES_TABLE)
    if isinstance(data, Reject):  # a symlink out of the root, or not a regular file
        rejects.append(data)
        row["plausibility_reason"] = f"invalid_table: {data.reason}"
        return row
    try:
        table = parse_table(data)
    except TableError as exc:
        rejects.append(
            Reject(CHART_TABLES_TABLE, table_rel, DocumentReason.INVALID_CSV, f"{table_rel}: {exc}")
        )
        row["plausibility_reason"] = f"invalid_table: {exc}"
        return row
    unit = table.units.pop() if len(table.units) == 1 else None
    verdict = check_table(
        table.categories, [(name, values) for name, _, values in table.series], unit
    )
    for si, (name, raw, values) in enumerate(table.series):
        for ci, (category, text, value) in enumerate(zip(table.categories, raw, values)):
            cell_rows.append(
                {
                    "asset_id": asset_id,
                    "series_index": si,
                    "series": name,
                    "category_index": ci,
                    "category": category,
                    "value": value,
                    "value_text": text,
                    "unit": unit,
                    "is_suspect_value": (si, ci) in verdict.suspect_cells,
                }
            )
    labels = [name for name, _, _ in table.series] + table.categories
    row.update(
        {
            "x_label": table.x_label or None,
            "unit": unit,
            "series_count": len(table.series),
            "category_count": len(table.categories),
            "has_table": True,
            "is_table_plausible": verdict.is_plausible,
            "plausibility_reason": verdict.reason,
            "chart_text": "\n".join(label for label in labels if label),
            "chart_text_kind": "table_labels",
        }
    )
    return row


def _qa_rows(
    root: Path,
    folder: Path,
    charts: dict[tuple[Path, str], str],
    landed: dict,
    rejects: list[Reject],
) -> list[dict]:
    """The QA pairs of the ``*.json`` files in ``folder`` (rejects appended)."""
    rows: list[dict] = []
    where = folder.relative_to(root).as_posix() or "."
    for qa_file in sorted(folder.glob("*.json")):
        rel = qa_file.relative_to(root).as_posix()
        data = read_inside(root, rel, CHART_QA_PAIRS_TABLE, is_json=True)
        records = parse_json(data, rel, CHART_QA_PAIRS_TABLE) if isinstance(data, bytes) else data
        if isinstance(records, Reject):  # escapes the root, too deep, not JSON
            rejects.append(records)
            continue
        if not isinstance(records, list):
            rejects.append(
                Reject(
                    CHART_QA_PAIRS_TABLE,
                    rel,
                    Reason.MALFORMED_RECORD,
                    f"{rel}: a QA file is a JSON list of {{imgname, query, label}}",
                )
            )
            continue
        for i, rec in enumerate(records):
            item = f"{rel}[{i}]"
            ok = (
                isinstance(rec, dict)
                and isinstance(rec.get("imgname"), str)
                and isinstance(rec.get("query"), str)
                and isinstance(rec.get("label"), (str, int, float))
                and not isinstance(rec.get("label"), bool)
            )
            if not ok:
                rejects.append(
                    Reject(
                        CHART_QA_PAIRS_TABLE,
                        item,
                        Reason.MALFORMED_RECORD,
                        f"{item}: needs string imgname and query and a label, got {rec!r:.120}",
                    )
                )
                continue
            stem = Path(rec["imgname"]).stem
            image_path = charts.get((folder, stem))
            if image_path is None:
                rejects.append(
                    Reject(
                        CHART_QA_PAIRS_TABLE,
                        item,
                        DocumentReason.UNKNOWN_CHART,
                        f"{item}: no chart {rec['imgname']!r} in {where}/png/",
                    )
                )
                continue
            image = landed.get(image_path)
            if image is None:
                rejects.append(
                    Reject(
                        CHART_QA_PAIRS_TABLE,
                        item,
                        DocumentReason.CHART_REJECTED,
                        f"{item}: chart {rec['imgname']!r} was rejected",
                    )
                )
                continue
            rows.append(
                {
                    "asset_id": image.asset_id,
                    "qa_index": 0,
                    "question": rec["query"],
                    "answer": str(rec["label"]),
                    "origin": "dataset",
                    "qa_file": rel,
                }
            )
    return rows
