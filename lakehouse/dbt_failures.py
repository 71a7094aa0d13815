"""What a failed dbt run broke, in words: the broken rules of each failing `model_rules` test.

dbt names a failing test by its node and says how many rows it returned. A model's
`model_rules` test (macros/tests/model_rules.sql) checks all of the model's own rules and
returns one row per broken rule, so its node name does not say which rule broke.

In: the warehouse's dbt target folder after a run (``run_results.json``: each node's status
and compiled SQL; ``manifest.json``: which test a node is and the model it tests) and the
lakehouse, read-only. Out: one ``BrokenRule`` per row those tests return, read by running
each failing test's compiled SQL again. A run that wrote no results after ``since`` (dbt
stopped before it ran a node) gives none: the files left are an earlier run's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lakehouse.dbt import dbt_target_path
from lakehouse.settings import Warehouse

MODEL_RULES_TEST = "model_rules"


@dataclass(frozen=True, order=True)
class BrokenRule:
    """One broken rule of a model: ``rule`` (not_null, unique, accepted_values,
    unique_combination, expression), what it is on (a column, columns or the expression)
    and how many rows break it."""

    model: str
    rule: str
    rule_on: str
    failing_rows: int

    def __str__(self) -> str:
        return f"{self.model}: {self.rule} {self.rule_on} ({self.failing_rows} row(s))"


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def broken_rules(wh: Warehouse, since: float | None = None) -> list[BrokenRule]:
    """The broken rules of the `model_rules` tests that failed in ``wh``'s last dbt run
    (sorted); none when that run's results are older than ``since`` (a ``time.time()``)."""
    target = dbt_target_path(wh)
    results_path = target / "run_results.json"
    try:
        if since is not None and results_path.stat().st_mtime < since:
            return []
    except OSError:
        return []
    results = _read_json(results_path).get("results") or []
    nodes = _read_json(target / "manifest.json").get("nodes") or {}
    failing = []
    for result in results:
        node = nodes.get(result.get("unique_id"), {})
        if (result.get("status") == "fail" and result.get("compiled_code")
                and (node.get("test_metadata") or {}).get("name") == MODEL_RULES_TEST):
            failing.append((str(node.get("attached_node") or result["unique_id"]).split(".")[-1],
                            result["compiled_code"]))
    if not failing:
        return []
    broken = []
    with duckdb.connect(str(wh.database), read_only=True) as con:
        for model, sql in failing:
            try:
                rows = con.execute(sql).fetchall()
            except duckdb.Error:  # e.g. a rule that calls a UDF only dbt's connections have
                continue
            broken.extend(BrokenRule(model, str(rule), str(rule_on), int(n)) for rule, rule_on, n in rows)
    return sorted(broken)
