"""One encoding rule for every JSON input (ingest.json_guard): UTF-8 without a byte-order
mark. Per adapter, a file with a BOM, in UTF-16 or in another 8-bit encoding is a reject
(or, for an input that is one file, a refusal) whose message names the encoding; the
other files of the input land as before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest.chartqa import land_chartqa
from ingest.coco import CocoFileError, land_coco
from ingest.funsd import land_funsd
from ingest.json_guard import JsonProblem, decode_json_text
from ingest.sroie import land_sroie
from quality.review_verdicts import ReviewFileError, read_records
from tests.conftest import SHARED_DATASETS
from tests.ingest.landing_cases import small_coco

BAD = {  # how a file is written -> what its message must name
    "bom": (lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"), "UTF-8 with a byte-order mark"),
    "utf16": (lambda text: text.encode("utf-16"), "UTF-16 (little-endian, with a byte-order mark)"),
    "utf16be": (lambda text: text.encode("utf-16-be"), "UTF-16 (big-endian, no byte-order mark)"),
    "latin1": (lambda text: text.encode("latin-1"), "not valid UTF-8"),
}


def _rewrite(path: Path, how: str, extra: str = "") -> None:
    """Re-encode the JSON file at ``path`` (``extra`` adds a non-ASCII value, so Latin-1
    differs from UTF-8)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if extra and isinstance(doc, dict):
        doc["note"] = extra
    elif extra and isinstance(doc, list):
        doc[0]["note"] = extra
    path.write_bytes(BAD[how][0](json.dumps(doc, ensure_ascii=False)))


def test_the_rule_on_bytes() -> None:
    assert decode_json_text('{"a": "café"}'.encode()) == '{"a": "café"}'
    for how, (encode, named) in BAD.items():
        problem = decode_json_text(encode('{"a": "café"}'))
        assert isinstance(problem, JsonProblem), how
        assert problem.reason == "invalid_encoding" and named in problem.message


@pytest.mark.parametrize("how", ["bom", "utf16"])
def test_coco_refuses_the_file(how: str, tmp_path: Path, wh, shared_datasets) -> None:
    images, annotations = small_coco(tmp_path)
    _rewrite(annotations, how)
    with pytest.raises(CocoFileError, match=rf"{BAD[how][1].split(' (')[0]}.*invalid_encoding"):
        land_coco(wh, images, annotations, "c")
    assert not (wh.landing / "coco_images" / "c.parquet").exists()


def test_funsd_rejects_each_form_naming_its_encoding(tmp_path: Path, wh, shared_datasets) -> None:
    split = tmp_path / "funsd" / "training_data"
    src = SHARED_DATASETS / "funsd" / "training_data"
    shutil.copytree(src, split)
    stems = sorted(p.stem for p in (split / "annotations").glob("*.json"))[:5]
    for stem, how in zip(stems, BAD):
        _rewrite(split / "annotations" / f"{stem}.json", how, extra="Société")
    report = land_funsd(wh, tmp_path / "funsd")
    found = {r.item.split("/")[-1]: r for r in report.rejects if str(r.reason) == "invalid_encoding"}
    assert set(found) == {f"{stem}.json" for stem in stems[:len(BAD)]}
    for stem, how in zip(stems, BAD):
        assert BAD[how][1] in found[f"{stem}.json"].message
    texts = pq.read_table(wh.landing / "document_texts" / "funsd.parquet").num_rows
    assert texts == len(list(src.glob("annotations/*.json"))) - len(BAD)


def test_sroie_rejects_the_key_file_naming_its_encoding(tmp_path: Path, wh, shared_datasets) -> None:
    root = tmp_path / "sroie"
    shutil.copytree(SHARED_DATASETS / "sroie", root)
    keys = sorted((root / "key").glob("*.json"))
    for key, how in zip(keys, BAD):
        _rewrite(key, how, extra="Société")
    report = land_sroie(wh, root)
    found = {r.item.split("/")[-1]: r for r in report.rejects if str(r.reason) == "invalid_encoding"}
    assert set(found) == {key.name for key in keys[:len(BAD)]}
    for key, how in zip(keys, BAD):
        assert BAD[how][1] in found[key.name].message
        assert found[key.name].landing_table == "document_fields"


def test_chartqa_rejects_the_qa_file_naming_its_encoding(tmp_path: Path, wh, shared_datasets) -> None:
    root = tmp_path / "chartqa"
    shutil.copytree(SHARED_DATASETS / "chartqa", root)
    _rewrite(root / "qa.json", "utf16be", extra="Société")
    report = land_chartqa(wh, root)
    (reject,) = [r for r in report.rejects if str(r.reason) == "invalid_encoding"]
    assert reject.item == "qa.json" and BAD["utf16be"][1] in reject.message
    assert pq.read_table(wh.landing / "charts" / "chartqa.parquet").num_rows == 2  # the charts land


@pytest.mark.parametrize("how", list(BAD))
def test_a_review_jsonl_file_is_refused_naming_its_encoding(how: str, tmp_path: Path) -> None:
    line = json.dumps({"sample_id": "s1", "reviewer": "Zoë", "role": "primary", "verdict": "accept",
                       "time": "2026-01-01T00:00:00+00:00"}, ensure_ascii=False)
    path = tmp_path / "verdicts.jsonl"
    path.write_bytes(BAD[how][0](line + "\n"))
    with pytest.raises(ReviewFileError, match="invalid_encoding") as refused:
        read_records(path)
    assert BAD[how][1] in str(refused.value)
    path.write_text(line + "\n", encoding="utf-8")
    assert read_records(path)[0][1]["reviewer"] == "Zoë"
    # a spreadsheet's CSV keeps its UTF-8 byte-order mark (not a JSON input)
    csv = tmp_path / "verdicts.csv"
    csv.write_bytes(b"\xef\xbb\xbfsample_id,reviewer,role,verdict,time\ns1,Zo\xc3\xab,primary,accept,"
                    b"2026-01-01T00:00:00+00:00\n")
    assert read_records(csv)[0][1]["reviewer"] == "Zoë"
