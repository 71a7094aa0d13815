"""Run a list of requests: hash all, skip what already succeeded, call the rest, land rows.

In: ``GenerationRequest``s, a ``GenerationConfig``, optionally a ``postcheck`` that turns
an ok answer into a failure class (the judge's ``unparsable_judgement``).
Out: a ``RunReport``; one ``generations`` row per request called, landed in batch files
of ``batch_size`` rows as results arrive.

Resume: every request's hash is computed first; those with a ``status='ok'`` row in the
landed ``generations`` are dropped before any call, so a second run makes zero calls and a
killed run resumes where it stopped; failed requests are called again. What a kill can
lose: the results held in memory and not yet flushed (at most ``batch_size - 1`` answered
calls) plus the calls on the wire (at most ``concurrency``, or the sum of the endpoints'
limits with several endpoints; up to as many more are queued but not started). Those
were paid and will be paid again on resume: keep ``batch_size`` small when calls are
expensive. Ctrl-C (KeyboardInterrupt, and SIGTERM in the CLI) and a
budget stop lose nothing: no new call starts, calls in flight finish, everything answered
is landed (a second Ctrl-C abandons the calls still in flight).

Several endpoints (``cfg.all_endpoints``): the calls are spread by ``dispatch.EndpointPool``;
a request is still landed once, by the call that ended it, with that endpoint's URL in
``base_url``.

One run per (warehouse, stage) at a time: a lock file under ``landing/generations/``
stops a second concurrent run of the same stage from paying for the same requests twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generation.client import INPUT_ERROR, OK, CallOutcome, ChatClient
from generation.config import GenerationConfig
from generation.dispatch import EndpointPool, EndpointStats
from generation.images import ImageInputError, ImageRecord
from generation.pricing import PriceList
from generation.prompts import PromptError
from generation.requests import GenerationRequest, build_messages
from generation.store import GENERATIONS, BatchWriter, ensure_generation_tables, succeeded_hashes
from lakehouse.landing import new_run_id, table_dir, utc_now
from lakehouse.settings import Warehouse, warehouse

log = logging.getLogger("mmfactory.generation")

# (request, response text) -> None when acceptable, else (status, error message).
Postcheck = Callable[[GenerationRequest, str], "tuple[str, str] | None"]


class RunLockedError(RuntimeError):
    """Another run of the same stage holds the warehouse's lock."""


@dataclass
class RunReport:
    """What one run did."""

    stage: str
    run_id: str
    n_requests: int = 0
    n_cached: int = 0
    n_pending: int = 0
    n_called: int = 0
    status_counts: Counter[str] = field(default_factory=Counter)
    cost_usd: float = 0.0
    files: list[Path] = field(default_factory=list)
    stopped_reason: str | None = None
    derived_counts: Counter[str] = field(default_factory=Counter)
    skipped_items: list[str] = field(default_factory=list)
    by_endpoint: Counter[str] = field(default_factory=Counter)
    endpoint_stats: list[EndpointStats] = field(default_factory=list)

    @property
    def n_ok(self) -> int:
        """Requests answered successfully in this run."""
        return self.status_counts.get(OK, 0)

    @property
    def n_failed(self) -> int:
        """Requests that ended in any failure class in this run."""
        return sum(n for s, n in self.status_counts.items() if s != OK)


@contextmanager
def stage_lock(wh: Warehouse, stage: str) -> Iterator[None]:
    """Hold ``landing/generations/.lock-<stage>`` for the duration, or raise ``RunLockedError``."""
    folder = table_dir(wh, GENERATIONS)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / f".lock-{stage}", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(
                f"another '{stage}' run is using {wh.root}; wait for it to end"
            ) from None
        yield
    finally:
        os.close(fd)


@dataclass
class _Result:
    request: GenerationRequest
    outcome: CallOutcome
    images: list[ImageRecord] | None
    system_prompt: str | None
    prompt: str | None


