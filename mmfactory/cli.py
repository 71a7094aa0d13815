"""The ``mmfactory`` command: land inputs, build the lakehouse, and (later) check and report.

``mmfactory build`` is what ``make run`` calls: land the default inputs, then ``dbt build``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from generation.cli import generate_app
from ingest.catalog import ensure_landing
from ingest.coco import DEFAULT_BBOX_TOLERANCE_PX, CocoFileError, land_coco
from ingest.landing import LandingError
from ingest.report import LandingReport
from mmfactory.dbt import run_dbt
from mmfactory.reporting import print_landing
from mmfactory.settings import PROJECT_ROOT, warehouse
from mmfactory.summary import print_summary

app = typer.Typer(help="mmfactory: image assets in, trainer-ready VLM samples out.", no_args_is_help=True)
land_app = typer.Typer(help="Land an input as Parquet tables under warehouse/landing/.", no_args_is_help=True)
app.add_typer(land_app, name="land")
app.add_typer(generate_app, name="generate")

console = Console(stderr=False)
err = Console(stderr=True)

DEFAULT_COCO_IMAGES = PROJECT_ROOT.parent / "shared" / "datasets" / "coco128" / "train2017"
DEFAULT_COCO_ANNOTATIONS = (PROJECT_ROOT.parent / "shared" / "datasets" / "coco128" / "annotations"
                            / "instances_train2017.json")


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _land_coco(images: Path, annotations: Path, source: str, tolerance: float, verify: bool) -> LandingReport:
    wh = warehouse()
    ensure_landing(wh)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as progress:
        task = progress.add_task(f"landing {source}: images", total=None)

        def on_progress(step: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            report = land_coco(wh, images, annotations, source, tolerance, verify, on_progress)
        except (CocoFileError, LandingError) as exc:
            raise _fail(str(exc)) from None
    print_landing(report, console)
    return report


@land_app.command("coco")
def land_coco_command(
    images: Annotated[Path, typer.Option(help="Folder of image files (the images root).")],
    annotations: Annotated[Path, typer.Option(help="COCO instances JSON file.")],
    source: Annotated[str, typer.Option(help="Name of this source in the lakehouse.")] = "coco128",
    bbox_tolerance_px: Annotated[float, typer.Option(
        help="How far a box may reach beyond its image and still land.")] = DEFAULT_BBOX_TOLERANCE_PX,
    verify: Annotated[bool, typer.Option(help="Fully decode every image (slow) instead of headers only.")] = False,
) -> None:
    """Land a COCO annotation file and its images folder."""
    _land_coco(images, annotations, source, bbox_tolerance_px, verify)


@app.command()
def build(
    coco_images: Annotated[Path, typer.Option(help="COCO images folder.")] = DEFAULT_COCO_IMAGES,
    coco_annotations: Annotated[Path, typer.Option(help="COCO instances JSON.")] = DEFAULT_COCO_ANNOTATIONS,
    source: Annotated[str, typer.Option(help="Source name for the COCO input.")] = "coco128",
    land: Annotated[bool, typer.Option(help="Land the inputs first (--no-land: only dbt build).")] = True,
) -> None:
    """Land the default inputs, run `dbt build`, print a summary."""
    if land:
        if not coco_images.is_dir() or not coco_annotations.is_file():
            raise _fail(
                f"the default input is missing: {coco_images} and {coco_annotations}.\n"
                "Put the shared datasets beside the project (../shared/datasets/coco128), or pass\n"
                "  make run COCO_IMAGES=/path/to/images COCO_ANNOTATIONS=/path/to/instances.json"
            )
        _land_coco(coco_images, coco_annotations, source, DEFAULT_BBOX_TOLERANCE_PX, False)
    wh = warehouse()
    ensure_landing(wh)
    code = run_dbt(wh, ["build"])
    if code != 0:
        raise _fail(f"dbt build failed (exit {code}); see its output above")
    print_summary(wh, console)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(ctx: typer.Context) -> None:
    """Run any dbt command against the active warehouse, e.g. `mmfactory dbt test`."""
    raise typer.Exit(code=run_dbt(warehouse(), list(ctx.args)))


@app.command()
def summary() -> None:
    """Print the lakehouse's tables, row counts and rejects."""
    wh = warehouse()
    if not wh.database.exists():
        raise _fail(f"no lakehouse at {wh.database}: run `mmfactory build` first")
    print_summary(wh, console)
