import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lakehouse.landing import (
    LandingError,
    check_source_name,
    ensure_tables,
    land_table,
    landed_files,
)

SCHEMA = pa.schema([pa.field("source", pa.string(), nullable=False), pa.field("n", pa.int64())])


def test_land_replaces_a_source_file_atomically(wh) -> None:
    first = land_table(wh, "t", "s1", pa.table({"source": ["s1"], "n": [1]}), SCHEMA)
    land_table(wh, "t", "s2", pa.table({"source": ["s2"], "n": [2]}), SCHEMA)
    land_table(wh, "t", "s1", pa.table({"source": ["s1", "s1"], "n": [3, 4]}), SCHEMA)
    assert pq.read_table(first).column("n").to_pylist() == [3, 4]
    assert [p.name for p in landed_files(wh, "t")] == ["s1.parquet", "s2.parquet"]
    assert not list(first.parent.glob(".*tmp")), "no temporary file is left behind"


def test_a_failed_write_keeps_the_old_file(wh) -> None:
    path = land_table(wh, "t", "s1", pa.table({"source": ["s1"], "n": [1]}), SCHEMA)
    with pytest.raises(pa.ArrowInvalid):
        land_table(wh, "t", "s1", pa.table({"source": ["s1"], "n": ["not a number"]}), SCHEMA)
    assert pq.read_table(path).column("n").to_pylist() == [1]
    assert not list(path.parent.glob(".*tmp"))


def test_schema_files_are_zero_row_and_typed(wh) -> None:
    ensure_tables(wh, {"t": SCHEMA})
    table = pq.read_table(wh.landing / "t" / "_schema.parquet")
    assert table.num_rows == 0
    assert table.schema.equals(SCHEMA)


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "Upper", "x" * 65, "-lead"])
def test_source_names_must_be_safe_file_stems(bad: str) -> None:
    with pytest.raises(LandingError, match="source name"):
        check_source_name(bad)
