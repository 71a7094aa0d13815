"""``render_derived``: render the derived documents and charts, write them, land them.

In: a warehouse with a landed COCO source (and any real document/chart sources already
landed), the pool size rule's inputs (``per_type``, ``seed``). Out:

- PNG files under ``<warehouse>/derived/documents/`` and ``.../charts/``, each named by its
  asset id (the sha256 of its bytes); files of earlier runs that this run does not
  produce are removed from those two folders;
- for source ``derived_documents``: ``assets`` (document_image), ``asset_lineage``,
  ``document_texts``, ``document_lines``, ``document_words``, ``document_fields``,
  ``rejects`` and its ``asset_sources`` row (images root: ``<warehouse>/derived``);
- for source ``derived_charts``: ``assets`` (chart_image), ``asset_lineage``, ``charts``,
  ``chart_tables``, ``chart_qa_pairs``, ``chart_text_elements``, ``rejects``, ``asset_sources``;
- ``asset_pool`` (source ``balanced_pool``): the balanced pool (see ``render.balance``);
- ``asset_pool_exclusions`` (source ``balanced_pool``): every landed photo, document and
  chart the pool leaves out, with its reason (``render.balance``).

The asset rows come from ``inspect_images`` on the written files with the derived folder
as images root, exactly as for photos. Licenses follow ``render.licenses``.

Scan noise of the documents (``render.documents.SCAN_NOISE_LEVELS``): the ``scan_noise``
argument, else ``$MMFACTORY_SCAN_NOISE``, else ``light``; it is a render parameter, so
changing it changes every document's render key and re-renders them.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy
import PIL
from PIL import features

from ingest.documents.files import Landing
from ingest.documents.plausibility import check_table
from ingest.documents.report import DocumentLandingReport
from ingest.documents.text import text_counts
from ingest.image_files import ASSETS_TABLE, ImageFile, inspect_images
from lakehouse.landing import (
    LandingError,
    check_source_name,
    land_table,
    landed_files,
    new_run_id,
    table_of,
    utc_now,
)
from lakehouse.rejects import Reason, Reject
from lakehouse.settings import Warehouse
from lakehouse.stages import checked_executor, default_executor, run_stage, split_chunk_size
from lakehouse.tables.documents import (
    CHART_QA_PAIRS_SCHEMA,
    CHART_QA_PAIRS_TABLE,
    CHART_TABLES_SCHEMA,
    CHART_TABLES_TABLE,
    CHART_TEXT_ELEMENTS_SCHEMA,
    CHART_TEXT_ELEMENTS_TABLE,
    CHARTS_SCHEMA,
    CHARTS_TABLE,
    DOCUMENT_FIELDS_SCHEMA,
    DOCUMENT_FIELDS_TABLE,
    DOCUMENT_LINES_SCHEMA,
    DOCUMENT_LINES_TABLE,
    DOCUMENT_TEXTS_SCHEMA,
    DOCUMENT_TEXTS_TABLE,
    DOCUMENT_WORDS_SCHEMA,
    DOCUMENT_WORDS_TABLE,
)
from lakehouse.tables.renders import (
    ASSET_LINEAGE_SCHEMA,
    ASSET_LINEAGE_TABLE,
    ASSET_POOL_EXCLUSIONS_SCHEMA,
    ASSET_POOL_EXCLUSIONS_TABLE,
    ASSET_POOL_SCHEMA,
    ASSET_POOL_TABLE,
)
from render import charts as chart_gen
from render import documents as doc_gen
from render.balance import BalancePlan, plan_balance
from render.draw import CHARTS_DIR, DOCUMENTS_DIR, draw_chunk, draw_item, ground_truth
from render.inputs import GeneralImage, load_general_images
from render.licenses import derived_license

DOCUMENTS_SOURCE = "derived_documents"
CHARTS_SOURCE = "derived_charts"
POOL_SOURCE = "balanced_pool"
DRAW_CHUNK_SIZE = 8
LICENSE_RULE = "union_of_parent_terms_plus_by"
SCAN_NOISE_ENV = "MMFACTORY_SCAN_NOISE"


def scan_noise_level(value: str | None = None) -> str:
    """The documents' scan noise level: ``value``, else ``$MMFACTORY_SCAN_NOISE``, else
    the default; raises ``LandingError`` naming the setting when it is not a level."""
    level = value
    if level is None:
        level = os.environ.get(SCAN_NOISE_ENV) or doc_gen.DEFAULT_SCAN_NOISE
    if level not in doc_gen.SCAN_NOISE_LEVELS:
        where = "--scan-noise" if value is not None else f"${SCAN_NOISE_ENV}"
        raise LandingError(f"{where}: scan noise must be one of "
                           f"{', '.join(doc_gen.SCAN_NOISE_LEVELS)}, got {level!r}")
    return level


def library_versions() -> dict[str, str]:
    """The versions the rendered bytes depend on (fonts ship with matplotlib)."""
    return {
        "pillow": PIL.__version__,
        "matplotlib": matplotlib.__version__,
        "numpy": numpy.__version__,
        "freetype": str(features.version("freetype2")),
        "zlib": str(features.version("zlib")),
        "libjpeg": str(features.version("jpg")),
    }


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: one text per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass
class Rendered:
    """One rendered asset before landing."""

    kind: str  # "document" or "chart"
    index: int
    parents: tuple[GeneralImage, ...]
    spec: Any  # DocumentSpec | ChartSpec
    result: Any  # RenderedDocument | RenderedChart
    asset_id: str
    relative_path: str  # relative to <warehouse>/derived
    run_seed: int
    key: str = ""  # render_key of its inputs

    @property
    def generator(self) -> tuple[str, str]:
        if self.kind == "document":
            return doc_gen.GENERATOR, doc_gen.GENERATOR_VERSION
        return chart_gen.GENERATOR, chart_gen.GENERATOR_VERSION

    @property
    def params(self) -> dict[str, Any]:
        """What lineage records: the renderer's parameters plus how they were derived."""
        return {**self.spec.params, "index": self.index, "run_seed": self.run_seed}