def _execute(
    request: GenerationRequest, client: ChatClient | EndpointPool, cfg: GenerationConfig
) -> _Result:
    """Build the messages (encoding images) and make the call; never raises for bad input."""
    system = user = None
    try:
        system, user = request.rendered()
        messages, records = build_messages(request, cfg.image_max_side_px, cfg.image_max_bytes)
    except (ImageInputError, PromptError) as exc:
        now = utc_now()
        outcome = CallOutcome(
            status=INPUT_ERROR,
            attempts=0,
            started_at=now,
            completed_at=now,
            error=client.scrubber.exception(exc),
        )
        return _Result(request, outcome, None, system, user)
    outcome = client.complete(
        messages, request.model, request.effective_sampling(), request.request_hash
    )
    return _Result(request, outcome, records, system, user)


def _row(
    result: _Result, run_id: str, batch_no: int, cfg: GenerationConfig, prices: PriceList
) -> dict[str, Any]:
    r, o = result.request, result.outcome
    sampling = r.effective_sampling()
    cost = prices.cost_usd(r.model, o.prompt_tokens, o.completion_tokens, o.completed_at)
    if cost is None and o.response_model:
        cost = prices.cost_usd(
            o.response_model, o.prompt_tokens, o.completion_tokens, o.completed_at
        )
    return {
        "request_hash": r.request_hash,
        "group_hash": r.group_hash,
        "run_id": run_id,
        "batch_no": batch_no,
        "stage": r.stage,
        "item_id": r.item_id,
        "sample_id": r.sample_id,
        "sample_index": r.sample_index,
        "asset_ids": r.asset_ids,
        "images": [rec.as_row() for rec in result.images] if result.images is not None else None,
        "base_url": o.endpoint or cfg.safe_base_url,
        "model": r.model,
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "seed": sampling.seed,
        "template_id": r.template.template_id,
        "template_hash": r.template.sha256,
        "inputs_hash": r.inputs_hash,
        "system_prompt": result.system_prompt,
        "prompt": result.prompt,
        "response_text": o.response_text,
        "finish_reason": o.finish_reason,
        "response_id": o.response_id,
        "response_model": o.response_model,
        "prompt_tokens": o.prompt_tokens,
        "completion_tokens": o.completion_tokens,
        "cost_usd": cost,
        "latency_ms": o.latency_ms,
        "total_ms": o.total_ms,
        "attempts": o.attempts,
        "status": o.status,
        "http_status": o.http_status,
        "error": o.error,
        "requested_at": o.started_at,
        "completed_at": o.completed_at,
    }


