"""The Qwen3-VL, InternVL, ms-swift and LLaMA-Factory-ready Qwen2.5-VL profiles on a real
build of the real data: every record passes its trainer's rules, every exported box is
parsed back to pixels with formulas written out here (not the project's conversion code)
and lands on its COCO source box, and the files load with HF `datasets` offline; each new
rule is shown to catch a deliberately broken record."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from consumers import internvl, llamafactory, qwen3vl, swift
from consumers.registry import CONSUMERS
from lakehouse.taxonomy import export_profiles
from tests.expectations.corrupt import read_jsonl

SPLITS = ("train", "val", "smoke_test")
NEW = ("qwen3vl", "internvl", "swift", "llamafactory_qwen25vl")


def _iou(a: list[float], b: list[float]) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _qwen_resize(h: float, w: float, factor: int = 28, max_pixels: int = 16384 * 28 * 28) -> tuple[int, int]:
    """smart_resize written out again (Python round, halves to even)."""
    hb, wb = max(factor, round(h / factor) * factor), max(factor, round(w / factor) * factor)
    if hb * wb > max_pixels:
        beta = math.sqrt(h * w / max_pixels)
        hb, wb = math.floor(h / beta / factor) * factor, math.floor(w / beta / factor) * factor
    return hb, wb


def _llamafactory_resize(h: float, w: float) -> tuple[int, int]:
    if h * w > 768 * 768:
        f = math.sqrt(768 * 768 / (h * w))
        h, w = int(h * f), int(w * f)
    return _qwen_resize(h, w)


def test_every_new_profile_is_in_the_seed_and_has_a_consumer() -> None:
    names = [p.export_profile for p in export_profiles()]
    assert set(NEW) <= set(names)
    assert set(names) <= set(CONSUMERS)


@pytest.mark.parametrize("split", SPLITS)
def test_new_profile_files_pass_their_trainers_rules(exports, split) -> None:
    images = exports / "images"
    assert qwen3vl.check_file(exports / "qwen3vl" / f"{split}.jsonl", images) == []
    assert internvl.check_file(exports / "internvl" / f"{split}.jsonl", images) == []
    assert swift.check_file(exports / "swift" / f"{split}.jsonl", images) == []
    # a LLaMA-Factory dataset_dir: images found from the folder itself (default media_dir)
    assert llamafactory.check_dataset_dir(exports / "llamafactory_qwen25vl") == []


def _to_pixels(profile: str, box: list[float], w: float, h: float) -> list[float]:
    if profile in ("qwen3vl", "internvl"):
        return [box[0] / 1000 * w, box[1] / 1000 * h, box[2] / 1000 * w, box[3] / 1000 * h]
    if profile == "llamafactory_qwen25vl":
        rh, rw = _llamafactory_resize(h, w)
        return [box[0] / rw * w, box[1] / rh * h, box[2] / rw * w, box[3] / rh * h]
    return box  # swift: real pixels


@pytest.mark.parametrize("profile", NEW)
def test_every_box_parses_back_onto_its_source_box(exports, sources, profile) -> None:
    parse = CONSUMERS[profile].parse_boxes
    seen: set[str] = set()
    for split in SPLITS:
        for record in read_jsonl(exports / profile / f"{split}.jsonl"):
            if record["id"] not in sources:
                continue
            x, y, bw, bh, w, h = sources[record["id"]]
            boxes = parse(record)
            assert len(boxes) == 1, (profile, record["id"], boxes)
            px = _to_pixels(profile, boxes[0], w, h)
            source = [x, y, x + bw, y + bh]
            assert _iou(px, source) >= 0.9, (profile, record["id"], px, source)
            # each edge within half a unit of the profile's frame
            unit_x = {"qwen3vl": w / 1000, "internvl": w / 1000, "swift": 0.01}.get(
                profile, w / _llamafactory_resize(h, w)[1])
            unit_y = {"qwen3vl": h / 1000, "internvl": h / 1000, "swift": 0.01}.get(
                profile, h / _llamafactory_resize(h, w)[0])
            tolerance = [unit_x, unit_y, unit_x, unit_y]
            clamped = [min(max(v, 0), s) for v, s in zip(source, (w, h, w, h), strict=True)]
            for got, want, unit in zip(px, clamped, tolerance, strict=True):
                assert abs(got - want) <= unit / 2 + unit + 1e-6, (profile, record["id"], px, clamped)
            seen.add(record["id"])
    assert seen == set(sources), f"{profile}: {len(seen)} boxes for {len(sources)} grounding samples"


def test_qwen3vl_answers_are_json_box_lists(exports) -> None:
    for record in read_jsonl(exports / "qwen3vl" / "train.jsonl"):
        answer = record["conversations"][-1]["value"]
        if '"bbox_2d"' in answer:
            start, end = answer.index("[{"), answer.rindex("}]") + 2
            objects = json.loads(answer[start:end])
            assert isinstance(objects, list) and set(objects[0]) == {"bbox_2d", "label"}
            assert all(isinstance(v, int) and 0 <= v <= 1000 for v in objects[0]["bbox_2d"])


def test_internvl_records_carry_the_true_image_size(exports) -> None:
    from PIL import Image

    for record in read_jsonl(exports / "internvl" / "val.jsonl"):
        with Image.open(exports / "images" / record["image"]) as im:
            assert im.size == (record["width"], record["height"])


def test_swift_placeholders_fill_in_the_objects_order(exports) -> None:
    grounding = [r for r in read_jsonl(exports / "swift" / "train.jsonl") if r.get("objects")]
    assert grounding
    for record in grounding:
        rendered = swift.render(record)
        label, box = record["objects"]["ref"][0], record["objects"]["bbox"][0]
        assert "<ref-object>" not in rendered[-1] and "<bbox>" not in rendered[-1]
        assert label + "[" + ", ".join(f"{v:g}" for v in box) + "]" in rendered[-1]
    # two objects on one answer: the i-th placeholder pair takes the i-th object
    a, b = grounding[0], grounding[1]
    two = copy.deepcopy(a)
    two["messages"][-1]["content"] = "<ref-object><bbox> and <ref-object><bbox>"
    two["objects"] = {key: a["objects"][key] + b["objects"][key] for key in ("ref", "bbox", "image_id")}
    two["objects"]["bbox_type"] = "real"
    assert swift.check_record(two) == []
    first, second = swift.render(two)[-1].split(" and ")
    assert first.startswith(a["objects"]["ref"][0]) and second.startswith(b["objects"]["ref"][0])
    swapped = copy.deepcopy(two)
    swapped["objects"]["ref"].reverse()
    assert swift.render(swapped)[-1].split(" and ")[0].startswith(b["objects"]["ref"][0])
    # placeholders that do not pair with the objects are caught
    broken = copy.deepcopy(two)
    broken["messages"][-1]["content"] = "<ref-object><ref-object> at <bbox><bbox>"
    assert swift.check_record(broken)


@pytest.mark.parametrize("relative", [f"{p}/{s}.jsonl" for p in NEW for s in ("train", "val")])
def test_new_profiles_load_with_hf_datasets_offline(exports, relative, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import datasets

    path = exports / relative
    ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == len(read_jsonl(path))
    if "messages" in ds.column_names:
        assert ds[0]["messages"][0]["role"] == "user"
        with_objects = [o for o in ds["objects"] if o]
        assert with_objects and with_objects[0]["bbox_type"] == "real"
    else:
        assert ds[0]["conversations"][0]["from"] == "human"


# ---- each new rule catches a deliberately broken record ----------------------------

def _first_grounding(path: Path, key: str) -> dict:
    return next(r for r in read_jsonl(path) if key in json.dumps(r, ensure_ascii=False))


def test_qwen3vl_rules_catch_brokenread_jsonl(exports) -> None:
    record = _first_grounding(exports / "qwen3vl" / "train.jsonl", "bbox_2d")
    assert qwen3vl.check_record(record) == []
    cases = {}
    r = copy.deepcopy(record); r["conversations"][-1]["value"] = r["conversations"][-1]["value"].replace("[{", "[{\"x\":1,", 1).replace("\"bbox_2d\":[", "\"bbox_2d\":[1001,", 1); cases["value above 1000"] = r
    r = copy.deepcopy(record); r["conversations"][-1]["value"] = '[{"bbox_2d": [1.5, 2, 3, 4], "label": "x"}]'; cases["not integers"] = r
    r = copy.deepcopy(record); r["conversations"][-1]["value"] = '[{"bbox_2d": [5, 2, 3, 4], "label": "x"}]'; cases["inverted"] = r
    r = copy.deepcopy(record); r["conversations"][-1]["value"] = '[{"bbox_2d": [1, 2, 3, 4]}]'; cases["no label"] = r
    for name, broken in cases.items():
        assert qwen3vl.check_record(broken), f"not caught: {name}"


def test_internvl_rules_catch_brokenread_jsonl(exports) -> None:
    images = exports / "images"
    record = _first_grounding(exports / "internvl" / "train.jsonl", "<box>")
    assert internvl.check_record(record, images) == []
    cases = {}
    r = copy.deepcopy(record); del r["width"]; cases["no width"] = r
    r = copy.deepcopy(record); r["width"] += 1; cases["wrong width"] = r
    r = copy.deepcopy(record); r["conversations"][-1]["value"] = r["conversations"][-1]["value"].replace("<ref>", "").replace("</ref>", ""); cases["box without ref"] = r
    r = copy.deepcopy(record); r["conversations"][-1]["value"] = "<ref>x</ref><box>[[0.1, 0.2, 0.3, 0.4]]</box>"; cases["0..1 box"] = r
    r = copy.deepcopy(record); r["image"] = [r["image"]]; cases["list without size lists"] = r
    for name, broken in cases.items():
        assert internvl.check_record(broken, images), f"not caught: {name}"


def test_swift_rules_catch_brokenread_jsonl(exports) -> None:
    images = exports / "images"
    record = _first_grounding(exports / "swift" / "train.jsonl", "<bbox>")
    assert swift.check_record(record, images) == []
    cases = {}
    r = copy.deepcopy(record); r["messages"][0]["role"] = "human"; cases["role human"] = r
    r = copy.deepcopy(record); r["objects"]["bbox_type"] = "norm1000"; cases["bbox_type"] = r
    r = copy.deepcopy(record); r["objects"]["ref"].append("cat"); cases["ref count"] = r
    r = copy.deepcopy(record); r["objects"]["image_id"] = [3]; cases["image_id range"] = r
    r = copy.deepcopy(record); r["objects"] = None; cases["placeholders without objects"] = r
    r = copy.deepcopy(record); r["images"] = r["images"][0]; cases["images a string"] = r
    r = copy.deepcopy(record); b = r["objects"]["bbox"][0]; b[0], b[2] = b[2], b[0]; cases["inverted box"] = r
    for name, broken in cases.items():
        assert swift.check_record(broken, images), f"not caught: {name}"
