"""SROIE receipts -> ``document_image`` assets and their ground truth, or rejects.

In: a SROIE root with ``img/<id>.jpg``, ``box/<id>.csv`` (one text line per row:
``x1,y1,x2,y2,x3,y3,x4,y4,transcript``; the transcript may hold commas, so a row is split
on its first 8 commas only) and ``key/<id>.json`` (``company``, ``date``, ``address``,
``total``).

Out (one file per source each): ``assets``, ``document_texts`` (the lines in file order),
``document_lines`` (each line's axis-aligned box), ``receipt_lines`` (the 8 coordinates),
``document_fields`` (the key fields), ``rejects`` and the ``asset_sources`` row.

Decisions:
- Rows are read as text (UTF-8, a BOM allowed; CRLF and LF both end a row; blank rows are
  skipped). A file that is not UTF-8 is rejected whole (``invalid_csv``) rather than
  guessed at.
- A row with fewer than 8 coordinates or a non-numeric one is rejected
  (``malformed_quad``), as is a quadrilateral reaching beyond the image by more than 1 px
  (``bbox_out_of_bounds``); the receipt's other rows land.
- Key files: each of the four required fields must be a string; a missing one is rejected
  (``missing_field``) while the others land; extra string fields land too.
- SROIE has no word boxes: ``document_words`` gets no rows from it (``has_word_boxes`` is
  false on its ``document_texts`` rows).
- License: ICDAR 2019 competition data without an explicit license: research-only.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ingest.documents.boxes import check_quad, parse_quad, quad_to_xywh
from ingest.documents.files import Landing, inspect_files, parse_json, read_inside
from ingest.documents.reasons import DocumentReason
from ingest.documents.report import DocumentLandingReport
from ingest.documents.text import text_counts
from ingest.image_files import ASSETS_TABLE, IMAGE_SUFFIXES, ImageFile, License
from lakehouse.commit import all_or_nothing
from lakehouse.landing import LandingError, check_source_name, new_run_id, utc_now
from lakehouse.rejects import Reason, Reject
from lakehouse.settings import Warehouse
from lakehouse.tables.documents import (
    DOCUMENT_FIELDS_SCHEMA,
    DOCUMENT_FIELDS_TABLE,
    DOCUMENT_LINES_SCHEMA,
    DOCUMENT_LINES_TABLE,
    DOCUMENT_TEXTS_SCHEMA,
    DOCUMENT_TEXTS_TABLE,
    RECEIPT_LINES_SCHEMA,
    RECEIPT_LINES_TABLE,
)

SOURCE_KIND = "sroie"
ASSET_TYPE = "document_image"
KEY_FIELDS = ("company", "date", "address", "total")
SROIE_LICENSE = License(
    license_id="sroie:research-only",
    name="ICDAR 2019 SROIE: research competition data, no explicit license "
    "(treat as research-only)",
    url="https://rrc.cvc.uab.es/?ch=13",
)

LANDED_TABLES: dict[str, pa.Schema] = {
    DOCUMENT_TEXTS_TABLE: DOCUMENT_TEXTS_SCHEMA,
    DOCUMENT_LINES_TABLE: DOCUMENT_LINES_SCHEMA,
    RECEIPT_LINES_TABLE: RECEIPT_LINES_SCHEMA,
    DOCUMENT_FIELDS_TABLE: DOCUMENT_FIELDS_SCHEMA,
}


def _files(folder: Path, suffixes: frozenset[str] | set[str]) -> dict[str, Path]:
    """Visible files of ``folder`` with one of ``suffixes``, by stem (the first by name
    when a stem repeats: ``ambiguous_stems`` rejects those)."""
    if not folder.is_dir():
        return {}
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if not p.name.startswith(".") and p.suffix.lower() in suffixes:
            found.setdefault(p.stem, p)
    return found


def ambiguous_stems(root: Path, folder: str, suffixes: frozenset[str] | set[str],
                    table: str) -> tuple[set[str], list[Reject]]:
    """Stems of ``root/folder`` held by more than one file (``047.jpg`` and ``047.png``):
    which one the text belongs to cannot be told, so every one of them is rejected."""
    path = root / folder
    if not path.is_dir():
        return set(), []
    by_stem: dict[str, list[Path]] = {}
    for p in sorted(path.iterdir()):
        if not p.name.startswith(".") and p.suffix.lower() in suffixes:
            by_stem.setdefault(p.stem, []).append(p)
    stems = {stem for stem, files in by_stem.items() if len(files) > 1}
    rejects = []
    for stem in sorted(stems):
        names = [p.relative_to(root).as_posix() for p in by_stem[stem]]
        for name in names:
            others = ", ".join(n for n in names if n != name)
            rejects.append(Reject(table, name, Reason.AMBIGUOUS_STEM,
                                  f"{name}: {others} has the same name; which one the receipt's "
                                  "text belongs to cannot be told, so neither lands"))
    return stems, rejects


def receipt_rows(
    asset_id: str, text: str, box_path: str, image: ImageFile
) -> tuple[list[dict], list[dict], list[Reject]]:
    """``receipt_lines`` and ``document_lines`` rows of one box file's text, and its rejects."""
    width, height = image.display_size
    receipt, lines, rejects = [], [], []
    for row_number, row in enumerate(text.splitlines(), start=1):
        if not row.strip():
            continue
        item = f"{box_path} line {row_number}"
        parts = row.split(",", 8)
        quad, problem = parse_quad(parts[:8])
        if problem is None and len(parts) < 9:
            problem = (
                DocumentReason.MALFORMED_QUAD,
                "has 8 coordinates but no transcript field after them",
            )
        if problem is None:
            problem = check_quad(quad, width, height)
        if problem:
            rejects.append(Reject(RECEIPT_LINES_TABLE, item, problem[0], f"{item}: {problem[1]}"))
            continue
        transcript = parts[8]
        line_index = len(receipt)
        receipt.append(
            {
                "asset_id": asset_id,
                "line_index": line_index,
                "text": transcript,
                **{f"{axis}{i // 2 + 1}_px": quad[i] for i, axis in zip(range(8), "xyxyxyxy")},
            }
        )
        lines.append(
            {
                "asset_id": asset_id,
                "line_index": line_index,
                "text": transcript,
                **quad_to_xywh(quad),
                "word_count": len(transcript.split()),
            }
        )
    return receipt, lines, rejects


