"""Benchmark: COCO JSON -> landed Parquet -> ``int_annotations_normalized``, and image landing.

What it measures (each landing in a fresh CHILD process, so that its peak memory is its
own; best of ``--repeat`` runs):

1. **JSON landing** of a synthetic COCO file (``bench/make_synthetic_coco.py``; generated
   into ``--data-dir`` if missing) through the product's own steps:
   ``ingest.coco.read_coco_json`` (streaming + per-record checks), then
   ``assemble_coco_landing`` (the vectorized validation and joins) and
   ``write_coco_landing`` (Parquet files) into a temporary warehouse. The synthetic file
   has no image files: the step that inspects the images folder is replaced by one
   ``ImageFile`` per JSON image with a fake sha256 (built here, not in the product), so
   every image and box lands. Printed: seconds per step, annotation rows/s, peak RSS
   (``ru_maxrss`` of the child, i.e. VmHWM).
2. **dbt**: a build of the normalized table, everything upstream of it and the tests
   among them (``SELECT_NORMALIZED``), timed after each landing; with ``--full-dbt`` also a
   whole-project ``dbt build``. Both through ``lakehouse.dbt.run_dbt`` with
   ``MMFACTORY_WAREHOUSE`` set to the temporary warehouse (dbt's ``target/`` and logs go
   to a temporary folder, not the project's). The headline "JSON to the normalized table"
   is the landing process (Python start included) + that build.
3. **Image landing** on COCO128: ``ingest.image_files.inspect_images`` (read, sha256,
   header) over the 128 files x ``--image-rounds``, with ``workers=1`` (one core) and with
   the default pool, as images/s and images/s per core.

Child processes run with Python's default bytecode cache, even where
``PYTHONDONTWRITEBYTECODE`` is set (``--no-bytecode-cache`` keeps it): without it every
process compiles polars, pandas and dbt again, ~3 s per start.

Usage::

    .venv/bin/python bench/bench_landing.py --boxes 1000000             # headline + images
    .venv/bin/python bench/bench_landing.py --boxes 1000000 --full-dbt  # + whole-project build
    .venv/bin/python bench/bench_landing.py --boxes 1500000 --no-dbt --no-images  # memory
    .venv/bin/python bench/bench_landing.py --images-only
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from lakehouse.dbt import BUILD_ARGS  # noqa: E402 (after the project is on the path)

DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "mmfactory-bench"
COCO128_IMAGES = PROJECT_ROOT.parent / "shared" / "datasets" / "coco128" / "train2017"
# the normalized table, everything upstream of it, and the staging models its upstream's
# tests point at; tests only when all their models are selected (dbt's default would also
# pick tests of other engineers' models that merely reference these)
SELECT_NORMALIZED = [
    *BUILD_ARGS,  # as `mmfactory build` runs dbt: without the SQL unit tests
    "--select",
    "+int_annotations_normalized",
    "stg_landing__assets",
    "stg_landing__asset_sources",
    "stg_coco__licenses",
    "--indirect-selection",
    "cautious",
]
TARGETS = {
    "json_to_normalized_s": 20.0,  # 1M boxes, seconds
    "peak_rss_1_5m_mb": 2048.0,  # landing a 1.5M-box file, MiB
    "images_per_s_per_core": 2000.0,
}


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the child: one landing ---------------------------------------------------------------


def fake_image_files(images) -> ImageFiles:  # noqa: F821 (imported lazily)
    """One readable, distinct ``ImageFile`` per JSON image, as if its file were present."""
    from ingest.coco import ImageFiles
    from ingest.image_files import ImageFile

    files = [
        ImageFile(
            relative_path=name,
            asset_id=hashlib.sha256(name.encode()).hexdigest(),
            format="JPEG",
            width_px=w,
            height_px=h,
            exif_orientation=None,
            size_bytes=150_000,
        )
        for name, w, h in images.select("file_name", "json_width_px", "json_height_px").iter_rows()
    ]
    return ImageFiles(files=files, rejects={}, paths_in=len(files))


def child_land(json_path: Path, warehouse_root: Path) -> dict:
    """Land ``json_path`` into ``warehouse_root``; return the timings (run in a child)."""
    t0 = time.perf_counter()
    from ingest.coco import assemble_coco_landing, read_coco_json, write_coco_landing
    from lakehouse.catalog import ensure_landing
    from lakehouse.landing import new_run_id, utc_now
    from lakehouse.settings import Warehouse

    t_import = time.perf_counter() - t0
    wh = Warehouse(warehouse_root)
    ensure_landing(wh)
    run_id, at = new_run_id(), utc_now()
    t1 = time.perf_counter()
    coco = read_coco_json(json_path)
    t2 = time.perf_counter()
    files = fake_image_files(coco.images)
    t3 = time.perf_counter()
    landing = assemble_coco_landing(coco, files, "synthetic", run_id, at)
    t4 = time.perf_counter()
    report = write_coco_landing(wh, landing, "synthetic", json_path.parent, json_path, run_id, at)
    t5 = time.perf_counter()
    return {
        "import_s": t_import,
        "json_s": t2 - t1,
        "fake_files_s": t3 - t2,
        "validate_s": t4 - t3,
        "write_s": t5 - t4,
        "land_s": (t2 - t1) + (t5 - t3),
        "annotations_in": report.rows_in["coco_annotations"],
        "annotations_landed": report.rows_landed["coco_annotations"],
        "images_landed": report.rows_landed["coco_images"],
        "rejects": len(report.rejects),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_child(json_path: Path, warehouse_root: Path) -> dict:
    start = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child-land",
            str(json_path),
            "--warehouse",
            str(warehouse_root),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # the whole landing process as a command would run it: Python start, imports, landing
    result["process_s"] = time.perf_counter() - start
    return result


# --- the parent ----------------------------------------------------------------------------


def ensure_synthetic(
    data_dir: Path, boxes: int, per_image: float, seed: int, points: int, key_order: str
) -> Path:
    """The synthetic file for these parameters (generated once, then reused)."""
    images = round(boxes / per_image)
    path = data_dir / f"coco_{images}x{per_image:g}_s{seed}_p{points}_{key_order}.json"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                str(PROJECT_ROOT / "bench" / "make_synthetic_coco.py"),
                "--images",
                str(images),
                "--boxes-per-image",
                f"{per_image:g}",
                "--out",
                str(path),
                "--seed",
                str(seed),
                "--segmentation-points",
                str(points),
                "--key-order",
                key_order,
            ],
            check=True,
        )
    return path


@contextlib.contextmanager
def quiet_stdout(log: Path):
    """Send this process's (and its children's) stdout to ``log`` for the block."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(log, "ab") as f:
        os.dup2(f.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def time_dbt(wh_root: Path, args: list[str], scratch: Path) -> tuple[float, int]:
    from lakehouse.dbt import run_dbt
    from lakehouse.settings import WAREHOUSE_ENV, Warehouse

    os.environ[WAREHOUSE_ENV] = str(wh_root)
    os.environ["DBT_TARGET_PATH"] = str(scratch / "dbt-target")
    os.environ["DBT_LOG_PATH"] = str(scratch / "dbt-logs")
    start = time.perf_counter()
    with quiet_stdout(scratch / "dbt-output.log"):
        code = run_dbt(Warehouse(wh_root), args)
    return time.perf_counter() - start, code


def bench_json(json_path: Path, repeat: int, dbt: bool, full_dbt: bool) -> dict:
    size_mb = json_path.stat().st_size / 1e6
    print(f"\n== JSON landing: {json_path.name} ({size_mb:,.0f} MB), best of {repeat}")
    runs = []
    with tempfile.TemporaryDirectory(prefix="mmbench-") as tmp:
        scratch = Path(tmp)
        for i in range(repeat):
            wh_root = scratch / f"wh{i}"
            r = run_child(json_path, wh_root)
            if dbt:
                r["dbt_select_s"], r["dbt_select_rc"] = time_dbt(
                    wh_root, SELECT_NORMALIZED, scratch
                )
                r["normalized_rows"] = normalized_rows(wh_root)
                r["total_s"] = r["process_s"] + r["dbt_select_s"]
            runs.append(r)
            print(
                f"  run {i + 1}: json {r['json_s']:.2f} s + validate {r['validate_s']:.2f} s + write "
                f"{r['write_s']:.2f} s = land {r['land_s']:.2f} s (process {r['process_s']:.2f} s), "
                f"peak RSS {r['peak_rss_mb']:,.0f} MiB"
                + (
                    f"; dbt build (normalized table) {r['dbt_select_s']:.2f} s "
                    f"(exit {r['dbt_select_rc']}); total {r['total_s']:.2f} s"
                    if dbt
                    else ""
                )
            )
        best = min(runs, key=lambda r: r.get("total_s", r["land_s"]))
        result = {
            "file": str(json_path),
            "file_mb": size_mb,
            "runs": runs,
            "annotations": best["annotations_landed"],
            "images": best["images_landed"],
            "rejects": best["rejects"],
            "json_s": min(r["json_s"] for r in runs),
            "validate_s": min(r["validate_s"] for r in runs),
            "write_s": min(r["write_s"] for r in runs),
            "land_s": min(r["land_s"] for r in runs),
            "process_s": min(r["process_s"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        }
        result["json_rows_per_s"] = result["annotations"] / result["json_s"]
        result["land_rows_per_s"] = result["annotations"] / result["land_s"]
        if dbt:
            result["dbt_select_s"] = min(r["dbt_select_s"] for r in runs)
            result["total_s"] = min(r["total_s"] for r in runs)
            result["normalized_rows"] = best["normalized_rows"]
        if full_dbt:
            full = [time_dbt(scratch / "wh0", ["build"], scratch) for _ in range(repeat)]
            result["dbt_full_s"] = min(s for s, _ in full)
            result["dbt_full_rc"] = max(c for _, c in full)
    print(
        f"  annotations landed: {result['annotations']:,} of {best['annotations_in']:,} "
        f"({result['images']:,} images, {result['rejects']} rejects)"
    )
    print(
        f"  JSON -> frames   {result['json_s']:6.2f} s  {result['json_rows_per_s']:>12,.0f} rows/s"
    )
    print(
        f"  JSON -> landed   {result['land_s']:6.2f} s  {result['land_rows_per_s']:>12,.0f} rows/s "
        f"({result['process_s']:.2f} s as a process, with Python start and imports)"
    )
    print(f"  peak RSS         {result['peak_rss_mb']:6,.0f} MiB (worst run)")
    if dbt:
        print(
            f"  dbt {' '.join(SELECT_NORMALIZED)}\n      {result['dbt_select_s']:.2f} s "
            f"({result['normalized_rows']:,} rows in int_annotations_normalized)"
        )
        print(
            f"  JSON -> int_annotations_normalized  {result['total_s']:.2f} s (best run: landing process "
            f"+ dbt; target < {TARGETS['json_to_normalized_s']:g} s)"
        )
    if full_dbt:
        print(
            f"  dbt build (whole project)  {result['dbt_full_s']:.2f} s (exit {result['dbt_full_rc']})"
        )
    return result


def normalized_rows(wh_root: Path) -> int:
    import duckdb

    with duckdb.connect(str(wh_root / "lakehouse.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from int_annotations_normalized").fetchone()[0]


def bench_images(root: Path, repeat: int, rounds: int) -> dict:
    from ingest.image_files import inspect_images, walk_images

    paths = walk_images(root)
    work = paths * rounds  # 128 files take ~40 ms: go over them a few times for a stable figure
    cores = os.cpu_count() or 1
    default_workers = min(8, cores * 2)  # inspect_images' own default
    print(
        f"\n== Image landing: inspect_images (read, sha256, header) on the {len(paths)} files of "
        f"{root.name} x {rounds} rounds, best of {repeat}"
    )
    list(inspect_images(root, paths, workers=1))  # warm the page cache
    result = {"files": len(paths), "rounds": rounds, "cores": cores}
    for label, workers in (("1 worker", 1), (f"default ({default_workers} threads)", None)):
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            n = sum(1 for _ in inspect_images(root, work, workers=workers))
            best = min(best, time.perf_counter() - start)
        rate = n / best
        used = 1 if workers == 1 else min(cores, default_workers)
        key = "workers1" if workers == 1 else "default"
        result[key] = {
            "seconds": best,
            "images_per_s": rate,
            "cores_used": used,
            "per_core": rate / used,
        }
        print(
            f"  {label:24s} {best:6.3f} s  {rate:8,.0f} images/s  {rate / used:8,.0f} images/s per core "
            f"(target >= {TARGETS['images_per_s_per_core']:,.0f} per core)"
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boxes", type=int, default=1_000_000, help="boxes in the synthetic file")
    parser.add_argument("--boxes-per-image", type=float, default=15.0)
    parser.add_argument("--segmentation-points", type=int, default=20)
    parser.add_argument("--key-order", choices=["coco128", "coco2017"], default="coco128")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="use this COCO file instead of a synthetic one")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"where synthetic files are kept (default {DEFAULT_DATA_DIR})",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measure, best kept (default 3)"
    )
    parser.add_argument("--no-dbt", action="store_true", help="skip dbt")
    parser.add_argument(
        "--full-dbt", action="store_true", help="also time a whole-project `dbt build`"
    )
    parser.add_argument("--images-only", action="store_true", help="only the COCO128 image landing")
    parser.add_argument("--no-images", action="store_true", help="skip the COCO128 image landing")
    parser.add_argument(
        "--image-rounds", type=int, default=10, help="passes over COCO128 per run (default 10)"
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE for the child processes if it is set",
    )
    parser.add_argument("--json-out", type=Path, help="also write the figures here as JSON")
    parser.add_argument("--child-land", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child_land:
        print(json.dumps(child_land(args.child_land, args.warehouse)))
        return 0
    if not args.no_bytecode_cache:
        # Python's default: cache compiled modules. (This sandbox sets PYTHONDONTWRITEBYTECODE,
        # which makes every process compile polars/pandas/dbt again: ~3 s per start.)
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

    print(
        f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} "
        f"GiB RAM, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; bytecode cache "
        f"{'off' if os.environ.get('PYTHONDONTWRITEBYTECODE') else 'on'}"
    )
    figures: dict = {"argv": sys.argv[1:] if argv is None else argv}
    if not args.images_only:
        path = args.json or ensure_synthetic(
            args.data_dir,
            args.boxes,
            args.boxes_per_image,
            args.seed,
            args.segmentation_points,
            args.key_order,
        )
        figures["json"] = bench_json(path, args.repeat, not args.no_dbt, args.full_dbt)
    if not args.no_images:
        figures["images"] = bench_images(COCO128_IMAGES, args.repeat, args.image_rounds)
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
