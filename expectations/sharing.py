"""The checks of one run shared between this process and helper processes, on every core.

Each check reads the inputs and returns its result; no check reads another's. A run over a
large export spent ~20 s on one core in the checks after reading the records (50,000
photos, 2.2M records; BENCHMARKS.md, issue 12 session 19): pandas and Great Expectations
hold the GIL, so threads gave 11% and processes are used.

``SharedRun(wh, helpers)`` spawns the helper processes first, so that each imports Great
Expectations and pandas (~2.5 s of CPU) while this process reads the exports
(``CheckInputs``, every core). ``run`` then hands every helper the inputs' spool folder
(a helper opens the same tables from it, ``CheckInputs(wh, spool=...)``), and this process
and the helpers take the checks one at a time from one shared list, in the order given
(``longest_first``), until none is left. A helper sends each result back as it
finishes. A check runs whole in one process, so its result is the one a run in one
process gives.
A helper that dies takes no result with it: what it had not sent back is run here.

In: a warehouse, the number of helpers (0: every check in this process, nothing spawned),
then the checks, the loaded inputs, the config and this process's validator.
Out: one ``CheckResult`` per check, in the order given.
"""

from __future__ import annotations

import json
import multiprocessing
import queue
from collections.abc import Sequence
from multiprocessing.context import SpawnProcess
from pathlib import Path
from types import TracebackType
from typing import Any

from expectations.config import TEST_RESULTS_FILE, CheckConfig
from expectations.inputs import CheckInputs
from expectations.parts import Check, gx_module
from expectations.validation import CheckResult, Validator, run_check
from lakehouse.settings import Warehouse

_POLL_S = 0.5
"""How often this process looks whether a helper it waits for is still alive."""
_READY = "ready"
"""What a helper sends once it has imported what the checks need."""


def previous_durations(wh: Warehouse) -> dict[str, float]:
    """Each check's seconds in the warehouse's last run (``exports/p3_test_results.json``);
    empty when there is none or it cannot be read."""
    try:
        data = json.loads((wh.exports / TEST_RESULTS_FILE).read_text(encoding="utf-8"))
        return {str(c["name"]): float(c["duration_s"]) for c in data["checks"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def longest_first(checks: Sequence[Check], durations: dict[str, float]) -> list[list[Check]]:
    """``checks`` as the units one process takes at a time (a check each), in the order to
    take them: the checks of unknown duration first, in the checks' order, then the
    others from the longest, so that the last ones taken are short and no process waits
    long for another at the end."""
    unknown = [[c] for c in checks if c.name not in durations]
    known = sorted(([c] for c in checks if c.name in durations), key=lambda u: -durations[u[0].name])
    return unknown + known


def _claim(counter: Any, total: int) -> int | None:
    """The next unclaimed index below ``total`` of the shared ``counter``, or None."""
    with counter.get_lock():
        index = counter.value
        if index >= total:
            return None
        counter.value = index + 1
    return index


def _run_unit(unit: list[Check], inputs: CheckInputs, config: CheckConfig,
              validator: Validator) -> list[CheckResult]:
    return [run_check(check, inputs, config, validator) for check in unit]


def _help(root: str, orders: Any, counter: Any, results: Any) -> None:
    """A helper process: import what the checks need, wait for the run (spool folder,
    units of checks, config; None: no run), then take units until none is left, sending
    back ``_READY`` once imported, ``(index, results)`` for each unit, and None last."""
    gx_module()
    results.put(_READY)
    order = orders.get()
    if order is None:
        return
    spool, units, config = order
    try:
        inputs = CheckInputs(Warehouse(Path(root)), spool=Path(spool))
        try:
            validator = Validator()
            while (index := _claim(counter, len(units))) is not None:
                results.put((index, _run_unit(units[index], inputs, config, validator)))
        finally:
            inputs.close()
    finally:
        results.put(None)


class SharedRun:
    """Helper processes for one run of the checks (see the module doc); a context manager
    that stops any helper still running on the way out."""

    def __init__(self, wh: Warehouse, helpers: int) -> None:
        self.wh = wh
        self._ctx = multiprocessing.get_context("spawn")
        self._orders: Any = self._ctx.Queue() if helpers else None
        self._results: Any = self._ctx.Queue() if helpers else None
        self._counter: Any = self._ctx.Value("i", 0) if helpers else None
        self._helpers: list[SpawnProcess] = []
        self._ready = 0
        self.helper_units = 0
        """How many units the helpers ran in ``run``."""
        for n in range(helpers):
            helper = self._ctx.Process(target=_help, name=f"mmfactory-check-helper-{n + 1}", daemon=True,
                                       args=(str(wh.root), self._orders, self._counter, self._results))
            helper.start()
            self._helpers.append(helper)

    def __enter__(self) -> SharedRun:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for helper in self._helpers:
            if helper.is_alive():
                helper.terminate()
            helper.join()

    def wait_until_ready(self, timeout_s: float = 120.0) -> None:
        """Block until every helper has imported what the checks need, so that each takes
        part from the first unit on (a run does not wait: a helper that is not ready yet
        leaves the units to this process). Raises TimeoutError after ``timeout_s``."""
        while self._ready < len(self._helpers):
            try:
                item = self._results.get(timeout=timeout_s)
            except queue.Empty:
                raise TimeoutError(f"a check helper was not ready within {timeout_s:g} s") from None
            if item != _READY:
                raise RuntimeError(f"a check helper sent {item!r} before it was ready")
            self._ready += 1

    def run(self, units: Sequence[list[Check]], inputs: CheckInputs, config: CheckConfig,
            validator: Validator) -> list[CheckResult]:
        """Every check of ``units`` (``longest_first``) run here or in a helper; their
        results in the units' order."""
        units = list(units)
        done: dict[int, list[CheckResult]] = {}
        if self._helpers:
            for _ in self._helpers:
                self._orders.put((str(inputs.spool), units, config))
            while (index := _claim(self._counter, len(units))) is not None:
                done[index] = _run_unit(units[index], inputs, config, validator)
            from_helpers = self._collect()
            self.helper_units = len(from_helpers)
            done.update(from_helpers)
        for index, unit in enumerate(units):  # no helper, or one died before sending these back
            if index not in done:
                done[index] = _run_unit(unit, inputs, config, validator)
        return [result for index in range(len(units)) for result in done[index]]

    def _collect(self) -> dict[int, list[CheckResult]]:
        """The helpers' results, read until each has said it is done or has died."""
        got: dict[int, list[CheckResult]] = {}
        waiting = len(self._helpers)
        while waiting:
            try:
                item = self._results.get(timeout=_POLL_S)
            except queue.Empty:
                if not any(helper.is_alive() for helper in self._helpers):
                    break  # every helper is gone; what one sent before it died was read
                continue
            if item is None:
                waiting -= 1
            elif item != _READY:
                got[item[0]] = item[1]
        for helper in self._helpers:
            helper.join()
        return got
