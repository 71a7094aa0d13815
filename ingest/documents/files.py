"""Image files of a document/chart source -> ``assets`` rows, rejects, ``asset_sources``.

The same path as the photo landing: ``inspect_images`` reads each file (hash, header, end
marker), ``dedupe_content`` rejects byte-identical copies, ``assets_table`` makes the rows.
Helpers here also land a table and count it in the report, and close a landing by writing
the source's ``rejects`` file and its ``asset_sources`` row.
"""

from __future__ import annotations

import json
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
    resolve_inside,
)
from ingest.json_guard import JsonProblem, check_json_file, decode_json_text
from lakehouse.commit import SourceCommit
from lakehouse.file_digests import KeptDigest, keep_digests
from lakehouse.landing import table_of
from lakehouse.rejects import REJECTS_SCHEMA, REJECTS_TABLE, Reason, Reject, rejects_table
from lakehouse.settings import Warehouse
from lakehouse.sources import ASSET_SOURCES_SCHEMA, ASSET_SOURCES_TABLE, source_row


def read_inside(root: Path, relative_path: str, table: str, is_json: bool = False) -> bytes | Reject:
    """The bytes of an annotation file under ``root``, or a reject (for ``table``) when it
    is a symlink leading outside the root (``path_escapes_root``), not a regular file, or
    cannot be read; with ``is_json``, also when it breaks a bound of ``json_guard`` (so
    no parser ever sees a file nested deep enough to exhaust the machine)."""
    resolved = resolve_inside(root, relative_path)
    if isinstance(resolved, Reject):
        return Reject(table, relative_path, resolved.reason, resolved.message)
    if not resolved.is_file():
        reason = Reason.NOT_A_REGULAR_FILE if resolved.exists() else Reason.MISSING_FILE
        return Reject(table, relative_path, reason, f"{relative_path}: not a regular file")
    if is_json:
        problem = check_json_file(resolved)
        if problem is not None:
            return Reject(table, relative_path, problem.reason, f"{relative_path}: {problem.message}")
    try:
        return resolved.read_bytes()
    except OSError as exc:
        return Reject(table, relative_path, Reason.MISSING_FILE,
                      f"{relative_path}: cannot be read ({exc.strerror})")


def parse_json(data: bytes, relative_path: str, table: str) -> object | Reject:
    """``json.loads`` of an annotation file's bytes, or a reject: ``invalid_encoding``
    (naming the encoding) when they are not UTF-8 without a byte-order mark (the one rule
    of ``ingest.json_guard``), ``invalid_json`` when they are not JSON."""
    text = decode_json_text(data)
    if isinstance(text, JsonProblem):
        return Reject(table, relative_path, text.reason, f"{relative_path}: {text.message}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        return Reject(table, relative_path, Reason.INVALID_JSON,
                      f"{relative_path}: not valid JSON ({why})".replace("\n", " "))


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
    """One landing in progress: where it writes, under which source, run and time.

    Every table is staged (``lakehouse.commit.SourceCommit``) and ``finish`` commits them
    all together: a landing that fails or is refused half-way replaces nothing. ``kind``,
    when given, refuses a source name of another kind at once; ``replace`` allows a
    landing that shrinks the source by more than half.
    """

    wh: Warehouse
    source: str
    run_id: str
    at: datetime
    report: DocumentLandingReport
    kind: str = ""
    replace: bool = False
    commit: SourceCommit = field(init=False)
    #: the landed files' status and sha256 as read, kept for the contracts' check 6
    kept_digests: list[KeptDigest] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.commit = SourceCommit(self.wh, self.source, self.kind, self.replace)

    @property
    def stamp(self) -> dict:
        return {"source": self.source, "ingested_at": self.at, "ingest_run_id": self.run_id}

    def land_rows(self, table: str, rows: list[dict], schema: pa.Schema) -> None:
        """Stamp ``rows``, land them as ``source``'s file of ``table``, count them."""
        self.land_table(table, table_of(rows, schema, self.stamp), schema)

    def land_table(self, table: str, rows: pa.Table, schema: pa.Schema) -> None:
        """Land an already built table as ``source``'s file of ``table`` and count it."""
        self.report.files.append(self.commit.stage(table, rows, schema))
        self.report.add_landed(table, rows.num_rows)

    def land_assets(
        self,
        files: list[ImageFile],
        asset_type: str,
        licenses: dict[str, License],
        attribution_urls: dict[str, str] | None = None,
    ) -> None:
        """The ``assets`` rows of ``files`` (licenses keyed by relative path)."""
        self.kept_digests += [f.kept for f in files if f.kept is not None]
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
        """Stage the source's rejects (every reject in the report) and its ``asset_sources``
        row, then commit every staged table at once (raises ``LandingError`` when refused:
        nothing replaced); record the images root. Returns the report."""
        rejects = [r for r in self.report.rejects]
        self.report.files.append(
            self.commit.stage(
                REJECTS_TABLE,
                rejects_table(rejects, self.source, self.run_id, self.at),
                REJECTS_SCHEMA,
            )
        )
        self.report.files.append(
            self.commit.stage(
                ASSET_SOURCES_TABLE,
                source_row(
                    self.wh,
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
        self.commit.kind = self.commit.kind or source_kind
        self.commit.commit()
        keep_digests(self.wh.image_digest_cache, self.kept_digests)  # check 6 need not read them again
        self.report.images_roots[self.source] = images_root.resolve()
        return self.report
