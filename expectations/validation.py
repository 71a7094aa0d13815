"""One check run: its parts built from the inputs, each validated by Great Expectations,
and the outcomes gathered into the check's result.

A check builds a list of parts from the inputs (``expectations.inputs.CheckInputs``):
a ``Frame`` is a pandas DataFrame (one DuckDB query, or rows computed in Python) with
its expectations and the column that names an offending row, or a ``Query`` read and
validated a batch of rows at a time (``expectations.batched``); a ``Violations`` frame is
the result of a cross-table rule written as a query that returns the rows breaking it,
expected to be empty (``ExpectTableRowCountToEqual(value=0)``: GX's custom-SQL
expectation does not run on pandas); a ``Missing`` part says what the check could not
read (a relation not built yet, a file not written), and fails the check with that as
its observed value.

In: a ``Check``, the inputs, the config and a ``Validator`` (one ephemeral GX context per
process: no ``gx/`` tree on disk, the suites are the Python code in
``expectations/suites/``). Out: a ``CheckResult`` (picklable: a helper process sends it
back, expectations.sharing).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from expectations.batched import validate_query_frame
from expectations.config import CheckConfig
from expectations.inputs import CheckInputs
from expectations.parts import (
    Check,
    Frame,
    Missing,
    Query,
    Violations,
    expectation_key,
    gx_module,
    gxe,
)


# ---- results ----------------------------------------------------------------------------
@dataclass
class ExpectationOutcome:
    part: str
    expectation: str
    description: str
    success: bool
    observed: str
    offending: list[str] = field(default_factory=list)
    unexpected_count: int | None = None
    error: str | None = None

    @property
    def key(self) -> str:
        return f"{self.part}: {self.description}"


@dataclass
class CheckResult:
    number: int
    name: str
    title: str
    success: bool
    observed: str
    first_offending: list[str]
    outcomes: list[ExpectationOutcome]
    duration_s: float

    @property
    def status(self) -> str:
        return "PASS" if self.success else "FAIL"

    def problems(self) -> set[tuple[str, str]]:
        """(expectation, offending item) for every failing expectation: what a negative
        test compares between a clean and a corrupted copy."""
        out = set()
        for o in self.outcomes:
            if not o.success:
                items = o.offending or [o.observed]
                out |= {(o.key, item) for item in items}
        return out

    def to_dict(self, max_offending: int = 50) -> dict[str, Any]:
        return {
            "number": self.number, "name": self.name, "title": self.title, "status": self.status,
            "observed": self.observed, "first_offending": self.first_offending,
            "duration_s": round(self.duration_s, 3),
            "expectations": [
                {**{k: v for k, v in asdict(o).items() if k != "offending"},
                 "offending_count": len(o.offending), "offending": o.offending[:max_offending]}
                for o in self.outcomes
            ],
        }


class Validator:
    """One ephemeral GX context, one pandas data source and one whole-dataframe batch
    definition for a run. Each frame is validated as a batch against a suite that is never
    saved: no suite, validation definition or result goes through the context's stores
    (their serialisation took 0.6 s of a 3.2 s run of every check on COCO128)."""

    def __init__(self) -> None:
        gx = gx_module()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = self.context.data_sources.add_pandas("mmfactory_checks").add_dataframe_asset("frames")
        self.batches = asset.add_batch_definition_whole_dataframe("frame")

    def validate(self, check: str, frame: Frame) -> Any:
        suite = self.gx.ExpectationSuite(name=f"{check}.{frame.name}", expectations=list(frame.expectations))
        batch = self.batches.get_batch(batch_parameters={"dataframe": frame.df})
        return batch.validate(
            suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [frame.id_column]})


def _py(value: Any) -> Any:
    """numpy scalars as Python values, NaN as None."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _short(values: Sequence[Any], n: int = 3) -> str:
    shown = ", ".join(repr(_py(v)) if not isinstance(v, tuple) else repr(tuple(_py(x) for x in v))
                      for v in list(values)[:n])
    return f"[{shown}{', ...' if len(values) > n else ''}]"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _exception_message(info: Any) -> str | None:
    if not info:
        return None
    if isinstance(info, dict) and "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    if isinstance(info, dict):
        for value in info.values():
            msg = _exception_message(value)
            if msg:
                return msg
    return None


