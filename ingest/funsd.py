"""FUNSD forms -> ``document_image`` assets and their ground truth, or rejects.

In: a FUNSD root laid out as ``<split>/images/<id>.png`` + ``<split>/annotations/<id>.json``
(any number of splits; an ``images``/``annotations`` pair at the root works too), each
annotation ``{"form": [{"id", "text", "box": [x0, y0, x1, y1], "label", "words":
[{"text", "box"}], "linking": [[from, to], ...]}, ...]}``.

Out (one file per source each): ``assets`` (every readable image), ``document_texts``,
``document_lines`` (one per entity, in reading order: top to bottom, then left to right),
``document_words``, ``document_fields`` (question -> answer links: key = the question's
text, value = the answer's), ``form_entities``, ``form_links``, ``rejects`` and the
source's ``asset_sources`` row.

Decisions:
- An image lands as an asset whenever the file is readable, like a photo without boxes;
  a missing or unparsable annotation is a ``document_texts`` reject for that document.
- An entity is rejected (with its words) when it is malformed, its id repeats, or its box
  or one of its words' boxes is not a box inside the image (1 px tolerance). Words and
  entities with empty text land as given: the source has them (35 words, 10 entities in
  the shared subset) and dropping them would change the entity/word alignment.
- Links are undirected pairs listed by both ends; each distinct pair lands once, directed
  question->answer (or header->question) when the labels say so, else as listed. A link
  naming an unknown or rejected entity is rejected.
- License: FUNSD is for non-commercial research and education only; every asset carries
  that license so a commercial release can leave the source out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.documents.boxes import as_number, check_xyxy, xyxy_to_xywh
from ingest.documents.files import Landing, inspect_files, parse_json, read_inside
from ingest.documents.reasons import DocumentReason
from ingest.documents.report import DocumentLandingReport
from ingest.documents.text import text_counts
from ingest.image_files import IMAGE_SUFFIXES, ImageFile, License
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
    DOCUMENT_WORDS_SCHEMA,
    DOCUMENT_WORDS_TABLE,
    FORM_ENTITIES_SCHEMA,
    FORM_ENTITIES_TABLE,
    FORM_LINKS_SCHEMA,
    FORM_LINKS_TABLE,
)

SOURCE_KIND = "funsd"
ASSET_TYPE = "document_image"
LABELS = frozenset({"question", "answer", "header", "other"})
FUNSD_LICENSE = License(
    license_id="funsd:research-noncommercial",
    name="FUNSD: free to use for non-commercial, research and educational purposes only",
    url="https://guillaumejaume.github.io/FUNSD/",
)

LANDED_TABLES: dict[str, pa.Schema] = {
    DOCUMENT_TEXTS_TABLE: DOCUMENT_TEXTS_SCHEMA,
    DOCUMENT_LINES_TABLE: DOCUMENT_LINES_SCHEMA,
    DOCUMENT_WORDS_TABLE: DOCUMENT_WORDS_SCHEMA,
    DOCUMENT_FIELDS_TABLE: DOCUMENT_FIELDS_SCHEMA,
    FORM_ENTITIES_TABLE: FORM_ENTITIES_SCHEMA,
    FORM_LINKS_TABLE: FORM_LINKS_SCHEMA,
}


def find_pairs(root: Path) -> tuple[dict[str, str | None], list[str]]:
    """Map every image under an ``images`` folder to its annotation path (or None), and list
    annotation files that have no image. Paths are POSIX, relative to ``root``."""
    images: dict[tuple[str, str], str] = {}
    annotations: dict[tuple[str, str], str] = {}
    for path in sorted(root.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
        if hidden or not (path.is_file() or path.is_symlink()):
            continue
        rel = path.relative_to(root)
        folder = rel.parent
        group = folder.parent.as_posix()
        if folder.name == "images" and path.suffix.lower() in IMAGE_SUFFIXES:
            images[(group, path.stem)] = rel.as_posix()
        elif folder.name == "annotations" and path.suffix.lower() == ".json":
            annotations[(group, path.stem)] = rel.as_posix()
    pairs = {img: annotations.get(key) for key, img in images.items()}
    orphans = [ann for key, ann in annotations.items() if key not in images]
    return pairs, orphans


def _entity_problem(
    entity: Any, width: int, height: int
) -> tuple[Reason | DocumentReason, str] | None:
    """Why an entity record cannot land, or None."""
    if not isinstance(entity, dict):
        return Reason.MALFORMED_RECORD, f"an entity is an object, got {entity!r:.80}"
    eid = entity.get("id")
    if isinstance(eid, bool) or not isinstance(eid, int):
        return Reason.MALFORMED_RECORD, f"needs an integer id, got {eid!r:.40}"
    if not isinstance(entity.get("text"), str):
        return Reason.MALFORMED_RECORD, "needs a text string"
    if entity.get("label") not in LABELS:
        return (
            Reason.MALFORMED_RECORD,
            f"label {entity.get('label')!r:.40} is not one of {sorted(LABELS)}",
        )
    problem = check_xyxy(entity.get("box"), width, height)
    if problem:
        return problem
    words = entity.get("words", [])
    if not isinstance(words, list):
        return Reason.MALFORMED_RECORD, "words is not a list"
    for wi, word in enumerate(words):
        if not isinstance(word, dict) or not isinstance(word.get("text"), str):
            return Reason.MALFORMED_RECORD, f"word {wi} needs a text string"
        problem = check_xyxy(word.get("box"), width, height)
        if problem:
            return problem[0], f"word {wi} ({word['text']!r:.30}): {problem[1]}"
    linking = entity.get("linking", [])
    if not isinstance(linking, list) or not all(
        isinstance(p, list)
        and len(p) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in p)
        for p in linking
    ):
        return Reason.MALFORMED_RECORD, "linking is not a list of [from, to] integer pairs"
    return None


def _directed(a: dict, b: dict) -> tuple[dict, dict]:
    """Order a linked pair: question->answer, header->question, else as given."""
    order = {("answer", "question"), ("question", "header")}
    return (b, a) if (a["label"], b["label"]) in order else (a, b)


def form_rows(
    asset_id: str, document: Any, ann_path: str, image: ImageFile
) -> tuple[dict[str, list[dict]], list[Reject]]:
    """The ground-truth rows of one parsed FUNSD annotation, and its record rejects.

    Returns rows per table name (without the run columns) for the document tables and the
    form tables; ``document`` is the parsed JSON.
    """
    width, height = image.display_size
    if not isinstance(document, dict) or not isinstance(document.get("form"), list):
        return {}, [
            Reject(
                DOCUMENT_TEXTS_TABLE,
                ann_path,
                Reason.MALFORMED_RECORD,
                f"{ann_path}: a FUNSD annotation is an object with a 'form' list",
            )
        ]
    rejects: list[Reject] = []
    entities: dict[int, dict] = {}
    rejected_ids: set[int] = set()
    id_counts: dict[int, int] = {}
    for e in document["form"]:
        if (
            isinstance(e, dict)
            and isinstance(e.get("id"), int)
            and not isinstance(e.get("id"), bool)
        ):
            id_counts[e["id"]] = id_counts.get(e["id"], 0) + 1
    for i, entity in enumerate(document["form"]):
        label = f"{ann_path} entity {entity.get('id') if isinstance(entity, dict) else f'[{i}]'}"
        problem = _entity_problem(entity, width, height)
        if problem is None and id_counts[entity["id"]] > 1:
            problem = (
                DocumentReason.DUPLICATE_ENTITY_ID,
                f"id {entity['id']} occurs {id_counts[entity['id']]} times in the form",
            )
        if problem:
            rejects.append(Reject(FORM_ENTITIES_TABLE, label, problem[0], f"{label}: {problem[1]}"))
            if isinstance(entity, dict) and isinstance(entity.get("id"), int):
                rejected_ids.add(entity["id"])
            continue
        entities[entity["id"]] = entity

    # reading order: top to bottom, then left to right
    order = sorted(
        entities.values(), key=lambda e: (as_number(e["box"][1]), as_number(e["box"][0]), e["id"])
    )
    rows: dict[str, list[dict]] = {
        t: []
        for t in (
            DOCUMENT_LINES_TABLE,
            DOCUMENT_WORDS_TABLE,
            FORM_ENTITIES_TABLE,
            FORM_LINKS_TABLE,
            DOCUMENT_FIELDS_TABLE,
            DOCUMENT_TEXTS_TABLE,
        )
    }
    line_of: dict[int, int] = {}
    word_index = 0
    for line_index, e in enumerate(order):
        line_of[e["id"]] = line_index
        box = xyxy_to_xywh(*(as_number(v) for v in e["box"]))
        words = e.get("words", [])
        rows[DOCUMENT_LINES_TABLE].append(
            {
                "asset_id": asset_id,
                "line_index": line_index,
                "text": e["text"],
                **box,
                "word_count": len(words),
            }
        )
        rows[FORM_ENTITIES_TABLE].append(
            {
                "asset_id": asset_id,
                "entity_id": e["id"],
                "label": e["label"],
                "text": e["text"],
                **box,
                "line_index": line_index,
                "word_count": len(words),
            }
        )
        for wi, w in enumerate(words):
            rows[DOCUMENT_WORDS_TABLE].append(
                {
                    "asset_id": asset_id,
                    "line_index": line_index,
                    "word_index": word_index,
                    "word_in_line_index": wi,
                    "text": w["text"],
                    **xyxy_to_xywh(*(as_number(v) for v in w["box"])),
                }
            )
            word_index += 1

    seen_pairs: set[frozenset[int]] = set()
    for entity in document["form"]:
        if not isinstance(entity, dict) or entity.get("id") not in entities:
            continue
        for pair in entity.get("linking", []):
            key = frozenset(pair)
            if key in seen_pairs:
                continue
            seen_pairs.add(key)
            item = f"{ann_path} link {pair[0]}->{pair[1]}"
            missing = [x for x in pair if x not in entities]
            if missing:
                reason = (
                    DocumentReason.ENTITY_REJECTED
                    if missing[0] in rejected_ids
                    else DocumentReason.UNKNOWN_ENTITY
                )
                why = (
                    "was rejected"
                    if reason == DocumentReason.ENTITY_REJECTED
                    else "is not in the form"
                )
                rejects.append(
                    Reject(FORM_LINKS_TABLE, item, reason, f"{item}: entity {missing[0]} {why}")
                )
                continue
            src, dst = _directed(entities[pair[0]], entities[pair[1]])
            is_qa = (src["label"], dst["label"]) == ("question", "answer")
            rows[FORM_LINKS_TABLE].append(
                {
                    "asset_id": asset_id,
                    "from_entity_id": src["id"],
                    "to_entity_id": dst["id"],
                    "from_label": src["label"],
                    "to_label": dst["label"],
                    "is_question_answer": is_qa,
                }
            )
            if is_qa:
                rows[DOCUMENT_FIELDS_TABLE].append(
                    {
                        "asset_id": asset_id,
                        "field_index": len(rows[DOCUMENT_FIELDS_TABLE]),
                        "field_key": src["text"],
                        "field_value": dst["text"],
                        "field_origin": "question_answer_link",
                        "key_line_index": line_of[src["id"]],
                        "value_line_index": line_of[dst["id"]],
                    }
                )

    full_text = "\n".join(e["text"] for e in order if e["text"].strip())
    word_count, char_count = text_counts(full_text)
    parts = Path(ann_path).parts
    rows[DOCUMENT_TEXTS_TABLE].append(
        {
            "asset_id": asset_id,
            "document_key": Path(ann_path).stem,
            "split": parts[-3] if len(parts) >= 3 else None,
            "layout": "funsd_form",
            "full_text": full_text,
            "line_count": len(order),
            "word_count": word_count,
            "char_count": char_count,
            "has_word_boxes": True,
            "text_origin": "annotation",
        }
    )
    return rows, rejects


@all_or_nothing
def land_funsd(
    wh: Warehouse, root: Path, source: str = "funsd", license: License = FUNSD_LICENSE,
    replace: bool = False,
) -> DocumentLandingReport:
    """Land the FUNSD forms under ``root`` as ``source``; every table's file for ``source``
    is replaced atomically. Raises ``LandingError`` (nothing written) if ``root`` is not a
    folder."""
    check_source_name(source)
    if not root.is_dir():
        raise LandingError(f"{root}: FUNSD root is not a directory")
    run = Landing(wh, source, new_run_id(), utc_now(), DocumentLandingReport(source=source),
                  kind=SOURCE_KIND, replace=replace)
    pairs, orphans = find_pairs(root)
    if not pairs and not orphans:
        raise LandingError(
            f"{root}: no FUNSD forms under it (<split>/images/*.png with <split>/annotations/"
            "*.json): nothing to land (nothing was changed)"
        )
    inspected = inspect_files(root, list(pairs))
    run.report.add_rejects(list(inspected.rejects.values()))
    run.land_assets(
        list(inspected.files.values()), ASSET_TYPE, {path: license for path in inspected.files}
    )

    tables: dict[str, list[dict]] = {t: [] for t in LANDED_TABLES}
    doc_rejects: list[Reject] = []
    for ann in orphans:
        doc_rejects.append(
            Reject(
                DOCUMENT_TEXTS_TABLE,
                ann,
                Reason.MISSING_FILE,
                f"{ann}: no image with this name in the sibling images folder",
            )
        )
    for image_path, ann_path in sorted(pairs.items()):
        if ann_path is None:
            if image_path in inspected.rejects:
                continue  # the file's own reject says enough
            doc_rejects.append(
                Reject(
                    DOCUMENT_TEXTS_TABLE,
                    image_path,
                    DocumentReason.MISSING_ANNOTATION,
                    f"{image_path}: no annotation file beside it in ../annotations/",
                )
            )
            continue
        image = inspected.files.get(image_path)
        if image is None:
            cause = inspected.rejects[image_path]
            doc_rejects.append(
                Reject(
                    DOCUMENT_TEXTS_TABLE,
                    ann_path,
                    Reason.IMAGE_REJECTED,
                    f"{ann_path}: its image was rejected ({cause.reason}: {cause.message})",
                )
            )
            continue
        data = read_inside(root, ann_path, DOCUMENT_TEXTS_TABLE, is_json=True)
        document = parse_json(data, ann_path, DOCUMENT_TEXTS_TABLE) if isinstance(data, bytes) else data
        if isinstance(document, Reject):
            doc_rejects.append(document)
            continue
        rows, rejects = form_rows(image.asset_id, document, ann_path, image)
        doc_rejects.extend(rejects)
        for table, table_rows in rows.items():
            tables[table].extend(table_rows)
    run.report.add_rejects(doc_rejects)
    for table, schema in LANDED_TABLES.items():
        run.land_rows(table, tables[table], schema)
    return run.finish(SOURCE_KIND, ASSET_TYPE, root, None)
