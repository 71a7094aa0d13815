"""OCR evidence: a real OCR engine run offline on every document and chart image.

In: the landed ``assets`` of type ``document_image`` / ``chart_image`` (all sources, or the
ones named), their files (found through ``asset_sources`` or given roots), and their
ground-truth text (``document_texts.full_text``, ``charts.chart_text``).
Out (one file per asset source each): ``ocr_lines`` (text, confidence, quadrilateral and
box per line), ``ocr_usability`` (how much of the ground truth the OCR recovers, see
``ingest.documents.char_recall``), ``chart_ocr_checks`` (for charts with a table: how many
of the table's values are printed on the chart) and a rejects file ``ocr-<source>``.

The engine: RapidOCR (``rapidocr-onnxruntime`` 1.4.x), PaddleOCR's PP-OCRv4 detection and
recognition models run by ONNX Runtime on the CPU. Chosen because the wheel from the
package registry carries the three ONNX models (det 4.7 MB, rec 10.9 MB, cls 0.6 MB) and
never downloads anything at run time (the newer ``rapidocr`` 3.x fetches models on first
use, which this project cannot do); it needs no system package (Tesseract would need
``apt-get install tesseract-ocr``); it returns a quadrilateral and a confidence per line;
it reads a FUNSD page in about a second on 2 cores. Its recognition model is trained on
Chinese and English and often drops the spaces between English words, which is why the
usability figure ignores whitespace.

``is_ocr_usable`` is ``char_recall >= usable_recall`` (0.9 by default; the threshold lands
with each row so the rule is visible in the data). It is NULL when the image has no
ground-truth text to compare with.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import pyarrow.parquet as pq
from PIL import Image, ImageOps

from ingest.documents.char_recall import recall_scores
from ingest.documents.reasons import DocumentReason
from ingest.documents.report import DocumentLandingReport
from ingest.image_files import ASSETS_TABLE, resolve_inside
from lakehouse.landing import land_table, landed_files, new_run_id, table_of, utc_now
from lakehouse.rejects import REJECTS_SCHEMA, REJECTS_TABLE, Reason, Reject, rejects_table
from lakehouse.settings import Warehouse
from lakehouse.sources import ASSET_SOURCES_TABLE, resolve_root
from lakehouse.tables.ocr import (
    CHART_OCR_CHECKS_TABLE,
    LANDED_TABLES,
    OCR_LINES_TABLE,
    OCR_USABILITY_TABLE,
)

ENGINE_NAME = "rapidocr-onnxruntime"
ENGINE_REQUIREMENT = "rapidocr-onnxruntime>=1.4.4,<1.5"
DEFAULT_USABLE_RECALL = 0.9
OCR_ASSET_TYPES = ("document_image", "chart_image")


class OcrEngineUnavailable(RuntimeError):
    """The OCR engine is not installed or cannot start; the message says how to fix it."""


@dataclass(frozen=True)
class OcrLine:
    """One line the engine read: text, confidence, and its quadrilateral (8 coordinates,
    clockwise from the top left, pixels of the image as displayed)."""

    text: str
    confidence: float
    quad: tuple[float, ...]

    @property
    def box(self) -> dict[str, float]:
        xs, ys = self.quad[0::2], self.quad[1::2]
        return {
            "x_px": min(xs),
            "y_px": min(ys),
            "w_px": max(xs) - min(xs),
            "h_px": max(ys) - min(ys),
        }


class OcrEngine(Protocol):
    """What ``run_ocr`` needs of an engine."""

    name: str
    version: str

    def read(self, image: Image.Image) -> list[OcrLine]: ...


class RapidOcrEngine:
    """RapidOCR with its bundled ONNX models, on the CPU."""

    name = ENGINE_NAME

    def __init__(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # the package, onnxruntime or OpenCV is missing
            raise OcrEngineUnavailable(
                f"the OCR engine {ENGINE_NAME} cannot be imported ({exc}). Install it into the "
                f"project's environment: `uv pip install '{ENGINE_REQUIREMENT}'` (it is listed in "
                "pyproject.toml, so `make setup` installs it); its wheel carries its models, "
                "nothing is downloaded at run time."
            ) from None
        try:
            self._ocr = RapidOCR()
        except Exception as exc:  # a model file missing from a broken install
            raise OcrEngineUnavailable(
                f"the OCR engine {ENGINE_NAME} is installed but cannot start ({exc}); "
                f"reinstall it: `uv pip install --reinstall '{ENGINE_REQUIREMENT}'`"
            ) from None
        versions = {}
        for dist in (ENGINE_NAME, "onnxruntime"):
            try:
                versions[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                versions[dist] = "unknown"
        self.version = f"{versions[ENGINE_NAME]}+onnxruntime-{versions['onnxruntime']}"

    def read(self, image: Image.Image) -> list[OcrLine]:
        """The lines of ``image`` (any mode; converted to RGB), in the engine's order."""
        result, _ = self._ocr(image.convert("RGB"))
        lines = []
        for quad, text, score in result or []:
            flat = tuple(float(v) for point in quad for v in point)
            lines.append(OcrLine(text=str(text), confidence=float(score), quad=flat))
        return lines


