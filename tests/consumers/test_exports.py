"""Every exported record against the rules of the trainer that will read it, on a real
build of the real data; and each rule shown to catch a deliberately broken record."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from consumers import llamafactory, llava, qwen

SPLITS = ("train", "val", "smoke_test")


@pytest.fixture(scope="module")
def exports(built_warehouse) -> Path:
    return built_warehouse.exports


def _first(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return json.loads(text)[0]
    return json.loads(text.splitlines()[0])


@pytest.mark.parametrize("split", SPLITS)
def test_llava_files_pass_llava_rules(exports, split) -> None:
    path = exports / "llava" / f"{split}.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    assert records, f"{path} is empty"
    assert llava.check_file(path, exports / "images") == []
    assert all(isinstance(r["image"], str) for r in records)


@pytest.mark.parametrize("profile", ["qwen2vl", "qwen25vl"])
@pytest.mark.parametrize("split", SPLITS)
def test_qwen_files_pass_qwen_rules(exports, profile, split) -> None:
    path = exports / profile / f"{split}.jsonl"
    assert path.stat().st_size > 0
    assert qwen.check_file(path, exports / "images") == []


def test_canonical_files_pass_qwen_rules(exports) -> None:
    for name in ["final_llava_dataset.jsonl", *(f"{s}.jsonl" for s in SPLITS),
                 "llava_instruct.jsonl", "llava_alignment.jsonl", "llava_interleaved.jsonl"]:
        assert qwen.check_file(exports / name, exports / "images") == [], name


def test_llamafactory_dataset_passes_llamafactory_rules(exports) -> None:
    assert llamafactory.check_dataset_dir(exports / "llamafactory", exports / "images") == []


def test_multi_image_records_reach_the_multi_image_profiles_only(exports) -> None:
    llava_ids = {r["id"] for s in SPLITS for r in json.loads((exports / "llava" / f"{s}.json").read_text())}
    multi = [json.loads(line) for line in (exports / "llava_interleaved.jsonl").read_text().splitlines()]
    assert multi and all(len(r["image"]) == 2 for r in multi)
    assert not llava_ids & {r["id"] for r in multi}
    qwen_multi = [json.loads(line) for s in ("train", "val") for line in
                  (exports / "qwen25vl" / f"{s}.jsonl").read_text().splitlines()]
    assert {r["id"] for r in multi} <= {r["id"] for r in qwen_multi}


@pytest.mark.parametrize("relative", [
    "final_llava_dataset.jsonl", "train.jsonl", "qwen2vl/train.jsonl", "qwen25vl/val.jsonl",
    "llamafactory/train.jsonl", "llava/train.json", "asset_manifest.jsonl",
])
def test_exports_load_with_hf_datasets_offline(exports, relative, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf"))
    import datasets

    path = exports / relative
    ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))
    expected = len(json.loads(path.read_text())) if path.suffix == ".json" else sum(
        1 for line in path.read_text().splitlines() if line.strip())
    assert ds.num_rows == expected
    if "conversations" in ds.column_names:
        assert ds[0]["conversations"][0]["from"] == "human"


# ---- each rule catches a deliberately broken record --------------------------------

def _broken_llava(record: dict) -> dict[str, dict]:
    cases = {}
    r = copy.deepcopy(record); r["image"] = [r["image"]]; cases["image list"] = r
    r = copy.deepcopy(record); r["conversations"][0]["value"] = r["conversations"][0]["value"].replace("<image>", ""); cases["dropped <image>"] = r
    r = copy.deepcopy(record); r["conversations"][1]["value"] += " <image>"; cases["<image> in answer"] = r
    r = copy.deepcopy(record); r["conversations"][0]["value"] = "<image>\n" + r["conversations"][0]["value"]; cases["two <image>"] = r
    r = copy.deepcopy(record); r["conversations"][0]["from"] = "user"; cases["role user"] = r
    r = copy.deepcopy(record); r["conversations"].reverse(); cases["gpt first"] = r
    r = copy.deepcopy(record); del r["conversations"]; cases["no conversations"] = r
    r = copy.deepcopy(record); r["image"] = "coco128/not-there.jpg"; cases["missing file"] = r
    r = copy.deepcopy(record); r["conversations"][1]["value"] = ""; cases["empty answer"] = r
    return cases


def test_llava_rules_catch_each_broken_record(exports) -> None:
    record = _first(exports / "llava" / "train.json")
    assert llava.check_record(record, exports / "images") == []
    for name, broken in _broken_llava(record).items():
        assert llava.check_record(broken, exports / "images"), f"not caught: {name}"


def test_qwen_rules_catch_each_broken_record(exports) -> None:
    record = _first(exports / "llava_interleaved.jsonl")
    assert qwen.check_record(record, exports / "images") == []
    cases = {}
    r = copy.deepcopy(record); r["image"] = r["image"][:1]; cases["unused placeholder"] = r
    r = copy.deepcopy(record); r["image"].append(r["image"][0]); cases["unused image"] = r
    r = copy.deepcopy(record); r["conversations"][1]["value"] += "<image>"; cases["placeholder in answer"] = r
    r = copy.deepcopy(record); r["image"] = 3; cases["image not a path"] = r
    r = copy.deepcopy(record); r["conversations"] = r["conversations"][:1]; cases["no answer"] = r
    for name, broken in cases.items():
        assert qwen.check_record(broken, exports / "images"), f"not caught: {name}"


def test_llamafactory_rules_catch_each_broken_record(exports, tmp_path) -> None:
    record = _first(exports / "llamafactory" / "train.jsonl")
    assert llamafactory.check_record(record, exports / "images") == []
    cases = {}
    r = copy.deepcopy(record); r["images"] = r["images"][0]; cases["images a string"] = r
    r = copy.deepcopy(record); r["images"] = []; cases["image count"] = r
    r = copy.deepcopy(record); r["conversations"].append({"from": "human", "value": "and?"}); cases["odd count"] = r
    r = copy.deepcopy(record); r["conversations"][1]["from"] = "assistant"; cases["wrong tag"] = r
    for name, broken in cases.items():
        assert llamafactory.check_record(broken, exports / "images"), f"not caught: {name}"
    # and a dataset_info.json that does not match the files
    bad = tmp_path / "lf"
    bad.mkdir()
    (bad / "dataset_info.json").write_text(json.dumps({"x": {"file_name": "nope.jsonl", "formatting": "sharegpt"}}))
    assert llamafactory.check_dataset_dir(bad)
