"""lakehouse.dbt_parse: a new warehouse starts from the parse another warehouse of the
checkout saved, with real dbt on the real session build's parse; dbt must reuse it and
name the new warehouse's landing, never the one the parse came from; and a parse another
checkout saved is never used."""

from __future__ import annotations

from pathlib import Path

import duckdb

from lakehouse.dbt import dbt_target_path, run_dbt
from lakehouse.dbt_parse import PARTIAL_PARSE_FILE, drop_foreign, saved_by, share, start_from_shared
from lakehouse.settings import PROJECT_ROOT, Warehouse
from tests.warehouses import assert_parsed_from_saved


def test_a_new_warehouse_starts_from_the_shared_parse(built_warehouse, tmp_path: Path) -> None:
    shared = tmp_path / "shared" / PARTIAL_PARSE_FILE
    assert not start_from_shared(tmp_path / "nothing-yet", shared)  # nothing shared yet
    assert share(dbt_target_path(built_warehouse), shared) and shared.is_file()
    wh = Warehouse(tmp_path / "new" / "warehouse")

    assert start_from_shared(dbt_target_path(wh), shared)
    assert not start_from_shared(dbt_target_path(wh), shared)  # it has its own now
    assert run_dbt(wh, ["parse", "--quiet"]) == 0

    assert_parsed_from_saved(wh, built_warehouse)
    assert not share(tmp_path / "no-target", shared)


def _as_saved_by(parse: bytes, root: Path, other: Path) -> bytes:
    """The same saved parse, as dbt would have written it in a checkout at ``other``."""
    import msgpack

    def moved(value):
        if isinstance(value, dict):
            return {k: str(other) if k in ("project_root", "root_path") and v == str(root)
                    else moved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value

    return msgpack.packb(moved(msgpack.unpackb(parse, strict_map_key=False)))


def test_a_parse_another_checkout_saved_is_dropped_and_the_seeds_load_from_this_one(
        built_warehouse, tmp_path: Path) -> None:
    """A warehouse built from another clone of the project (whose seeds differ) and then
    from this one: dbt would reuse that clone's parse and load ITS seed files."""
    real = (dbt_target_path(built_warehouse) / PARTIAL_PARSE_FILE).read_bytes()
    assert saved_by(real, PROJECT_ROOT)
    other = tmp_path / "other-clone"
    (other / "seeds").mkdir(parents=True)
    ours = (PROJECT_ROOT / "seeds" / "licenses.csv").read_text(encoding="utf-8").splitlines()
    (other / "seeds" / "licenses.csv").write_text("\n".join(ours[:2]) + "\n", encoding="utf-8")
    foreign = _as_saved_by(real, PROJECT_ROOT, other)
    assert saved_by(foreign, other) and not saved_by(foreign, PROJECT_ROOT)

    wh = Warehouse(tmp_path / "warehouse")
    target = dbt_target_path(wh)
    target.mkdir(parents=True)
    (target / PARTIAL_PARSE_FILE).write_bytes(foreign)
    shared = tmp_path / "shared" / PARTIAL_PARSE_FILE
    assert share(dbt_target_path(built_warehouse), shared)
    assert start_from_shared(target, shared)  # dropped, then this checkout's shared parse
    assert saved_by((target / PARTIAL_PARSE_FILE).read_bytes(), PROJECT_ROOT)

    (target / PARTIAL_PARSE_FILE).write_bytes(foreign)  # as `run_dbt` finds it
    assert run_dbt(wh, ["seed", "--quiet", "--select", "licenses"]) == 0
    with duckdb.connect(str(wh.database), read_only=True) as con:
        [(rows,)] = con.execute("select count(*) from licenses").fetchall()
    assert rows == len(ours) - 1 > 1
    assert saved_by((target / PARTIAL_PARSE_FILE).read_bytes(), PROJECT_ROOT)
    assert not drop_foreign(target)