def load_engine() -> RapidOcrEngine:
    """The default engine; raises ``OcrEngineUnavailable`` with a fix when it is missing."""
    return RapidOcrEngine()


def read_file(engine: OcrEngine, path: Path) -> list[OcrLine]:
    """OCR one image file, displayed as a viewer shows it (EXIF orientation applied)."""
    with Image.open(path) as img:
        return engine.read(ImageOps.exif_transpose(img))


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")


def numbers_in(lines: Iterable[str]) -> list[float]:
    """Every number printed in ``lines`` (thousands separators removed)."""
    found = []
    for line in lines:
        found += [float(m) for m in _NUMBER.findall(_THOUSANDS.sub("", line))]
    return found


def value_evidence(values: list[float], ocr_lines: list[str]) -> tuple[int, list[float]]:
    """How many of a table's ``values`` are printed on the chart: each value needs its own
    equal number among the OCR'd numbers (a multiset match). Returns (found, missing)."""
    available = Counter(round(v, 6) for v in numbers_in(ocr_lines))
    found, missing = 0, []
    for v in values:
        key = round(v, 6)
        if available[key] > 0:
            available[key] -= 1
            found += 1
        else:
            missing.append(v)
    return found, missing


def _read_table(wh: Warehouse, table: str, columns: list[str]) -> list[dict]:
    rows: list[dict] = []
    for path in landed_files(wh, table):
        t = pq.read_table(path)
        if all(c in t.column_names for c in columns):
            rows += t.select(columns).to_pylist()
    return rows


def _roots(wh: Warehouse, overrides: Mapping[str, Path] | None) -> dict[str, Path]:
    roots = {
        r["source"]: resolve_root(r["images_root"])
        for r in _read_table(wh, ASSET_SOURCES_TABLE, ["source", "images_root"])
    }
    roots.update({k: Path(v) for k, v in (overrides or {}).items()})
    return roots


def _fmt(v: float) -> str:
    return f"{v:g}"


