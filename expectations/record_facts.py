"""What the checks read of every exported record, taken in one pass over the record files,
on every core.

In: the record files under ``exports/`` (JSONL, one record per non-empty line, or one JSON
array), and in the same pass the packed set's files and the asset manifest (JSONL; their
``profile_of`` is ``PACKED_PROFILE`` and ``ASSETS_PROFILE``). Out: Parquet files of
``FACTS_SCHEMA`` in a folder (``spool_record_facts``), one row per record or line
(``file_no``, ``line_no`` give the order of the files):

- what the record is: its id, keys, image list, number of turns, first turn and the
  bracketed spans of its last answer (``record_schema`` and the cross-table checks read
  these);
- what a trainer would say of it: the turn problems, ``<image>`` placeholder counts and
  the problems of the consumer that reads its file (``conversation_format``);
- for a trainer profile's record, the boxes that profile's own parser reads out of it
  (``profile_boxes_match_source``);
- for a packed record, its turns and sample ids as its trace to the samples compares them
  (``_packed_facts``), and for an asset manifest line, its fields (``_asset``).

Each file is cut at line ends into segments of about ``SEGMENT_BYTES`` (a JSON array file
is one segment); the segments are parsed by ``lakehouse.stages.run_stage`` (a process per
core), largest first, each written by its worker. A 118k-image build exports ~5M records:
they are parsed once, not once per check, on every core.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from consumers.common import check_turns, placeholder_counts
from consumers.registry import Consumer, consumer
from consumers.swift import as_conversations
from lakehouse.export_layout import ASSET_MANIFEST_FILE, ASSETS_PROFILE, CANONICAL_PROFILE, PACKED_DIR
from lakehouse.stages import run_stage

FACTS_SCHEMA = pa.schema([
    # where the record is
    pa.field("file_no", pa.int64()),       # index of its file in the run's list of record files
    pa.field("file_path", pa.string()),    # relative to exports/
    pa.field("profile", pa.string()),      # profile_of its file: a trainer profile's folder, or another name
    pa.field("file_split", pa.string()),   # train / val / smoke_test, or "all"
    pa.field("line_no", pa.int64()),       # 1-based line (JSONL) or array position (JSON)
    pa.field("record_key", pa.string()),   # "<file>:<id>", or "<file>:line <n>" without an id
    # what it is
    pa.field("id", pa.string()),
    pa.field("parse_error", pa.string()),
    pa.field("keys", pa.string()),         # its keys, sorted, comma-separated
    pa.field("image_kind", pa.string()),   # list / string / missing / another JSON type
    pa.field("images", pa.list_(pa.string())),
    pa.field("n_images", pa.int64()),
    pa.field("conversation_kind", pa.string()),
    pa.field("n_turns", pa.int64()),
    pa.field("first_turn", pa.string()),
    # the spans "[...]" (no bracket inside) of its last answer, in order: a grounding
    # answer's box (alignment_has_bbox); the answer's other text is read by no check
    pa.field("answer_boxes", pa.list_(pa.string())),
    # what the trainer reading its file says of it (null: no conversation to judge)
    pa.field("trainer_turns", pa.int64()),              # turns as that trainer reads them
    pa.field("turn_problems", pa.string()),             # "; "-joined, null when none
    pa.field("image_count", pa.int64()),
    pa.field("first_turn_image_tokens", pa.int64()),
    pa.field("later_human_image_tokens", pa.int64()),
    pa.field("answer_image_tokens", pa.int64()),
    pa.field("trainer_problems", pa.string()),          # "; "-joined, null when none
    # the boxes the profile's parser reads (null outside a box profile)
    pa.field("n_boxes", pa.int64()),
    pa.field("box", pa.list_(pa.float64())),            # the one box, when there is exactly one of 4 numbers
    # a packed record's own (null outside the packed files): what its trace to its samples
    # reads (``_packed_facts``)
    pa.field("sample_ids", pa.list_(pa.string())),
    pa.field("turns", pa.list_(pa.struct([("from", pa.string()), ("value", pa.string())]))),
    # an asset manifest line's own (null elsewhere): its fields as text (``_asset``)
    pa.field("asset", pa.struct([(k, pa.string()) for k in ("asset_id", "image", "asset_type", "source")])),
])

PACKED_PROFILE = PACKED_DIR
"""The "profile" of the packed set's files (packed/{train,val}.jsonl): no trainer's, so
no consumer rules; their records carry ``sample_ids`` and ``turns``."""
NOT_TEXT = "\x00json:"
"""Prefix of a JSON value that is not a string (a number, a list, ...) where a packed
record should hold one, so that it never equals a string of the lakehouse and no
information is lost."""

ANSWER_BOX = re.compile(r"\[[^\[\]]*\]")
"""A span of an answer that reads as one box: ``[`` to the next ``]``, no ``[`` between."""

# Segments of about this many bytes: ~16k records of a 118k build's files, a few MB of
# Python objects per worker at a time.
SEGMENT_BYTES = 8 << 20
# Below this many bytes in all, the records are read in this process: starting a pool of
# spawned workers (~1 s each to import the stack) costs more than it saves.
POOL_MIN_BYTES = 32 << 20


@dataclass(frozen=True)
class Segment:
    """Bytes ``start`` to ``end`` of one record file, starting on line ``first_line``."""

    path: str
    rel: str
    file_no: int
    start: int
    end: int
    first_line: int
    has_boxes: bool  # the file is a trainer profile's: parse its boxes
    is_array: bool   # a JSON array file (``.json``), always whole; else JSONL


def split_of(rel: str) -> str:
    stem = Path(rel).stem
    return stem if stem in ("train", "val", "smoke_test") else "all"


def profile_of(rel: str) -> str:
    """The folder of a file under exports/ (a trainer profile's, or ``PACKED_PROFILE``);
    ``ASSETS_PROFILE`` for the asset manifest (its lines carry ``asset``), and
    ``CANONICAL_PROFILE`` for the other top-level files."""
    parts = Path(rel).parts
    if len(parts) > 1:
        return parts[0]
    return ASSETS_PROFILE if rel == ASSET_MANIFEST_FILE else CANONICAL_PROFILE


def segments(path: Path, rel: str, file_no: int, has_boxes: bool,
             target_bytes: int = SEGMENT_BYTES) -> list[Segment]:
    """``path`` cut after the first line end past every ``target_bytes`` (a JSON array
    file whole), with the line each segment starts on."""
    size = path.stat().st_size
    if path.suffix == ".json" or size <= target_bytes:
        return [Segment(str(path), rel, file_no, 0, size, 1, has_boxes, path.suffix == ".json")]
    out: list[Segment] = []
    pos, line = 0, 1
    with open(path, "rb") as fh:
        while pos < size:
            block = fh.read(target_bytes)
            block += fh.readline()  # to the end of the line the cut fell in
            out.append(Segment(str(path), rel, file_no, pos, pos + len(block), line, has_boxes, False))
            line += block.count(b"\n")
            pos += len(block)
    return out


def parsed_records(seg: Segment) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, record or None, parse error) of every record in the segment: one per
    non-empty line of a JSONL file, one per element of a JSON array file (its position)."""
    with open(seg.path, "rb") as fh:
        fh.seek(seg.start)
        data = fh.read(seg.end - seg.start)
    if seg.is_array:
        try:
            records = json.loads(data)
        except ValueError as exc:
            yield 0, None, f"not one JSON document ({getattr(exc, 'msg', exc)})"
            return
        if not isinstance(records, list):
            yield 0, None, "the file must hold one JSON array"
            return
        for i, rec in enumerate(records):
            yield i + 1, rec, None
        return
    for i, line in enumerate(data.split(b"\n")):
        if line.strip():
            yield seg.first_line + i, *parse_line(line)


def parse_line(line: bytes) -> tuple[Any, str | None]:
    """(record, None) for a JSONL line that parses, else (None, why not)."""
    try:
        return json.loads(line), None
    except json.JSONDecodeError as exc:
        return None, f"line is not JSON ({exc.msg})"
    except UnicodeDecodeError:
        return None, "line is not UTF-8 text"


def _what_it_is(row: dict[str, Any], rec: dict[str, Any]) -> None:
    rid = rec.get("id")
    row["id"] = None if rid is None else str(rid)
    row["keys"] = ",".join(sorted(rec))
    key = "image" if "image" in rec else ("images" if "images" in rec else None)
    if key is not None:
        value = rec[key]
        if isinstance(value, str):
            row["image_kind"], row["images"] = "string", [value]
        elif isinstance(value, list):
            row["image_kind"], row["images"] = "list", [v if isinstance(v, str) else json.dumps(v) for v in value]
        else:
            row["image_kind"] = type(value).__name__
    row["n_images"] = len(row["images"])
    conv = rec.get("conversations")
    if conv is None and "messages" in rec:  # ms-swift: messages of {role, content}
        conv = as_conversations(rec)
    if isinstance(conv, list):
        def text(turn: Any, key: str) -> str | None:
            value = turn.get(key) if isinstance(turn, dict) else None
            return value if isinstance(value, str) else None

        row["conversation_kind"], row["n_turns"] = "list", len(conv)
        if conv:
            row["first_turn"] = text(conv[0], "value")
        answers = [text(t, "value") for t in conv if text(t, "from") == "gpt"]
        row["answer_boxes"] = ANSWER_BOX.findall(answers[-1]) if answers and answers[-1] else []
    elif conv is not None:
        row["conversation_kind"] = type(conv).__name__


def _what_the_trainer_says(row: dict[str, Any], rec: Any, profile: str, reader: Consumer | None,
                           parse_error: str | None) -> None:
    conv = reader.conversations(rec) if reader is not None else (
        rec.get("conversations") if isinstance(rec, dict) else None)
    if not isinstance(conv, list):
        row["turn_problems"] = parse_error or "no 'conversations' list"
        return
    images = rec.get("image", rec.get("images", []))
    row["image_count"] = 1 if isinstance(images, str) else (len(images) if isinstance(images, list) else 0)
    row["trainer_turns"] = len(conv)
    row["turn_problems"] = "; ".join(check_turns(conv)) or None
    first, later, answers = placeholder_counts(conv)
    row.update(first_turn_image_tokens=first, later_human_image_tokens=later, answer_image_tokens=answers)
    problems = (reader.check_record(rec, None) if reader is not None
                else [f"no consumer rules for profile {profile} (consumers.registry)"])
    row["trainer_problems"] = "; ".join(problems) or None


def _text(value: Any) -> str | None:
    """``value`` as it compares with a lakehouse string: itself, None, or marked JSON."""
    if value is None or isinstance(value, str):
        return value
    return NOT_TEXT + json.dumps(value, sort_keys=True, default=str)


def _list_of(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _packed_facts(row: dict[str, Any], rec: Any) -> None:
    """A packed record's facts, as its checks read them: its turn problems and placeholders
    counted over its ``conversations`` (none when that is not a list), its images and
    ``sample_ids`` as listed (an id that is no string: NULL; an image: ``_text``), and its
    turns (a turn that is no object: NULL; its ``from`` and ``value``: ``_text``)."""
    rec = rec if isinstance(rec, dict) else {}
    conv, ids, images = (_list_of(rec.get(k)) for k in ("conversations", "sample_ids", "image"))
    first, later, answers = placeholder_counts(conv)
    row.update(
        turn_problems="; ".join(check_turns(conv)) or None, images=[_text(i) for i in images],
        image_count=len(images), first_turn_image_tokens=first, later_human_image_tokens=later,
        answer_image_tokens=answers, trainer_problems=None,
        sample_ids=[i if isinstance(i, str) else None for i in ids],
        turns=[{"from": _text(t.get("from")), "value": _text(t.get("value"))} if isinstance(t, dict) else None
               for t in conv])


def _asset(rec: Any) -> dict[str, str | None]:
    """An asset manifest line's ``asset_id``, ``image``, ``asset_type`` and ``source``, each
    as text (``str`` of what is not), None when absent (all None for a line that is no object)."""
    rec = rec if isinstance(rec, dict) else {}
    return {k: None if rec.get(k) is None else str(rec.get(k)) for k in ("asset_id", "image", "asset_type", "source")}


def record_row(seg: Segment, profile: str, file_split: str, reader: Consumer | None, line_no: int,
               rec: Any, parse_error: str | None) -> dict[str, Any]:
    """The ``FACTS_SCHEMA`` row of one record (``rec`` None when its line did not parse) of
    a file of ``profile``, read by ``reader`` (``consumers.registry``; None: no rules)."""
    rid = rec.get("id") if isinstance(rec, dict) else None
    row: dict[str, Any] = {
        "file_no": seg.file_no, "file_path": seg.rel, "profile": profile, "file_split": file_split,
        "line_no": line_no, "record_key": f"{seg.rel}:{rid if rid is not None else f'line {line_no}'}",
        "id": None, "parse_error": parse_error, "keys": None, "image_kind": "missing",
        "images": [], "n_images": 0, "conversation_kind": "missing",
        "n_turns": 0, "first_turn": None, "answer_boxes": [],
        "trainer_turns": None, "turn_problems": None, "image_count": None, "first_turn_image_tokens": None,
        "later_human_image_tokens": None, "answer_image_tokens": None, "trainer_problems": None,
        "n_boxes": None, "box": None, "sample_ids": None, "turns": None, "asset": None,
    }
    if isinstance(rec, dict):
        _what_it_is(row, rec)
    elif parse_error is None:
        row["parse_error"] = f"record is a {type(rec).__name__}, not an object"
    if profile == PACKED_PROFILE:
        _packed_facts(row, rec)
    elif profile == ASSETS_PROFILE:
        row["asset"] = _asset(rec)
    else:
        _what_the_trainer_says(row, rec, profile, reader, parse_error)
    if seg.has_boxes and reader is not None and isinstance(rec, dict):
        boxes = reader.parse_boxes(rec)
        row["n_boxes"] = len(boxes)
        if len(boxes) == 1 and len(boxes[0]) == 4:
            row["box"] = [float(v) for v in boxes[0]]
    return row


def segment_facts(segs: list[Segment]) -> pa.RecordBatch:
    """The rows of every record in ``segs`` (a stage's work function)."""
    rows: list[dict[str, Any]] = []
    for seg in segs:
        profile = profile_of(seg.rel)
        file_split, reader = split_of(seg.rel), consumer(profile)
        rows += [record_row(seg, profile, file_split, reader, line_no, rec, error)
                 for line_no, rec, error in parsed_records(seg)]
    return pa.RecordBatch.from_pylist(rows, schema=FACTS_SCHEMA)


def largest_first(files: list[tuple[Path, str, bool]], target_bytes: int) -> list[Segment]:
    """The segments of ``files``, the largest first: a JSON array file is one segment, and
    the pool's last round short."""
    segs = [s for no, (path, rel, has_boxes) in enumerate(files)
            for s in segments(path, rel, no, has_boxes, target_bytes)]
    segs.sort(key=lambda s: s.end - s.start, reverse=True)
    return segs


def executor_for(segs: list[Segment], executor: str | None) -> str | None:
    """``executor``; unset and fewer than ``POOL_MIN_BYTES`` in all: this process."""
    if executor is None and sum(s.end - s.start for s in segs) < POOL_MIN_BYTES:
        return "inprocess"
    return executor


SPOOLED_SCHEMA = pa.schema([pa.field("path", pa.string()), pa.field("rows", pa.int64())])


def write_segment_facts(items: list[tuple[Segment, str]]) -> pa.RecordBatch:
    """Stage work: the facts of each segment written to its Parquet path; returns (path,
    rows) per segment, so only file names travel back to the parent."""
    out = []
    for seg, path in items:
        batch = segment_facts([seg])
        pq.write_table(pa.Table.from_batches([batch], schema=FACTS_SCHEMA), path)
        out.append({"path": path, "rows": batch.num_rows})
    return pa.RecordBatch.from_pylist(out, schema=SPOOLED_SCHEMA)


def spool_segments(segs: list[Segment], folder: Path, executor: str | None = None) -> int:
    """The facts of every record of ``segs`` written to ``folder``, one Parquet file per
    segment, by the worker that parsed it (``executor_for``); returns the rows written."""
    items = [(seg, str(folder / f"facts-{i:06d}.parquet")) for i, seg in enumerate(segs)]
    rows = 0
    for _, batch in run_stage(write_segment_facts, items, chunk_size=1,
                              executor=executor_for(segs, executor)):
        rows += sum(batch.column("rows").to_pylist())
    return rows


def spool_record_facts(files: list[tuple[Path, str, bool]], folder: Path,
                       target_bytes: int = SEGMENT_BYTES, executor: str | None = None) -> int:
    """The facts of every record of ``files`` (``(path, path relative to exports/, is a
    box profile's file)``) written to Parquet files in ``folder``: one per segment, written
    by the worker that parsed it, plus an empty one so the folder is never without a file
    (``file_no`` and ``line_no`` give the order back). Nothing per row comes back to this
    process, which shares the cores with the workers. Parsed in a process pool when the
    files hold ``POOL_MIN_BYTES`` or more (on the stages' executor: ``lakehouse.stages``),
    else here; ``executor`` set: on that one. Returns the number of records. Every worker
    must see ``folder`` (the pool's processes, or a Ray cluster on this machine).
    ``expectations.facts_cache`` does the same with a cache of what earlier runs parsed."""
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(FACTS_SCHEMA.empty_table(), folder / "facts-empty.parquet")
    return spool_segments(largest_first(files, target_bytes), folder, executor)
