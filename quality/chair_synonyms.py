"""The CHAIR synonym list -> the landed ``chair_synonyms`` table, or rejects.

In: a CHAIR ``synonyms.txt`` (one line per COCO category: the category name, then its
synonyms, separated by ``", "``; default ``../shared/datasets/chair/synonyms.txt``).
Out: ``landing/chair_synonyms/<source>.parquet`` (one row per distinct synonym of a
category, the category name itself included as position 0) and
``landing/rejects/<source>.parquet``.

Decisions:
- Every synonym is stripped: the file has two lines with a double space after a comma
  (``scooter,  motor bike``, ``cake,  cheesecake``) which the reference implementation
  turns into synonyms that can never match. ``synonym_normalized`` is lower-case with
  single spaces (what matching uses); ``synonym`` is as written ("iPhone").
- A synonym repeated on its line (``person`` lists "person", "woman", "guy", "child",
  "gentleman" twice; ``toilet``, ``refrigerator``... likewise: 13 repeats in the shared
  file) lands once, with ``listed_count`` saying how often the line lists it. Deduping is
  the documented reading of the file, not an error: it makes no reject, and rows in
  counts distinct synonyms.
- A synonym that another category already claimed is rejected (``ambiguous_synonym``):
  a word must map to one category. An empty item (a trailing comma) is ``empty_synonym``.
- Landing the same file again replaces the source's files (no duplicates).
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pyarrow as pa

from lakehouse.commit import SourceCommit, check_claim
from lakehouse.landing import LandingError, check_source_name, new_run_id, utc_now
from lakehouse.rejects import REJECTS_SCHEMA, REJECTS_TABLE, Reject, rejects_table
from lakehouse.report import LandingReport
from lakehouse.settings import PROJECT_ROOT, Warehouse
from lakehouse.tables.quality import (
    CHAIR_SYNONYMS_SCHEMA,
    CHAIR_SYNONYMS_TABLE,
)

LANDED_TABLES: dict[str, pa.Schema] = {CHAIR_SYNONYMS_TABLE: CHAIR_SYNONYMS_SCHEMA}
"""The tables this module lands."""

DEFAULT_SOURCE = "chair"
SOURCE_KIND = "chair_synonyms"  # the kind its name is claimed for (lakehouse.commit)
DEFAULT_CHAIR_SYNONYMS = PROJECT_ROOT.parent / "shared" / "datasets" / "chair" / "synonyms.txt"


class ChairReason(StrEnum):
    """Why a synonym did not land (the ``reason_code`` of its reject)."""

    EMPTY_SYNONYM = "empty_synonym"
    AMBIGUOUS_SYNONYM = "ambiguous_synonym"


def normalize_synonym(text: str) -> str:
    """Lower-case, whitespace runs collapsed to one space, stripped."""
    return re.sub(r"\s+", " ", text).strip().lower()


def parse_synonyms(text: str) -> tuple[list[dict], list[Reject]]:
    """Rows (without the run columns) and rejects from the text of a synonyms file.

    ``len(rows) + len(rejects)`` is the number of distinct (line, synonym) items read.
    """
    rows: list[dict] = []
    rejects: list[Reject] = []
    owner: dict[str, str] = {}
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        items = line.split(",")
        category = re.sub(r"\s+", " ", items[0]).strip()
        on_line: dict[str, dict] = {}
        for position, synonym in enumerate(items):
            item = f"line {line_number} item {position + 1}"
            normalized = normalize_synonym(synonym)
            if not normalized:
                rejects.append(Reject(CHAIR_SYNONYMS_TABLE, item, ChairReason.EMPTY_SYNONYM,
                                      f"{item}: empty synonym for {category!r}"))
                continue
            if normalized in on_line:
                on_line[normalized]["listed_count"] += 1
                continue
            if owner.get(normalized, category) != category:
                rejects.append(Reject(CHAIR_SYNONYMS_TABLE, item, ChairReason.AMBIGUOUS_SYNONYM,
                                      f"{item}: {synonym.strip()!r} of {category!r} already belongs to "
                                      f"{owner[normalized]!r}"))
                continue
            owner[normalized] = category
            on_line[normalized] = {"category_name": category,
                                   "synonym": re.sub(r"\s+", " ", synonym).strip(),
                                   "synonym_normalized": normalized, "line_number": line_number,
                                   "position": position, "listed_count": 1}
        rows.extend(on_line.values())
    return rows, rejects


def land_chair_synonyms(wh: Warehouse, path: Path = DEFAULT_CHAIR_SYNONYMS,
                        source: str = DEFAULT_SOURCE, replace: bool = False) -> LandingReport:
    """Land the CHAIR synonym list at ``path`` as source ``source`` of ``chair_synonyms``
    (the synonyms and the rejects together, all or none: ``lakehouse.commit``).

    Raises :class:`lakehouse.landing.LandingError` when the file is missing or not UTF-8,
    when ``source`` holds another kind of input, or (``WouldShrink``, nothing replaced)
    when it would leave the source with no synonyms or fewer than half of those landed,
    unless ``replace``.
    """
    check_source_name(source)
    check_claim(wh, source, SOURCE_KIND)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LandingError(f"CHAIR synonyms file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise LandingError(f"CHAIR synonyms file {path} is not UTF-8: {exc}") from None
    rows, rejects = parse_synonyms(text)
    run_id, at = new_run_id(), utc_now()
    stamp = {"source": source, "ingested_at": at, "ingest_run_id": run_id}
    table = pa.Table.from_pylist([{**row, **stamp} for row in rows], schema=CHAIR_SYNONYMS_SCHEMA)
    report = LandingReport(source=source, rows_in={CHAIR_SYNONYMS_TABLE: len(rows) + len(rejects)}, rejects=rejects)
    with SourceCommit(wh, source, SOURCE_KIND, replace) as commit:
        report.files.append(commit.stage(CHAIR_SYNONYMS_TABLE, table, CHAIR_SYNONYMS_SCHEMA))
        report.rows_landed[CHAIR_SYNONYMS_TABLE] = table.num_rows
        report.files.append(commit.stage(REJECTS_TABLE, rejects_table(rejects, source, run_id, at),
                                         REJECTS_SCHEMA))
        commit.commit()
    return report