def key_rows(asset_id: str, document: object, key_path: str) -> tuple[list[dict], list[Reject]]:
    """``document_fields`` rows of one parsed key file, and the missing required fields."""
    if not isinstance(document, dict):
        return [], [
            Reject(
                DOCUMENT_FIELDS_TABLE,
                key_path,
                Reason.MALFORMED_RECORD,
                f"{key_path}: a key file is a JSON object of field -> text",
            )
        ]
    rows, rejects = [], []
    for name in KEY_FIELDS:
        if not isinstance(document.get(name), str):
            item = f"{key_path} field {name}"
            rejects.append(
                Reject(
                    DOCUMENT_FIELDS_TABLE,
                    item,
                    DocumentReason.MISSING_FIELD,
                    f"{item}: required field {name!r} is missing or not a string",
                )
            )
    names = [n for n in KEY_FIELDS if isinstance(document.get(n), str)]
    names += sorted(k for k, v in document.items() if k not in KEY_FIELDS and isinstance(v, str))
    for name in names:
        rows.append(
            {
                "asset_id": asset_id,
                "field_index": len(rows),
                "field_key": name,
                "field_value": document[name],
                "field_origin": "key_file",
                "key_line_index": None,
                "value_line_index": None,
            }
        )
    return rows, rejects


