"""The suite's order (tests/schedule.py): module lengths recorded from a run, longest first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.schedule import DURATIONS_FILE, DurationRecorder, expected_seconds, load_durations

TESTS_DIR = Path(__file__).resolve().parent


def _report(nodeid: str, when: str, seconds: float) -> pytest.TestReport:
    return pytest.TestReport(nodeid, ("x", 1, "t"), {}, "passed", None, when, [], duration=seconds)


def test_the_recorded_lengths_name_modules_that_exist() -> None:
    durations = load_durations()
    assert len(durations) >= 50
    stale = [m for m in durations if not (TESTS_DIR.parent / m).is_file()]
    assert not stale, f"{DURATIONS_FILE.name} names modules that are gone: {stale}"
    assert all(s >= 0 for s in durations.values())


def test_a_module_not_recorded_counts_as_the_longest() -> None:
    durations = {"tests/a.py": 30.0, "tests/b.py": 2.0}
    ordered = sorted(["tests/b.py", "tests/new.py", "tests/a.py"],
                     key=lambda m: -expected_seconds(durations, m))
    assert ordered == ["tests/new.py", "tests/a.py", "tests/b.py"]


def test_the_recorder_adds_up_every_phase_and_writes_only_after_a_passing_run(
        tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    recorder = DurationRecorder(path)
    for nodeid, when, s in [("tests/a.py::t1", "setup", 4.0), ("tests/a.py::t1", "call", 1.25),
                            ("tests/a.py::t2[x]", "teardown", 0.5), ("tests/b.py::t", "call", 0.3)]:
        recorder.pytest_runtest_logreport(_report(nodeid, when, s))
    recorder.pytest_sessionfinish(None, exitstatus=1)
    assert not path.exists()
    recorder.pytest_sessionfinish(None, exitstatus=0)
    assert json.loads(path.read_text(encoding="utf-8")) == {"tests/a.py": 5.8, "tests/b.py": 0.3}
    assert load_durations(path) == {"tests/a.py": 5.8, "tests/b.py": 0.3}
