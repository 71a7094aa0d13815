"""Checks 1 and 11: every deliverable is there, and every count and hash the manifest and
the metrics report state equals what the exported files hold."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from expectations import config as C
from expectations.config import CheckConfig
from expectations.inputs import CheckInputs
from expectations.parts import Frame, Missing, Part, gxe
from expectations.suites._common import FINAL, SMOKE, TRAINING_RECORDS, quote
from expectations.suites.packing import packed_manifest_parts


# ---- 1. artifacts_present ---------------------------------------------------------------
def _file_rows(inp: CheckInputs, rel: str) -> tuple[int | None, str | None]:
    """(rows, None) for a deliverable file under exports/: records of JSONL / a JSON array
    (a record file's as parsed once, ``CheckInputs.file_rows``), keys of a JSON object;
    (None, why) when it cannot be read."""
    path = inp.exports / rel
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            return (len(data) if isinstance(data, (list, dict)) else 1), None
        return inp.file_rows(rel), None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"exports/{path.name} unreadable ({exc})"


def artifacts_present(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    E = gxe()
    rows = []
    for d in cfg.deliverables:
        if d.relation:
            error = inp.relation_error(d.relation)
            rows.append({"item": f"{d.name}: relation {d.relation}", "is_present": error is None,
                         "row_count": None if error else inp.relation_rows(d.relation),
                         "required_rows": 0 if d.allow_empty else 1, "problem": error})
        if d.file:
            path = inp.exports / d.file
            if not path.is_file():
                n, error = None, f"file exports/{d.file} does not exist" + (f" ({d.note})" if d.note else "")
            else:
                n, error = _file_rows(inp, d.file)
            rows.append({"item": f"{d.name}: exports/{d.file}", "is_present": error is None,
                         "row_count": n, "required_rows": 0 if d.allow_empty else 1, "problem": error})
    df = pd.DataFrame(rows, columns=["item", "is_present", "row_count", "required_rows", "problem"]).astype(object)
    present = sum(1 for r in rows if r["is_present"] and (r["row_count"] or 0) >= r["required_rows"])
    return [Frame("deliverables", df, [
        E.ExpectTableRowCountToBeBetween(min_value=1, description="the deliverables list is not empty"),
        E.ExpectColumnValuesToBeInSet(column="is_present", value_set=[True],
                                      description="every deliverable exists"),
        E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="row_count", column_B="required_rows", or_equal=True,
                                                  ignore_row_if="either_value_is_missing",
                                                  description="every deliverable is non-empty (unless allowed)"),
    ], "item", summary=f"{present}/{len(rows)} deliverables present, non-empty where required")]


# ---- 11. manifest_matches_artifacts -----------------------------------------------------
def recounted(inp: CheckInputs) -> dict[str, int]:
    """Counts recomputed from the exported files: total and by task / asset type and
    language from the final dataset file (attributes looked up by id), per split from
    the split files, smoke from the smoke file. Keys as in ``flatten_counts``."""
    out: dict[str, int] = {}
    out["total"] = inp.con.execute(f"select count(*) from x_records where file_path = {FINAL}").fetchone()[0]
    out["smoke"] = inp.con.execute(f"select count(*) from x_records where file_path = {SMOKE}").fetchone()[0]
    for split, rel in C.SPLIT_FILES.items():
        out[f"by_split.{split}"] = inp.con.execute(
            f"select count(*) from x_records where file_path = {quote(rel)}").fetchone()[0]
    for column, prefix in (("task_type", "by_task_type"), ("asset_type", "by_asset_type"),
                           ("language", "by_language")):
        for value, n in inp.con.execute(
            f"select coalesce(t.{column}, '(unknown id)'), count(*) from x_records as r "
            f"left join {TRAINING_RECORDS} as t on t.id = r.id where r.file_path = {FINAL} group by 1"
        ).fetchall():
            out[f"{prefix}.{value}"] = n
    return out


def flatten_counts(counts: dict[str, Any]) -> dict[str, Any]:
    """{'total': n, 'smoke': n, 'by_split': {...}, ...} -> {'total': n, 'by_split.train': n, ...}"""
    flat: dict[str, Any] = {}
    for key, value in counts.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat


def manifest_counts(manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest's counts under the keys of ``recounted``."""
    return flatten_counts({
        "total": manifest.get("sample_count"),
        "smoke": manifest.get("smoke_sample_count"),
        "by_split": manifest.get("samples_by_split") or {},
        "by_task_type": manifest.get("samples_by_task_type") or {},
        "by_asset_type": manifest.get("samples_by_asset_type") or {},
        "by_language": manifest.get("samples_by_language") or {},
    })


def _counts_frame(name: str, reported: dict[str, Any], actual: dict[str, int], what: str) -> Frame:
    E = gxe()
    keys = sorted(set(reported) | set(actual))
    # a count absent on one side is zero there (a task type with no record may be left out)
    df = pd.DataFrame([{"key": k, "reported": reported.get(k, 0), "recomputed": actual.get(k, 0)} for k in keys],
                      columns=["key", "reported", "recomputed"]).astype(object)
    return Frame(name, df, [
        E.ExpectTableRowCountToBeBetween(min_value=1, description=f"the {what} states counts"),
        E.ExpectColumnPairValuesToBeEqual(column_A="reported", column_B="recomputed",
                                          description=f"every count in the {what} equals the exported files'"),
    ], "key", summary=f"{len(keys)} {what} counts match the files")


def export_files_on_disk(exports: Path) -> list[str]:
    """Every file under exports/ the manifest should list: all but the manifest itself,
    the reports and check results, the images folder and the plots."""
    unlisted = {C.MANIFEST_FILE, C.METRICS_FILE, C.TEST_RESULTS_FILE, C.TEST_REPORT_FILE, C.REPORT_FILE}
    found = []
    for root, dirs, files in os.walk(exports):
        rel_root = Path(root).relative_to(exports)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and not (rel_root == Path(".") and d in C.NON_RECORD_DIRS))
        for name in sorted(files):
            rel = (rel_root / name).as_posix()
            if not name.startswith(".") and rel not in unlisted:
                found.append(rel)
    return found


