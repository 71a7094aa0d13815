"""Running the project checks: which to run, on every core, and the run's result.

``run_checks`` reads the inputs once (``expectations.inputs.CheckInputs``), then runs each
selected check (``expectations.validation.run_check``: its parts validated by Great
Expectations) in this process or, when the exports are large, shared with helper
processes (``expectations.sharing``), and gathers the results in the checks' order.

Great Expectations is imported once per process, and each process uses one ephemeral
context (no ``gx/`` tree on disk): the suites are the Python code in
``expectations/suites/``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from expectations.config import DEFAULT_CONFIG, CheckConfig
from expectations.inputs import CheckInputs, record_file_bytes
from expectations.parts import Check
from expectations.record_facts import POOL_MIN_BYTES
from expectations.sharing import SharedRun, longest_first, previous_durations
from expectations.suites import CHECKS
from expectations.validation import CheckResult, Validator
from lakehouse.settings import Warehouse
from lakehouse.stage_config import default_executor, default_workers


@dataclass
class RunResult:
    checks: list[CheckResult]
    started_at: datetime
    duration_s: float
    warehouse: str
    dbt_invocation_id: str | None
    selected: list[str] | None
    config: CheckConfig

    @property
    def passed(self) -> int:
        return sum(c.success for c in self.checks)

    @property
    def success(self) -> bool:
        return bool(self.checks) and all(c.success for c in self.checks)

    def by_name(self) -> dict[str, CheckResult]:
        return {c.name: c for c in self.checks}

    def to_dict(self) -> dict[str, Any]:
        cfg = asdict(self.config)
        cfg["deliverables"] = [asdict(d) for d in self.config.deliverables]
        return {
            "summary": {"passed": self.passed, "total": len(self.checks),
                        "status": "PASS" if self.success else "FAIL",
                        "line": f"Project checks: {self.passed} / {len(self.checks)} "
                                f"{'PASS' if self.success else 'FAIL'}"},
            "generated_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(self.duration_s, 3),
            "warehouse": self.warehouse,
            "dbt_invocation_id": self.dbt_invocation_id,
            "selected_checks": self.selected,
            "config": cfg,
            "checks": [c.to_dict() for c in self.checks],
        }


class UnknownCheckError(ValueError):
    """A check name that is not one of the project checks."""


def select_checks(only: Sequence[str] | None) -> list[Check]:
    """The checks named in ``only`` (all of them when empty), in their order."""
    if not only:
        return list(CHECKS)
    by_name = {c.name: c for c in CHECKS}
    unknown = [n for n in only if n not in by_name]
    if unknown:
        raise UnknownCheckError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(by_name)}")
    wanted = set(only)
    return [c for c in CHECKS if c.name in wanted]


def helper_count(wh: Warehouse, checks: int) -> int:
    """How many helper processes run the checks with this one: none when the executor is
    ``inprocess``, when there are fewer than two checks, or when the record files hold
    fewer than ``record_facts.POOL_MIN_BYTES`` (a helper's start, ~2.5 s of CPU, costs
    more than it saves); else one per further core, at most one per further check."""
    if default_executor() == "inprocess" or checks < 2 or record_file_bytes(wh.exports) < POOL_MIN_BYTES:
        return 0
    return max(0, min(default_workers() - 1, checks - 1))


def run_checks(wh: Warehouse, only: Sequence[str] | None = None,
               config: CheckConfig = DEFAULT_CONFIG, helpers: int | None = None) -> RunResult:
    """Run the selected checks (all by default) on warehouse ``wh``, with ``helpers``
    helper processes (None: ``helper_count``); the results in the checks' order."""
    selected = select_checks(only)
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    with SharedRun(wh, helper_count(wh, len(selected)) if helpers is None else helpers) as shared:
        validator = Validator()
        inputs = CheckInputs(wh)
        try:
            manifest, _ = inputs.json_file("training_manifest.json")
            invocation = manifest.get("dbt_invocation_id") if isinstance(manifest, dict) else None
            by_name = {r.name: r for r in shared.run(longest_first(selected, previous_durations(wh)),
                                                     inputs, config, validator)}
        finally:
            inputs.close()
    return RunResult([by_name[c.name] for c in selected], started, time.perf_counter() - t0, wh.root.name,
                     invocation, list(only) if only else None, config)
