"""`sqlfluff` with one reflow sequence per parsed file, its depth map built in one walk:
``python -m tests.sql_lint lint ...`` takes the arguments of the ``sqlfluff`` command and
gives its output (the SQL style test runs it).

Four layout rules (LT01 spacing, LT02 indentation, LT05 line length, LT14 keyword line
position) each start with ``ReflowSequence.from_root(file, config)``, which walks the
file's whole parse tree into a depth map and a sequence of blocks and points; sqlfluff 4.4
builds it four times per file. Linting never changes the tree (``lint`` applies no fix),
and the rules only derive new sequences from it, so the first one built for a file serves
the other three. On models/ that takes 72 -> 52 CPU-s of one process (BENCHMARKS.md,
issue 12 session 13), with the same violations: tests/test_sql_lint.py compares its
findings with stock sqlfluff's on models/ made messy on purpose.

The sequence starts from the file's depth map (every raw segment's ancestors, their
hashes, types and positions): ``depth_map_from_parent`` builds the same map top-down
instead of bottom-up, ~7x faster on models/ (6.4-6.9 -> 0.9-1.0 s summed over the 140
parsed files), which took the whole lint from 52.0 to 38.4 CPU-s and its peak memory from
426 to 359 MiB (medians of 3 paired runs; BENCHMARKS.md, issue 12 session 14).

Only ``lint`` may use it: ``fix`` changes the tree between rules.
"""

from __future__ import annotations

import sys

from sqlfluff.core.config import FluffConfig
from sqlfluff.core.parser.segments.base import BaseSegment, PathStep
from sqlfluff.utils.reflow.depthmap import DepthInfo, DepthMap, StackPosition
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


def depth_map_from_parent(cls: type[DepthMap], parent: BaseSegment) -> DepthMap:
    """``DepthMap.from_parent``: the same depth information for every raw segment under
    ``parent``, built top-down in one walk of the tree.

    sqlfluff builds it bottom-up: each segment lists its raws with their ancestor path
    (``raw_segments_with_ancestors``, one list copy per raw and level), then each raw's
    ``DepthInfo`` is built from its whole path (one ``StackPosition`` per raw and level).
    Here each level's hashes, types and positions are built once per child and extended
    for its subtree (recursively, in tree order, as sqlfluff's own walk), so the work per
    raw is a few copies done in C instead of a loop over its ancestors in Python. Siblings
    share their (immutable) hash and type tuples.
    """
    depth_info: dict = {}

    def walk(segment: BaseSegment, hashes: tuple[int, ...], types: tuple[frozenset[str], ...],
             positions: dict) -> None:
        children = segment.segments
        code_idxs = segment._code_indices
        seg_hash = hash(segment)
        hashes = (*hashes, seg_hash)
        types = (*types, segment.class_types)
        hash_set = frozenset(hashes)
        for idx, child in enumerate(children):
            child_positions = {**positions, seg_hash: StackPosition.from_path_step(
                PathStep(segment, idx, len(children), code_idxs))}
            if child.is_type("raw"):
                depth_info[child.uuid] = DepthInfo(len(hashes), hashes, hash_set, types,
                                                   child_positions)
            else:
                walk(child, hashes, types, child_positions)

    walk(parent, (), (), {})
    depth_map = cls.__new__(cls)
    depth_map.depth_info = depth_info
    return depth_map


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
    DepthMap.from_parent = classmethod(depth_map_from_parent)
if __name__ == "__main__":
    main(sys.argv[1:])