def run_ocr(
    wh: Warehouse,
    sources: Iterable[str] | None = None,
    images_roots: Mapping[str, Path] | None = None,
    engine: OcrEngine | None = None,
    usable_recall: float = DEFAULT_USABLE_RECALL,
    progress: Callable[[str, int, int], Any] | None = None,
) -> DocumentLandingReport:
    """OCR every landed document and chart image of ``sources`` (default: every source that
    has such assets) and land the OCR tables, one file per asset source (replaced).

    Files are found under each source's images root from ``asset_sources`` (or
    ``images_roots[source]``); a file that is missing, unreadable or no longer hashes to
    its asset id is rejected. Raises ``OcrEngineUnavailable`` before anything is written
    when the engine is missing.
    """
    engine = engine or load_engine()
    run_id, at = new_run_id(), utc_now()
    report = DocumentLandingReport(source="ocr")
    wanted = None if sources is None else set(sources)
    assets = [
        a
        for a in _read_table(
            wh, ASSETS_TABLE, ["asset_id", "source", "relative_path", "asset_type"]
        )
        if a["asset_type"] in OCR_ASSET_TYPES and (wanted is None or a["source"] in wanted)
    ]
    assets.sort(key=lambda a: (a["source"], a["relative_path"]))
    roots = _roots(wh, images_roots)
    doc_text = {
        r["asset_id"]: r["full_text"]
        for r in _read_table(wh, "document_texts", ["asset_id", "full_text"])
    }
    chart_text = {
        r["asset_id"]: (r["chart_text"], r["chart_text_kind"])
        for r in _read_table(wh, "charts", ["asset_id", "chart_text", "chart_text_kind"])
        if r["chart_text"]
    }
    table_values: dict[str, list[float]] = {}
    for r in _read_table(wh, "chart_tables", ["asset_id", "value"]):
        if r["value"] is not None and math.isfinite(r["value"]):
            table_values.setdefault(r["asset_id"], []).append(r["value"])

    cached = _cached_lines(wh, engine)
    by_source: dict[str, dict[str, list]] = {}
    for done, asset in enumerate(assets, start=1):
        src = asset["source"]
        out = by_source.setdefault(src, {"lines": [], "usability": [], "checks": [], "rejects": []})
        lines = cached.get(asset["asset_id"]) or _ocr_asset(engine, asset, roots, out["rejects"])
        if lines is not None:
            lines, seconds = lines
            _collect(
                asset,
                lines,
                seconds,
                engine,
                usable_recall,
                doc_text,
                chart_text,
                table_values,
                out,
            )
        if progress is not None:
            progress("ocr", done, len(assets))

    for src, out in sorted(by_source.items()):
        stamp = {"source": src, "ingested_at": at, "ingest_run_id": run_id}
        for table, key in (
            (OCR_LINES_TABLE, "lines"),
            (OCR_USABILITY_TABLE, "usability"),
            (CHART_OCR_CHECKS_TABLE, "checks"),
        ):
            rows = table_of(out[key], LANDED_TABLES[table], stamp)
            report.files.append(land_table(wh, table, src, rows, LANDED_TABLES[table]))
            report.add_landed(table, rows.num_rows)
        report.add_rejects(out["rejects"])
        report.files.append(
            land_table(
                wh,
                REJECTS_TABLE,
                f"ocr-{src}",
                rejects_table(out["rejects"], src, run_id, at),
                REJECTS_SCHEMA,
            )
        )
        if src in roots:
            report.images_roots[src] = roots[src]
    return report


def _cached_lines(wh: Warehouse, engine: OcrEngine) -> dict[str, tuple[list[OcrLine], float]]:
    """OCR lines already landed by this engine and version, per asset id, with the seconds
    they took. An asset id is the sha256 of the bytes, so the same id is the same image:
    a re-run reads only new assets and recomputes usability from the landed lines."""
    seconds = {
        r["asset_id"]: r["ocr_seconds"]
        for r in _read_table(wh, OCR_USABILITY_TABLE, ["asset_id", "engine", "engine_version", "ocr_seconds"])
        if r["engine"] == engine.name and r["engine_version"] == engine.version
    }
    lines: dict[str, list[tuple[int, OcrLine]]] = {aid: [] for aid in seconds}
    quad_columns = [f"{axis}{k // 2 + 1}_px" for k, axis in zip(range(8), "xyxyxyxy")]
    for r in _read_table(wh, OCR_LINES_TABLE, ["asset_id", "engine", "engine_version", "line_index",
                                               "text", "confidence", *quad_columns]):
        if r["asset_id"] in lines and r["engine"] == engine.name and r["engine_version"] == engine.version:
            quad = tuple(float(r[c]) for c in quad_columns)
            lines[r["asset_id"]].append((r["line_index"], OcrLine(r["text"], r["confidence"], quad)))
    return {aid: ([line for _, line in sorted(found, key=lambda x: x[0])], seconds[aid])
            for aid, found in lines.items()}


