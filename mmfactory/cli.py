"""The ``mmfactory`` command: land inputs, render derived assets, OCR them, build the
lakehouse, and call models (optional).

``mmfactory build`` is what ``make run`` calls: land the default inputs (COCO128, FUNSD,
SROIE, ChartQA from ../shared/datasets), render the balanced pool's derived documents and
charts, OCR every real document and chart image and a sample of the drawn ones, then
``dbt build``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from generation.cli import generate_app
from ingest.coco import DEFAULT_BBOX_TOLERANCE_PX, CocoFileError, land_coco
from ingest.ocr_policy import DEFAULT_DRAWN_CHARTS_PER_KIND, DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT
from lakehouse.catalog import ensure_landing
from lakehouse.dbt import run_dbt
from lakehouse.landing import LandingError
from lakehouse.report import LandingReport
from lakehouse.settings import PROJECT_ROOT, warehouse
from lakehouse.stages import StageConfigError
from mmfactory.check_cli import check, report
from mmfactory.consoles import console, err
from mmfactory.executor_cli import ExecutorOption, RayAddressOption, stage_executor
from mmfactory.lock_cli import guard
from mmfactory.phash_cli import land_perceptual_hashes, phash
from mmfactory.rebuild import DbtBuildFailed, build_landed, stage
from mmfactory.reporting import print_landing
from mmfactory.release_cli import register as register_release_commands
from mmfactory.review_cli import review_app
from mmfactory.summary import print_summary
from mmfactory.visual_audit_cli import visual_audit

app = typer.Typer(help="mmfactory: image assets in, trainer-ready VLM samples out.", no_args_is_help=True)
land_app = typer.Typer(help="Land an input as Parquet tables under warehouse/landing/.", no_args_is_help=True)
app.add_typer(land_app, name="land")
app.add_typer(generate_app, name="generate")
app.add_typer(review_app, name="review")
app.command()(check)
app.command()(report)
app.command()(phash)
app.command("visual-audit")(visual_audit)
register_release_commands(app)
app.callback()(guard)  # the warehouse lock: one writer at a time (mmfactory/lock_cli.py)

SHARED = PROJECT_ROOT.parent / "shared" / "datasets"
DEFAULT_COCO_IMAGES = SHARED / "coco128" / "train2017"
DEFAULT_COCO_ANNOTATIONS = SHARED / "coco128" / "annotations" / "instances_train2017.json"
DEFAULT_FUNSD = SHARED / "funsd"
DEFAULT_SROIE = SHARED / "sroie"
DEFAULT_CHARTQA = SHARED / "chartqa"


class ExifFrame(StrEnum):
    """``land coco --exif-frame``: the frame boxes of EXIF-rotated images were drawn in."""

    raw = "raw"
    displayed = "displayed"


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code=2)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar; yields the ``progress(step, done, total)`` callback landings take."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as progress:
        task = progress.add_task(label, total=None)

        def update(step: str, done: int, total: int) -> None:
            progress.update(task, description=f"{label}: {step}", completed=done, total=total)

        yield update


def _landing(label: str, run: Callable[[Callable[[str, int, int], None]], LandingReport]) -> LandingReport:
    """Run one landing with a progress bar; bad input ends the command with its message."""
    from ingest.ocr import OcrEngineUnavailable

    ensure_landing(warehouse())
    with _progress(label) as progress:
        try:
            report = run(progress)
        except (CocoFileError, LandingError, OcrEngineUnavailable, StageConfigError) as exc:
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
    replace: Annotated[bool, typer.Option(
        help="Land even when it would shrink the source to zero rows or by more than half.")] = False,
    exif_frame: Annotated[ExifFrame | None, typer.Option(
        help="Frame of the boxes of EXIF-rotated images whose size cannot tell it "
             "(orientations 2-4, square images): raw (stored pixels) or displayed.")] = None,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
) -> None:
    """Land a COCO annotation file and its images folder."""
    frame = None if exif_frame is None else exif_frame.value
    with stage_executor(executor, ray_address):
        _landing(f"landing {source}", lambda p: land_coco(
            warehouse(), images, annotations, source, bbox_tolerance_px, verify, p, replace,
            frame))


@land_app.command("funsd")
def land_funsd_command(
    root: Annotated[Path, typer.Argument(help="FUNSD folder (<split>/images, <split>/annotations).")],
    source: Annotated[str, typer.Option(help="Name of this source.")] = "funsd",
    replace: Annotated[bool, typer.Option(
        help="Land even when it would shrink the source to zero rows or by more than half.")] = False,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
) -> None:
    """Land FUNSD forms: entities, words, boxes, labels, question->answer links."""
    from ingest.funsd import land_funsd

    with stage_executor(executor, ray_address):
        _landing(f"landing {source}", lambda p: land_funsd(warehouse(), root, source, replace=replace))


@land_app.command("sroie")
def land_sroie_command(
    root: Annotated[Path, typer.Argument(help="SROIE folder (img/, box/, key/).")],
    source: Annotated[str, typer.Option(help="Name of this source.")] = "sroie",
    replace: Annotated[bool, typer.Option(
        help="Land even when it would shrink the source to zero rows or by more than half.")] = False,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
) -> None:
    """Land SROIE receipts: text lines with quadrilaterals, key fields."""
    from ingest.sroie import land_sroie

    with stage_executor(executor, ray_address):
        _landing(f"landing {source}", lambda p: land_sroie(warehouse(), root, source, replace=replace))


@land_app.command("chartqa")
def land_chartqa_command(
    root: Annotated[Path, typer.Argument(help="ChartQA folder (png/, tables/, qa.json).")],
    source: Annotated[str, typer.Option(help="Name of this source.")] = "chartqa",
    replace: Annotated[bool, typer.Option(
        help="Land even when it would shrink the source to zero rows or by more than half.")] = False,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
) -> None:
    """Land ChartQA charts with their tables (plausibility-checked) and QA pairs."""
    from ingest.chartqa import land_chartqa

    with stage_executor(executor, ray_address):
        _landing(f"landing {source}", lambda p: land_chartqa(warehouse(), root, source, replace=replace))


@app.command()
def render(
    coco_source: Annotated[str, typer.Option(help="The landed COCO source to derive from.")] = "coco128",
    per_type: Annotated[int | None, typer.Option(
        help="Assets per type in the balanced pool (default 128, or fewer usable photos).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the deterministic choices.")] = 0,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    scan_noise: Annotated[str | None, typer.Option(
        help="Documents' scan noise: off, light or strong (default $MMFACTORY_SCAN_NOISE or light).")] = None,
) -> None:
    """Render the balanced pool's derived documents and charts and land them as assets."""
    from render.derive import render_derived

    with stage_executor(executor, ray_address):
        _landing("rendering", lambda p: render_derived(warehouse(), coco_source, per_type, seed,
                                                       progress=p, scan_noise=scan_noise))


