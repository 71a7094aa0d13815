"""`sqlfluff` with one reflow sequence per parsed file: ``python -m tests.sql_lint lint ...``
takes the arguments of the ``sqlfluff`` command and gives its output (the SQL style test
runs it).

Four layout rules (LT01 spacing, LT02 indentation, LT05 line length, LT14 keyword line
position) each start with ``ReflowSequence.from_root(file, config)``, which walks the
file's whole parse tree into a depth map and a sequence of blocks and points; sqlfluff 4.4
builds it four times per file. Linting never changes the tree (``lint`` applies no fix),
and the rules only derive new sequences from it, so the first one built for a file serves
the other three. On models/ that takes 72 -> 52 CPU-s of one process (BENCHMARKS.md,
issue 12 session 13), with the same violations: tests/test_sql_lint.py compares its
findings with stock sqlfluff's on models/ made messy on purpose.

Only ``lint`` may use it: ``fix`` changes the tree between rules.
"""

from __future__ import annotations

import sys

from sqlfluff.core.config import FluffConfig
from sqlfluff.core.parser.segments.base import BaseSegment
from sqlfluff.utils.reflow.sequence import ReflowSequence

_build_sequence = ReflowSequence.from_root.__func__
# the file's root segment, the config and the sequence built for them (one file at a time)
_last: tuple[BaseSegment, FluffConfig, ReflowSequence] | None = None


def _from_root(cls: type[ReflowSequence], root_segment: BaseSegment,
               config: FluffConfig) -> ReflowSequence:
    """``ReflowSequence.from_root``, built once for a root segment and config in a row."""
    global _last
    if _last is not None and _last[0] is root_segment and _last[1] is config:
        return _last[2]
    sequence = _build_sequence(cls, root_segment, config)
    _last = (root_segment, config, sequence)
    return sequence


def main(argv: list[str]) -> None:
    """Run sqlfluff's command line with ``argv`` (it exits with sqlfluff's status); only its
    ``lint`` command is allowed."""
    if not argv or argv[0] != "lint":
        raise SystemExit("tests.sql_lint runs `sqlfluff lint` only (fix changes the tree "
                         f"the shared sequence was built from); got {argv[:1]}")
    from sqlfluff.cli.commands import cli

    cli.main(args=argv, prog_name="sqlfluff")


# as the program, and in the worker processes sqlfluff's ``--processes`` spawns (they import
# the program again as ``__mp_main__``)
if __name__ in ("__main__", "__mp_main__"):
    ReflowSequence.from_root = classmethod(_from_root)
if __name__ == "__main__":
    main(sys.argv[1:])
