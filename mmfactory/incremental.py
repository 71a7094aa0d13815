"""The build's incremental step: decide, before dbt, whether anything it reads changed.

``plan_build`` fingerprints what dbt builds from (lakehouse.build_state) and compares it
with the last complete build: nothing changed -> ``finish_unchanged`` skips dbt and every
later stage and reuses that build's contract results; only landed tables changed -> dbt
rebuilds the models downstream of those tables' sources; anything else -> a full build.
A warehouse copied or moved since has its views re-pointed at its own landing first.
``record_build`` runs once every stage has finished (the failure library, landed after
dbt, is fingerprinted as it is then: dbt already counted those rows, mmfactory/rebuild.py).
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console

from lakehouse import build_state
from lakehouse.build_state import Plan
from lakehouse.relocate import follow_move
from lakehouse.settings import Warehouse
from mmfactory.check_cli import finish_build, results_of_this_build


def plan_build(wh: Warehouse, out: Console, full: bool = False) -> tuple[dict[str, Any], Plan]:
    """The inputs as they are now and what the build has to do; prints one line. Unless
    the build is skipped, the recorded state is dropped here, before dbt changes anything."""
    started = time.perf_counter()
    moved = follow_move(wh)  # already done by the writer lock when run as `mmfactory build`
    if moved:
        out.print(moved.line(), soft_wrap=True)
    inputs = build_state.current_inputs(wh, build_state.read_state(wh))
    plan = build_state.plan(wh, inputs, full)
    took = time.perf_counter() - started
    if plan.action == "skip":
        run = str(plan.previous.get("dbt_invocation_id"))[:8]
        out.print(f"dbt: skipped, nothing changed since dbt run {run} (checked in {took:.1f} s; --full rebuilds)",
                  soft_wrap=True)
    else:
        build_state.forget(wh)
        what = "everything" if plan.action == "full" else "only what reads them"
        out.print(f"dbt: {plan.reason}; rebuilding {what} (checked in {took:.1f} s)", soft_wrap=True)
    return inputs, plan


def finish_unchanged(wh: Warehouse, out: Console, inputs: dict[str, Any], plan: Plan) -> int:
    """A skipped build's end: the contract results of the recorded build when they belong
    to its dbt run (printed, and its exit code), else the report and contracts run again."""
    results = results_of_this_build(wh)
    if results is None:
        out.print("contract results of that build not found: running the report and contracts")
        code = finish_build(wh, out)
        build_state.record(wh, inputs, previous=plan.previous)
        return code
    summary = results["summary"]
    out.print(f"data contracts of that build (reused): {summary['line']}")
    build_state.record(wh, inputs, previous=plan.previous)  # new landed file times, same digests
    return 0 if summary["status"] == "PASS" else 1


def record_build(wh: Warehouse, inputs: dict[str, Any]) -> None:
    """Every stage has finished: keep what this build was made from."""
    build_state.record(wh, inputs)