DrawnChartsOption = Annotated[int | None, typer.Option(
    "--drawn-charts-per-kind",
    help="OCR this many of the charts mmfactory drew per chart kind (default 8; a large "
         "number reads all). Real documents and charts are always read.")]
DrawnDocumentsOption = Annotated[int | None, typer.Option(
    "--drawn-documents-per-layout",
    help="OCR this many of the documents mmfactory drew per layout (default 4; a large "
         "number reads all); the others take their layout's verdict and printed text.")]


@app.command()
def ocr(
    sources: Annotated[list[str] | None, typer.Option("--source", help="Only these sources.")] = None,
    workers: Annotated[int | None, typer.Option(
        help="OCR processes (default: every core, or $MMFACTORY_WORKERS).")] = None,
    chunk_size: Annotated[int, typer.Option(help="Reads per checkpoint chunk.")] = 8,
    replace: Annotated[bool, typer.Option(
        help="Land even when a source's OCR tables would go to zero rows or lose more than half.")] = False,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    drawn_charts_per_kind: DrawnChartsOption = DEFAULT_DRAWN_CHARTS_PER_KIND,
    drawn_documents_per_layout: DrawnDocumentsOption = DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT,
) -> None:
    """OCR every real document and chart image, and a sample of the drawn ones per layout
    and chart kind, in a process pool, in-process or on Ray (already-read images are not
    read again; a killed run resumes from its checkpoint chunks)."""
    from ingest.ocr import run_ocr

    with stage_executor(executor, ray_address):
        _landing("OCR", lambda p: run_ocr(warehouse(), sources, progress=p, workers=workers,
                                          chunk_size=chunk_size, replace=replace,
                                          drawn_charts_per_kind=drawn_charts_per_kind,
                                          drawn_documents_per_layout=drawn_documents_per_layout))


