"""Write one release: ``releases/<profile>-<version>/`` from the release models.

In: a built lakehouse (the models of ``models/marts/releases/``), a release profile of
``seeds/release_profiles.csv`` and a version. Out: a staging directory holding

  train.jsonl val.jsonl smoke_test.jsonl final_llava_dataset.jsonl llava_*.jsonl
                               the canonical records of the released samples only
  llava/ qwen2vl/ qwen25vl/ llamafactory/   each trainer profile's files (same writer
                               and record relations as exports/, restricted by sample)
  asset_manifest.jsonl         every image used, with its license keys, flags, attributions
  images/<source>/<path>       copies of exactly those images
  ATTRIBUTION.md               every attribution the licenses require
  README.md                    the dataset card (releases.card)
  CHANGELOG.md changelog.json  against the previous release of the profile (releases.changelog)
  release.json                 what was released, from which build
  SHA256SUMS                   sha256 of every other file (``sha256sum -c SHA256SUMS``)

``publish`` moves it to its place and lands the release's manifest rows (what the next
release's changelog compares against). Nothing is written under releases/ before then.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from lakehouse.catalog import ensure_landing
from lakehouse.export_layout import dataset_info, file_specs, write_file
from lakehouse.hashing import sha256_file
from lakehouse.landing import land_table, new_run_id, table_of, utc_now
from lakehouse.settings import Warehouse
from lakehouse.sources import resolve_root
from lakehouse.tables.releases import RELEASE_MANIFESTS_SCHEMA, RELEASE_MANIFESTS_TABLE
from lakehouse.taxonomy import export_profiles

_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
CHECKSUMS_FILE = "SHA256SUMS"
def _record_relations() -> tuple[str, ...]:
    """The record relations a release restricts: the canonical records and every profile's."""
    return ("training_records", *(f"{p.export_profile}_records" for p in export_profiles()))


class ReleaseError(ValueError):
    """A release that cannot be written (its message says why)."""


@dataclass
class StagedRelease:
    """A release written to ``path`` (a staging directory until published)."""

    profile: str
    version: str
    path: Path
    sample_count: int
    asset_count: int
    files: dict[str, int] = field(default_factory=dict)  # relative path -> records
    previous_release_id: str | None = None

    @property
    def release_id(self) -> str:
        return f"{self.profile}-{self.version}"


