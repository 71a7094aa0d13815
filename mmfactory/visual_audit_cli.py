"""The ``mmfactory visual-audit`` command: draw the visual audit's PNGs on the chosen executor.

Registered with one line in ``mmfactory/cli.py``; ``mmfactory build`` runs the same stage
right after dbt (``draw_visual_audit``, printed as ``stage visual_audit``). dbt chooses the
samples (``qa_visual_audit``); this draws them (``quality.visual_audit_stage``): unchanged
PNGs are reused, stale ones removed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from lakehouse.settings import Warehouse, warehouse
from mmfactory.consoles import console, err
from mmfactory.executor_cli import ExecutorOption, RayAddressOption, stage_executor


def draw_visual_audit(wh: Warehouse, workers: int | None = None,
                      chunk_size: int | None = None) -> None:
    """Run the stage on ``wh`` on the current executor and print what it did (the build
    calls this too). Raises ``quality.visual_audit_stage.VisualAuditError`` when there is
    nothing to draw from."""
    from quality.visual_audit_stage import run_visual_audit

    report = run_visual_audit(wh, workers=workers, chunk_size=chunk_size)
    console.print(report.line(), soft_wrap=True)


def visual_audit(
    workers: Annotated[int | None, typer.Option(
        help="Workers (default: every core, or $MMFACTORY_WORKERS; 1 = in-process).")] = None,
    chunk_size: Annotated[int | None, typer.Option(
        help="PNGs per work chunk (default 8; one chunk, in-process, below 32 PNGs).")] = None,
    executor: ExecutorOption = None,
    ray_address: RayAddressOption = None,
) -> None:
    """Draw the review sample's grounding boxes back onto their images
    (warehouse/derived/visual_audit/) from the built lakehouse's qa_visual_audit."""
    from quality.visual_audit_stage import VisualAuditError

    if workers is not None and workers < 1 or chunk_size is not None and chunk_size < 1:
        err.print("[bold red]error:[/] --workers and --chunk-size must be at least 1")
        raise typer.Exit(code=2)
    with stage_executor(executor, ray_address):
        try:
            draw_visual_audit(warehouse(), workers, chunk_size)
        except VisualAuditError as exc:
            err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(code=2) from None
