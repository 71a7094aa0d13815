"""``--executor`` and ``--ray-address``: where a command's per-image stages run.

The options of ``build``, ``land ...``, ``render`` and ``ocr`` (``mmfactory/cli.py``), and
``stage_executor``, which runs the command's stages inside one
``lakehouse.stages.executor_session`` (with ``ray``: one Ray start or connection for the
whole command, shut down at its end). Without the options, ``$MMFACTORY_EXECUTOR`` and
``$MMFACTORY_RAY_ADDRESS`` decide, else the local process pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Annotated

import typer

from lakehouse.stages import (
    EXECUTOR_ENV,
    EXECUTORS,
    RAY_ADDRESS_ENV,
    StageConfigError,
    executor_session,
)
from mmfactory.consoles import err

ExecutorOption = Annotated[str | None, typer.Option(
    "--executor", metavar="|".join(EXECUTORS),
    help=f"Where per-image stages run: {', '.join(EXECUTORS)} (default: ${EXECUTOR_ENV}, "
         "else pool, a process per core).")]
RayAddressOption = Annotated[str | None, typer.Option(
    "--ray-address",
    help=f"With --executor ray: the cluster (auto, host:port or ray://host:port; default "
         f"${RAY_ADDRESS_ENV}, else a local Ray on 127.0.0.1 for this command).")]


@contextmanager
def stage_executor(executor: str | None, ray_address: str | None) -> Iterator[str]:
    """The block's stages run on ``executor`` / ``ray_address``; yields the executor's name.
    An unknown executor, or a Ray that is missing or unreachable, ends the command with one
    line (exit 2)."""
    with ExitStack() as stack:
        try:
            chosen = stack.enter_context(executor_session(executor, ray_address))
        except StageConfigError as exc:
            err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(code=2) from None
        yield chosen
