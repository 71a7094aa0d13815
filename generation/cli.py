"""``mmfactory generate <stage>``: the typer sub-app, one command per stage.

Mount it in the main app with ``app.add_typer(generate_app, name="generate")``.
Each command selects its work items from the lakehouse (``warehouse().database``), runs
the stage against the configured endpoint, lands the rows, and prints a summary. Settings
come from the environment (see ``generation.config``), then these flags; the API key only
from ``MMFACTORY_API_KEY`` / ``OPENAI_API_KEY``. Exit code 0 when every request ended ok
(or was already answered), 1 when some failed (run again to retry just those), 2 on
unusable input (no lakehouse, relation missing, another run of the stage active).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from generation.config import ConfigError, GenerationConfig, config_from_env

if TYPE_CHECKING:  # the heavy modules (openai, pyarrow, duckdb) load only when a stage runs,
    from generation.runner import RunReport  # so mounting this app costs the main CLI nothing

generate_app = typer.Typer(
    name="generate",
    help="Model calls through an OpenAI-compatible endpoint (optional; cached, resumable, costed).",
    no_args_is_help=True,
)
console = Console(stderr=True)

BaseUrl = Annotated[
    list[str] | None,
    typer.Option(
        help="Endpoint, e.g. http://gpu-box:8000/v1 (env MMFACTORY_BASE_URL); repeat it to"
        " spread the requests over several"
    ),
]
EndpointsFile = Annotated[
    Path | None,
    typer.Option(
        "--endpoints",
        help="File of endpoints, one per line: the URL, then optionally concurrency=N"
        " model=NAME api_key_env=VAR (env MMFACTORY_ENDPOINTS_FILE)",
    ),
]
Model = Annotated[
    str | None,
    typer.Option(help="Served model name (env MMFACTORY_<STAGE>_MODEL, MMFACTORY_MODEL)"),
]
Concurrency = Annotated[
    int | None,
    typer.Option(help="Requests in flight per endpoint (env MMFACTORY_CONCURRENCY; 8)"),
]
RateLimit = Annotated[float | None, typer.Option(help="Max request starts per second, 0 = off")]
Timeout = Annotated[float | None, typer.Option(help="Per-attempt timeout in seconds (120)")]
MaxAttempts = Annotated[
    int | None, typer.Option(help="Attempts per request, retries on 429/5xx/timeouts (5)")
]
BatchSize = Annotated[
    int | None,
    typer.Option(
        help="Results per landed batch file (32); a kill loses the unflushed ones and those in flight"
    ),
]
Temperature = Annotated[float | None, typer.Option(help="Sampling temperature (0.2)")]
TopP = Annotated[float | None, typer.Option(help="Nucleus sampling top_p (1.0)")]
MaxTokens = Annotated[int | None, typer.Option(help="Max completion tokens (1024)")]
Seed = Annotated[
    int | None, typer.Option(help="Sampling seed (sample i of a consistency group uses seed+i)")
]
MaxSide = Annotated[
    int | None, typer.Option(help="Downscale images whose longer side exceeds this (2048)")
]
MaxBytes = Annotated[
    int | None, typer.Option(help="Downscale images whose file exceeds this many bytes (4000000)")
]
MaxCost = Annotated[
    float | None, typer.Option(help="Stop starting calls once this many USD are spent in the run")
]
Limit = Annotated[int | None, typer.Option(help="At most this many work items")]
Source = Annotated[str | None, typer.Option(help="Only images of this landed source")]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Count cached and pending requests; call nothing")
]


def _config(stage: str, **flags: Any) -> GenerationConfig:
    try:
        return config_from_env(stage, **flags)
    except ConfigError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def _sigterm_as_interrupt() -> Callable[[], None]:
    """Treat SIGTERM like Ctrl-C (land what was answered) while a run is active."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGTERM)

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    return lambda: signal.signal(signal.SIGTERM, previous)


