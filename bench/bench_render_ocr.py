"""Benchmark: rendering derived documents and charts, and OCR of document/chart images.

On the real data beside the project (COCO128, FUNSD, SROIE, ChartQA), in a throwaway
warehouse: land COCO128, then

- render: ``--documents`` documents and ``--charts`` charts (no file writing or landing:
  the renderers only), best of ``--repeat`` passes -> documents/s, charts/s;
- OCR (RapidOCR, CPU): the 10 FUNSD forms, 8 SROIE receipts, 2 ChartQA charts and
  ``--ocr-derived`` derived documents and charts each, one pass (engine load excluded)
  -> assets/s per kind and overall, with the mean character recall per kind.

Usage::

    .venv/bin/python bench/bench_render_ocr.py [--documents 40] [--charts 40] [--repeat 3]
                                               [--ocr-derived 8]

"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from ingest.coco import land_coco
from ingest.documents.char_recall import recall_scores
from ingest.ocr import load_engine
from lakehouse.settings import PROJECT_ROOT, Warehouse
from render.charts import make_chart_spec, render_chart
from render.documents import make_document_spec, render_document
from render.inputs import load_general_images

DATA = PROJECT_ROOT.parent / "shared" / "datasets"


def _best_rate(n: int, fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return n / best


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--charts", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ocr-derived", type=int, default=8)
    args = parser.parse_args()
    if not (DATA / "coco128").is_dir():
        print(f"the shared datasets are missing: {DATA}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp) / "warehouse")
        land_coco(
            wh,
            DATA / "coco128" / "train2017",
            DATA / "coco128" / "annotations" / "instances_train2017.json",
            "coco128",
        )
        usable = [g for g in load_general_images(wh, "coco128") if g.is_usable]

    doc_jobs = [(i, usable[i % len(usable)]) for i in range(args.documents)]
    chart_jobs = [
        (i, tuple(usable[(i + k) % len(usable)] for k in range(3 + i % 4)))
        for i in range(args.charts)
    ]
    docs, charts = [], []

    def render_docs() -> None:
        docs.clear()
        for i, parent in doc_jobs:
            docs.append(render_document(make_document_spec(i, parent), [parent]))

    def render_charts() -> None:
        charts.clear()
        for i, parents in chart_jobs:
            charts.append(render_chart(make_chart_spec(i, parents), parents))

    print(
        f"cores: {os.cpu_count()}; load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    doc_rate = _best_rate(len(doc_jobs), render_docs, args.repeat)
    chart_rate = _best_rate(len(chart_jobs), render_charts, args.repeat)
    print(
        f"render documents: {doc_rate:8.1f} documents/s  "
        f"({len(doc_jobs)} documents, best of {args.repeat})"
    )
    print(
        f"render charts:    {chart_rate:8.1f} charts/s     "
        f"({len(chart_jobs)} charts, best of {args.repeat})"
    )

    started = time.perf_counter()
    engine = load_engine()
    print(
        f"OCR engine: {engine.name} {engine.version} (load {time.perf_counter() - started:.2f} s)"
    )
    n = args.ocr_derived
    jobs: dict[str, list[tuple[Image.Image, str | None]]] = {
        "funsd": [
            (Image.open(p).convert("RGB"), None)
            for p in sorted((DATA / "funsd").glob("*/images/*.png"))
        ],
        "sroie": [
            (Image.open(p).convert("RGB"), None)
            for p in sorted((DATA / "sroie" / "img").glob("*.jpg"))
        ],
        "chartqa": [
            (Image.open(p).convert("RGB"), None)
            for p in sorted((DATA / "chartqa" / "png").glob("*.png"))
        ],
        "derived_documents": [(Image.open(io.BytesIO(d.png)), d.full_text) for d in docs[:n]],
        "derived_charts": [(Image.open(io.BytesIO(c.png)), c.chart_text) for c in charts[:n]],
    }
    engine.read(jobs["chartqa"][0][0])  # warm-up
    total_n, total_s = 0, 0.0
    for kind, images in jobs.items():
        started = time.perf_counter()
        recalls = []
        for img, truth in images:
            lines = engine.read(img)
            if truth:
                recalls.append(recall_scores(truth, [line.text for line in lines]).char_recall)
        seconds = time.perf_counter() - started
        total_n += len(images)
        total_s += seconds
        extra = f", mean char recall {statistics.mean(recalls):.3f}" if recalls else ""
        print(
            f"OCR {kind:18s} {len(images) / seconds:6.2f} assets/s  "
            f"({len(images)} in {seconds:.1f} s{extra})"
        )
    print(
        f"OCR overall            {total_n / total_s:6.2f} assets/s  ({total_n} in {total_s:.1f} s)"
    )
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