@all_or_nothing
def land_sroie(
    wh: Warehouse, root: Path, source: str = "sroie", license: License = SROIE_LICENSE,
    replace: bool = False,
) -> DocumentLandingReport:
    """Land the SROIE receipts under ``root`` as ``source`` (files replaced atomically).
    Raises ``LandingError`` (nothing written) if ``root`` has no ``img`` folder."""
    check_source_name(source)
    if not (root / "img").is_dir():
        raise LandingError(
            f"{root}: a SROIE root has an img/ folder (with box/ and key/ beside it)"
        )
    run = Landing(wh, source, new_run_id(), utc_now(), DocumentLandingReport(source=source),
                  kind=SOURCE_KIND, replace=replace)
    images = _files(root / "img", IMAGE_SUFFIXES)
    boxes = _files(root / "box", {".csv", ".txt"})
    keys = _files(root / "key", {".json"})
    if not images and not boxes and not keys:
        raise LandingError(f"{root}: no receipts under img/, box/ or key/: nothing to land "
                           "(nothing was changed)")
    ambiguous: set[str] = set()
    for folder, suffixes, table, found in (
        ("img", IMAGE_SUFFIXES, ASSETS_TABLE, images),
        ("box", {".csv", ".txt"}, DOCUMENT_TEXTS_TABLE, boxes),
        ("key", {".json"}, DOCUMENT_FIELDS_TABLE, keys),
    ):
        stems, stem_rejects = ambiguous_stems(root, folder, suffixes, table)
        run.report.add_rejects(stem_rejects)
        ambiguous |= stems
    for stem in ambiguous:  # the receipt's other files cannot be paired either
        for found in (images, boxes, keys):
            path = found.pop(stem, None)
            if path is not None and not any(r.item == path.relative_to(root).as_posix()
                                            for r in run.report.rejects):
                item = path.relative_to(root).as_posix()
                run.report.add_rejects([Reject(
                    ASSETS_TABLE if found is images else
                    DOCUMENT_TEXTS_TABLE if found is boxes else DOCUMENT_FIELDS_TABLE,
                    item, Reason.AMBIGUOUS_STEM,
                    f"{item}: receipt {stem} has more than one file of a kind; it is not landed")])
    rel = {stem: p.relative_to(root).as_posix() for stem, p in images.items()}
    inspected = inspect_files(root, list(rel.values()))
    run.report.add_rejects(list(inspected.rejects.values()))
    run.land_assets(
        list(inspected.files.values()), ASSET_TYPE, {p: license for p in inspected.files}
    )

    tables: dict[str, list[dict]] = {t: [] for t in LANDED_TABLES}
    rejects: list[Reject] = []
    for stem in sorted(set(boxes) - set(images)):
        path = boxes[stem].relative_to(root).as_posix()
        rejects.append(
            Reject(
                DOCUMENT_TEXTS_TABLE,
                path,
                Reason.MISSING_FILE,
                f"{path}: no receipt image {stem}.* in img/",
            )
        )
    for stem in sorted(set(keys) - set(images)):
        path = keys[stem].relative_to(root).as_posix()
        rejects.append(
            Reject(
                DOCUMENT_FIELDS_TABLE,
                path,
                Reason.MISSING_FILE,
                f"{path}: no receipt image {stem}.* in img/",
            )
        )
    for stem, image_path in sorted(rel.items()):
        image = inspected.files.get(image_path)
        box_file, key_file = boxes.get(stem), keys.get(stem)
        box_path = box_file.relative_to(root).as_posix() if box_file else f"box/{stem}.csv"
        key_path = key_file.relative_to(root).as_posix() if key_file else f"key/{stem}.json"
        if image is None:
            cause = inspected.rejects[image_path]
            for table, path, present in (
                (DOCUMENT_TEXTS_TABLE, box_path, box_file),
                (DOCUMENT_FIELDS_TABLE, key_path, key_file),
            ):
                if present:
                    rejects.append(
                        Reject(
                            table,
                            path,
                            Reason.IMAGE_REJECTED,
                            f"{path}: its image was rejected ({cause.reason}: {cause.message})",
                        )
                    )
            continue
        # text lines
        if box_file is None:
            rejects.append(
                Reject(
                    DOCUMENT_TEXTS_TABLE,
                    box_path,
                    DocumentReason.MISSING_ANNOTATION,
                    f"{image_path}: no box file {box_path}",
                )
            )
        else:
            data = read_inside(root, box_path, DOCUMENT_TEXTS_TABLE)
            if isinstance(data, Reject):
                rejects.append(data)
                data = None
            try:
                text = None if data is None else data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                rejects.append(
                    Reject(
                        DOCUMENT_TEXTS_TABLE,
                        box_path,
                        DocumentReason.INVALID_CSV,
                        f"{box_path}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                    )
                )
                text = None
            if text is not None:
                receipt, lines, line_rejects = receipt_rows(image.asset_id, text, box_path, image)
                rejects.extend(line_rejects)
                tables[RECEIPT_LINES_TABLE] += receipt
                tables[DOCUMENT_LINES_TABLE] += lines
                full_text = "\n".join(line["text"] for line in lines)
                word_count, char_count = text_counts(full_text)
                tables[DOCUMENT_TEXTS_TABLE].append(
                    {
                        "asset_id": image.asset_id,
                        "document_key": stem,
                        "split": None,
                        "layout": "sroie_receipt",
                        "full_text": full_text,
                        "line_count": len(lines),
                        "word_count": word_count,
                        "char_count": char_count,
                        "has_word_boxes": False,
                        "text_origin": "annotation",
                    }
                )
        # key fields
        if key_file is None:
            rejects.append(
                Reject(
                    DOCUMENT_FIELDS_TABLE,
                    key_path,
                    DocumentReason.MISSING_ANNOTATION,
                    f"{image_path}: no key file {key_path}",
                )
            )
            continue
        data = read_inside(root, key_path, DOCUMENT_FIELDS_TABLE, is_json=True)
        document = parse_json(data, key_path, DOCUMENT_FIELDS_TABLE) if isinstance(data, bytes) else data
        if isinstance(document, Reject):
            rejects.append(document)
            continue
        fields, field_rejects = key_rows(image.asset_id, document, key_path)
        rejects.extend(field_rejects)
        tables[DOCUMENT_FIELDS_TABLE] += fields
    run.report.add_rejects(rejects)
    for table, schema in LANDED_TABLES.items():
        run.land_rows(table, tables[table], schema)
    return run.finish(SOURCE_KIND, ASSET_TYPE, root, None)
