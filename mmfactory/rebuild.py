"""Building the lakehouse from what has landed: what `mmfactory build` runs once its
inputs are landed, rendered and read, and what `mmfactory release --rebuild` runs before
it releases. One path, so a release's rebuild leaves the warehouse exactly as a build does.

In: a warehouse; ``full`` (rebuild everything even when nothing changed). Out: the data
contracts' exit code (0 when every one passes, 1 when one fails). Written on the way: dbt's
models and exports (only what reads the landed tables that changed since the last complete
build, or nothing, mmfactory/incremental.py; a full build runs dbt with ``--full-refresh``,
so the incremental models, macros/incremental.sql, are built again whole), the visual
audit's PNGs, the failure library's
new rows (which dbt's ``failure_replay`` already counted, under the run id and time given
to it before it ran: quality/failure_library.py), the report and the contract results,
then the build state the next build is planned from. Each step prints
``stage <name>: <seconds> s`` (the scale benchmark reads these lines). The per-image steps
run on the current executor (``stage_executor``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from lakehouse.dbt import BUILD_ARGS, run_dbt
from lakehouse.dbt_failures import BrokenRule, broken_rules
from lakehouse.settings import Warehouse
from mmfactory.check_cli import finish_build, import_ahead
from mmfactory.consoles import console
from mmfactory.summary import print_summary
from mmfactory.visual_audit_cli import draw_visual_audit


class DbtBuildFailed(RuntimeError):
    """`dbt build` exited non-zero; dbt's own output above names the failing node, and the
    message lists the broken rules of each failing `model_rules` test (whose node name
    does not say which rule broke: lakehouse/dbt_failures.py)."""

    def __init__(self, code: int, broken: list[BrokenRule] | None = None) -> None:
        lines = [f"dbt build failed (exit {code}); see its output above"]
        if broken:
            lines.append("broken model rules:")
            lines.extend(f"  {rule}" for rule in broken)
        super().__init__("\n".join(lines))
        self.code = code


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time one stage of a build and print ``stage <name>: <seconds> s`` when it ends."""
    started = time.perf_counter()
    try:
        yield
    finally:
        console.print(f"stage {name}: {time.perf_counter() - started:.1f} s")


@contextmanager
def importing_ahead() -> Iterator[None]:
    """Run ``check_cli.import_ahead`` on a thread for the duration of the block, and wait
    for it at the end. The block is dbt, a process of its own: this process only waits for
    it, and dbt keeps about one core busy, so on the other core the report's and the
    contracts' imports (~3 s) are done by the time dbt is, instead of after it; the thread
    runs below dbt's priority (nice 10) so that it takes only what dbt leaves idle
    (BENCHMARKS.md, issue 12 session 13). Nothing else imports while the block runs; an
    import that fails here fails again, with its message, where the stage needs it."""

    def run() -> None:
        with suppress(OSError, AttributeError):  # below dbt's priority (Linux: per thread)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        with suppress(Exception):
            import_ahead()

    thread = threading.Thread(target=run, name="import-ahead", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def build_landed(wh: Warehouse, full: bool = False) -> int:
    """Build ``wh`` from its landing (see the module doc); returns the contracts' exit code.
    Raises ``DbtBuildFailed`` when dbt fails (nothing after dbt runs, no state is recorded,
    so the next build plans from the last complete one)."""
    from lakehouse.build_state import with_landing_now
    from lakehouse.landing import new_run_id, utc_now
    from mmfactory.incremental import finish_unchanged, plan_build, record_build
    from quality.failure_library import record_failures, recording_env

    inputs, plan = plan_build(wh, console, full)
    if plan.action == "skip":
        return finish_unchanged(wh, console, inputs, plan)
    # the run id and time this build's new failures land under, known to dbt beforehand
    recording = new_run_id(), utc_now()
    started = time.time()
    with importing_ahead(), stage("dbt"):
        code = run_dbt(wh, [*BUILD_ARGS, *(["--select", *plan.select] if plan.select else []),
                            *(["--full-refresh"] if plan.action == "full" else [])],
                       env=recording_env(*recording))
    if code != 0:
        raise DbtBuildFailed(code, broken_rules(wh, since=started))
    with stage("visual_audit"):  # the review sample's boxes drawn on their images
        draw_visual_audit(wh)
    with stage("failure_library"):  # this build's new failures, as failure_replay counted them
        recorded = record_failures(wh, *recording)
        console.print(f"failure library: {recorded} new failure(s) recorded")
        if recorded:  # what dbt read already counts them: the next build need not rebuild it
            inputs = with_landing_now(wh, inputs)
    with stage("summary"):
        print_summary(wh, console)
    with stage("report_and_check"):
        code = finish_build(wh, console)  # the report, then the data contracts
    record_build(wh, inputs)  # every stage finished: the next build may skip what did not change
    return code
