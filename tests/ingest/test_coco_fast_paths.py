"""The fast COCO reader gives exactly what the section-by-section readers give.

``read_coco_json`` (head scan, compacted single pass, batch columns) against
``read_licenses`` / ``read_categories`` / ``read_images`` / ``read_annotations`` (one
exact pass per section), on layouts, bad records, bad numbers and bad JSON; and the
pieces it is built from against their plain counterparts.
"""

from __future__ import annotations

import io
import json
import math
import random
from pathlib import Path

import ijson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import coco
from ingest.json_stream import (
    BackgroundCompactingReader,
    NonFiniteTolerantReader,
    SegmentationCompactingReader,
    compact_segmentations,
    compact_segmentations_re2,
    may_show_compacted,
)


def _exact(path: Path):
    """The reference: one exact pass per section, as before the fast paths."""
    try:
        coco._check_top_level(path)
        frames, rejects = [], []
        for read in (
            coco.read_licenses,
            coco.read_categories,
            coco.read_images,
            coco.read_annotations,
        ):
            frame, r = read(path)
            frames.append(frame)
            rejects += r
    except Exception as exc:  # noqa: BLE001 - the error itself is what is compared
        return type(exc).__name__, str(exc)
    return _summary(frames, rejects)


def _fast(path: Path):
    try:
        c = coco.read_coco_json(path)
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__, str(exc)
    return _summary([c.licenses, c.categories, c.images, c.annotations], c.rejects)


def _summary(frames, rejects):
    return (
        [repr(f.to_dicts()) + repr(f.schema) for f in frames],
        [(r.landing_table, r.item, str(r.reason), r.message) for r in rejects],
    )


def _same(tmp_path: Path, text: str | bytes) -> None:
    path = tmp_path / "instances.json"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    assert _fast(path) == _exact(path)


def _doc(n_images: int = 6, per_image: int = 3, seed: int = 0) -> dict:
    rng = random.Random(seed)
    images = [
        {
            "license": rng.randint(1, 3),
            "file_name": f"{i:012d}.jpg",
            "height": 480,
            "width": 640,
            "date_captured": "2013-11-14 11:18:45",
            "id": i,
        }
        for i in range(1, n_images + 1)
    ]
    annotations = []
    for image in images:
        for _ in range(per_image):
            x, y = rng.uniform(0, 300), rng.uniform(0, 200)
            w, h = rng.uniform(1, 300), rng.uniform(1, 200)
            polygon = [
                round(v, 2)
                for _ in range(rng.randint(3, 12))
                for v in (x + rng.uniform(0, w), y + rng.uniform(0, h))
            ]
            annotations.append(
                {
                    "segmentation": [polygon],
                    "area": w * h * 0.6,
                    "iscrowd": 0,
                    "image_id": image["id"],
                    "bbox": [round(x, 2), round(y, 2), round(w, 2), round(h, 2)],
                    "category_id": rng.choice([1, 2, 3]),
                    "id": len(annotations) + 1,
                }
            )
    annotations[0]["iscrowd"] = 1
    annotations[0]["segmentation"] = {"counts": [10, 20, 30], "size": [480, 640]}
    return {
        "info": {"description": "test"},
        "licenses": [{"url": f"http://l/{i}", "id": i, "name": f"license {i}"} for i in (1, 2, 3)],
        "categories": [
            {"supercategory": "s", "id": i, "name": n}
            for i, n in ((1, "person"), (2, "car"), (3, "dog"))
        ],
        "images": images,
        "annotations": annotations,
    }


def _text(doc: dict, order: list[str], style: str = "default") -> str:
    doc = {k: doc[k] for k in order}
    if style == "compact":
        return json.dumps(doc, separators=(",", ":"))
    if style == "indent":
        return json.dumps(doc, indent=2)
    return json.dumps(doc)


COCO128_ORDER = ["info", "licenses", "categories", "images", "annotations"]
COCO2017_ORDER = ["info", "licenses", "images", "annotations", "categories"]


@pytest.mark.parametrize("style", ["default", "compact", "indent"])
@pytest.mark.parametrize(
    "order",
    [
        COCO128_ORDER,
        COCO2017_ORDER,
        ["annotations", "images", "categories"],
        ["images", "annotations"],
        ["categories", "images"],
    ],
)
def test_layouts(tmp_path: Path, order: list[str], style: str) -> None:
    _same(tmp_path, _text(_doc(), order, style))


def test_a_real_coco_file(tmp_path: Path, shared_datasets) -> None:
    from tests.conftest import COCO128_ANNOTATIONS

    _same(tmp_path, COCO128_ANNOTATIONS.read_bytes())


def _parts(doc: dict) -> dict[str, str]:
    return {k: json.dumps(v) for k, v in doc.items()}


