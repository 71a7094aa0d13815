"""The process pool's chunking: every item once, chunks never above the caller's size,
and enough chunks per worker that two workers finish together."""

from __future__ import annotations

import pyarrow as pa

from lakehouse.stages import POOL_CHUNKS_PER_WORKER, balanced, run_stage


def _ids(chunk: list[int]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([{"item": i} for i in chunk])


def test_balanced_chunks_keep_the_order_and_the_cap() -> None:
    items = list(range(2048))
    chunks = balanced(items, 500, 2)
    assert [i for c in chunks for i in c] == items
    assert len(chunks) >= 2 * POOL_CHUNKS_PER_WORKER and max(map(len, chunks)) <= 500
    assert [len(c) for c in balanced(list(range(6)), 2, 2)] == [1] * 6
    assert [len(c) for c in balanced(list(range(252)), 8, 2)] == [8] * 31 + [4]


def test_the_pool_runs_every_item_once_in_balanced_chunks() -> None:
    items = list(range(40))
    results = list(run_stage(_ids, items, chunk_size=20, workers=2, start_method="fork",
                             executor="pool"))
    assert sorted(i for _, b in results for i in b.column("item").to_pylist()) == items
    assert len(results) == 8 and all(len(chunk) == 5 for chunk, _ in results)
