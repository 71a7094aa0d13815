"""The takedown cascade on a copy of the real build, with ONE shared rebuild: release
research 1.0.0, take down a COCO photo that has derived charts, documents and comparison
pairs, land the same bytes again under another name, `mmfactory build --no-land`, release
research 1.0.1."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from lakehouse.landing import landed_files
from lakehouse.settings import PROJECT_ROOT, WAREHOUSE_ENV, Warehouse
from tests.conftest import COCO128_ANNOTATIONS, COCO128_IMAGES
from tests.releases.conftest import ok, record_ids, scratch_copy
from tests.warehouses import run_mmfactory

# the takedown's own ledgers: they name the hashes by design (never the content)
LEDGERS = {"stg_landing__takedowns", "int_assets_taken_down", "stg_landing__release_manifests",
           "release_changelog"}


@dataclass
class Cascade:
    wh: Warehouse
    photo: str                      # the taken-down photo's sha256
    photo_file: str                 # its file name in COCO128
    closure: set[str]               # the photo and every asset derived from it
    before: dict[str, list[str]]    # sample id -> its source assets, before
    affected: set[str]              # samples using any asset of the closure, before
    takedown_proc: object
    stale_release_proc: object      # `mmfactory release` after the takedown, before a build
    release_proc: object            # `mmfactory release --rebuild` after the takedown


def _pick_photo(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """A paired COCO photo with derived charts and derived documents."""
    row = con.execute("""
        with recursive descendants(root, asset_id) as (
            select asset_id, asset_id from stg_landing__assets where source = 'coco128'
            union
            select descendants.root, lineage.asset_id
            from descendants
            inner join stg_landing__asset_lineage as lineage on lineage.parent_asset_id = descendants.asset_id
        ),
        paired as (select unnest([first_asset_id, second_asset_id]) as asset_id from int_image_pairs_selected)
        select descendants.root, any_value(photo.relative_path)
        from descendants
        inner join stg_landing__assets as asset on asset.asset_id = descendants.asset_id
        inner join stg_landing__assets as photo on photo.asset_id = descendants.root
        where descendants.root in (select asset_id from paired)
        group by descendants.root
        having count(*) filter (where asset.asset_type = 'chart_image') > 0
           and count(*) filter (where asset.asset_type = 'document_image') > 0
        order by descendants.root
        limit 1""").fetchone()
    assert row, "the default data has a paired photo with derived charts and documents"
    return row[0], row[1]


def _reland_inputs(folder: Path, photo_file: str) -> tuple[Path, Path]:
    """The photo's bytes under a new name, with a COCO file naming only it."""
    data = json.loads(COCO128_ANNOTATIONS.read_text(encoding="utf-8"))
    image = next(i for i in data["images"] if i["file_name"] == photo_file)
    images = folder / "images"
    images.mkdir(parents=True)
    shutil.copyfile(COCO128_IMAGES / photo_file, images / "same_bytes_new_name.jpg")
    body = {k: v for k, v in data.items() if k not in ("images", "annotations")}
    body["images"] = [{**image, "file_name": "same_bytes_new_name.jpg"}]
    body["annotations"] = [a for a in data["annotations"] if a["image_id"] == image["id"]]
    annotations = folder / "instances.json"
    annotations.write_text(json.dumps(body), encoding="utf-8")
    return images, annotations


