"""The order `make test` hands test modules to its workers, longest first.

`make test` runs whole modules on two xdist workers (``--dist loadscope``), in the order
``tests/conftest.py`` sorts them: the modules that need no build first (the session build
runs meanwhile), then the ones that read it; within each, the longest first, so that the
run does not end with one worker on a long module while the other has nothing left
(longest-processing-time-first scheduling). A module's length is read from
``module_durations.json``: the seconds its tests took (setup, call and teardown) in a
whole `make test` on two cores. A module not listed there counts as the longest.

Refresh the file after adding or changing a long module:
``make test PYTEST_WORKERS="-n auto --dist loadscope --no-loadscope-reorder
--record-module-durations"`` rewrites it from that run.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

DURATIONS_FILE = Path(__file__).with_name("module_durations.json")
RECORD_OPTION = "--record-module-durations"
UNKNOWN_S = float("inf")
"""What a module missing from the file counts as: the longest, so it starts early."""


def module_of(nodeid: str) -> str:
    """``tests/x/test_y.py::test_z[p]`` -> ``tests/x/test_y.py``."""
    return nodeid.split("::")[0]


def load_durations(path: Path = DURATIONS_FILE) -> dict[str, float]:
    """Module path -> seconds, from ``path``; empty when the file is missing."""
    if not path.is_file():
        return {}
    return {str(k): float(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def expected_seconds(durations: dict[str, float], module: str) -> float:
    return durations.get(module, UNKNOWN_S)


class DurationRecorder:
    """Adds up each module's setup, call and teardown seconds as the reports arrive (in the
    xdist controller, which receives every worker's reports) and writes them to ``path``
    at the end of a run in which every test passed."""

    def __init__(self, path: Path = DURATIONS_FILE) -> None:
        self.path = path
        self.seconds: dict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[module_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus != 0 or not self.seconds:
            return
        rows = {m: round(s, 1) for m, s in sorted(self.seconds.items())}
        self.path.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