def test_keys_that_repeat_or_hide(tmp_path: Path) -> None:
    p = _parts(_doc())
    extra = '[{"id": 77, "file_name": "z.jpg", "width": 5, "height": 5}]'
    cases = [
        # a section repeated after the annotations (ijson yields both)
        f'{{"images": {p["images"]}, "annotations": {p["annotations"]}, "images": {extra}, "categories": {p["categories"]}}}',
        # a section name written with an escape, after the annotations
        f'{{"categories": {p["categories"]}, "annotations": {p["annotations"]}, "im\\u0061ges": {p["images"]}}}',
        # ijson's dotted prefixes: both of these feed "images.item"
        f'{{"images.item": {{"id": 78}}, "images": {p["images"]}, "annotations": {p["annotations"]}}}',
        f'{{"images": {{"item": {{"id": 79}}}}, "annotations": {p["annotations"]}, "categories": {p["categories"]}}}',
        # the name as a string value, and a look-alike key
        f'{{"info": "images", "imagesX": 1, "images": {p["images"]}, "annotations": {p["annotations"]}}}',
        # annotations empty, not an array, twice
        f'{{"images": {p["images"]}, "annotations": [], "licenses": {p["licenses"]}}}',
        f'{{"images": {p["images"]}, "annotations": {{"a": 1}}, "licenses": {p["licenses"]}}}',
        f'{{"images": {p["images"]}, "annotations": {p["annotations"]}, "annotations": {p["annotations"]}}}',
        "{}",
        # a single "categories after the annotations that is not the top-level key
        f'{{"images": {p["images"]}, "annotations": [{{"id": 1, "categories": [{{"id": 2, "name": "n"}}]}}]}}',
        f'{{"images": {p["images"]}, "annotations": {p["annotations"]}, "note": "categories"}}',
        f'{{"images": {p["images"]}, "annotations": {p["annotations"]}, "x\\"categories": [{{"id": 2, "name": "n"}}]}}',
        f'{{"images": {p["images"]}, "annotations": {p["annotations"]}, "x": {{"categories": [{{"id": 2}}]}}}}',
        # ... and ones that are, with odd values
        f'{{"images": {p["images"]}, "annotations": {p["annotations"]}, "categories": [{{"id": NaN, "name": "n"}}, 5]}}',
        f'{{"images": {p["images"]}, "annotations": {p["annotations"]}, "categories": {{"item": {{"id": 9, "name": "x"}}}}}}',
        f'{{"annotations": {p["annotations"]}, "categories": {p["categories"]}, "images": {p["images"]}}}  ',
    ]
    for text in cases:
        _same(tmp_path, text)


ANNOTATION_CHANGES = [
    {"bbox": [math.nan, 1, 2, 3]},
    {"bbox": [1, 2, math.inf, 3]},
    {"bbox": [1, 2, 3]},
    {"bbox": [True, 2, 3, 4]},
    {"bbox": ["1", 2, 3, 4]},
    {"bbox": [10**20, 1, 2, 3]},
    {"id": "7"},
    {"id": 7.0},
    {"id": 7.5},
    {"id": 10**19},
    {"image_id": 10**30},
    {"image_id": None},
    {"iscrowd": True},
    {"iscrowd": "0"},
    {"iscrowd": "false"},
    {"iscrowd": None},
    {"area": None},
    {"area": "12"},
    {"segmentation": []},
    {"segmentation": [[]]},
    {"segmentation": [[1, 2, 3, 4], [5, 6, 7, 8]]},
    {"segmentation": [[1, math.nan]]},
    {"category_id": 999},
    {"extra": {"segmentation": [[1, 2]]}},
]


@pytest.mark.parametrize("change", ANNOTATION_CHANGES, ids=repr)
def test_bad_records(tmp_path: Path, change: dict) -> None:
    doc = _doc()
    doc["annotations"][2].update(change)
    # a malformed record's message shows its repr, polygons first: never the placeholder
    doc["annotations"][3]["image_id"] = "not an id"
    doc["images"].append({"segmentation": [[1, 2]], "id": "q"})
    _same(tmp_path, json.dumps(doc))


@pytest.mark.parametrize(
    "number",
    [
        "01",
        "1.",
        ".5",
        "-",
        "1.2.3",
        "--1",
        "1e5",
        "1E-3",
        "+1",
        "1 2",
        "",
        "1,,2",
        "[1]",
        "9" * 19,
        "9" * 18,
        "-0",
        "0.0000000000000000000001",
        "1" * 400 + ".5",
        "1e999",
        "NaN",
        "-Infinity",
        "true",
        '"a"',
    ],
)
@pytest.mark.parametrize("malformed", [False, True])
def test_numbers_in_polygons(tmp_path: Path, number: str, malformed: bool) -> None:
    """Only valid, overflow-free numbers are compacted: every other polygon reaches the
    parser as written, so what is and is not JSON does not change."""
    doc = _doc(n_images=2, per_image=1)
    text = json.dumps(doc).replace(
        '"annotations": [{"segmentation": ',
        f'"annotations": [{{"segmentation": [[1, {number}, 3]], "x": ',
        1,
    )
    if malformed:
        text = text.replace('"iscrowd": 0, "image_id": 2', '"iscrowd": 0, "image_id": "two"', 1)
    _same(tmp_path, text)