def _run(
    stage: str,
    cfg: GenerationConfig,
    select: Callable[[], list[Any]],
    run: Callable[[list[Any]], RunReport],
    dry_run: bool,
) -> None:
    from generation.lakehouse import LakehouseInputError
    from generation.runner import RunLockedError

    try:
        items = select()
    except LakehouseInputError as exc:
        console.print(f"[red]cannot select {stage} work items:[/red] {exc}")
        raise typer.Exit(2) from None
    endpoints = cfg.all_endpoints
    where = (
        cfg.safe_base_url
        if len(endpoints) == 1
        else f"{len(endpoints)} endpoints ({', '.join(ep.safe_url for ep in endpoints)})"
    )
    keyed = any(ep.api_key for ep in endpoints)
    console.print(
        f"{stage}: {len(items)} work items, model {cfg.model} at {where}"
        f"{'' if keyed else ' (no API key set)'}"
    )
    restore = _sigterm_as_interrupt()
    try:
        report = run(items)
    except RunLockedError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        console.print(
            "[yellow]interrupted: answered calls were landed; run again to resume[/yellow]"
        )
        raise typer.Exit(130) from None
    finally:
        restore()
    _print_report(report, dry_run)
    if report.n_failed or report.stopped_reason:
        raise typer.Exit(1)


def _print_report(report: RunReport, dry_run: bool) -> None:
    table = Table(title=f"generate {report.stage} (run {report.run_id})", show_header=False)
    table.add_row("requests", str(report.n_requests))
    table.add_row("already answered (skipped)", str(report.n_cached))
    if dry_run:
        table.add_row("would call", str(report.n_pending))
    else:
        table.add_row("called", str(report.n_called))
        for status, n in sorted(report.status_counts.items()):
            table.add_row(f"  {status}", str(n))
        table.add_row("cost_usd (priced calls)", f"{report.cost_usd:.6f}")
        if len(report.endpoint_stats) > 1:
            for ep in report.endpoint_stats:
                table.add_row(
                    f"  endpoint {ep.url}",
                    f"{report.by_endpoint.get(ep.url, 0)} landed, {ep.attempts} attempts,"
                    f" {ep.failed} failed, set aside {ep.times_set_aside}x",
                )
        for name, n in sorted(report.derived_counts.items()):
            table.add_row(f"{name} rows landed", str(n))
        table.add_row("files landed", str(len(report.files)))
    if report.skipped_items:
        table.add_row("skipped items (unreadable images)", str(len(report.skipped_items)))
    if report.stopped_reason:
        table.add_row("stopped", report.stopped_reason)
    console.print(table)


@generate_app.command()
def recaption(
    limit: Limit = None,
    source: Source = None,
    dry_run: DryRun = False,
    base_url: BaseUrl = None,
    endpoints_file: EndpointsFile = None,
    model: Model = None,
    concurrency: Concurrency = None,
    rate_limit_rps: RateLimit = None,
    timeout_s: Timeout = None,
    max_attempts: MaxAttempts = None,
    batch_size: BatchSize = None,
    temperature: Temperature = None,
    top_p: TopP = None,
    max_tokens: MaxTokens = None,
    seed: Seed = None,
    image_max_side_px: MaxSide = None,
    image_max_bytes: MaxBytes = None,
    max_cost_usd: MaxCost = None,
) -> None:
    """Detailed descriptions of COCO images, with their annotations as symbolic context."""
    flags = {k: v for k, v in locals().items() if k not in ("limit", "source", "dry_run")}
    from generation.stages.recaption import run_recaption, select_recaption_items

    cfg = _config("recaption", **flags)
    _run(
        "recaption",
        cfg,
        lambda: select_recaption_items(source=source, limit=limit),
        lambda items: run_recaption(items, cfg, dry_run=dry_run),
        dry_run,
    )


@generate_app.command()
def compare(
    limit: Annotated[int | None, typer.Option(help="At most this many image pairs")] = None,
    source: Source = None,
    dry_run: DryRun = False,
    base_url: BaseUrl = None,
    endpoints_file: EndpointsFile = None,
    model: Model = None,
    concurrency: Concurrency = None,
    rate_limit_rps: RateLimit = None,
    timeout_s: Timeout = None,
    max_attempts: MaxAttempts = None,
    batch_size: BatchSize = None,
    temperature: Temperature = None,
    top_p: TopP = None,
    max_tokens: MaxTokens = None,
    seed: Seed = None,
    image_max_side_px: MaxSide = None,
    image_max_bytes: MaxBytes = None,
    max_cost_usd: MaxCost = None,
) -> None:
    """Two images in order -> similarities and differences naming Image 1 and Image 2."""
    flags = {k: v for k, v in locals().items() if k not in ("limit", "source", "dry_run")}
    from generation.stages.compare import run_compare, select_compare_items

    cfg = _config("compare", **flags)
    _run(
        "compare",
        cfg,
        lambda: select_compare_items(source=source, limit=limit),
        lambda items: run_compare(items, cfg, dry_run=dry_run),
        dry_run,
    )