def release_profiles(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The profiles of the built seed, in their order."""
    return [r[0] for r in con.execute(
        "select release_profile from release_profiles order by profile_order").fetchall()]


def previous_release(con: duckdb.DuckDBPyConnection, profile: str) -> tuple[str, str] | None:
    """(release_id, version) of the latest written release of ``profile``, or None."""
    row = con.execute(
        "select arg_max(release_id, released_at), arg_max(release_version, released_at) "
        "from stg_landing__release_manifests where release_profile = ?", [profile]).fetchone()
    return None if row is None or row[0] is None else (row[0], row[1])


def next_version(previous: str | None) -> str:
    """1.0.0 for a first release, else the previous version with its patch number + 1."""
    if previous is None:
        return "1.0.0"
    major, minor, patch = (int(p) for p in previous.split("."))
    return f"{major}.{minor}.{patch + 1}"


def check_version(con: duckdb.DuckDBPyConnection, wh: Warehouse, profile: str, version: str) -> None:
    """Raise ``ReleaseError`` unless ``version`` is X.Y.Z and not written yet."""
    if not _VERSION.match(version):
        raise ReleaseError(f"--version {version!r} is not X.Y.Z (three numbers, e.g. 1.2.0)")
    taken = con.execute("select count(*) from stg_landing__release_manifests where release_id = ?",
                        [f"{profile}-{version}"]).fetchone()[0]
    if taken or (wh.releases / f"{profile}-{version}").exists():
        raise ReleaseError(f"release {profile}-{version} exists already: pick another --version")


def _create_views(con: duckdb.DuckDBPyConnection, profile: str) -> dict[str, str]:
    """Temporary views of the record relations restricted to the release's samples."""
    quoted = profile.replace("'", "''")
    released = (f"select sample_id from release_samples where release_profile = '{quoted}' "
                "and is_released")
    views = {}
    for relation in _record_relations():
        views[relation] = f"release_view_{relation}"
        con.execute(f"create or replace temp view {views[relation]} as "
                    f"select * from {relation} where id in ({released})")
    # a packed record ships only when every sample packed into it is released
    views["packed_records"] = "release_view_packed_records"
    con.execute(f"create or replace temp view {views['packed_records']} as "
                "select * from packed_records where id not in ("
                "select packed.id from packed_records as packed, unnest(packed.sample_ids) as s(sample_id) "
                f"where s.sample_id not in ({released}))")
    views["asset_records"] = "release_view_asset_records"
    con.execute(f"create or replace temp view {views['asset_records']} as "
                f"select * exclude (release_profile) from release_assets "
                f"where release_profile = '{quoted}'")
    return views


def _copy_images(wh: Warehouse, con: duckdb.DuckDBPyConnection, profile: str,
                 images_dir: Path) -> int:
    """Copy every image the release uses to images/<source>/<relative path> (the paths the
    records name); returns how many files were copied."""
    rows = con.execute(
        "select landed.source, landed.relative_path, sources.images_root "
        "from (select distinct asset_id from release_assets where release_profile = ?) as used "
        "inner join stg_landing__assets as landed on landed.asset_id = used.asset_id "
        "inner join stg_landing__asset_sources as sources on sources.source = landed.source "
        "order by 1, 2", [profile]).fetchall()
    for source, relative_path, root in rows:
        target = images_dir / source / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(resolve_root(root, wh) / relative_path, target)
    return len(rows)


def _write_attribution(con: duckdb.DuckDBPyConnection, profile: str, path: Path) -> None:
    rows = con.execute(
        "select image, license_keys, license_url, attribution_urls from release_assets "
        "where release_profile = ? and is_attribution_required order by image", [profile]).fetchall()
    lines = [
        "# Attribution", "",
        "Every image below requires attribution under its license. Derived documents and",
        "charts name the photos they were drawn from; all COCO-derived content also carries",
        "the COCO annotations' CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/,",
        "Lin et al., Microsoft COCO: Common Objects in Context, 2014).", "",
        "| image | license | license URL | attribution URL(s) |", "| --- | --- | --- | --- |",
    ]
    for image, keys, url, attributions in rows:
        lines.append(f"| {image} | {', '.join(keys)} | {url or '-'} | {' '.join(attributions) or '-'} |")
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def write_checksums(root: Path) -> Path:
    """SHA256SUMS of every file under ``root`` (itself excluded), sorted by path."""
    lines = [f"{sha256_file(p)}  {p.relative_to(root).as_posix()}"
             for p in sorted(root.rglob("*")) if p.is_file() and p.name != CHECKSUMS_FILE]
    path = root / CHECKSUMS_FILE
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stage_release(wh: Warehouse, con: duckdb.DuckDBPyConnection, profile: str, version: str) -> StagedRelease:
    """Write the release's data files (records, manifest, images, attribution) into a
    fresh staging directory beside releases/; the card, changelog and checksums come after."""
    if profile not in release_profiles(con):
        raise ReleaseError(f"--profile {profile!r} is not a release profile; known: "
                           f"{', '.join(release_profiles(con))} (seeds/release_profiles.csv)")
    check_version(con, wh, profile, version)
    samples = con.execute("select count(*) from release_samples where release_profile = ? and is_released",
                          [profile]).fetchone()[0]
    if samples == 0:
        raise ReleaseError(f"release profile {profile!r} lets no sample through: nothing to release")
    wh.releases.mkdir(parents=True, exist_ok=True)
    staging = wh.releases / f".staging-{profile}-{version}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    views = _create_views(con, profile)
    staged = StagedRelease(profile, version, staging, samples, 0)
    profiles = list(export_profiles())
    for spec in file_specs(profiles):
        path = staging / spec.rel_path
        staged.files[spec.rel_path] = write_file(con, views[spec.relation], spec.columns, spec.where,
                                                 path, spec.is_json_array)
    staged.asset_count = _copy_images(wh, con, profile, staging / "images")
    for p in profiles:
        if not p.is_llamafactory_dataset:
            continue
        folder = staging / p.export_profile
        info = folder / "dataset_info.json"
        info.write_text(json.dumps(dataset_info(p), indent=2) + "\n", encoding="utf-8")
        # LLaMA-Factory's default media_dir is the dataset folder: one link per source
        for source in sorted(d.name for d in (staging / "images").iterdir() if d.is_dir()):
            os.symlink(os.path.join("..", "images", source), folder / source)
    _write_attribution(con, profile, staging / "ATTRIBUTION.md")
    previous = previous_release(con, profile)
    staged.previous_release_id = previous[0] if previous else None
    return staged


def write_release_json(staged: StagedRelease, extra: dict[str, Any]) -> Path:
    """release.json: the release's id, profile, version, counts and ``extra`` facts."""
    path = staged.path / "release.json"
    body = {"release_id": staged.release_id, "release_profile": staged.profile,
            "release_version": staged.version, "sample_count": staged.sample_count,
            "asset_count": staged.asset_count, "previous_release_id": staged.previous_release_id,
            "files": staged.files, **extra}
    path.write_text(json.dumps(body, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def discard(staged: StagedRelease) -> None:
    """Remove a staged release that is refused."""
    shutil.rmtree(staged.path, ignore_errors=True)


def publish(wh: Warehouse, con: duckdb.DuckDBPyConnection, staged: StagedRelease) -> Path:
    """Move the staged release to releases/<profile>-<version>/ and land its manifest."""
    final = wh.releases / staged.release_id
    if final.exists():
        raise ReleaseError(f"release {staged.release_id} exists already")
    rows = con.execute(
        "select sample_id, task_type, template_id, template_hash, source_asset_ids "
        "from release_samples where release_profile = ? and is_released order by sample_id",
        [staged.profile]).fetchall()
    now = utc_now()
    run_id = new_run_id()
    manifest = [{"release_id": staged.release_id, "release_profile": staged.profile,
                 "release_version": staged.version, "sample_id": r[0], "task_type": r[1],
                 "template_id": r[2], "template_hash": r[3], "source_asset_ids": list(r[4]),
                 "released_at": now} for r in rows]
    source = re.sub(r"[^a-z0-9_\-]", "_", staged.release_id.lower())
    ensure_landing(wh)
    os.replace(staged.path, final)
    land_table(wh, RELEASE_MANIFESTS_TABLE, source,
               table_of(manifest, RELEASE_MANIFESTS_SCHEMA,
                        {"source": source, "ingested_at": now, "ingest_run_id": run_id}),
               RELEASE_MANIFESTS_SCHEMA)
    return final
