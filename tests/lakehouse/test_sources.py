"""lakehouse.sources: how a source's images root is stored in ``asset_sources`` and found
again, in the warehouse it was landed in and in a copy of it elsewhere."""

from __future__ import annotations

import shutil

from lakehouse.settings import PROJECT_ROOT, Warehouse
from lakehouse.sources import WAREHOUSE_PREFIX, portable_path, resolve_root, source_row


def test_a_root_inside_the_warehouse_is_found_in_a_copy_of_it(tmp_path):
    original = Warehouse(tmp_path / "first" / "warehouse")
    (original.derived / "documents").mkdir(parents=True)
    (original.derived / "documents" / "d1.png").write_bytes(b"png")

    stored = portable_path(original.derived, original)

    assert stored == f"{WAREHOUSE_PREFIX}derived"
    copy = Warehouse(tmp_path / "second" / "warehouse")
    shutil.copytree(original.root, copy.root)
    shutil.rmtree(original.root)  # moved, not copied: nothing of the first folder is left
    assert resolve_root(stored, copy) == (copy.root / "derived").resolve()
    # the SQL joins a stored root and an asset's relative path (qa_visual_audit.image_path)
    assert resolve_root(f"{stored}/documents/d1.png", copy).read_bytes() == b"png"


def test_a_root_under_the_projects_parent_stays_relative_to_the_project(tmp_path):
    wh = Warehouse(tmp_path / "warehouse")
    seeds = PROJECT_ROOT / "seeds"  # under the project's parent, as ../shared is in a clone
    stored = portable_path(seeds, wh)
    assert stored == "seeds"
    assert resolve_root(stored, wh) == seeds.resolve()


def test_the_source_row_stores_both_paths_portably(tmp_path):
    from datetime import UTC, datetime

    wh = Warehouse(tmp_path / "warehouse")
    row = source_row(wh, "derived_documents", "derived", "document_image", wh.derived / "documents",
                     wh.root / "inputs" / "spec.json", "run1", datetime.now(UTC)).to_pylist()[0]
    assert row["images_root"] == f"{WAREHOUSE_PREFIX}derived/documents"
    assert row["annotations_path"] == f"{WAREHOUSE_PREFIX}inputs/spec.json"
