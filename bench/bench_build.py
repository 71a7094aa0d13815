"""The scale benchmark: the real default ``mmfactory build`` on a synthetic COCO corpus
WITH image files, in a scratch warehouse.

1. ``bench/make_synthetic_coco.py`` writes the annotation file (COCO's category mix,
   log-normal box sizes, ~1% crowd regions, polygons);
2. this script writes one JPEG per image record at the size the JSON gives it (varied
   content: a seeded background colour, noise and filled shapes), in a process pool; the
   corpus is kept under ``--workdir`` and reused when it is already complete;
3. ``mmfactory build --coco-images ... --coco-annotations ... --source synthetic`` runs as
   a child process with ``MMFACTORY_WAREHOUSE`` pointing at a fresh scratch warehouse
   (FUNSD, SROIE and ChartQA are landed from ../shared/datasets as in ``make run``);
4. it prints the wall time of every stage (the build's ``stage <name>: <s> s`` lines), the
   10 slowest dbt nodes (``run_results.json`` in the warehouse's dbt target), the peak RSS of the build and its
   children, the samples and records produced, the contract result and the load average.

Usage::

    .venv/bin/python bench/bench_build.py --images 1000 [--rerun] [--out result.json]

``--rerun`` runs the same build a second time on the same warehouse (an unchanged re-run).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import ijson
import numpy as np
from PIL import Image, ImageDraw

BENCH = Path(__file__).resolve().parent
PROJECT = BENCH.parent
sys.path.insert(0, str(PROJECT))

from bench.make_synthetic_coco import write_coco  # noqa: E402
from lakehouse.dbt import dbt_target_path  # noqa: E402
from lakehouse.settings import Warehouse  # noqa: E402
from lakehouse.stages import run_stage  # noqa: E402

STAGE_LINE = re.compile(r"^stage (\w+): ([0-9.]+) s$", re.M)


def draw_image(record: dict, folder: str) -> None:
    """One varied JPEG at the record's size, seeded by its id."""
    rng = np.random.default_rng(int(record["id"]))
    w, h = int(record["width"]), int(record["height"])
    base = rng.integers(0, 256, 3)
    noise = rng.integers(-40, 40, (h // 8 + 1, w // 8 + 1, 3))
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    img = Image.fromarray(pixels).resize((w, h), Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 12))):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = min(w, x0 + int(rng.integers(8, w // 2 + 9))), min(h, y0 + int(rng.integers(8, h // 2 + 9)))
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=color)
    img.save(Path(folder) / record["file_name"], "JPEG", quality=80)


def _draw_chunk(items: list[tuple[dict, str]]):
    import pyarrow as pa

    for record, folder in items:
        draw_image(record, folder)
    return pa.record_batch({"n": [len(items)]})


def make_corpus(workdir: Path, images: int, boxes_per_image: float, seed: int) -> tuple[Path, Path]:
    """The annotation file and the images folder of the corpus (made once, then reused)."""
    annotations = workdir / f"instances_{images}.json"
    folder = workdir / f"images_{images}"
    done = workdir / f".complete_{images}"
    if done.exists():
        return annotations, folder
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(annotations, "w", encoding="utf-8") as out:
        counts = write_coco(out, images, boxes_per_image, seed, segmentation_points=8)
    folder.mkdir(exist_ok=True)
    with open(annotations, "rb") as fh:
        records = [{k: r[k] for k in ("id", "file_name", "width", "height")}
                   for r in ijson.items(fh, "images.item")]
    for _ in run_stage(_draw_chunk, [(r, str(folder)) for r in records], chunk_size=200):
        pass
    done.touch()
    print(f"corpus: {counts['images']:,} images, {counts['annotations']:,} boxes in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    return annotations, folder


def run_build(wh: Path, annotations: Path, folder: Path) -> dict:
    """Run the default build once; return its figures."""
    env = {**os.environ, "MMFACTORY_WAREHOUSE": str(wh), "COLUMNS": "120"}
    cmd = [str(Path(sys.executable).with_name("mmfactory")), "build", "--coco-images", str(folder),
           "--coco-annotations", str(annotations), "--source", "synthetic"]
    load_before = os.getloadavg()
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=PROJECT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = proc.stdout + proc.stderr
    (wh / "build.log").write_text(out)
    stages = {m.group(1): float(m.group(2)) for m in STAGE_LINE.finditer(out)}
    slowest = []
    results = dbt_target_path(Warehouse(wh)) / "run_results.json"
    if results.is_file():
        nodes = json.loads(results.read_text())["results"]
        nodes.sort(key=lambda n: n.get("execution_time", 0), reverse=True)
        slowest = [(n["unique_id"].split(".")[-1], round(n["execution_time"], 1)) for n in nodes[:10]]
    counts = {}
    if (wh / "lakehouse.duckdb").is_file():
        con = duckdb.connect(str(wh / "lakehouse.duckdb"), read_only=True)
        for name, sql in (("samples", "select count(*) from samples"),
                          ("training_records", "select count(*) from training_records"),
                          ("boxes", "select count(*) from int_annotations_normalized"),
                          ("assets", "select count(*) from stg_landing__assets")):
            try:
                counts[name] = con.execute(sql).fetchone()[0]
            except duckdb.Error:
                counts[name] = None
        con.close()
    checks = re.search(r"Project checks: (\d+) / (\d+) PASS", out)
    return {"exit_code": proc.returncode, "wall_s": round(wall, 1), "stages_s": stages,
            "slowest_dbt_nodes_s": slowest, "peak_rss_mb": round(peak_kb / 1024), **counts,
            "checks": checks.group(0) if checks else None,
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, required=True)
    parser.add_argument("--boxes-per-image", type=float, default=7.3,
                        help="mean boxes per image (COCO train2017: 7.3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/mmfactory-bench/build"))
    parser.add_argument("--rerun", action="store_true", help="also time an unchanged re-run")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    annotations, folder = make_corpus(args.workdir, args.images, args.boxes_per_image, args.seed)
    wh = args.workdir / f"warehouse_{args.images}"
    shutil.rmtree(wh, ignore_errors=True)
    figures = {"images": args.images, "first": run_build(wh, annotations, folder)}
    if args.rerun:
        figures["rerun"] = run_build(wh, annotations, folder)
    print(json.dumps(figures, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))
    return 0 if figures["first"]["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
