"""generation.lakehouse and generation.cli: work items selected from a DuckDB lakehouse
shaped like the lead's staging relations, and `generate <stage>` end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from generation.cli import generate_app
from generation.lakehouse import LakehouseInputError, select_annotated_images, select_samples
from generation.stages.consistency import select_consistency_items
from generation.store import GENERATIONS, read_landed
from lakehouse.tables.generation import CONSISTENCY_SCORES, JUDGEMENTS, TRANSLATIONS
from tests.generation.testkit import COCO128, TEST_MODEL, load_coco_items


def build_lakehouse(wh, images_root: Path, n_images: int = 6, with_samples: bool = False) -> list:
    """A lakehouse file with the staging relations as dbt builds them (column names and
    types of stg_landing__*, stg_coco__* and the samples mart) for the first ``n_images``
    COCO128 images, the images root pointing at ``images_root``."""
    items = load_coco_items(n_images)
    data = json.loads((COCO128 / "annotations" / "instances_train2017.json").read_text())
    by_name = {i["file_name"]: i for i in data["images"]}
    wh.root.mkdir(parents=True, exist_ok=True)
    ddl = [
        "create table stg_landing__asset_sources (source varchar, images_root varchar)",
        """create table stg_landing__assets (asset_id varchar, source varchar,
           relative_path varchar, asset_type varchar, width_px integer, height_px integer)""",
        """create table stg_coco__images (coco_image_id varchar, source varchar,
           asset_id varchar, width_px integer, height_px integer, is_primary_record boolean)""",
        """create table stg_coco__annotations (annotation_id varchar, source varchar,
           coco_image_id varchar, category_id varchar, bbox_x_px double, bbox_y_px double,
           bbox_w_px double, bbox_h_px double, is_crowd boolean)""",
        """create table stg_coco__categories (category_id varchar, source varchar,
           category_name varchar)""",
    ]
    with duckdb.connect(str(wh.database)) as con:
        for statement in ddl:
            con.execute(statement)
        con.execute(
            "insert into stg_landing__asset_sources values ('coco128', ?)", [str(images_root)]
        )
        ids = set()
        for it in items:
            img = by_name[it.path.name]
            ids.add(img["id"])
            con.execute(
                "insert into stg_landing__assets values (?, 'coco128', ?, 'general_image', ?, ?)",
                [it.asset_id, it.path.name, it.width_px, it.height_px],
            )
            con.execute(
                "insert into stg_coco__images values (?, 'coco128', ?, ?, ?, true)",
                [f"coco128:{img['id']}", it.asset_id, it.width_px, it.height_px],
            )
        # the first photo landed again under another source, whose record the dataset
        # does not use (it has no boxes): described once, from coco128's record
        first = items[0]
        con.execute(
            "insert into stg_coco__images values ('again:1', 'again', ?, ?, ?, false)",
            [first.asset_id, first.width_px, first.height_px],
        )
        con.executemany(
            "insert into stg_coco__annotations values (?, 'coco128', ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    f"coco128:{a['id']}",
                    f"coco128:{a['image_id']}",
                    f"coco128:{a['category_id']}",
                    *a["bbox"],
                    bool(a["iscrowd"]),
                ]
                for a in data["annotations"]
                if a["image_id"] in ids
            ],
        )
        con.executemany(
            "insert into stg_coco__categories values (?, 'coco128', ?)",
            [[f"coco128:{c['id']}", c["name"]] for c in data["categories"]],
        )
        if with_samples:
            con.execute("""create table samples (sample_id varchar, task_type varchar,
                           language varchar, source_asset_ids varchar[], image_paths varchar[],
                           conversations struct("from" varchar, "value" varchar)[])""")
            for i, it in enumerate(items[:3]):
                con.execute(
                    "insert into samples values (?, 'image_description', 'en', ?, ?, ?)",
                    [
                        f"s{i}",
                        [it.asset_id],
                        [f"coco128/{it.path.name}"],  # trainer-relative: resolved via the asset id
                        [
                            {"from": "human", "value": "<image>\nDescribe the image."},
                            {"from": "gpt", "value": f"There are {len(it.annotations)} objects."},
                        ],
                    ],
                )
    return items


@pytest.fixture
def images_root(tmp_path: Path, shared_datasets: Path) -> Path:
    root = tmp_path / "coco_images"
    root.mkdir()
    for it in load_coco_items(6):
        shutil.copy(it.path, root / it.path.name)
    return root


def test_selection_from_the_lakehouse(wh, images_root) -> None:
    with pytest.raises(LakehouseInputError, match="no lakehouse"):
        select_annotated_images(wh)
    items = build_lakehouse(wh, images_root)
    got = select_annotated_images(wh)
    assert [g.asset_id for g in got] == sorted(i.asset_id for i in items)
    by_id = {i.asset_id: i for i in items}
    for g in got:
        assert g.path == images_root / by_id[g.asset_id].path.name and g.path.exists()
        assert sorted(a.category_name for a in g.annotations) == sorted(
            a.category_name for a in by_id[g.asset_id].annotations
        )
    assert (
        len(select_annotated_images(wh, limit=2)) == 2
        and select_annotated_images(wh, source="other") == []
    )
    assert all(i.answer_kind == "number" for i in select_consistency_items(wh, "count", limit=3))
    with pytest.raises(LakehouseInputError, match="no 'samples' relation yet"):
        select_samples(wh)


def test_samples_resolve_their_files_through_the_asset_ids(wh, images_root) -> None:
    items = build_lakehouse(wh, images_root, with_samples=True)
    samples = select_samples(wh)
    assert [s.sample_id for s in samples] == ["s0", "s1", "s2"]
    for s, it in zip(samples, items[:3]):
        assert s.asset_ids == (it.asset_id,) and s.image_paths == (images_root / it.path.name,)
        assert s.conversations[0] == ("human", "<image>\nDescribe the image.")
    assert select_samples(wh, language="zh") == []


def _invoke(args: list[str], server, monkeypatch) -> object:
    monkeypatch.setenv("MMFACTORY_BASE_URL", server.base_url)
    monkeypatch.setenv("MMFACTORY_MODEL", TEST_MODEL)
    return CliRunner().invoke(generate_app, [*args, "--batch-size", "4", "--max-attempts", "2"])


def test_cli_stages_end_to_end_and_second_run_makes_zero_calls(
    wh, images_root, server, monkeypatch
) -> None:
    items = build_lakehouse(wh, images_root, with_samples=True)
    # identical turn texts are one request (the sample id is not in the key): translated once
    distinct_turns = 1 + len({len(it.annotations) for it in items[:3]})
    for args in (
        ["recaption"],
        ["compare", "--limit", "2"],
        ["judge"],
        ["consistency", "--n", "3", "--limit", "2"],
        ["translate"],
    ):
        result = _invoke(args, server, monkeypatch)
        assert result.exit_code == 0, result.output
    assert read_landed(wh, JUDGEMENTS).num_rows == 3 and read_landed(wh, TRANSLATIONS).num_rows == 3
    assert read_landed(wh, CONSISTENCY_SCORES).num_rows == 2
    stages = read_landed(wh, GENERATIONS, ["stage"]).column("stage").to_pylist()
    assert {s: stages.count(s) for s in set(stages)} == {
        "recaption": 6,
        "compare": 2,
        "judge": 3,
        "consistency": 6,
        "translate": distinct_turns,
    }
    calls = server.n_calls
    for args in (
        ["recaption"],
        ["compare", "--limit", "2"],
        ["judge"],
        ["consistency", "--n", "3", "--limit", "2"],
        ["translate"],
    ):
        result = _invoke(args, server, monkeypatch)
        assert result.exit_code == 0 and "already answered (skipped)" in result.output
    assert server.n_calls == calls  # zero calls on the second run


def test_cli_reports_failures_and_missing_inputs(wh, images_root, server, monkeypatch) -> None:
    build_lakehouse(wh, images_root, n_images=2)
    result = _invoke(["judge"], server, monkeypatch)
    assert result.exit_code == 2 and "no 'samples' relation yet" in result.output
    server.inject(["400"])
    result = _invoke(["recaption"], server, monkeypatch)
    assert result.exit_code == 1 and "http_error" in result.output
    result = _invoke(["recaption", "--dry-run"], server, monkeypatch)
    assert "would call" in result.output and server.n_calls == 2


def test_mounts_as_a_sub_app_of_the_main_cli(wh, images_root, server, monkeypatch) -> None:
    import typer

    app = typer.Typer()
    app.add_typer(generate_app, name="generate")

    @app.command()
    def build() -> None:  # stands in for the main app's other commands
        pass

    build_lakehouse(wh, images_root, n_images=2)
    monkeypatch.setenv("MMFACTORY_BASE_URL", server.base_url)
    result = CliRunner().invoke(app, ["generate", "recaption", "--dry-run", "--model", TEST_MODEL])
    assert result.exit_code == 0 and "would call" in result.output and server.n_calls == 0
    names = CliRunner().invoke(app, ["generate", "--help"]).output
    assert all(s in names for s in ("recaption", "compare", "judge", "consistency", "translate"))
