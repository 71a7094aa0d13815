"""The one pass over the exported records (expectations/record_facts.py): files cut into
segments at line ends keep every record and its line number, the process pool gives the
rows of a single in-process read, and a line that is not JSON (or not UTF-8) is a record
with a parse error at its own line, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from expectations.record_facts import FACTS_SCHEMA, segments, spool_record_facts

GOOD = {"id": "s1", "image": ["a.jpg"], "conversations": [
    {"from": "human", "value": "<image>\nWhere is the dog?"},
    {"from": "gpt", "value": '{"bbox_2d": [10, 20, 110, 220]}'}]}
NO_TOKEN = {"id": "s2", "image": ["b.jpg"], "conversations": [
    {"from": "human", "value": "What is shown?"}, {"from": "gpt", "value": "A cat."}]}


def _write(path: Path, n: int) -> None:
    """n records, a blank line every 7th, one line that is not JSON, one not UTF-8."""
    with open(path, "wb") as fh:
        for i in range(n):
            rec = dict(GOOD if i % 2 else NO_TOKEN, id=f"s{i}")
            fh.write(json.dumps(rec).encode() + b"\n")
            if i % 7 == 0:
                fh.write(b"\n")
            if i == 11:
                fh.write(b'{"id": "broken", \n')
            if i == 23:
                fh.write(b'{"id": "caf\xe9"}\n')


def _rows(files: list[tuple[Path, str, bool]], folder: Path, **kwargs) -> list[dict]:
    """The facts ``spool_record_facts`` writes to ``folder``, read back in file and line order."""
    n = spool_record_facts(files, folder, **kwargs)
    table = pa.concat_tables(pq.read_table(p, schema=FACTS_SCHEMA) for p in sorted(folder.glob("*.parquet")))
    assert table.num_rows == n  # the count it returns is the rows it wrote
    return sorted(table.to_pylist(), key=lambda r: (r["file_no"], r["line_no"]))


def test_segments_cut_at_line_ends_keep_every_record_and_its_line(tmp_path: Path) -> None:
    path = tmp_path / "qwen25vl" / "train.jsonl"
    path.parent.mkdir()
    _write(path, 200)
    cut = segments(path, "qwen25vl/train.jsonl", 0, True, target_bytes=500)
    assert len(cut) > 10
    assert cut[0].start == 0 and cut[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in zip(cut, cut[1:]))
    data = path.read_bytes()
    assert all(data[s.end - 1:s.end] == b"\n" for s in cut[:-1])
    assert [s.first_line for s in cut] == [data[:s.start].count(b"\n") + 1 for s in cut]

    whole = _rows([(path, "qwen25vl/train.jsonl", True)], tmp_path / "whole", target_bytes=1 << 30,
                  executor="inprocess")
    split = _rows([(path, "qwen25vl/train.jsonl", True)], tmp_path / "split", target_bytes=500,
                  executor="inprocess")
    assert split == whole
    assert len(whole) == 202  # 200 records and the two bad lines
    lines = data.split(b"\n")
    for row in whole:  # every row names the line it came from
        assert lines[row["line_no"] - 1].strip(), row


def test_the_pool_gives_the_rows_of_one_read(tmp_path: Path) -> None:
    """The pool's workers write the facts to Parquet themselves: the same rows as one
    in-process read."""
    files = []
    for rel in ("train.jsonl", "qwen25vl/val.jsonl"):
        path = tmp_path / "exports" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, 300)
        files.append((path, rel, "/" in rel))
    here = _rows(files, tmp_path / "here", target_bytes=1 << 30, executor="inprocess")
    pooled = _rows(files, tmp_path / "pooled", target_bytes=2_000, executor="pool")
    assert pooled == here and len(here) == 604


def test_no_files_leave_an_empty_facts_file(tmp_path: Path) -> None:
    """A view over the folder never fails for want of files."""
    assert spool_record_facts([], tmp_path / "empty") == 0
    assert pq.read_table(tmp_path / "empty" / "facts-empty.parquet").num_rows == 0


def test_what_each_record_says(tmp_path: Path) -> None:
    path = tmp_path / "qwen25vl" / "train.jsonl"
    path.parent.mkdir()
    _write(path, 30)
    rows = {r["record_key"]: r for r in _rows([(path, "qwen25vl/train.jsonl", True)], tmp_path / "facts")}
    good, bad = rows["qwen25vl/train.jsonl:s1"], rows["qwen25vl/train.jsonl:s2"]
    assert (good["n_boxes"], good["box"]) == (1, [10.0, 20.0, 110.0, 220.0])
    assert good["first_turn_image_tokens"] == good["image_count"] == 1
    assert good["turn_problems"] is None and good["trainer_problems"] is None
    assert bad["first_turn_image_tokens"] == 0 and bad["n_boxes"] == 0 and bad["box"] is None
    assert "0 <image> placeholders in human turns for 1 images" in bad["trainer_problems"]
    broken = [r for r in rows.values() if r["parse_error"]]
    assert [(r["parse_error"].split(" (")[0], r["record_key"].split(":")[1]) for r in broken] == [
        ("line is not JSON", f"line {broken[0]['line_no']}"),
        ("line is not UTF-8 text", f"line {broken[1]['line_no']}")]
    assert all(r["turn_problems"] for r in broken)


def test_answer_boxes_are_the_bracketed_spans_of_the_last_answer(tmp_path: Path) -> None:
    """What check 7 reads of an answer: its spans "[...]" with no bracket inside, in order,
    as DuckDB's regexp_extract_all of the whole last answer (what the check ran on before
    the facts kept only the spans) gives them."""
    import duckdb

    answers = {"g": "The dog is at [100, 200, 300, 400]; [[5]] and [a] (see [", "p": "A cat.", "n": 5,
               "e": "", "m": "[\n1, 2\n]"}
    path = tmp_path / "train.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for rid, answer in answers.items():
            fh.write(json.dumps({"id": rid, "image": "a.jpg", "conversations": [
                {"from": "human", "value": "<image>\nWhere?"}, {"from": "gpt", "value": "[9, 9, 9, 9]"},
                {"from": "human", "value": "And?"}, {"from": "gpt", "value": answer}]}) + "\n")
    rows = {r["id"]: r["answer_boxes"] for r in _rows([(path, "train.jsonl", False)], tmp_path / "facts")}
    assert rows["g"] == ["[100, 200, 300, 400]", "[5]", "[a]"]
    assert rows["p"] == rows["n"] == rows["e"] == []
    with duckdb.connect() as con:
        for rid, answer in answers.items():
            text = answer if isinstance(answer, str) else ""
            [(spans,)] = con.execute(r"select regexp_extract_all(?, '\[[^\[\]]*\]')", [text]).fetchall()
            assert rows[rid] == spans, rid


def test_what_a_packed_record_says(tmp_path: Path) -> None:
    """A packed record's trace columns (``sample_ids``, ``turns``, ``images``) as the packed
    check compares them with the lakehouse: a turn that is no object NULL, a value that is
    no string marked as JSON, an id that is no string NULL; no other file's record has
    them."""
    path = tmp_path / "packed" / "train.jsonl"
    path.parent.mkdir()
    turns = [{"from": "human", "value": "<image>\nQ1"}, {"from": "gpt", "value": "A1"},
             {"from": "human", "value": "Q2"}, {"from": "gpt", "value": 7}]
    records = [
        {"id": "p1", "image": ["a.jpg"], "conversations": turns, "sample_ids": ["s1", "s2"]},
        {"id": "p2", "image": ["a.jpg", 3], "conversations": [turns[0], "hello"], "sample_ids": [5]},
        {"id": "p3", "image": "a.jpg", "conversations": {"from": "human"}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "{broken\n", encoding="utf-8")
    canonical = tmp_path / "train.jsonl"
    canonical.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    rows = {r["record_key"]: r for r in _rows([(canonical, "train.jsonl", False),
                                               (path, "packed/train.jsonl", False)], tmp_path / "facts")}
    p1, p2, p3 = (rows[f"packed/train.jsonl:{i}"] for i in ("p1", "p2", "p3"))
    assert p1["sample_ids"] == ["s1", "s2"] and p1["images"] == ["a.jpg"] and p1["image_count"] == 1
    assert p1["turns"][:3] == turns[:3] and p1["turns"][3] == {"from": "gpt", "value": "\x00json:7"}
    assert (p1["first_turn_image_tokens"], p1["later_human_image_tokens"], p1["answer_image_tokens"]) == (1, 0, 0)
    assert p1["turn_problems"] == "turn 3 has an empty or non-string value" and p1["trainer_problems"] is None
    assert p2["sample_ids"] == [None] and p2["images"] == ["a.jpg", "\x00json:3"] and p2["image_count"] == 2
    assert p2["turns"] == [turns[0], None] and p2["turn_problems"]
    assert p3["images"] == [] and p3["image_count"] == 0 and p3["turns"] == [] and p3["turn_problems"]
    [broken] = [r for r in rows.values() if r["parse_error"]]
    assert broken["record_key"] == "packed/train.jsonl:line 4" and broken["turns"] == [] and broken["turn_problems"]
    assert rows["train.jsonl:s1"]["sample_ids"] is None and rows["train.jsonl:s1"]["turns"] is None


def test_what_an_asset_manifest_line_says(tmp_path: Path) -> None:
    """The asset manifest's lines carry their fields as text (``x_assets`` reads them); a
    line that is no object or no JSON carries none, with its parse error."""
    path = tmp_path / "asset_manifest.jsonl"
    path.write_text(json.dumps({"asset_id": "a1", "image": "coco/1.jpg", "asset_type": "general_image",
                                "source": "coco"}) + "\n" + json.dumps({"asset_id": 7, "image": None}) + "\n"
                    + "[1]\n{broken\n", encoding="utf-8")
    rows = _rows([(path, "asset_manifest.jsonl", False)], tmp_path / "facts")
    assert [r["profile"] for r in rows] == ["assets"] * 4
    assert [r["asset"] for r in rows] == [
        {"asset_id": "a1", "image": "coco/1.jpg", "asset_type": "general_image", "source": "coco"},
        {"asset_id": "7", "image": None, "asset_type": None, "source": None},
        dict.fromkeys(("asset_id", "image", "asset_type", "source")),
        dict.fromkeys(("asset_id", "image", "asset_type", "source"))]
    assert [bool(r["parse_error"]) for r in rows] == [False, False, True, True]
    assert all(r["turns"] is None and r["sample_ids"] is None for r in rows)