@pytest.mark.parametrize("cut", [1, 40, 300, -300, -40, -1])
def test_truncated_and_trailing_text(tmp_path: Path, cut: int) -> None:
    text = _text(_doc(), COCO2017_ORDER)
    _same(tmp_path, text[:cut])
    _same(tmp_path, text + " x")


def test_big_file_over_many_chunks(tmp_path: Path) -> None:
    doc = _doc(n_images=1500, per_image=8, seed=3)  # ~4 MB: several reader chunks
    doc["annotations"][5000]["bbox"] = [1, 2, 3]
    doc["annotations"][9000]["id"] = "x"
    _same(tmp_path, _text(doc, COCO2017_ORDER))


# --- the pieces ----------------------------------------------------------------------------

_number = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(
        lambda v: json.dumps(round(v, 3))
    ),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["01", "1.", ".5", "-", "1e5", "-0", "0.5", "NaN", "", " 1", "1 "]),
)
_polygon = st.lists(_number, max_size=6).map(lambda xs: "[" + st_join(xs) + "]")


def st_join(xs: list[str]) -> str:
    return ", ".join(xs)


_value = st.one_of(
    st.lists(_polygon, max_size=3).map(lambda ps: "[" + ", ".join(ps) + "]"),
    st.sampled_from(
        ['{"counts": [1, 2], "size": [3, 4]}', "[]", "1", '"x"', "[[1, 2]", "[[1, 2]]]"]
    ),
)


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(['"segmentation": ', '"segmentation":', '"segmentation" : ', '"x": ']),
            _value,
        ),
        min_size=1,
        max_size=5,
    )
)
def test_re2_and_python_regexes_compact_the_same(items: list[tuple[str, str]]) -> None:
    data = ("{" + ", ".join(k + v for k, v in items) + "}").encode()
    assert compact_segmentations_re2(data) == compact_segmentations(data)


class _Trickle:
    def __init__(self, data: bytes, n: int) -> None:
        self._buf, self._n = io.BytesIO(data), n

    def read(self, size: int = -1) -> bytes:
        return self._buf.read(self._n if size < 0 else min(size, self._n))


@pytest.mark.parametrize("chunk", [7, 100, 4096])
def test_compacting_readers_parse_the_same_at_any_chunk_size(chunk: int) -> None:
    doc = _doc(n_images=20, per_image=4, seed=chunk)
    data = json.dumps(doc).encode()

    def items(reader) -> list:
        return list(
            ijson.items(NonFiniteTolerantReader(reader), "annotations.item", use_float=True)
        )

    want = [dict(a, segmentation=bool(a["segmentation"])) for a in items(io.BytesIO(data))]
    for reader in (
        SegmentationCompactingReader(_Trickle(data, chunk), chunk),
        BackgroundCompactingReader(_Trickle(data, chunk), chunk),
    ):
        got = [dict(a, segmentation=bool(a["segmentation"])) for a in items(reader)]
        assert got == want
        assert any(
            a["segmentation"] == "[[...]]"
            for a in items(SegmentationCompactingReader(io.BytesIO(data), chunk))
        )


def test_background_reader_stops_and_reports_errors() -> None:
    class Failing:
        def read(self, size: int = -1) -> bytes:
            raise OSError("disk gone")

    with BackgroundCompactingReader(Failing()) as reader, pytest.raises(OSError, match="disk gone"):
        reader.read()
    reader = BackgroundCompactingReader(io.BytesIO(b"x" * 50_000_000), chunk_bytes=1000, depth=2)
    assert reader.read()
    reader.close()  # the worker is blocked on a full queue: close still returns


def test_may_show_compacted() -> None:
    assert may_show_compacted("got {'segmentation': '[[...]]', 'id': 1}")
    assert may_show_compacted("got {'segmentation': '[[.")  # cut inside the placeholder
    assert not may_show_compacted("got {'segmentation': [[1.5, 2")


_record_value = st.one_of(
    st.integers(-5, 5),
    st.integers(2**62, 2**64),
    st.floats(),
    st.booleans(),
    st.none(),
    st.text(max_size=2),
    st.lists(st.integers(0, 3), max_size=5),
)


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {
                    "id": st.integers(1, 50),
                    "image_id": st.integers(1, 5),
                    "category_id": st.integers(1, 3),
                    "bbox": st.lists(
                        st.one_of(st.integers(0, 9), st.floats(0, 9)), min_size=4, max_size=4
                    ),
                    "area": st.one_of(st.floats(0, 9), st.integers(0, 9)),
                    "iscrowd": st.integers(0, 1),
                    "segmentation": st.sampled_from(["[[...]]", [], [[1, 2]]]),
                }
            ),
            st.dictionaries(
                st.sampled_from(
                    ["id", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation"]
                ),
                _record_value,
            ),
        ),
        max_size=8,
    )
)
def test_batch_columns_equal_record_by_record(records: list) -> None:
    fast, slow = coco.AnnotationColumns(), coco.AnnotationColumns()
    frame = fast._columns(records)
    if frame is None:
        return
    assert repr(frame.to_dicts()) == repr(slow._record_by_record(records).to_dicts())
    assert slow._rejects == []