@pytest.fixture(scope="module")
def cascade(release_source: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Cascade:
    tmp = tmp_path_factory.mktemp("takedown")
    wh = scratch_copy(release_source, tmp / "warehouse")
    con = duckdb.connect(str(wh.database), read_only=True)
    try:
        photo, photo_file = _pick_photo(con)
        lineage = con.execute("select asset_id, parent_asset_id from stg_landing__asset_lineage").fetchall()
        before = {r[0]: list(r[1]) for r in con.execute("select sample_id, source_asset_ids from samples").fetchall()}
    finally:
        con.close()
    closure, grew = {photo}, True
    while grew:
        grew = False
        for child, parent in lineage:
            if parent in closure and child not in closure:
                closure.add(child)
                grew = True
    affected = {s for s, assets in before.items() if closure & set(assets)}
    ok(run_mmfactory(wh, "release", "--profile", "research"))
    takedown = ok(run_mmfactory(wh, "takedown", "--path", f"coco128/{photo_file}",
                                "--reason", "the owner asked (test)", "--by", "pytest"))
    images, annotations = _reland_inputs(tmp / "reland", photo_file)
    ok(run_mmfactory(wh, "land", "coco", "--images", str(images), "--annotations", str(annotations),
                     "--source", "coco_reland"))
    # not applied yet: refused (the copy's views were made to read its own landing by its
    # first command; before that they read the session build's, which holds no takedown)
    stale = run_mmfactory(wh, "release", "--profile", "research")
    # the release's own rebuild: what `mmfactory build --no-land` runs, then the release
    rebuilt = ok(run_mmfactory(wh, "release", "--profile", "research", "--rebuild", timeout=1200))
    return Cascade(wh, photo, photo_file, closure, before, affected, takedown, stale, rebuilt)


def test_the_photo_has_derived_charts_documents_and_pairs(cascade: Cascade) -> None:
    assert len(cascade.closure) >= 3
    tasks = {s.split(":")[0] for s in cascade.affected}
    assert cascade.affected and tasks
    assert cascade.photo in cascade.takedown_proc.stdout.replace("\n", "")


def test_a_release_before_the_takedown_is_built_is_refused(cascade: Cascade) -> None:
    proc = cascade.stale_release_proc
    assert proc.returncode == 2, proc.stdout[-2000:]
    assert "1 takedown(s) landed after the last build" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "written:" not in proc.stdout  # research-1.0.1 is the --rebuild run's


def test_release_rebuild_builds_what_changed_as_a_build_does(cascade: Cascade) -> None:
    out = cascade.release_proc.stdout
    dbt_line = next(line for line in out.splitlines() if line.startswith("dbt:"))
    assert dbt_line.startswith("dbt: landed table(s) changed: ") and "takedowns" in dbt_line, dbt_line
    for step in ("dbt", "visual_audit", "summary", "report_and_check"):
        assert f"stage {step}: " in out
    assert "release research-1.0.1: " in out
    # the build state is recorded: the next build (planned in a process of its own, as
    # `mmfactory build` plans it) rebuilds only what reads the release's own manifest rows
    planned = subprocess.run(
        [sys.executable, "-c", "from lakehouse.build_state import current_inputs, plan, read_state; "
                               "from lakehouse.settings import warehouse; wh = warehouse(); "
                               "print(plan(wh, current_inputs(wh, read_state(wh))).reason)"],
        env={**os.environ, WAREHOUSE_ENV: str(cascade.wh.root)}, capture_output=True, text=True,
        cwd=PROJECT_ROOT, timeout=120)
    assert planned.stdout.strip() == "landed table(s) changed: release_manifests", planned.stderr


def test_no_table_and_no_file_references_the_taken_down_assets(cascade: Cascade) -> None:
    con = duckdb.connect(str(cascade.wh.database), read_only=True)
    hits: dict[str, int] = {}
    try:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()]
        assert "manual_review_samples" in tables and "failure_replay" in tables
        for table in tables:
            if table in LEDGERS:
                continue
            columns = [r[0] for r in con.execute(f'describe "{table}"').fetchall()]
            text = " || ' ' || ".join(f"coalesce(cast(t.\"{c}\" as varchar), '')" for c in columns)
            for asset in cascade.closure:
                n = con.execute(f'select count(*) from "{table}" as t where contains({text}, ?)',
                                [asset]).fetchone()[0]
                if n:
                    hits[f"{table}:{asset[:12]}"] = n
        gone = con.execute("select count(*) from samples where sample_id in (select unnest(?))",
                           [sorted(cascade.affected)]).fetchone()[0]
        queued = con.execute("select count(*) from manual_review_samples where sample_id in (select unnest(?))",
                             [sorted(cascade.affected)]).fetchone()[0]
    finally:
        con.close()
    assert hits == {} and gone == 0 and queued == 0
    needles = {a.encode() for a in cascade.closure} | {cascade.photo_file.encode(), b"same_bytes_new_name"}
    release = cascade.wh.releases / "research-1.0.1"
    found = []
    for folder in (cascade.wh.exports, release):
        for root, _dirs, files in os.walk(folder):  # symlinked source folders are not followed
            for name in files:
                path = Path(root) / name
                if path.is_symlink() or path.parent == release and name in ("CHANGELOG.md", "changelog.json"):
                    continue
                data = path.read_bytes()
                found += [f"{path}: {n[:12]!r}" for n in needles if n in data]
    assert found == []
    # nor what the contracts keep of the exported records (dropped by the takedown, then
    # filled again by the rebuild's checks from the rebuilt exports)
    kept = sorted(cascade.wh.record_facts_cache.glob("*/*.parquet"))
    assert kept
    with duckdb.connect() as mem:
        files = "[" + ", ".join(f"'{p}'" for p in kept) + "]"
        text = mem.execute(f"select string_agg(cast(columns(*) as varchar), ' ') from read_parquet({files})").fetchone()
    assert not [n for n in needles if any(n.decode() in (t or "") for t in text)]


