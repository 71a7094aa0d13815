"""Checks 6 and 8: every referenced image is a registered asset, present with its
recorded sha256; every comparison record really holds several images, in order."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from expectations import config as C
from expectations.config import CheckConfig
from expectations.inputs import CheckInputs
from expectations.parts import Extremes, Frame, Missing, Part, Query, gxe
from expectations.suites._common import SAMPLES, TRAINING_RECORDS, quote
from lakehouse.file_digests import regular_file_status
from lakehouse.hashing import sha256_file

ASSETS = "stg_landing__assets"
ASSET_SOURCES = "stg_landing__asset_sources"


# ---- 6. image_integrity -----------------------------------------------------------------
class _ImageFiles:
    """Check 6's transform of a batch of referenced images: whether each one's exported
    file exists, its sha256 (from the image digest cache ``kept_in`` where the file is
    unchanged, ``CheckInputs.file_digests``; None: every file read), and whether it is
    the file under its source root (a hard link of it, the same inode, or a
    byte-identical copy). A corpus's images are looked at a batch at a time, so nothing
    per image is held past its batch."""

    def __init__(self, inp: CheckInputs, kept_in: Path | None) -> None:
        self.inp = inp
        self.kept_in = kept_in
        self.images_dir = str(inp.exports / C.IMAGES_DIR)
        self.roots: dict[str, str] = {}

    def __call__(self, refs: pd.DataFrame) -> pd.DataFrame:
        # paths as str: a Path per image cost more than the two stat calls each (50,000 images)
        paths = [os.path.join(self.images_dir, image) for image in refs["image"]]
        digests = self.inp.file_digests(paths, self.kept_in)
        exists, shas, resolves = [], [], []
        for path, rel, root in zip(paths, refs["relative_path"], refs["images_root"], strict=True):
            found = digests.status.get(path)
            exists.append(found is not None)
            shas.append(digests.by_path[path] if found is not None else None)
            if found is not None and rel is not None and root is not None:
                if root not in self.roots:
                    self.roots[root] = str(self.inp.registered_root(root))
                registered_file = os.path.join(self.roots[root], rel)
                registered = regular_file_status(registered_file)
                resolves.append(registered is not None and (
                    (found.st_dev, found.st_ino) == (registered.st_dev, registered.st_ino)
                    or sha256_file(registered_file) == shas[-1]))
            else:
                resolves.append(False)
        return refs.assign(file_exists=exists, file_sha256=shas, resolves_to_registered_file=resolves).astype(object)


def image_integrity(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    E = gxe()
    missing = inp.missing({ASSETS: ("asset_id", "source", "relative_path"),
                           ASSET_SOURCES: ("source", "images_root")}, files=(C.ASSET_MANIFEST_FILE,))
    if missing:
        return [Missing("registered_assets", missing)]
    refs = Query(inp.con, f"""
        with refs as (
            select unnest(images) as image, record_key from x_records
        ),
        grouped as (
            select image, min(record_key) as first_record, count(*) as references
            from refs group by image
        ),
        registered as (
            select a.source || '/' || a.relative_path as image, a.asset_id, a.relative_path, s.images_root
            from {ASSETS} as a left join {ASSET_SOURCES} as s on s.source = a.source
        )
        select g.image, g.first_record, g.references,
               (select any_value(m.asset_id) from x_assets as m where m.image = g.image) as manifest_asset_id,
               r.asset_id as registered_asset_id, r.relative_path, r.images_root
        from grouped as g left join registered as r on r.image = g.image
    """, transform=_ImageFiles(inp, None if cfg.hash_every_image else inp.wh.image_digest_cache),
        order="g.image")
    manifest = Query(inp.con, f"""
        select coalesce(m.image, 'line ' || m.line_no) as item, m.asset_id, m.image,
               a.source || '/' || a.relative_path as registered_image
        from x_assets as m left join {ASSETS} as a on a.asset_id = m.asset_id
    """, order="m.line_no")
    return [
        Frame("referenced_images", refs, [
            E.ExpectTableRowCountToBeBetween(min_value=1, description="records reference images"),
            E.ExpectColumnValuesToNotBeNull(column="manifest_asset_id",
                                            description="every referenced image is in the asset manifest"),
            E.ExpectColumnValuesToNotBeNull(column="registered_asset_id",
                                            description="every referenced image is a registered asset"),
            E.ExpectColumnValuesToBeInSet(column="file_exists", value_set=[True],
                                          description="the file exists in the exported image folder"),
            E.ExpectColumnValuesToBeInSet(column="resolves_to_registered_file", value_set=[True],
                                          description="the exported file is the file under its source root (hard link or copy)"),
            E.ExpectColumnPairValuesToBeEqual(column_A="file_sha256", column_B="manifest_asset_id",
                                              description="sha256 of the file = the recorded asset id"),
            E.ExpectColumnPairValuesToBeEqual(column_A="manifest_asset_id", column_B="registered_asset_id",
                                              description="the manifest's asset id = the registered one"),
        ], "image", summary=lambda n: f"{n} images referenced, files and sha256 verified"),
        Frame("asset_manifest", manifest, [
            E.ExpectColumnValuesToNotBeNull(column="asset_id", description="every manifest entry has an asset id"),
            E.ExpectColumnValuesToBeUnique(column="asset_id", description="asset ids are unique"),
            E.ExpectColumnValuesToBeUnique(column="image", description="image paths are unique"),
            E.ExpectColumnPairValuesToBeEqual(column_A="image", column_B="registered_image",
                                              description="each manifest entry is the registered asset at that path"),
        ], "item", summary=lambda n: f"{n} manifest assets registered"),
    ]


# ---- 8. multi_image_has_multiple_images -------------------------------------------------
# "Image 1: <image>" / "图1：<image>" (macros/text.sql, image_placeholders)
PLACEHOLDER_LABEL = r"(?:Image |图)(\d+)(?::|：) ?<image>"


def multi_image_has_multiple_images(inp: CheckInputs, cfg: CheckConfig) -> list[Part]:
    E = gxe()
    missing = inp.missing({TRAINING_RECORDS: ("id", "task_type"), SAMPLES: ("sample_id", "image_paths")})
    if missing:
        return [Missing("comparison_records", missing)]
    token = quote(C.IMAGE_TOKEN)
    seen = Extremes("n_images")
    rows = Query(inp.con, f"""
        with comparison as (
            select r.record_key, r.images, r.n_images, r.first_turn, s.image_paths
            from x_records as r
            inner join {TRAINING_RECORDS} as t on t.id = r.id
            left join {SAMPLES} as s on s.sample_id = r.id
            where t.task_type = {quote(C.COMPARISON_TASK)}
        ),
        measured as (
            select
                *,
                len(list_distinct(images)) as n_distinct_images,
                (length(coalesce(first_turn, '')) - length(replace(coalesce(first_turn, ''), {token}, '')))
                    // length({token}) as placeholder_count,
                regexp_extract_all(coalesce(first_turn, ''), {quote(PLACEHOLDER_LABEL)}, 1) as labels
            from comparison
        )
        select
            record_key,
            n_images,
            n_distinct_images,
            placeholder_count,
            coalesce(images = image_paths, false) as images_in_sample_order,
            labels = list_transform(range(1, n_images + 1), lambda i: cast(i as varchar))
                as placeholders_numbered_in_order
        from measured
    """, transform=seen, order="record_key")
    return [Frame("comparison_records", rows, [
        E.ExpectTableRowCountToBeBetween(min_value=1, description="the dataset holds comparison records"),
        E.ExpectColumnValuesToBeBetween(column="n_images", min_value=cfg.min_comparison_images,
                                        description=f"at least {cfg.min_comparison_images} images"),
        E.ExpectColumnPairValuesToBeEqual(column_A="n_distinct_images", column_B="n_images",
                                          description="the images are distinct"),
        E.ExpectColumnValuesToBeInSet(column="images_in_sample_order", value_set=[True],
                                      description="images in the order of the sample's source assets"),
        E.ExpectColumnPairValuesToBeEqual(column_A="placeholder_count", column_B="n_images",
                                          description="one <image> placeholder per image"),
        E.ExpectColumnValuesToBeInSet(column="placeholders_numbered_in_order", value_set=[True],
                                      description="placeholders numbered Image 1..n in order"),
    ], "record_key", summary=lambda n: f"{n} comparison records across files, each with "
                                       f"{int(seen.low.get('n_images', 0))}+ distinct images in order")]

