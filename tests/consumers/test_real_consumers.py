"""The trainers' own code, run offline over the real exports: LLaMA-Factory's dataset
converter (the ``llamafactory`` wheel, default ``media_dir``) and qwen-vl-utils'
``smart_resize`` (the sizes Qwen2.5-VL / Qwen3-VL boxes depend on). Both wheels are
installed with --no-deps by ``make setup`` (requirements-consumers.txt)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consumers.registry import CONSUMERS
from python_udfs.boxes import smart_resize as our_smart_resize
from tests.consumers.qwen_vl_utils_shim import smart_resize as real_smart_resize
from tests.expectations.corrupt import read_jsonl

SPLITS = ("train", "val", "smoke_test")


@pytest.fixture()
def run_llamafactory(monkeypatch):
    """LLaMA-Factory's own loading code over a dataset_dir, offline (in this process)."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from tests.consumers import run_llamafactory as runner

    def run(dataset_dir: Path) -> dict[str, dict[str, int]]:
        info = json.loads((dataset_dir / "dataset_info.json").read_text(encoding="utf-8"))
        return runner.main(str(dataset_dir), list(info))

    return run


@pytest.mark.parametrize("profile", ["llamafactory", "llamafactory_qwen25vl"])
def test_llamafactory_converter_keeps_every_record_and_finds_every_image(exports, profile,
                                                                        run_llamafactory) -> None:
    dataset_dir = exports / profile
    result = run_llamafactory(dataset_dir)
    assert set(result) == {f"{s}.jsonl" for s in SPLITS}
    for name, counts in result.items():
        records = read_jsonl(dataset_dir / name)
        assert counts["records"] == len(records) > 0, name
        assert counts["dropped"] == 0, name
        assert counts["images"] == sum(len(r["images"]) for r in records), name
        assert counts["missing_images"] == 0, name
        assert counts["outside_media_dir"] == 0, name


def test_without_the_image_links_llamafactory_misses_every_image(exports, tmp_path,
                                                                 run_llamafactory) -> None:
    """The old layout (files only, images one folder up): the converter keeps the records
    but every image path stays unresolved, which is what the links fix."""
    bare = tmp_path / "llamafactory"
    bare.mkdir()
    for f in (exports / "llamafactory").iterdir():
        if f.is_file() and not f.is_symlink():
            shutil.copy2(f, bare / f.name)
    result = run_llamafactory(bare)
    total = sum(c["images"] for c in result.values())
    written = sum(len(r["images"]) for split in SPLITS
                  for r in read_jsonl(exports / "llamafactory" / f"{split}.jsonl"))
    assert total == written > 0
    assert sum(c["missing_images"] for c in result.values()) == total


@settings(max_examples=300)
@given(st.integers(28, 8000), st.integers(28, 8000), st.sampled_from([28, 32]))
def test_our_smart_resize_is_qwen_vl_utils_smart_resize(height: int, width: int, factor: int) -> None:
    real = real_smart_resize()
    if max(height, width) / min(height, width) > 200:
        return
    # the same floor on both sides: qwen-vl-utils' default at factor 32 (IMAGE_MIN_TOKEN_NUM
    # = 4 tokens of 32 x 32), and the 56 * 56 the Qwen2.5-VL profile uses at factor 28
    min_pixels = 4 * factor * factor if factor == 32 else 3136
    for max_pixels in (1003520, 16384 * factor * factor):
        assert our_smart_resize(height, width, factor=factor, min_pixels=min_pixels,
                                max_pixels=max_pixels) == real(
            height, width, factor, min_pixels=min_pixels, max_pixels=max_pixels)


def _half_up(v: float) -> int:
    return math.floor(v + 0.5)


def _expected_box(source: tuple[float, ...], size: tuple[int, int]) -> list[int]:
    x, y, w, h, width, height = source
    rh, rw = size
    return [min(max(_half_up(x / width * rw), 0), rw - 1), min(max(_half_up(y / height * rh), 0), rh - 1),
            min(max(_half_up((x + w) / width * rw), 0), rw - 1),
            min(max(_half_up((y + h) / height * rh), 0), rh - 1)]


def _llamafactory_preresize(height: float, width: float) -> tuple[int, int]:
    """LLaMA-Factory's _preprocess_image at its defaults (image_max_pixels 768*768)."""
    if width * height > 768 * 768:
        f = math.sqrt(768 * 768 / (width * height))
        width, height = int(width * f), int(height * f)
    return int(height), int(width)


def test_qwen25vl_boxes_sit_on_qwen_vl_utils_smart_resize(exports, sources) -> None:
    real = real_smart_resize()
    checked = 0
    for split in SPLITS:
        for record in read_jsonl(exports / "qwen25vl" / f"{split}.jsonl"):
            if record["id"] not in sources:
                continue
            width, height = sources[record["id"]][4:]
            size = real(int(height), int(width), 28, min_pixels=3136, max_pixels=1003520)
            # on these images the library's own default max_pixels gives the same size
            assert size == real(int(height), int(width), 28)
            (box,) = CONSUMERS["qwen25vl"].parse_boxes(record)
            assert box == _expected_box(sources[record["id"]], size), record["id"]
            checked += 1
    assert checked >= len(sources)


def test_llamafactory_qwen25vl_boxes_sit_on_llamafactorys_resize(exports, sources) -> None:
    real = real_smart_resize()
    for split in SPLITS:
        for record in read_jsonl(exports / "llamafactory_qwen25vl" / f"{split}.jsonl"):
            if record["id"] not in sources:
                continue
            width, height = sources[record["id"]][4:]
            pre_h, pre_w = _llamafactory_preresize(height, width)
            size = real(pre_h, pre_w, 28, min_pixels=3136, max_pixels=16384 * 28 * 28)
            (box,) = CONSUMERS["llamafactory_qwen25vl"].parse_boxes(record)
            assert box == _expected_box(sources[record["id"]], size), record["id"]


def test_qwen3vl_relative_boxes_survive_the_32_pixel_resize(exports, sources) -> None:
    real = real_smart_resize()
    for record in read_jsonl(exports / "qwen3vl" / "train.jsonl"):
        if record["id"] not in sources:
            continue
        x, y, w, h, width, height = sources[record["id"]]
        rh, rw = real(int(height), int(width), 32)
        assert rh % 32 == 0 and rw % 32 == 0
        (box,) = CONSUMERS["qwen3vl"].parse_boxes(record)
        on_resized = [box[0] / 1000 * rw, box[1] / 1000 * rh, box[2] / 1000 * rw, box[3] / 1000 * rh]
        back = [on_resized[0] / rw * width, on_resized[1] / rh * height,
                on_resized[2] / rw * width, on_resized[3] / rh * height]
        iw = max(0.0, min(back[2], x + w) - max(back[0], x))
        ih = max(0.0, min(back[3], y + h) - max(back[1], y))
        union = (back[2] - back[0]) * (back[3] - back[1]) + w * h - iw * ih
        assert iw * ih / union >= 0.9, record["id"]
