"""Image files of a document/chart source -> ``assets`` rows, rejects, ``asset_sources``.

The same path as the photo landing: ``inspect_images`` reads each file (hash, header, end
marker), ``dedupe_content`` rejects byte-identical copies, ``assets_table`` makes the rows.
Helpers here also land a table and count it in the report, and close a landing by writing
the source's ``rejects`` file and its ``asset_sources`` row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from ingest.documents.report import DocumentLandingReport
from ingest.image_files import (
    ASSETS_SCHEMA,
    ASSETS_TABLE,
    ImageFile,
    License,
    assets_table,
    dedupe_content,
    inspect_images,
)
from lakehouse.landing import land_table, table_of
from lakehouse.rejects import REJECTS_SCHEMA, REJECTS_TABLE, Reject, rejects_table
from lakehouse.settings import Warehouse
from lakehouse.sources import ASSET_SOURCES_SCHEMA, ASSET_SOURCES_TABLE, source_row


@dataclass
class InspectedFiles:
    """The readable, distinct files of a source (by relative path) and the file rejects."""

    files: dict[str, ImageFile] = field(default_factory=dict)
    rejects: dict[str, Reject] = field(default_factory=dict)


def inspect_files(root: Path, relative_paths: list[str]) -> InspectedFiles:
    """Inspect ``relative_paths`` under ``root``; keep the first of byte-identical copies."""
    good: list[ImageFile] = []
    result = InspectedFiles()
    for item in inspect_images(root, sorted(set(relative_paths))):
        if isinstance(item, ImageFile):
            good.append(item)
        else:
            result.rejects[item.item] = item
    kept, copies = dedupe_content(good)
    result.files = {f.relative_path: f for f in kept}
    result.rejects.update({r.item: r for r in copies})
    return result


@dataclass
class Landing:
    """One landing in progress: where it writes, under which source, run and time."""

    wh: Warehouse
    source: str
    run_id: str
    at: datetime
    report: DocumentLandingReport

    @property
    def stamp(self) -> dict:
        return {"source": self.source, "ingested_at": self.at, "ingest_run_id": self.run_id}

    def land_rows(self, table: str, rows: list[dict], schema: pa.Schema) -> None:
        """Stamp ``rows``, land them as ``source``'s file of ``table``, count them."""
        self.land_table(table, table_of(rows, schema, self.stamp), schema)

    def land_table(self, table: str, rows: pa.Table, schema: pa.Schema) -> None:
        """Land an already built table as ``source``'s file of ``table`` and count it."""
        self.report.files.append(land_table(self.wh, table, self.source, rows, schema))
        self.report.add_landed(table, rows.num_rows)

    def land_assets(
        self,
        files: list[ImageFile],
        asset_type: str,
        licenses: dict[str, License],
        attribution_urls: dict[str, str] | None = None,
    ) -> None:
        """The ``assets`` rows of ``files`` (licenses keyed by relative path)."""
        table = assets_table(
            sorted(files, key=lambda f: f.relative_path),
            self.source,
            asset_type,
            self.run_id,
            self.at,
            licenses,
            attribution_urls,
        )
        self.land_table(ASSETS_TABLE, table, ASSETS_SCHEMA)

    def finish(
        self, source_kind: str, asset_type: str, images_root: Path, annotations_path: Path | None
    ) -> DocumentLandingReport:
        """Land the source's rejects (every reject in the report) and its ``asset_sources``
        row; record the images root. Returns the report."""
        rejects = [r for r in self.report.rejects]
        self.report.files.append(
            land_table(
                self.wh,
                REJECTS_TABLE,
                self.source,
                rejects_table(rejects, self.source, self.run_id, self.at),
                REJECTS_SCHEMA,
            )
        )
        self.report.files.append(
            land_table(
                self.wh,
                ASSET_SOURCES_TABLE,
                self.source,
                source_row(
                    self.source,
                    source_kind,
                    asset_type,
                    images_root,
                    annotations_path,
                    self.run_id,
                    self.at,
                ),
                ASSET_SOURCES_SCHEMA,
            )
        )
        self.report.images_roots[self.source] = images_root.resolve()
        return self.report