def _files_frame(inp: CheckInputs, manifest: dict[str, Any]) -> Frame:
    E = gxe()
    listed = {f.get("file_path"): f for f in manifest.get("files") or [] if isinstance(f, dict)}
    on_disk = set(export_files_on_disk(inp.exports)) if inp.exports.is_dir() else set()
    rows = []
    inp.hash_ahead([inp.exports / str(rel) for rel in set(listed) | on_disk])
    for rel in sorted(set(listed) | on_disk, key=str):
        entry = listed.get(rel, {})
        path = inp.exports / str(rel)
        exists = path.is_file()
        try:
            actual_rows = inp.file_rows(str(rel)) if exists else None
        except (ValueError, UnicodeDecodeError):
            actual_rows = None
        rows.append({
            "file_path": rel, "is_listed": rel in listed, "file_exists": exists,
            "listed_rows": entry.get("row_count"), "actual_rows": actual_rows,
            "listed_sha256": entry.get("sha256"), "actual_sha256": inp.sha256(path) if exists else None,
            "listed_size": entry.get("size_bytes"), "actual_size": path.stat().st_size if exists else None,
        })
    df = pd.DataFrame(rows, columns=["file_path", "is_listed", "file_exists", "listed_rows", "actual_rows",
                                     "listed_sha256", "actual_sha256", "listed_size", "actual_size"]).astype(object)
    return Frame("manifest_files", df, [
        E.ExpectTableRowCountToBeBetween(min_value=1, description="the manifest lists files"),
        E.ExpectColumnValuesToBeInSet(column="is_listed", value_set=[True],
                                      description="every exported file is listed in the manifest"),
        E.ExpectColumnValuesToBeInSet(column="file_exists", value_set=[True],
                                      description="every listed file exists"),
        E.ExpectColumnPairValuesToBeEqual(column_A="listed_rows", column_B="actual_rows",
                                          description="listed row count = rows in the file"),
        E.ExpectColumnPairValuesToBeEqual(column_A="listed_sha256", column_B="actual_sha256",
                                          description="listed sha256 = sha256 of the file"),
        E.ExpectColumnPairValuesToBeEqual(column_A="listed_size", column_B="actual_size",
                                          description="listed size = size of the file"),
    ], "file_path", summary=f"{len(rows)} files: rows, sizes and sha256 as listed")


def manifest_matches_artifacts(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    missing = inp.missing({TRAINING_RECORDS: ("id", "task_type", "asset_type", "language")},
                          files=(C.FINAL_FILE, *C.SPLIT_FILES.values(), C.SMOKE_FILE))
    actual = None if missing else recounted(inp)
    parts: list[Part] = []
    manifest, error = inp.json_file(C.MANIFEST_FILE)
    if error or not isinstance(manifest, dict):
        parts.append(Missing("manifest", [error or f"exports/{C.MANIFEST_FILE} is not a JSON object"]))
    else:
        parts.append(Missing("manifest_counts", missing) if missing
                     else _counts_frame("manifest_counts", manifest_counts(manifest), actual, "manifest"))
        parts.append(_files_frame(inp, manifest))
        parts += packed_manifest_parts(inp)
    metrics, error = inp.json_file(C.METRICS_FILE)
    if error or not isinstance(metrics, dict) or not isinstance(metrics.get("counts"), dict):
        reason = error or f"exports/{C.METRICS_FILE} has no 'counts' object"
        parts.append(Missing("metrics_counts", [f"{reason} (written by `mmfactory report`)"]))
    else:
        parts.append(Missing("metrics_counts", missing) if missing
                     else _counts_frame("metrics_counts", flatten_counts(metrics["counts"]), actual, "metrics report"))
    return parts