def run_requests(
    requests: Sequence[GenerationRequest],
    cfg: GenerationConfig,
    *,
    stage: str,
    wh: Warehouse | None = None,
    run_id: str | None = None,
    postcheck: Postcheck | None = None,
    client: ChatClient | EndpointPool | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Call every request of ``requests`` not yet answered ok, landing ``generations`` rows.

    ``dry_run`` only counts what would be called. ``progress(done, total)`` is called
    after each result. Raises ``RunLockedError`` if the stage is already running. The calls
    go to ``cfg.all_endpoints`` through an ``EndpointPool`` (``client`` replaces it), with as
    many in flight as the endpoints' limits add up to.
    """
    wh = wh or warehouse()
    report = RunReport(stage=stage, run_id=run_id or new_run_id())
    unique: dict[str, GenerationRequest] = {}
    for r in requests:
        unique.setdefault(r.request_hash, r)
    report.n_requests = len(unique)
    done = succeeded_hashes(wh)
    pending = [r for h, r in unique.items() if h not in done]
    report.n_cached = report.n_requests - len(pending)
    report.n_pending = len(pending)
    if dry_run or not pending:
        return report
    ensure_generation_tables(wh)

    scrubber = client.scrubber if client else cfg.scrubber()
    prices = PriceList.load(cfg.prices_path)
    if not prices.has_model(pending[0].model):
        log.warning(
            "model %s has no price in %s: cost_usd stays empty", pending[0].model, cfg.prices_path
        )
    writer = BatchWriter(wh, GENERATIONS, report.run_id, scrubber)
    buffer: list[dict[str, Any]] = []

    def flush() -> None:
        if buffer:
            path = writer.write(buffer)
            log.info("landed %d rows in %s", len(buffer), path)
            buffer.clear()

    own_client = client is None
    chat = client or EndpointPool(cfg, scrubber)
    workers = chat.total_concurrency if isinstance(chat, EndpointPool) else cfg.concurrency
    interrupted: KeyboardInterrupt | None = None
    abandon = False
    with stage_lock(wh, stage):
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gen")
        try:
            todo = iter(pending)
            in_flight: set[Future[_Result]] = set()
            stop = False

            def top_up() -> None:
                while not stop and len(in_flight) < 2 * workers:
                    nxt = next(todo, None)
                    if nxt is None:
                        return
                    in_flight.add(pool.submit(_execute, nxt, chat, cfg))

            def halt(reason: str) -> None:
                nonlocal stop
                stop = True
                report.stopped_reason = reason
                for fut in list(in_flight):  # queued, not started: never call them
                    if fut.cancel():
                        in_flight.discard(fut)
                log.warning("stopping (%s): waiting for %d calls in flight", reason, len(in_flight))

            top_up()
            while in_flight:
                try:
                    finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt as exc:
                    if interrupted is not None:  # second Ctrl-C: abandon the calls in flight
                        abandon = True
                        raise
                    interrupted = exc  # first Ctrl-C: start nothing new, land what finishes
                    halt("interrupted; Ctrl-C again to abandon the calls in flight")
                    continue
                for fut in finished:
                    in_flight.discard(fut)
                    result = fut.result()
                    outcome = result.outcome
                    if outcome.status == OK and postcheck is not None:
                        verdict = postcheck(result.request, outcome.response_text or "")
                        if verdict is not None:
                            outcome.status, outcome.error = verdict[0], scrubber.text(verdict[1])
                    row = _row(result, report.run_id, writer.next_batch_no, cfg, prices)
                    buffer.append(row)
                    report.n_called += 1
                    report.status_counts[outcome.status] += 1
                    report.cost_usd += row["cost_usd"] or 0.0
                    if outcome.endpoint:
                        report.by_endpoint[outcome.endpoint] += 1
                    if outcome.status != OK:
                        log.warning(
                            "request %s (%s %s): %s%s: %s",
                            row["request_hash"][:12],
                            stage,
                            row["item_id"],
                            outcome.status,
                            f" {outcome.http_status}" if outcome.http_status else "",
                            outcome.error,
                        )
                    if len(buffer) >= cfg.batch_size:
                        flush()
                    if progress:
                        progress(report.n_called, len(pending))
                if (
                    cfg.max_cost_usd is not None
                    and report.cost_usd >= cfg.max_cost_usd
                    and not stop
                ):
                    halt(f"budget of {cfg.max_cost_usd} USD reached")
                top_up()
        finally:
            pool.shutdown(wait=not abandon, cancel_futures=True)
            flush()
            report.files = list(writer.files)
            if isinstance(chat, EndpointPool):
                report.endpoint_stats = chat.stats()
            if own_client and not abandon:
                chat.close()
    if interrupted is not None:
        raise interrupted
    return report


def build_requests(
    items: Sequence[Any], build: Callable[[Any], Any], item_id: Callable[[Any], str]
) -> tuple[list[GenerationRequest], list[str]]:
    """``build(item)`` for each item (a request or a list of requests); items whose images
    cannot be read (so have no asset id to hash) are skipped and reported, not raised."""
    requests: list[GenerationRequest] = []
    skipped: list[str] = []
    for item in items:
        try:
            built = build(item)
        except ImageInputError as exc:
            log.warning("skipping %s: %s", item_id(item), exc)
            skipped.append(f"{item_id(item)}: {exc}")
            continue
        requests.extend(built if isinstance(built, list) else [built])
    return requests, skipped


def land_derived(
    report: RunReport,
    wh: Warehouse,
    table: str,
    rows: Sequence[dict[str, Any]],
    cfg: GenerationConfig,
    chunk_rows: int = 10_000,
) -> None:
    """Land a stage's derived rows (judgements, scores, translations) under the run's id."""
    if not rows:
        return
    writer = BatchWriter(wh, table, report.run_id, cfg.scrubber())
    for start in range(0, len(rows), chunk_rows):
        writer.write(rows[start : start + chunk_rows])
    report.files.extend(writer.files)
    report.derived_counts[table] += len(rows)