def outcomes_of_frame(frame: Frame, validation: Any, rows: int | None = None) -> list[ExpectationOutcome]:
    """The outcome of each of GX's results in ``validation`` (``.results``) of ``frame``,
    which holds ``rows`` rows (None: ``len(frame.df)``), in the order of the frame's
    expectations (GX gives its results in an order of its own)."""
    rows = len(frame.df) if rows is None else rows
    place = {expectation_key(e.configuration): i for i, e in reversed(list(enumerate(frame.expectations)))}
    out = []
    for r in sorted(validation.results, key=lambda r: place.get(expectation_key(r.expectation_config), len(place))):
        cfg = r.expectation_config
        result = dict(r.result or {})
        error = _exception_message(r.exception_info)
        offending: list[str] = []
        if error:
            observed = f"error: {error}"
        elif "unexpected_index_list" in result:
            index_list = result.get("unexpected_index_list") or []
            ids = _unique([_py(d.get(frame.id_column)) for d in index_list if isinstance(d, dict)])
            labels = frame.id_labels(ids) if frame.id_labels is not None and ids else {}
            offending = [labels.get(i, str(i)) for i in ids]
            n = result.get("unexpected_count") or 0
            values = result.get("partial_unexpected_list") or []
            observed = f"{n} of {result.get('element_count', rows)} rows unexpected"
            if n and not all(isinstance(_py(v), bool) for v in values):
                observed += f", values {_short(values)}"
        elif "missing_count" in result:
            missing = [str(v) for v in result.get("partial_missing_list") or []]
            offending = [f"missing {v}" for v in missing]
            observed = f"missing {', '.join(missing)}" if missing else "none missing"
        else:
            observed = f"observed {_py(result.get('observed_value'))}"
        success = bool(r.success) and not error
        out.append(ExpectationOutcome(
            part=frame.name, expectation=cfg.type, description=cfg.description or cfg.type,
            success=success, observed=observed, offending=offending if not success else [],
            unexpected_count=_py(result.get("unexpected_count")), error=error))
    return out


def _raised(exc: Exception) -> str:
    return f"check raised {type(exc).__name__}: {str(exc).splitlines()[0]}"


def _missing(part: Missing) -> ExpectationOutcome:
    return ExpectationOutcome(part=part.name, expectation="missing_input", description="inputs exist",
                              success=False, observed="; ".join(part.reasons),
                              offending=[f"missing: {r}" for r in part.reasons])


def run_check(check: Check, inputs: CheckInputs, config: CheckConfig, validator: Validator) -> CheckResult:
    """``check`` built from ``inputs`` and each of its parts validated; a check that raises
    fails with the error as its observed value."""
    t0 = time.perf_counter()
    try:
        parts = check.build(inputs, config)
    except Exception as exc:  # a crash in a check fails that check, with the error shown
        parts = [Missing("build", [_raised(exc)])]
    outcomes: list[ExpectationOutcome] = []
    summaries: list[str] = []
    for part in parts:
        if isinstance(part, Missing):
            outcomes.append(_missing(part))
            continue
        if isinstance(part, Violations):
            frame = Frame(part.name, part.df, [gxe().ExpectTableRowCountToEqual(
                value=0, description=part.description)], part.id_column, part.summary)
            [outcome] = outcomes_of_frame(frame, validator.validate(check.name, frame))
            if not outcome.success:
                ids = [str(_py(v)) for v in part.df[part.id_column].tolist()]
                outcome.offending = _unique(ids)
                outcome.unexpected_count = len(part.df)
                outcome.observed = f"{len(part.df)} violating rows: {_short(_unique(ids))}"
            outcomes.append(outcome)
            rows = len(part.df)
        elif isinstance(part.df, Query):
            try:  # the query runs here, not when the check built its parts
                validated = validate_query_frame(check.name, part, validator)
            except Exception as exc:  # fails this part, with the error shown, as a build's would
                outcomes.append(_missing(Missing(part.name, [_raised(exc)])))
                continue
            outcomes += outcomes_of_frame(part, validated, validated.row_count)
            rows = validated.row_count
        else:
            outcomes += outcomes_of_frame(part, validator.validate(check.name, part))
            rows = len(part.df)
        summary = part.summary(rows) if callable(part.summary) else part.summary
        if summary:
            summaries.append(summary)
    failing = [o for o in outcomes if not o.success]
    success = bool(outcomes) and not failing
    if success:
        observed = "; ".join(summaries) or f"{len(outcomes)} expectations met"
    else:
        observed = "; ".join(f"{o.key} -> {o.observed}" for o in failing[:2])
        if len(failing) > 2:
            observed += f" (+{len(failing) - 2} more failing)"
    first = _unique([item for o in failing for item in o.offending])[: config.shown_offenders]
    return CheckResult(check.number, check.name, check.title, success, observed, first, outcomes,
                       time.perf_counter() - t0)