def render_key(generator: tuple[str, str], params: dict[str, Any],
               parents: tuple[GeneralImage, ...], libs: str) -> str:
    """sha256 of everything a render's bytes and ground truth depend on: the generator and
    its version, its parameters, the parents (ids, annotations, licenses) and the library
    versions."""
    inputs = [list(generator), canonical_json(params), [repr(p) for p in parents], libs]
    return hashlib.sha256(canonical_json(inputs).encode()).hexdigest()


def _real_assets(wh: Warehouse, exclude: set[str]) -> dict[str, list[tuple[str, str]]]:
    """(asset_id, source) of the landed document and chart assets of other sources, by type."""
    import pyarrow.parquet as pq

    found: dict[str, list[tuple[str, str]]] = {"document_image": [], "chart_image": []}
    for path in landed_files(wh, ASSETS_TABLE):
        rows = pq.read_table(path, columns=["asset_id", "source", "asset_type"]).to_pylist()
        for r in rows:
            if r["asset_type"] in found and r["source"] not in exclude:
                found[r["asset_type"]].append((r["asset_id"], r["source"]))
    return found


def render_derived(
    wh: Warehouse,
    coco_source: str = "coco128",
    per_type: int | None = None,
    seed: int = 0,
    documents_source: str = DOCUMENTS_SOURCE,
    charts_source: str = CHARTS_SOURCE,
    pool_source: str = POOL_SOURCE,
    progress: Callable[[str, int, int], Any] | None = None,
    scan_noise: str | None = None,
    executor: str | None = None,
    workers: int | None = None,
    chunk_size: int | None = None,
) -> DocumentLandingReport:
    """Plan the balanced pool, render the derived documents and charts it needs, write and
    land them (see the module doc). ``per_type=None`` means the number of usable general
    images; ``scan_noise=None`` means ``scan_noise_level()``. The drawing runs through
    ``lakehouse.stages.run_stage`` (``render.draw``) on ``executor`` with ``workers`` in
    chunks of ``chunk_size`` (None: the session's executor, every core, ``DRAW_CHUNK_SIZE``
    or one chunk below ``lakehouse.stages.MIN_ITEMS_TO_SPLIT`` renders); the landed rows
    and files are the same whatever the executor. Raises ``LandingError`` when
    the COCO source has not been landed or the noise level is unknown."""
    for name in (documents_source, charts_source, pool_source):
        check_source_name(name)
    noise = scan_noise_level(scan_noise)
    images = load_general_images(wh, coco_source)
    by_id = {g.asset_id: g for g in images}
    real = _real_assets(wh, {documents_source, charts_source})
    plan = plan_balance(
        [g.asset_id for g in images if g.is_usable],
        [a for a, _ in real["document_image"]],
        [a for a, _ in real["chart_image"]],
        per_type,
        seed,
        unusable_general=[g.asset_id for g in images if not g.is_usable],
    )
    run_id, at = new_run_id(), utc_now()
    root = wh.derived
    total = plan.derived_documents + plan.derived_charts
    libs = canonical_json(library_versions())
    report = DocumentLandingReport(source="derived")

    # the specs are cheap; the drawing is not: key every planned render by its inputs
    planned: list[Rendered] = []
    for kind, parent_lists in (("document", plan.document_parents), ("chart", plan.chart_parents)):
        for i, parent_ids in enumerate(parent_lists):
            parents = tuple(by_id[a] for a in parent_ids)
            spec = (doc_gen.make_document_spec(i, parents[0], seed, noise) if kind == "document"
                    else chart_gen.make_chart_spec(i, parents, seed))
            item = Rendered(kind, i, parents, spec, None, "", "", seed)
            item.key = render_key(item.generator, item.params, parents, libs)
            planned.append(item)
    reused = _reusable(wh, root, planned, {documents_source, charts_source})
    if reused is not None:
        _land_pool(wh, report, pool_source, plan, real, reused, planned, coco_source, seed,
                   run_id, at)
        general_source = {g.asset_id: g.source for g in images}
        _land_exclusions(wh, report, pool_source, plan, real, general_source, run_id, at)
        report.images_roots.update({documents_source: root, charts_source: root})
        report.notes.append(f"render: all {len(planned)} renders unchanged (same inputs, "
                            "parameters and library versions): nothing drawn, landed rows kept")
        return report

    # the drawing runs on the stage seam; each worker writes its PNGs and sends back
    # only the ground truth (memory bounded by the rows, not the PNGs)
    work = [draw_item(i, item.kind, item.spec, item.parents, root)
            for i, item in enumerate(planned)]
    if chunk_size is None:
        chunk_size = split_chunk_size(len(work), DRAW_CHUNK_SIZE)
    drawn = 0
    # forked workers start from this process's imports instead of importing matplotlib
    # and the stack again (pure Python and C drawing, no threads of their own)
    for _chunk, batch in run_stage(draw_chunk, work, chunk_size=chunk_size, workers=workers,
                                   start_method="fork", executor=executor):
        for row in batch.to_pylist():
            item = planned[row["position"]]
            item.result = ground_truth(row["ground_truth"])
            item.asset_id, item.relative_path = row["asset_id"], row["relative_path"]
        drawn += batch.num_rows
        if progress is not None:
            progress("render", drawn, total)
    rendered = planned  # in plan order, whatever order the chunks came back in
    used = checked_executor(executor, "executor") if executor else default_executor()
    chunks = -(-len(work) // chunk_size)
    where = " (one chunk: in this process)" if chunks == 1 and used != "ray" else ""
    report.notes.append(f"render: drew {drawn} renders on executor {used}{where} "
                        f"({chunks} chunks of up to {chunk_size})")
    _remove_stale(root, {r.relative_path for r in rendered})

    landed: dict[str, str] = {}
    for kind, source, asset_type in (
        ("document", documents_source, "document_image"),
        ("chart", charts_source, "chart_image"),
    ):
        mine = [r for r in rendered if r.kind == kind]
        # derived from what landed, re-rendered at will: a smaller pool is no loss
        run = Landing(wh, source, run_id, at, DocumentLandingReport(source=source), replace=True)
        kept = _land_derived_assets(run, root, mine, asset_type)
        _land_lineage(run, kept, libs)
        if kind == "document":
            _land_documents(run, kept)
        else:
            _land_charts(run, kept)
        run.finish(source, asset_type, root, None)
        report.merge(run.report)
        landed.update({r.asset_id: source for r in kept})
    _land_pool(wh, report, pool_source, plan, real, landed, rendered, coco_source, seed, run_id, at)
    general_source = {g.asset_id: g.source for g in images}
    _land_exclusions(wh, report, pool_source, plan, real, general_source, run_id, at)
    return report


def _reusable(
    wh: Warehouse, root: Path, planned: list[Rendered], sources: set[str]
) -> dict[str, str] | None:
    """When every planned render has a landed twin (same render key in ``asset_lineage``
    of the derived sources, its file still on disk) and nothing else is landed there:
    fill in the planned items' asset ids and return asset id -> source; else None."""
    import pyarrow.parquet as pq

    by_key: dict[str, tuple[str, str]] = {}
    landed_ids: set[str] = set()
    for path in landed_files(wh, ASSET_LINEAGE_TABLE):
        if path.stem not in sources:
            continue
        table = pq.read_table(path)
        if "render_key" not in table.column_names:
            return None  # landed before render keys existed
        for r in table.select(["asset_id", "source", "render_key"]).to_pylist():
            landed_ids.add(r["asset_id"])
            if r["render_key"]:
                by_key[r["render_key"]] = (r["asset_id"], r["source"])
    if not planned or len(landed_ids) != len(planned):
        return None
    found: dict[str, str] = {}
    for item in planned:
        hit = by_key.get(item.key)
        folder = DOCUMENTS_DIR if item.kind == "document" else CHARTS_DIR
        if hit is None or not (root / folder / f"{hit[0]}.png").is_file():
            return None
        found[item.key] = hit
    assets = {a for path in landed_files(wh, ASSETS_TABLE) if path.stem in sources
              for a in pq.read_table(path, columns=["asset_id"]).column("asset_id").to_pylist()}
    if assets != landed_ids:
        return None
    for item in planned:
        item.asset_id, _ = found[item.key]
        folder = DOCUMENTS_DIR if item.kind == "document" else CHARTS_DIR
        item.relative_path = f"{folder}/{item.asset_id}.png"
    return {aid: source for aid, source in found.values()}


def _remove_stale(root: Path, keep: set[str]) -> None:
    """Delete PNGs of earlier runs from the derived folders that this run did not write."""
    for folder in (DOCUMENTS_DIR, CHARTS_DIR):
        for path in (root / folder).glob("*.png") if (root / folder).is_dir() else []:
            if f"{folder}/{path.name}" not in keep:
                path.unlink()


def _land_derived_assets(
    run: Landing, root: Path, items: list[Rendered], asset_type: str
) -> list[Rendered]:
    """Inspect the written files like photos and land their asset rows; returns the items
    that landed. A file that fails inspection or no longer hashes to what was rendered is
    rejected, as is a render whose bytes repeat an earlier one's (same file)."""
    first: dict[str, Rendered] = {}
    rejects: list[Reject] = []
    for r in items:
        if r.relative_path in first:
            rejects.append(
                Reject(
                    ASSETS_TABLE,
                    f"{r.kind} {r.index}",
                    Reason.DUPLICATE_CONTENT,
                    f"{r.kind} {r.index}: renders to the same bytes as {r.kind} "
                    f"{first[r.relative_path].index} ({r.relative_path})",
                )
            )
        else:
            first[r.relative_path] = r
    files: list[ImageFile] = []
    for result in inspect_images(root, sorted(first)):
        if isinstance(result, Reject):
            rejects.append(result)
        elif result.asset_id != first[result.relative_path].asset_id:
            rejects.append(
                Reject(
                    ASSETS_TABLE,
                    result.relative_path,
                    Reason.CORRUPT_IMAGE,
                    f"{result.relative_path}: the file on disk does not hash to what was rendered",
                )
            )
        else:
            files.append(result)
    run.report.add_rejects(rejects)
    licenses = {
        r.relative_path: derived_license([p.license for p in r.parents]) for r in first.values()
    }
    run.land_assets(files, asset_type, licenses)
    kept_paths = {f.relative_path for f in files}
    return [r for r in first.values() if r.relative_path in kept_paths]


def _land_lineage(run: Landing, items: list[Rendered], libs: str) -> None:
    rows = []
    for r in items:
        generator, version = r.generator
        params = canonical_json(r.params)
        for order, parent in enumerate(r.parents):
            rows.append(
                {
                    "asset_id": r.asset_id,
                    "parent_asset_id": parent.asset_id,
                    "parent_order": order,
                    "parent_source": parent.source,
                    "parent_license_id": parent.license.license_id,
                    "parent_license_name": parent.license.name,
                    "generator": generator,
                    "generator_version": version,
                    "params_json": params,
                    "seed": r.spec.seed,
                    "library_versions_json": libs,
                    "license_rule": LICENSE_RULE,
                    "render_key": r.key,
                }
            )
    run.land_rows(ASSET_LINEAGE_TABLE, rows, ASSET_LINEAGE_SCHEMA)


def _box(box: tuple[float, float, float, float]) -> dict[str, float]:
    x0, y0, x1, y1 = box
    return {"x_px": float(x0), "y_px": float(y0), "w_px": float(x1 - x0), "h_px": float(y1 - y0)}


def _land_documents(run: Landing, items: list[Rendered]) -> None:
    texts, lines, words, fields = [], [], [], []
    for r in items:
        doc = r.result
        aid = r.asset_id
        word_index = 0
        for li, line in enumerate(doc.lines):
            lines.append(
                {
                    "asset_id": aid,
                    "line_index": li,
                    "text": line.text,
                    **_box(line.box),
                    "word_count": len(line.words),
                }
            )
            for wi, word in enumerate(line.words):
                words.append(
                    {
                        "asset_id": aid,
                        "line_index": li,
                        "word_index": word_index,
                        "word_in_line_index": wi,
                        "text": word.text,
                        **_box(word.box),
                    }
                )
                word_index += 1
        for fi, (key, value, key_line, value_line) in enumerate(doc.fields):
            fields.append(
                {
                    "asset_id": aid,
                    "field_index": fi,
                    "field_key": key,
                    "field_value": value,
                    "field_origin": "rendered",
                    "key_line_index": key_line,
                    "value_line_index": value_line,
                }
            )
        word_count, char_count = text_counts(doc.full_text)
        texts.append(
            {
                "asset_id": aid,
                "document_key": f"doc-{r.index:04d}-{r.spec.layout}",
                "split": None,
                "layout": r.spec.layout,
                "full_text": doc.full_text,
                "line_count": len(doc.lines),
                "word_count": word_count,
                "char_count": char_count,
                "has_word_boxes": True,
                "text_origin": "rendered",
            }
        )
    run.land_rows(DOCUMENT_TEXTS_TABLE, texts, DOCUMENT_TEXTS_SCHEMA)
    run.land_rows(DOCUMENT_LINES_TABLE, lines, DOCUMENT_LINES_SCHEMA)
    run.land_rows(DOCUMENT_WORDS_TABLE, words, DOCUMENT_WORDS_SCHEMA)
    run.land_rows(DOCUMENT_FIELDS_TABLE, fields, DOCUMENT_FIELDS_SCHEMA)


def _land_charts(run: Landing, items: list[Rendered]) -> None:
    charts, cells, qa, elements = [], [], [], []
    for r in items:
        chart = r.result
        data = chart.data
        aid = r.asset_id
        verdict = check_table(
            list(data.categories), [(name, list(values)) for name, values in data.series], data.unit
        )
        charts.append(
            {
                "asset_id": aid,
                "chart_key": f"chart-{r.index:04d}-{r.spec.chart_type}",
                "chart_type": r.spec.chart_type,
                "title": data.title,
                "x_label": data.x_label,
                "y_label": data.y_label,
                "unit": data.unit,
                "series_count": len(data.series),
                "category_count": len(data.categories),
                "has_table": True,
                "is_table_plausible": verdict.is_plausible,
                "plausibility_reason": verdict.reason,
                "chart_text": chart.chart_text,
                "chart_text_kind": "rendered",
            }
        )
        for si, (name, values) in enumerate(data.series):
            for ci, (category, value) in enumerate(zip(data.categories, values)):
                cells.append(
                    {
                        "asset_id": aid,
                        "series_index": si,
                        "series": name,
                        "category_index": ci,
                        "category": category,
                        "value": value,
                        "value_text": data.fmt(value),
                        "unit": data.unit,
                        "is_suspect_value": (si, ci) in verdict.suspect_cells,
                    }
                )
        for qi, (question, answer) in enumerate(chart.qa):
            qa.append(
                {
                    "asset_id": aid,
                    "qa_index": qi,
                    "question": question,
                    "answer": answer,
                    "origin": "derived_exact",
                    "qa_file": None,
                }
            )
        for ei, e in enumerate(chart.elements):
            elements.append(
                {
                    "asset_id": aid,
                    "element_index": ei,
                    "role": e.role,
                    "text": e.text,
                    **_box(e.box),
                }
            )
    run.land_rows(CHARTS_TABLE, charts, CHARTS_SCHEMA)
    run.land_rows(CHART_TABLES_TABLE, cells, CHART_TABLES_SCHEMA)
    run.land_rows(CHART_QA_PAIRS_TABLE, qa, CHART_QA_PAIRS_SCHEMA)
    run.land_rows(CHART_TEXT_ELEMENTS_TABLE, elements, CHART_TEXT_ELEMENTS_SCHEMA)


def _land_pool(
    wh: Warehouse,
    report: DocumentLandingReport,
    pool_source: str,
    plan: BalancePlan,
    real: dict[str, list[tuple[str, str]]],
    landed: dict[str, str],
    rendered: list[Rendered],
    coco_source: str,
    seed: int,
    run_id: str,
    at: Any,
) -> None:
    """The ``asset_pool`` rows: real members first (in rank order), then derived ones."""
    real_source = {a: s for pairs in real.values() for a, s in pairs}
    general_source = {p.asset_id: p.source for r in rendered for p in r.parents}
    members: list[tuple[str, str, str, bool]] = []  # asset_id, type, source, is_derived
    members += [
        (a, "general_image", general_source.get(a, coco_source), False) for a in plan.general
    ]
    for asset_type, reals, kind in (
        ("document_image", plan.real_documents, "document"),
        ("chart_image", plan.real_charts, "chart"),
    ):
        members += [(a, asset_type, real_source[a], False) for a in reals]
        members += [
            (r.asset_id, asset_type, landed[r.asset_id], True)
            for r in rendered
            if r.kind == kind and r.asset_id in landed
        ]
    rows, rank = [], {}
    for asset_id, asset_type, source, is_derived in members:
        rank[asset_type] = rank.get(asset_type, -1) + 1
        rows.append(
            {
                "asset_id": asset_id,
                "asset_type": asset_type,
                "asset_source": source,
                "pool_rank": rank[asset_type],
                "is_derived": is_derived,
                "per_type": plan.per_type,
                "requested_per_type": plan.requested_per_type,
                "seed": seed,
                "coco_source": coco_source,
            }
        )
    stamp = {"source": pool_source, "ingested_at": at, "ingest_run_id": run_id}
    report.files.append(
        land_table(
            wh,
            ASSET_POOL_TABLE,
            pool_source,
            table_of(rows, ASSET_POOL_SCHEMA, stamp),
            ASSET_POOL_SCHEMA,
        )
    )
    report.add_landed(ASSET_POOL_TABLE, len(rows))


def _land_exclusions(
    wh: Warehouse,
    report: DocumentLandingReport,
    pool_source: str,
    plan: BalancePlan,
    real: dict[str, list[tuple[str, str]]],
    general_source: dict[str, str],
    run_id: str,
    at: Any,
) -> None:
    """The ``asset_pool_exclusions`` rows: every landed candidate the pool left out."""
    source_of = {**general_source, **{a: s for pairs in real.values() for a, s in pairs}}
    rows = [
        {"asset_id": a, "asset_type": t, "asset_source": source_of[a], "reason": reason,
         "per_type": plan.per_type}
        for a, t, reason in plan.exclusions
    ]
    stamp = {"source": pool_source, "ingested_at": at, "ingest_run_id": run_id}
    report.files.append(
        land_table(
            wh,
            ASSET_POOL_EXCLUSIONS_TABLE,
            pool_source,
            table_of(rows, ASSET_POOL_EXCLUSIONS_SCHEMA, stamp),
            ASSET_POOL_EXCLUSIONS_SCHEMA,
        )
    )
    report.add_landed(ASSET_POOL_EXCLUSIONS_TABLE, len(rows))