def _land_defaults(coco_images: Path, coco_annotations: Path, source: str, per_type: int | None,
                   drawn_charts_per_kind: int | None, drawn_documents_per_layout: int | None) -> None:
    from ingest.chartqa import land_chartqa
    from ingest.funsd import land_funsd
    from ingest.ocr import run_ocr
    from ingest.sroie import land_sroie
    from quality.chair_synonyms import land_chair_synonyms
    from render.derive import render_derived

    if not coco_images.is_dir() or not coco_annotations.is_file():
        raise _fail(
            f"the default input is missing: {coco_images} and {coco_annotations}.\n"
            "Put the shared datasets beside the project (../shared/datasets/coco128), or pass\n"
            "  make run COCO_IMAGES=/path/to/images COCO_ANNOTATIONS=/path/to/instances.json"
        )
    wh = warehouse()
    with stage("landing"):
        _landing(f"landing {source}", lambda p: land_coco(wh, coco_images, coco_annotations, source,
                                                          DEFAULT_BBOX_TOLERANCE_PX, False, p))
        for name, folder, land in (("funsd", DEFAULT_FUNSD, land_funsd), ("sroie", DEFAULT_SROIE, land_sroie),
                                   ("chartqa", DEFAULT_CHARTQA, land_chartqa)):
            if folder.is_dir():
                _landing(f"landing {name}", lambda p, land=land, folder=folder: land(wh, folder))
            else:
                console.print(f"[yellow]skipped {name}:[/] {folder} not found")
    with stage("render"):
        _landing("rendering", lambda p: render_derived(wh, source, per_type, progress=p))
    with stage("perceptual_hashes"):  # every landed and rendered asset, for near-duplicates
        land_perceptual_hashes(wh)
    with stage("ocr"):
        _landing("OCR", lambda p: run_ocr(wh, progress=p, drawn_charts_per_kind=drawn_charts_per_kind,
                                          drawn_documents_per_layout=drawn_documents_per_layout))
    with stage("landing_chair"):
        _landing("landing CHAIR synonyms", lambda p: land_chair_synonyms(wh))


@app.command()
def build(
    coco_images: Annotated[Path, typer.Option(help="COCO images folder.")] = DEFAULT_COCO_IMAGES,
    coco_annotations: Annotated[Path, typer.Option(help="COCO instances JSON.")] = DEFAULT_COCO_ANNOTATIONS,
    source: Annotated[str, typer.Option(help="Source name for the COCO input.")] = "coco128",
    per_type: Annotated[int | None, typer.Option(
        help="Assets per type in the balanced pool (default 128, or fewer usable photos).")] = None,
    land: Annotated[bool, typer.Option(help="Land, render and OCR first (--no-land: only dbt build).")] = True,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Run the whole dbt build and every later stage even when nothing changed.")] = False,
    drawn_charts_per_kind: DrawnChartsOption = DEFAULT_DRAWN_CHARTS_PER_KIND,
    drawn_documents_per_layout: DrawnDocumentsOption = DEFAULT_DRAWN_DOCUMENTS_PER_LAYOUT,
) -> None:
    """Land the default inputs, render, OCR, run `dbt build`, draw the visual audit, write
    the report and run the data contracts (exit 1 when one fails). The per-image stages run
    on ``--executor``. When nothing dbt reads changed since the last complete build, dbt and
    every later stage are skipped (their recorded results reused); when only landed tables
    changed, dbt rebuilds only what reads them (mmfactory/incremental.py)."""
    with stage_executor(executor, ray_address):  # one Ray start for every stage
        if land:
            _land_defaults(coco_images, coco_annotations, source, per_type, drawn_charts_per_kind,
                           drawn_documents_per_layout)
        try:
            code = build_landed(warehouse(), full)  # mmfactory/rebuild.py
        except DbtBuildFailed as exc:
            raise _fail(str(exc)) from None
    if code:
        raise typer.Exit(code)


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
