"""Benchmark: RapidOCR settings on our own pages, paired, with what they read.

On a built warehouse (its landed document and chart images and their ground truth), a
sample of ``--per-source`` images of every source (seeded) is read by each variant in
turn, image by image (variant order reversed on every other image, so load drifts hit
every variant alike), each engine with one ONNX thread in this process. Per variant and
source it prints: CPU seconds per image (``time.process_time``: comparable under load,
unlike wall time), mean character recall against the ground truth
(``ingest.documents.char_recall``), usable images (recall >= 0.9), and against the first
variant: usability flips, images read worse / better, chart value checks that changed, and
images whose text is identical.

A variant is a JSON object of ``RapidOCR(**kwargs)`` settings, e.g.
``'{"rec_img_shape": [3, 48, 160], "rec_batch_num": 3}'``; ``{"call": {"use_cls": false}}``
passes call-time options. ``{}`` is RapidOCR's defaults.

Usage::

    .venv/bin/python bench/bench_ocr_settings.py --warehouse warehouse --per-source 3 \\
        '{}' '{"rec_img_shape": [3, 48, 160], "rec_batch_num": 3}'
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ingest import ocr
from ingest.asset_files import read_checked
from ingest.documents.char_recall import recall_scores
from lakehouse.settings import Warehouse


def _sample(wh: Warehouse, per_source: int, seed: int) -> tuple[list, dict, dict]:
    assets = [a for a in ocr._read_table(wh, ocr.ASSETS_TABLE,
                                         ["asset_id", "source", "relative_path", "asset_type"])
              if a["asset_type"] in ocr.OCR_ASSET_TYPES]
    assets.sort(key=lambda a: (a["source"], a["relative_path"]))
    by_source: dict[str, list] = {}
    for a in assets:
        by_source.setdefault(a["source"], []).append(a)
    roots = ocr._roots(wh, None)
    images = []
    for _, found in sorted(by_source.items()):
        random.Random(seed).shuffle(found)
        for a in found[:per_source]:
            data = read_checked(ocr._work_item(a, roots))
            image = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
            images.append((a, np.array(image)))
    truth = {r["asset_id"]: r["full_text"]
             for r in ocr._read_table(wh, "document_texts", ["asset_id", "full_text"])}
    truth.update({r["asset_id"]: r["chart_text"]
                  for r in ocr._read_table(wh, "charts", ["asset_id", "chart_text"])
                  if r["chart_text"]})
    values: dict[str, list[float]] = {}
    for r in ocr._read_table(wh, "chart_tables", ["asset_id", "value"]):
        if r["value"] is not None and math.isfinite(r["value"]):
            values.setdefault(r["asset_id"], []).append(r["value"])
    return images, truth, values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=Path("warehouse"))
    parser.add_argument("--per-source", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("variants", nargs="+", help="JSON objects of RapidOCR settings")
    args = parser.parse_args(argv)
    from rapidocr_onnxruntime import RapidOCR

    images, truth, values = _sample(Warehouse(args.warehouse.resolve()), args.per_source, args.seed)
    print(f"{len(images)} images, load {os.getloadavg()[0]:.1f}", flush=True)
    engines = []
    for text in args.variants:
        settings = json.loads(text)
        call = settings.pop("call", {})
        engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, **settings)
        engine(images[0][1], **call)  # warm up
        engines.append((text, engine, call, {}))
    for i, (asset, image) in enumerate(images):
        for _, engine, call, out in engines if i % 2 == 0 else engines[::-1]:
            started = time.process_time()
            result, _ = engine(image, **call)
            cpu = time.process_time() - started
            texts = [r[1] for r in result or []]
            aid = asset["asset_id"]
            found = ocr.value_evidence(values[aid], texts)[0] if aid in values else None
            out[aid] = {"source": asset["source"], "cpu": cpu, "texts": texts, "checks": found,
                        "recall": recall_scores(truth.get(aid, ""), texts).char_recall}
    base = engines[0][3]
    for text, _, _, out in engines:
        print(f"== {text}")
        total = 0.0
        for source in sorted({r["source"] for r in out.values()}):
            rows = {k: r for k, r in out.items() if r["source"] == source}
            scored = {k: r for k, r in rows.items() if r["recall"] is not None}
            cpu = sum(r["cpu"] for r in rows.values())
            total += cpu
            recall = sum(r["recall"] for r in scored.values()) / max(1, len(scored))
            flips = sum((r["recall"] >= 0.9) != (base[k]["recall"] >= 0.9) for k, r in scored.items())
            worse = sum(r["recall"] < base[k]["recall"] - 1e-9 for k, r in scored.items())
            better = sum(r["recall"] > base[k]["recall"] + 1e-9 for k, r in scored.items())
            checks = sum(r["checks"] != base[k]["checks"] for k, r in rows.items())
            same = sum(r["texts"] == base[k]["texts"] for k, r in rows.items())
            print(f"  {source:18s} n={len(rows):3d} cpu/img={cpu / len(rows):5.2f} s "
                  f"recall={recall:.4f} usable={sum(r['recall'] >= 0.9 for r in scored.values())} "
                  f"flips={flips} worse={worse} better={better} checks_changed={checks} "
                  f"identical_text={same}")
        print(f"  total CPU {total:.1f} s")
    print(f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
