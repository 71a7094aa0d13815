"""Which executor runs the per-image stages, and with how many workers (read by
``lakehouse.stages`` and its Ray backend ``lakehouse.stages_ray``; no imports of either,
so the two do not import each other).

In: ``$MMFACTORY_EXECUTOR``, ``$MMFACTORY_RAY_ADDRESS``, ``$MMFACTORY_WORKERS`` and what an
``executor_session`` set. Out: the executor's name, the Ray address, the worker count.
"""

from __future__ import annotations

import os

WORKERS_ENV = "MMFACTORY_WORKERS"
EXECUTOR_ENV = "MMFACTORY_EXECUTOR"
RAY_ADDRESS_ENV = "MMFACTORY_RAY_ADDRESS"
EXECUTORS = ("inprocess", "pool", "ray")
DEFAULT_EXECUTOR = "pool"

# what ``lakehouse.stages.executor_session`` chose for the stages inside it
# (None: the environment decides)
SESSION: dict[str, str | None] = {"executor": None, "ray_address": None}


class StageConfigError(ValueError):
    """An unknown executor name, or Ray asked for but not installed / not reachable."""


def checked_executor(executor: str, origin: str) -> str:
    """``executor`` as one of ``EXECUTORS``, or ``StageConfigError`` naming ``origin``."""
    name = executor.strip().lower().replace("-", "")
    if name not in EXECUTORS:
        raise StageConfigError(
            f"{origin}: unknown executor {executor!r} (expected one of {', '.join(EXECUTORS)})")
    return name


def default_executor() -> str:
    """The executor of the current ``executor_session``, else ``$MMFACTORY_EXECUTOR``, else
    ``pool``. Raises ``StageConfigError`` for an unknown name."""
    if SESSION["executor"] is not None:
        return SESSION["executor"]
    configured = os.environ.get(EXECUTOR_ENV)
    return checked_executor(configured, f"${EXECUTOR_ENV}") if configured else DEFAULT_EXECUTOR


def default_ray_address() -> str | None:
    """The Ray cluster to use: the session's, else ``$MMFACTORY_RAY_ADDRESS``, else None
    (a local Ray started on 127.0.0.1 for the stage)."""
    return SESSION["ray_address"] or os.environ.get(RAY_ADDRESS_ENV) or None


def default_workers() -> int:
    """``$MMFACTORY_WORKERS`` if set, else every core this process may use."""
    configured = os.environ.get(WORKERS_ENV)
    if configured:
        return max(1, int(configured))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
