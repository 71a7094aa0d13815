"""OCR evidence: a real OCR engine run offline on the document and chart images (every real
one, a sample per layout and kind of those mmfactory drew: ``ingest.ocr_policy``).

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
import importlib.util
import io
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from PIL import Image, ImageOps

from ingest.asset_files import FileProblem, locate, read_checked
from ingest.documents.char_recall import recall_scores
from ingest.documents.reasons import DocumentReason
from ingest.documents.report import DocumentLandingReport
from ingest.image_files import ASSETS_TABLE
from ingest.ocr_policy import (
    DEFAULT_DRAWN_CHARTS_PER_KIND,
    DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT,
    plan_reads,
)
from lakehouse.commit import WouldShrink, shrink_problems
from lakehouse.landing import land_table, landed_files, new_run_id, table_dir, table_of, utc_now, write_atomic
from lakehouse.rejects import REJECTS_SCHEMA, REJECTS_TABLE, Reason, Reject, rejects_table
from lakehouse.settings import Warehouse
from lakehouse.sources import ASSET_SOURCES_TABLE, resolve_root
from lakehouse.stages import default_executor, run_stage
from lakehouse.tables.renders import ASSET_LINEAGE_TABLE
from lakehouse.tables.ocr import (
    CHART_OCR_CHECKS_TABLE,
    LANDED_TABLES,
    OCR_LINES_TABLE,
    OCR_READS_SCHEMA,
    OCR_USABILITY_TABLE,
)

ENGINE_NAME = "rapidocr-onnxruntime"
ENGINE_REQUIREMENT = "rapidocr-onnxruntime>=1.4.4,<1.5"
INSTALL_HINT = (
    f"Install it into the project's environment: `uv pip install '{ENGINE_REQUIREMENT}'` (it is "
    "listed in pyproject.toml, so `make setup` installs it); its wheel carries its models, "
    "nothing is downloaded at run time."
)
DEFAULT_USABLE_RECALL = 0.9
OCR_ASSET_TYPES = ("document_image", "chart_image")
# What RapidOCR runs with, beyond its defaults (keys as ``RapidOCR(**kwargs)`` takes them).
# Recognition is ~2/3 of a read on our pages. Its crops are sorted by width and batched,
# each batch padded to its widest crop and to at least ``rec_img_shape``'s width: the
# default 320 px pads every short crop (a tick label, a form field) with blank, and
# batches of 6 pad more than batches of 3. 160 px in batches of 3 took 37% less CPU than
# the defaults on a paired sample of every source, with the same character recall
# (BENCHMARKS.md, "OCR settings"; detection and the angle classifier are left as they
# are: a smaller detection side changed chart value checks). The settings are part of the
# engine's identity (``engine_identity``), so lines read with other settings are never
# reused.
ENGINE_SETTINGS: dict[str, Any] = {"rec_img_shape": [3, 48, 160], "rec_batch_num": 3}
# Reads per checkpoint chunk: a killed run loses at most the chunks in flight.
DEFAULT_CHUNK_SIZE = 8


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

    def __init__(self, threads: int | None = None) -> None:
        """``threads``: ONNX Runtime threads per session (None: the runtime's default)."""
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:  # the package, onnxruntime or OpenCV is missing
            raise OcrEngineUnavailable(
                f"the OCR engine {ENGINE_NAME} cannot be imported ({exc}). {INSTALL_HINT}"
            ) from None
        try:
            limits = {} if threads is None else {"intra_op_num_threads": threads,
                                                 "inter_op_num_threads": threads}
            with _memory_arena():
                self._ocr = RapidOCR(**limits, **ENGINE_SETTINGS)
        except Exception as exc:  # a model file missing from a broken install
            raise OcrEngineUnavailable(
                f"the OCR engine {ENGINE_NAME} is installed but cannot start ({exc}); "
                f"reinstall it: `uv pip install --reinstall '{ENGINE_REQUIREMENT}'`"
            ) from None
        self.version = engine_identity()[1]

    def read(self, image: Image.Image) -> list[OcrLine]:
        """The lines of ``image`` (any mode; converted to RGB), in the engine's order."""
        result, _ = self._ocr(image.convert("RGB"))
        lines = []
        for quad, text, score in result or []:
            flat = tuple(float(v) for point in quad for v in point)
            lines.append(OcrLine(text=str(text), confidence=float(score), quad=flat))
        return lines


@contextmanager
def _memory_arena() -> Iterator[None]:
    """While RapidOCR opens its three ONNX Runtime sessions, open them with the CPU memory
    arena on (RapidOCR 1.4 turns it off and exposes no setting for it). The arena only
    changes how tensors are allocated: the same lines, boxes and scores come out (30 pages
    and charts compared), 8-12% faster, most of it in detection, for ~280 MB more per
    engine (BENCHMARKS.md, "Which charts are read, the ONNX memory arena ..."). The
    session code is restored on leaving."""
    from rapidocr_onnxruntime.utils import infer_engine

    session = infer_engine.OrtInferSession
    original = session._init_sess_opts

    def with_arena(config: dict[str, Any]) -> Any:
        options = original(config)
        options.enable_cpu_mem_arena = True
        return options

    session._init_sess_opts = staticmethod(with_arena)
    try:
        yield
    finally:
        session._init_sess_opts = staticmethod(original)


def load_engine() -> RapidOcrEngine:
    """The default engine; raises ``OcrEngineUnavailable`` with a fix when it is missing."""
    return RapidOcrEngine()


def read_file(engine: OcrEngine, path: Path | BinaryIO) -> list[OcrLine]:
    """OCR one image file (a path or an open binary file), displayed as a viewer shows it
    (EXIF orientation applied)."""
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
        r["source"]: resolve_root(r["images_root"], wh)
        for r in _read_table(wh, ASSET_SOURCES_TABLE, ["source", "images_root"])
    }
    roots.update({k: Path(v) for k, v in (overrides or {}).items()})
    return roots


