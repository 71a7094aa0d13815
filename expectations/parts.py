"""What a check is made of: the parts it builds and the contract they are held to.

``Check`` names one of the project checks and how it builds its parts from the inputs;
a ``Frame`` is a DataFrame with the native Great Expectations it must meet, a
``Violations`` frame holds the rows breaking a cross-table rule (expected: none), and a
``Missing`` part says what could not be read. The suites (``expectations/suites/``) build
parts; the runner (``expectations/runner.py``) validates them. Both import this module,
never each other.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from expectations.config import CheckConfig
from expectations.inputs import CheckInputs


# ---- parts ------------------------------------------------------------------------------
@dataclass
class Frame:
    """A DataFrame and the native expectations it must meet."""

    name: str
    df: pd.DataFrame
    expectations: list[Any]
    id_column: str
    summary: str = ""


@dataclass
class Violations:
    """Rows that break a cross-table rule (one row per offence); must be none."""

    name: str
    df: pd.DataFrame
    id_column: str
    description: str
    summary: str = ""


@dataclass
class Missing:
    """A part that could not be evaluated: what is missing."""

    name: str
    reasons: list[str]


Part = Frame | Violations | Missing


@dataclass(frozen=True)
class Check:
    number: int
    name: str
    title: str
    build: Callable[[CheckInputs, CheckConfig], list[Part]]


# ---- Great Expectations, imported once -----------------------------------------------------------------
_GX: Any = None


def gx_module() -> Any:
    """Import Great Expectations once (3-6 s), with analytics off."""
    global _GX
    if _GX is None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx

        _GX = gx
    return _GX


def gxe() -> Any:
    """``great_expectations.expectations`` (the native expectation classes)."""
    return gx_module().expectations