def test_counts_shrink_exactly_by_the_affected_samples(cascade: Cascade) -> None:
    con = duckdb.connect(str(cascade.wh.database), read_only=True)
    try:
        after = {r[0] for r in con.execute("select sample_id from samples").fetchall()}
        records = con.execute("select count(*) from training_records").fetchone()[0]
    finally:
        con.close()
    assert after == set(cascade.before) - cascade.affected
    assert records == len(cascade.before) - len(cascade.affected)


def test_relanding_the_same_bytes_under_another_name_keeps_it_out(cascade: Cascade) -> None:
    landed = duckdb.connect()
    try:
        files = [str(p) for p in landed_files(cascade.wh, "assets")]
        relanded = landed.execute("select source, relative_path from read_parquet(?, union_by_name = true) "
                                  "where asset_id = ?", [files, cascade.photo]).fetchall()
    finally:
        landed.close()
    assert ("coco_reland", "same_bytes_new_name.jpg") in relanded  # it did land again...
    con = duckdb.connect(str(cascade.wh.database), read_only=True)
    try:
        shown = con.execute("select count(*) from stg_landing__assets where asset_id = ? or source = 'coco_reland'",
                            [cascade.photo]).fetchone()[0]
    finally:
        con.close()
    assert shown == 0  # ...and stays out of the lakehouse


def test_changelog_lists_the_hashes_and_equals_the_manifest_difference(cascade: Cascade) -> None:
    releases = cascade.wh.releases
    v1 = set(record_ids(releases / "research-1.0.0" / "final_llava_dataset.jsonl"))
    v2 = set(record_ids(releases / "research-1.0.1" / "final_llava_dataset.jsonl"))
    log = json.loads((releases / "research-1.0.1" / "changelog.json").read_text(encoding="utf-8"))
    assert log["previous_release_id"] == "research-1.0.0"
    assert log["added"] == len(v2 - v1) and log["removed"] == len(v1 - v2)
    assert set(log["added_sample_ids"]) == v2 - v1 and set(log["removed_sample_ids"]) == v1 - v2
    assert v1 - v2 == cascade.affected and log["removed_by_reason"] == {"takedown": len(cascade.affected)}
    assert sum(t["removed"] for t in log["by_task_type"].values()) == len(v1 - v2)
    assert cascade.photo in log["taken_down_asset_ids"] and set(log["taken_down_asset_ids"]) <= cascade.closure
    assert cascade.photo in (releases / "research-1.0.1" / "CHANGELOG.md").read_text(encoding="utf-8")


def test_takedown_of_an_asset_never_landed_is_refused(cascade: Cascade) -> None:
    before = landed_files(cascade.wh, "takedowns")
    for args in (("--asset", "0" * 64), ("--path", "coco128/never_landed.jpg"), ("--asset", "xyz")):
        proc = run_mmfactory(cascade.wh, "takedown", *args, "--reason", "test")
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "was ever landed" in proc.stderr or "is not a sha256" in proc.stderr
    assert landed_files(cascade.wh, "takedowns") == before
