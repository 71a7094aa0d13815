"""The ``mmfactory phash`` command: perceptual hashes of every landed asset.

Registered with one line in ``mmfactory/cli.py``; ``mmfactory build`` runs the same stage
after landing and rendering (``land_perceptual_hashes``). A rerun hashes only assets
without a row; the near-duplicate pairs and clusters are built by dbt
(``int_asset_near_duplicates_paired``, ``report_near_duplicate_clusters``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from lakehouse.catalog import ensure_landing
from lakehouse.report import LandingReport
from lakehouse.settings import Warehouse, warehouse
from mmfactory.consoles import console, err


def land_perceptual_hashes(wh: Warehouse, workers: int | None = None,
                           chunk_size: int | None = None) -> LandingReport:
    """Run the stage on ``wh`` and print what it landed (the build calls this too)."""
    from ingest.perceptual_hashes import DEFAULT_CHUNK_SIZE, run_perceptual_hashes
    from mmfactory.reporting import print_landing

    ensure_landing(wh)
    report = run_perceptual_hashes(wh, workers=workers,
                                   chunk_size=chunk_size or DEFAULT_CHUNK_SIZE)
    print_landing(report, console)
    return report


def phash(
    workers: Annotated[int | None, typer.Option(
        help="Processes (default: every core, or $MMFACTORY_WORKERS; 1 = in-process).")] = None,
    chunk_size: Annotated[int | None, typer.Option(
        help="Images per chunk (each finished chunk lands at once).")] = None,
) -> None:
    """Perceptual hashes (pHash, dHash) of every landed asset not hashed yet, for
    near-duplicate detection; then `mmfactory build --no-land` pairs them."""
    wh = warehouse()
    if not (wh.landing / "assets").is_dir():
        err.print(f"[bold red]error:[/] nothing landed under {wh.landing}: "
                  "land an input first (`mmfactory land ...` or `mmfactory build`)")
        raise typer.Exit(code=2)
    if workers is not None and workers < 1 or chunk_size is not None and chunk_size < 1:
        err.print("[bold red]error:[/] --workers and --chunk-size must be at least 1")
        raise typer.Exit(code=2)
    land_perceptual_hashes(wh, workers, chunk_size)