def _ocr_asset(
    engine: OcrEngine, asset: dict, roots: dict[str, Path], rejects: list[Reject]
) -> tuple[list[OcrLine], float] | None:
    """Read one asset's file and OCR it; a reject (and None) when that cannot be done."""
    item = f"{asset['relative_path']} (asset {asset['asset_id'][:12]})"

    def reject(reason: Any, why: str) -> None:
        rejects.append(Reject(OCR_USABILITY_TABLE, item, reason, f"{item}: {why}"))

    root = roots.get(asset["source"])
    if root is None:
        reject(
            Reason.MISSING_FILE,
            f"no images root is known for source {asset['source']!r} (no asset_sources row)",
        )
        return None
    path = resolve_inside(root, asset["relative_path"])
    if isinstance(path, Reject):
        reject(path.reason, path.message)
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        reject(Reason.MISSING_FILE, f"cannot be read under {root} ({exc.strerror})")
        return None
    if hashlib.sha256(data).hexdigest() != asset["asset_id"]:
        reject(DocumentReason.CONTENT_CHANGED, "the file's bytes no longer hash to its asset id")
        return None
    started = time.perf_counter()
    try:
        lines = read_file(engine, path)
    except Exception as exc:  # one unreadable image must not stop the run
        reject(
            DocumentReason.OCR_FAILED, f"the OCR engine failed on it ({type(exc).__name__}: {exc})"
        )
        return None
    return lines, time.perf_counter() - started


def _collect(
    asset: dict,
    lines: list[OcrLine],
    seconds: float,
    engine: OcrEngine,
    usable_recall: float,
    doc_text: dict,
    chart_text: dict,
    table_values: dict,
    out: dict[str, list],
) -> None:
    """Append one asset's rows of the three OCR tables to ``out``."""
    aid = asset["asset_id"]
    eng = {"engine": engine.name, "engine_version": engine.version}
    for i, line in enumerate(lines):
        out["lines"].append(
            {
                "asset_id": aid,
                **eng,
                "line_index": i,
                "text": line.text,
                "confidence": line.confidence,
                **{f"{axis}{k // 2 + 1}_px": line.quad[k] for k, axis in zip(range(8), "xyxyxyxy")},
                **line.box,
            }
        )
    texts = [line.text for line in lines]
    if aid in doc_text:
        gt, kind = doc_text[aid], "document_text"
    elif aid in chart_text:
        gt, kind = chart_text[aid][0], f"chart_{chart_text[aid][1]}"
    else:
        gt, kind = None, None
    scores = recall_scores(gt or "", texts)
    recall = scores.char_recall
    out["usability"].append(
        {
            "asset_id": aid,
            "asset_type": asset["asset_type"],
            **eng,
            "has_ground_truth": recall is not None,
            "gt_text_kind": kind,
            "gt_char_count": scores.gt_char_count,
            "ocr_char_count": scores.ocr_char_count,
            "matched_char_count": scores.matched_char_count,
            "char_recall": recall,
            "char_precision": scores.char_precision,
            "gt_word_count": scores.gt_word_count,
            "matched_word_count": scores.matched_word_count,
            "word_recall": scores.word_recall,
            "ocr_line_count": len(lines),
            "mean_confidence": sum(line.confidence for line in lines) / len(lines)
            if lines
            else None,
            "usable_recall_threshold": usable_recall,
            "is_ocr_usable": None if recall is None else recall >= usable_recall,
            "ocr_seconds": seconds,
        }
    )
    values = table_values.get(aid)
    if asset["asset_type"] == "chart_image" and values:
        found, missing = value_evidence(values, texts)
        out["checks"].append(
            {
                "asset_id": aid,
                **eng,
                "table_value_count": len(values),
                "values_found_count": found,
                "value_recall": found / len(values),
                "missing_values": "; ".join(_fmt(v) for v in missing) or None,
            }
        )