def _fmt(v: float) -> str:
    return f"{v:g}"


def engine_identity() -> tuple[str, str]:
    """The default engine's (name, version): the installed packages' versions and the
    settings it runs with (``ENGINE_SETTINGS``), without loading its models (the parent
    process of a pool needs only this)."""
    versions = {}
    for dist in (ENGINE_NAME, "onnxruntime"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    return ENGINE_NAME, (f"{versions[ENGINE_NAME]}+onnxruntime-{versions['onnxruntime']}"
                         f"+{settings_tag(ENGINE_SETTINGS)}")


def settings_tag(settings: Mapping[str, Any]) -> str:
    """``settings`` as a short stable tag for the engine version (``rec_img_shape=3x48x160``
    ...; ``defaults`` when there are none)."""
    def value(v: Any) -> str:
        return "x".join(str(x) for x in v) if isinstance(v, (list, tuple)) else str(v)
    return ",".join(f"{k}={value(v)}" for k, v in sorted(settings.items())) or "defaults"


@dataclass(frozen=True)
class _Identity:
    """An engine's name and version (what cached lines are keyed by)."""

    name: str
    version: str


def run_ocr(
    wh: Warehouse,
    sources: Iterable[str] | None = None,
    images_roots: Mapping[str, Path] | None = None,
    engine: OcrEngine | None = None,
    usable_recall: float = DEFAULT_USABLE_RECALL,
    progress: Callable[[str, int, int], Any] | None = None,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    replace: bool = False,
    executor: str | None = None,
    drawn_charts_per_kind: int | None = DEFAULT_DRAWN_CHARTS_PER_KIND,
    drawn_documents_per_layout: int | None = DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT,
) -> DocumentLandingReport:
    """OCR the landed document and chart images of ``sources`` (default: every source that
    has such assets) and land the OCR tables, one file per asset source (replaced).

    Which images are read is ``ingest.ocr_policy.plan_reads``: every real document and
    chart; of the images mmfactory drew (those with lineage), the first
    ``drawn_documents_per_layout`` of each document layout and ``drawn_charts_per_kind`` of
    each chart kind (None: all). Unread images land no OCR rows; the report says how many
    were left unread and why.

    Files are found under each source's images root from ``asset_sources`` (or
    ``images_roots[source]``); a file that is missing, unreadable or no longer hashes to
    its asset id is rejected. Raises ``OcrEngineUnavailable`` before anything is written
    when the engine is missing.

    Reads run through ``lakehouse.stages.run_stage``: with ``engine=None`` on ``executor``
    (None: ``default_executor()``, a process pool of ``workers``, default every core; or
    ``inprocess``, or Ray tasks), each worker loading the default engine with one ONNX
    thread; with an ``engine`` object, in this process. Every finished chunk of
    ``chunk_size`` reads is written at once as a checkpoint file under
    ``<warehouse>/checkpoints/ocr/``; a killed run keeps them and the next run reads only
    what no checkpoint or landed row holds. The checkpoints are removed once the tables
    have landed.

    Refused with ``WouldShrink`` before any table is replaced (the checkpoints are kept)
    when a source's OCR table would go to zero rows or lose more than half of the rows it
    holds for images that are still landed (``ocr_shrinkage``), unless ``replace``: an
    image that left the landing takes its OCR rows with it, a read that fails does not.
    """
    if engine is None:
        _check_engine_installed()
        identity: OcrEngine | _Identity = _Identity(*engine_identity())
    else:
        identity = engine
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
    drawn = {r["asset_id"] for r in _read_table(wh, ASSET_LINEAGE_TABLE, ["asset_id"])}
    chart_rows = _read_table(wh, "charts", ["asset_id", "chart_type", "chart_text", "chart_text_kind"])
    candidates = assets
    text_rows = _read_table(wh, "document_texts", ["asset_id", "layout", "full_text"])
    plan = plan_reads(
        candidates,
        {r["asset_id"]: r["chart_type"] for r in chart_rows if r["asset_id"] in drawn},
        drawn_charts_per_kind,
        {r["asset_id"]: r["layout"] for r in text_rows if r["asset_id"] in drawn},
        drawn_documents_per_layout,
    )
    assets = list(plan.read)
    roots = _roots(wh, images_roots)
    doc_text = {r["asset_id"]: r["full_text"] for r in text_rows}
    chart_text = {
        r["asset_id"]: (r["chart_text"], r["chart_text_kind"]) for r in chart_rows if r["chart_text"]
    }
    table_values: dict[str, list[float]] = {}
    for r in _read_table(wh, "chart_tables", ["asset_id", "value"]):
        if r["value"] is not None and math.isfinite(r["value"]):
            table_values.setdefault(r["asset_id"], []).append(r["value"])

    checkpoints = checkpoint_dir(wh, identity)
    cached = _cached_lines(wh, identity)
    cached.update(_checkpointed_lines(checkpoints))
    results: dict[str, tuple[list[OcrLine], float] | Reject] = {}
    todo: list[dict] = []
    reused = 0
    for asset in assets:
        if asset["asset_id"] in cached:
            results[asset["asset_id"]] = cached[asset["asset_id"]]
            reused += 1
        else:
            item = _work_item(asset, roots)
            if isinstance(item, Reject):
                results[asset["asset_id"]] = item
            else:
                todo.append(item)
    todo = largest_first(todo)
    if progress is not None:
        progress("ocr", len(results), len(assets))
    if engine is None:
        chosen = executor or default_executor()
        # forked workers start from this process's imports (4.4-4.7 s to two loaded
        # engines at load 14, spawn 7.7-10 s); the engine itself (OpenCV, ONNX Runtime
        # and their threads) is first imported and loaded in the worker, never here
        runner = run_stage(_read_chunk_in_worker, todo, chunk_size, workers,
                           initializer=_start_worker, start_method="fork", executor=chosen)
    else:
        chosen = "inprocess"
        runner = run_stage(partial(read_chunk, engine), todo, chunk_size, workers=1,
                           executor=chosen)
    for _, batch in runner:
        _write_checkpoint(checkpoints, batch)
        results.update(_results_of(batch))
        if progress is not None:
            progress("ocr", len(results), len(assets))
    report.notes.append(
        f"OCR: {len(todo)} image(s) read ({reused} reused from landed rows or "
        f"checkpoints), chunks of {chunk_size}, "
        f"executor {chosen}; {plan.summary()}")

    # every source with candidates lands its files, also one whose candidates all went
    # unread (its earlier reads must not stay landed beside a plan that no longer has them)
    by_source: dict[str, dict[str, list]] = {
        src: {"lines": [], "usability": [], "checks": [], "rejects": []}
        for src in sorted({a["source"] for a in candidates})}
    for asset in assets:
        src = asset["source"]
        out = by_source[src]
        found = results.get(asset["asset_id"])
        if isinstance(found, Reject):
            out["rejects"].append(found)
        elif found is not None:
            lines, seconds = found
            _collect(asset, lines, seconds, identity, usable_recall, doc_text, chart_text,
                     table_values, out)

    problems = [] if replace else ocr_shrinkage(wh, by_source, assets)
    if problems:
        raise WouldShrink(
            f"refusing to land OCR: it would replace what already landed with much less "
            f"({'; '.join(problems)}). Nothing was changed; pass --replace to land it anyway")
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
    # a checkpointed read the plan no longer wants is dropped with the landed ones
    _remove_checkpoints(checkpoints, {a["asset_id"] for a in assets} | set(plan.unread))
    return report


_OCR_OUTPUTS = ((OCR_LINES_TABLE, "lines"), (OCR_USABILITY_TABLE, "usability"),
                (CHART_OCR_CHECKS_TABLE, "checks"))


def ocr_shrinkage(wh: Warehouse, by_source: Mapping[str, Mapping[str, list]],
                  assets: list[dict]) -> list[str]:
    """What landing ``by_source`` would drop (``lakehouse.commit.shrink_problems``): per
    source and OCR table, the landed rows of assets still in ``assets`` against the rows
    about to land."""
    still = {a["asset_id"] for a in assets}
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    for src, out in by_source.items():
        for table, key in _OCR_OUTPUTS:
            path = table_dir(wh, table) / f"{src}.parquet"
            if not path.is_file():
                continue
            landed = pq.read_table(path, columns=["asset_id"]).column("asset_id").to_pylist()
            before[f"{table}/{src}"] = sum(1 for a in landed if a in still)
            after[f"{table}/{src}"] = len(out[key])
    return shrink_problems(before, after)


# ---- the reads: work items, workers, checkpoints ------------------------------------------

_WORKER_ENGINE: OcrEngine | None = None


def _check_engine_installed() -> None:
    """Raise ``OcrEngineUnavailable`` (with the fix) when the engine or one of the libraries
    it needs is not installed. Looks the modules up without importing them: the pool's
    workers are forked from this process, and OpenCV and ONNX Runtime start threads when
    imported, which a forked child must not inherit (each worker imports its own)."""
    for module in ("rapidocr_onnxruntime", "onnxruntime", "cv2"):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise OcrEngineUnavailable(
                f"the OCR engine {ENGINE_NAME} cannot be imported (no module named {module!r}). "
                f"{INSTALL_HINT}"
            )


def _start_worker() -> None:
    """Process-pool initializer: load the engine once per worker, one ONNX thread each
    (the pool has a worker per core; more threads per worker only oversubscribe)."""
    global _WORKER_ENGINE
    _WORKER_ENGINE = RapidOcrEngine(threads=1)


def _read_chunk_in_worker(items: list[dict]) -> pa.RecordBatch:
    assert _WORKER_ENGINE is not None, "the worker was started without its engine"
    return read_chunk(_WORKER_ENGINE, items)


def largest_first(items: list[dict]) -> list[dict]:
    """``items`` (work items) ordered by file size, largest first (ties by path; a file
    that cannot be stat'ed goes last and is rejected when read). The size stands in for
    the read's cost (dense scans take 3-5x a chart), so the pool starts the long reads
    first and the run does not end on one worker finishing a chunk of scans while the
    other idles. Which rows land does not depend on the order."""
    def size(item: dict) -> int:
        try:
            return Path(item["path"]).stat().st_size
        except OSError:
            return -1
    return sorted(items, key=lambda it: (-size(it), it["path"]))


def _work_item(asset: dict, roots: dict[str, Path]) -> dict | Reject:
    """What a worker needs to read one asset (its id, a printable name, its absolute path),
    or the reject when its file cannot even be located."""
    item = f"{asset['relative_path']} (asset {asset['asset_id'][:12]})"
    return locate(asset, item, roots, OCR_USABILITY_TABLE)


def read_chunk(engine: OcrEngine, items: list[dict]) -> pa.RecordBatch:
    """OCR the files of ``items`` (from ``_work_item``); one ``OCR_READS_SCHEMA`` row each.
    A file that is missing, no longer hashes to its asset id, or that the engine fails on
    gets a reject reason and message instead of lines."""
    rows = []
    for it in items:
        row = {"asset_id": it["asset_id"], "item": it["item"], "ocr_seconds": None,
               "lines": None, "reject_reason": None, "reject_message": None}
        data = read_checked(it)
        if isinstance(data, FileProblem):
            row.update(reject_reason=data.reason, reject_message=data.message)
            rows.append(row)
            continue
        started = time.perf_counter()
        try:
            lines = read_file(engine, io.BytesIO(data))  # the bytes just checked, not a re-read
        except Exception as exc:  # one unreadable image must not stop the run
            row.update(reject_reason=str(DocumentReason.OCR_FAILED),
                       reject_message=f"{it['item']}: the OCR engine failed on it "
                                      f"({type(exc).__name__}: {exc})")
            rows.append(row)
            continue
        row.update(ocr_seconds=time.perf_counter() - started,
                   lines=[{"text": ln.text, "confidence": ln.confidence, "quad": list(ln.quad)}
                          for ln in lines])
        rows.append(row)
    return pa.RecordBatch.from_pylist(rows, schema=OCR_READS_SCHEMA)


def _results_of(batch: pa.RecordBatch | pa.Table) -> dict[str, tuple[list[OcrLine], float] | Reject]:
    """Per asset id: (lines, seconds) of a read, or the read's reject."""
    out: dict[str, tuple[list[OcrLine], float] | Reject] = {}
    for r in batch.to_pylist():
        if r["reject_reason"] is not None:
            out[r["asset_id"]] = Reject(OCR_USABILITY_TABLE, r["item"], Reason(r["reject_reason"]),
                                        r["reject_message"])
        else:
            out[r["asset_id"]] = ([OcrLine(ln["text"], ln["confidence"], tuple(ln["quad"]))
                                   for ln in r["lines"]], r["ocr_seconds"])
    return out


def checkpoint_dir(wh: Warehouse, engine: OcrEngine | _Identity) -> Path:
    """Where this engine version's reads wait until they have landed."""
    slug = re.sub(r"[^A-Za-z0-9_.+-]", "_", f"{engine.name}-{engine.version}")
    return wh.root / "checkpoints" / "ocr" / slug


def _write_checkpoint(folder: Path, batch: pa.RecordBatch) -> None:
    """Keep a finished chunk's successful reads (rejected reads are retried next run)."""
    table = pa.Table.from_batches([batch]).filter(pc.is_null(batch.column("reject_reason")))
    if table.num_rows == 0:
        return
    ids = "\n".join(table.column("asset_id").to_pylist())
    write_atomic(table, folder / f"chunk-{hashlib.sha256(ids.encode()).hexdigest()[:20]}.parquet")


def _checkpointed_lines(folder: Path) -> dict[str, tuple[list[OcrLine], float]]:
    """The reads of earlier, unfinished runs (from their checkpoint chunks)."""
    found: dict[str, tuple[list[OcrLine], float]] = {}
    for path in sorted(folder.glob("chunk-*.parquet")) if folder.is_dir() else []:
        try:
            table = pq.read_table(path, schema=OCR_READS_SCHEMA)
        except (OSError, pa.ArrowInvalid):  # a damaged chunk is read again, not trusted
            continue
        found.update({k: v for k, v in _results_of(table).items() if not isinstance(v, Reject)})
    return found


def _remove_checkpoints(folder: Path, landed: set[str]) -> None:
    """Delete the checkpoint chunks whose every read has now landed."""
    for path in sorted(folder.glob("chunk-*.parquet")) if folder.is_dir() else []:
        try:
            ids = set(pq.read_table(path, columns=["asset_id"]).column("asset_id").to_pylist())
        except (OSError, pa.ArrowInvalid):
            ids = set()
        if ids <= landed:
            path.unlink()


def _cached_lines(wh: Warehouse, engine: OcrEngine | _Identity) -> dict[str, tuple[list[OcrLine], float]]:
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


def _collect(
    asset: dict,
    lines: list[OcrLine],
    seconds: float,
    engine: OcrEngine | _Identity,
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