@generate_app.command()
def judge(
    threshold: Annotated[
        float, typer.Option(help="Pass when the mean of the six 1-5 scores is at least this")
    ] = 4.0,
    text_only: Annotated[
        bool, typer.Option("--text-only", help="The judge is a text model: send no images")
    ] = False,
    language: Annotated[str | None, typer.Option(help="Only samples in this language")] = None,
    limit: Limit = None,
    dry_run: DryRun = False,
    base_url: BaseUrl = None,
    endpoints_file: EndpointsFile = None,
    model: Model = None,
    concurrency: Concurrency = None,
    rate_limit_rps: RateLimit = None,
    timeout_s: Timeout = None,
    max_attempts: MaxAttempts = None,
    batch_size: BatchSize = None,
    temperature: Temperature = None,
    top_p: TopP = None,
    max_tokens: MaxTokens = None,
    seed: Seed = None,
    image_max_side_px: MaxSide = None,
    image_max_bytes: MaxBytes = None,
    max_cost_usd: MaxCost = None,
) -> None:
    """LLM-as-judge on the samples mart with the P13 six-dimension rubric."""
    flags = {
        k: v
        for k, v in locals().items()
        if k not in ("threshold", "text_only", "language", "limit", "dry_run")
    }
    from generation.stages.judge import run_judge, select_judge_items

    flags["temperature"] = 0.0 if temperature is None else temperature  # judging is not creative
    cfg = _config("judge", **flags)
    _run(
        "judge",
        cfg,
        lambda: select_judge_items(language=language, limit=limit),
        lambda items: run_judge(
            items, cfg, threshold=threshold, text_only=text_only, dry_run=dry_run
        ),
        dry_run,
    )


@generate_app.command()
def consistency(
    n: Annotated[int, typer.Option("--n", help="Samples per question (>= 2)")] = 5,
    kind: Annotated[
        str, typer.Option(help="Question kind: count (numbers), box (IoU) or describe (text)")
    ] = "count",
    limit: Limit = None,
    source: Source = None,
    dry_run: DryRun = False,
    base_url: BaseUrl = None,
    endpoints_file: EndpointsFile = None,
    model: Model = None,
    concurrency: Concurrency = None,
    rate_limit_rps: RateLimit = None,
    timeout_s: Timeout = None,
    max_attempts: MaxAttempts = None,
    batch_size: BatchSize = None,
    temperature: Temperature = None,
    top_p: TopP = None,
    max_tokens: MaxTokens = None,
    seed: Seed = None,
    image_max_side_px: MaxSide = None,
    image_max_bytes: MaxBytes = None,
    max_cost_usd: MaxCost = None,
) -> None:
    """n samples of the same question and their agreement score."""
    flags = {
        k: v for k, v in locals().items() if k not in ("n", "kind", "limit", "source", "dry_run")
    }
    from generation.stages.consistency import run_consistency, select_consistency_items

    flags["temperature"] = (
        0.7 if temperature is None else temperature
    )  # samples must be able to differ
    cfg = _config("consistency", **flags)
    if n < 2:
        console.print("[red]--n must be at least 2[/red]")
        raise typer.Exit(2)
    _run(
        "consistency",
        cfg,
        lambda: select_consistency_items(kind=kind, source=source, limit=limit),
        lambda items: run_consistency(items, cfg, n=n, dry_run=dry_run),
        dry_run,
    )


@generate_app.command()
def translate(
    limit: Limit = None,
    dry_run: DryRun = False,
    base_url: BaseUrl = None,
    endpoints_file: EndpointsFile = None,
    model: Model = None,
    concurrency: Concurrency = None,
    rate_limit_rps: RateLimit = None,
    timeout_s: Timeout = None,
    max_attempts: MaxAttempts = None,
    batch_size: BatchSize = None,
    temperature: Temperature = None,
    top_p: TopP = None,
    max_tokens: MaxTokens = None,
    seed: Seed = None,
    image_max_side_px: MaxSide = None,
    image_max_bytes: MaxBytes = None,
    max_cost_usd: MaxCost = None,
) -> None:
    """English samples to Chinese, checking numbers, boxes, <image> and names came through."""
    flags = {k: v for k, v in locals().items() if k not in ("limit", "dry_run")}
    from generation.stages.translate import run_translate, select_translate_items

    flags["temperature"] = 0.0 if temperature is None else temperature
    cfg = _config("translate", **flags)
    _run(
        "translate",
        cfg,
        lambda: select_translate_items(limit=limit),
        lambda items: run_translate(items, cfg, dry_run=dry_run),
        dry_run,
    )
