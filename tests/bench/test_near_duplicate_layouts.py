"""Every band layout of the near-duplicate join is exact: the SQL of
``int_asset_near_duplicates_paired`` (rendered with its macros by the bench's renderer)
finds exactly the pairs a brute-force comparison finds, whatever layout is forced."""

from __future__ import annotations

import itertools
import random

import duckdb
import pyarrow as pa
import pytest

from bench.bench_near_duplicates import chosen_layout_sql, model_sql


def layouts(max_bits: int) -> list[tuple[str, int, int, int, int]]:
    """(layout_id, bit_offset, width_bits, left, right) of every band the macro offers."""
    sql = model_sql(max_bits)
    head, _ = sql.split("\n-- every flip of 0, 1 or 2 bits", 1)
    query = head.rstrip().rstrip(",") + (
        "\nselect layout_id, bit_offset, width_bits, left_radius_bits, right_radius_bits"
        " from layout_bands order by layout_id, band_index")
    return duckdb.connect().execute(query).fetchall()


@pytest.mark.parametrize("max_bits", range(0, 40))
def test_every_layout_covers_the_hash_and_the_threshold(max_bits: int) -> None:
    rows = layouts(max_bits)
    assert rows
    for _, bands in itertools.groupby(rows, key=lambda row: row[0]):
        bands = list(bands)
        offsets = [offset for _, offset, _, _, _ in bands]
        widths = [width for _, _, width, _, _ in bands]
        assert offsets == [sum(widths[:i]) for i in range(len(widths))]
        assert sum(widths) == 64
        assert sum(left + right + 1 for _, _, _, left, right in bands) > max_bits
        assert all(0 <= left <= 2 and 0 <= right <= 2 for _, _, _, left, right in bands)


def hashes(n: int, max_bits: int, seed: int) -> list[int]:
    """Random 64-bit hashes, half of them copies of another with 0..max_bits + 1 flips."""
    rng = random.Random(seed)
    values = [rng.getrandbits(64) for _ in range(n // 2)]
    for _ in range(n - n // 2):
        value = rng.choice(values)
        for bit in rng.sample(range(64), rng.randint(0, max_bits + 1)):
            value ^= 1 << bit
        values.append(value)
    return values


@pytest.mark.parametrize("max_bits", [3, 7, 10])
def test_each_layout_finds_exactly_the_brute_force_pairs(max_bits: int) -> None:
    values = hashes(240, max_bits, seed=max_bits)
    ids = [f"h{i:04d}" for i in range(len(values))]
    expected = {(a, b) for (a, x), (b, y) in itertools.combinations(zip(ids, values), 2)
                if bin(x ^ y).count("1") <= max_bits}
    assert len(expected) > 50  # the planted copies within the threshold
    con = duckdb.connect()
    con.register("synthetic", pa.table({
        "asset_id": ids, "phash": pa.array(values, pa.uint64()),
        "dhash": pa.array(values, pa.uint64())}))
    con.execute("create table stg_landing__perceptual_hashes as select * from synthetic")
    con.execute("create table stg_landing__assets as "
                "select asset_id, 'general_image' as asset_type from synthetic")
    con.execute("create table stg_landing__asset_lineage "
                "(asset_id varchar, parent_asset_id varchar)")
    layout_ids = sorted({row[0] for row in layouts(max_bits)})
    assert len(layout_ids) >= 5
    for layout in layout_ids:
        sql = model_sql(max_bits, layout)
        assert con.execute(chosen_layout_sql(sql)).fetchall() == [(layout,)]
        found = con.execute(f"select asset_id, near_duplicate_asset_id from ({sql})").fetchall()
        assert len(found) == len(set(found)), layout
        assert set(found) == expected, layout
