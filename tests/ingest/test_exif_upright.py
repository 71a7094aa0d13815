"""EXIF-oriented photos ship as an upright derived copy, their boxes in its frame.

The box turn is checked against pixels (a box drawn into an image, turned by Pillow's own
``exif_transpose``), for all eight orientations, plus a round-trip property. The landing
is checked on real COCO128 photos stored sideways (orientations 3, 6 and 8, written with
Pillow) with boxes given in the stored (raw) and in the displayed frame, in a scratch
warehouse; the takedown cascade through lineage runs the real dbt models on it.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from ingest.coco import land_coco
from ingest.exif_upright import displayed_to_raw, raw_to_displayed, upright_source
from lakehouse.dbt import run_dbt
from lakehouse.settings import Warehouse
from releases.takedown import land_takedown
from render.inputs import load_general_images
from tests.conftest import COCO128_ANNOTATIONS, COCO128_IMAGES
from tests.ingest.landing_cases import cli

ORIENTATION = 0x0112


def _tagged(img: Image.Image, orientation: int) -> Image.Image:
    img.getexif()[ORIENTATION] = orientation
    return img


def _mask_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_box_turn_matches_pillows_exif_transpose(orientation: int) -> None:
    width, height = 40, 30
    for x, y, w, h in [(5, 3, 7, 11), (0, 0, 40, 1), (39, 29, 1, 1), (10, 0, 3, 30)]:
        pixels = np.zeros((height, width), np.uint8)
        pixels[y:y + h, x:x + w] = 255
        shown = np.array(ImageOps.exif_transpose(_tagged(Image.fromarray(pixels), orientation)))
        got = raw_to_displayed([x], [y], [w], [h], [width], [height], [orientation])
        assert tuple(int(v[0]) for v in got) == _mask_box(shown)
        back = displayed_to_raw(*got, [width], [height], [orientation])
        assert tuple(int(v[0]) for v in back) == (x, y, w, h)


@settings(max_examples=300)
@given(st.data())
def test_turning_boxes_there_and_back_gives_them_back(data: st.DataObject) -> None:
    width = data.draw(st.integers(1, 5000))
    height = data.draw(st.integers(1, 5000))
    x = data.draw(st.floats(0, width - 0.5))
    y = data.draw(st.floats(0, height - 0.5))
    w = data.draw(st.floats(0.5, width - x)) if width - x >= 0.5 else width - x
    h = data.draw(st.floats(0.5, height - y)) if height - y >= 0.5 else height - y
    orientation = data.draw(st.integers(1, 8))
    shown = raw_to_displayed([x], [y], [w], [h], [width], [height], [orientation])
    back = displayed_to_raw(*shown, [width], [height], [orientation])
    assert np.allclose([v[0] for v in back], [x, y, w, h], rtol=0, atol=1e-6 * max(width, height))
    # the turned box stays inside the displayed image
    dw, dh = (height, width) if orientation >= 5 else (width, height)
    sx, sy, sw, sh = (float(v[0]) for v in shown)
    assert -1e-6 <= sx and sx + sw <= dw + 1e-6 and -1e-6 <= sy and sy + sh <= dh + 1e-6


# --- landing real photos ---------------------------------------------------------------

# (file, orientation, frame the JSON gives its size and boxes in)
CASES = [("000000000009.jpg", 6, "raw"), ("000000000025.jpg", 8, "displayed"),
         ("000000000030.jpg", 3, "raw")]
# Pillow's turn that stores an upright photo so that EXIF orientation o displays it upright
STORE = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def _stored_box(box: tuple[int, int, int, int], size: tuple[int, int], orientation: int) -> tuple[int, ...]:
    """Where ``box`` of the upright photo lies in the stored pixels: drawn as a mask and
    turned by the same Pillow operation that stored the photo."""
    mask = np.zeros((size[1], size[0]), np.uint8)
    x, y, w, h = box
    mask[y:y + h, x:x + w] = 255
    return _mask_box(np.array(Image.fromarray(mask).transpose(STORE[orientation])))


@pytest.fixture(scope="module")
def exif_input(tmp_path_factory: pytest.TempPathFactory, shared_datasets) -> dict:
    """Three COCO128 photos stored sideways with an EXIF orientation, and a COCO file
    whose boxes (whole-pixel versions of the real ones) are given in the frame of CASES."""
    folder = tmp_path_factory.mktemp("exif")
    images = folder / "images"
    images.mkdir()
    doc = json.loads(COCO128_ANNOTATIONS.read_text())
    by_name = {i["file_name"]: i for i in doc["images"]}
    out_images, out_anns, expected = [], [], {}
    for name, orientation, frame in CASES:
        record = by_name[name]
        upright = Image.open(COCO128_IMAGES / name).convert("RGB")
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        upright.transpose(STORE[orientation]).save(images / name, quality=95, exif=exif)
        size = upright.size
        stored_size = size if orientation == 3 else size[::-1]
        json_size = stored_size if frame == "raw" else size
        out_images.append({**record, "width": json_size[0], "height": json_size[1]})
        for a in doc["annotations"]:
            if a["image_id"] != record["id"]:
                continue
            x, y = int(a["bbox"][0]), int(a["bbox"][1])
            w = max(1, min(int(round(a["bbox"][2])), size[0] - x))
            h = max(1, min(int(round(a["bbox"][3])), size[1] - y))
            box = (x, y, w, h)
            given_box = _stored_box(box, size, orientation) if frame == "raw" else box
            out_anns.append({**a, "bbox": list(given_box), "segmentation": []})
            expected[a["id"]] = box
    doc["images"], doc["annotations"] = out_images, out_anns
    path = folder / "instances.json"
    path.write_text(json.dumps(doc))
    return {"images": images, "annotations": path, "expected": expected,
            "ids": {name: by_name[name]["id"] for name, _, _ in CASES}}


def _boxes(wh: Warehouse, source: str) -> dict[int, tuple[float, ...]]:
    rows = pq.read_table(wh.landing / "coco_annotations" / f"{source}.parquet").to_pylist()
    return {r["annotation_id"]: (r["bbox_x"], r["bbox_y"], r["bbox_w"], r["bbox_h"]) for r in rows}


def test_photos_land_upright_with_their_boxes_in_the_upright_frame(exif_input, wh) -> None:
    report = land_coco(wh, exif_input["images"], exif_input["annotations"], "ex", exif_frame="raw")
    assert report.rejects == []
    images = {r["file_name"]: r for r in
              pq.read_table(wh.landing / "coco_images" / "ex.parquet").to_pylist()}
    originals = {r["relative_path"]: r for r in
                 pq.read_table(wh.landing / "assets" / "ex.parquet").to_pylist()}
    copies = {r["asset_id"]: r for r in
              pq.read_table(wh.landing / "assets" / f"{upright_source('ex')}.parquet").to_pylist()}
    lineage = {r["asset_id"]: r for r in
               pq.read_table(wh.landing / "asset_lineage" / f"{upright_source('ex')}.parquet").to_pylist()}
    assert len(copies) == len(lineage) == 3
    for name, orientation, _ in CASES:
        record, original = images[name], originals[name]
        # the record ships the copy, at the displayed size, upright; the original stays landed
        assert record["asset_id"] in copies and record["asset_id"] != original["asset_id"]
        assert record["has_exif_orientation"] is False
        assert lineage[record["asset_id"]]["parent_asset_id"] == original["asset_id"]
        assert lineage[record["asset_id"]]["render_key"]
        copy = copies[record["asset_id"]]
        assert copy["license_url"] == original["license_url"] and copy["exif_orientation"] is None
        with Image.open(wh.derived / copy["relative_path"]) as shown:
            assert shown.format == "PNG" and ORIENTATION not in shown.getexif()
            assert shown.size == (record["width_px"], record["height_px"])
            # exactly the pixels a viewer shows of the stored file ...
            with Image.open(exif_input["images"] / name) as stored:
                assert np.array_equal(np.array(shown), np.array(ImageOps.exif_transpose(stored)))
            # ... which is the real photo the right way up (a JPEG re-encode apart)
            with Image.open(COCO128_IMAGES / name) as photo:
                diff = np.abs(np.asarray(shown, np.int16) - np.asarray(photo.convert("RGB"), np.int16))
                assert diff.mean() < 4
    # every box, given raw or displayed, lands once, in the upright frame
    assert _boxes(wh, "ex") == exif_input["expected"]
    # the renders' balanced pool draws from the upright copies, with the same boxes
    general = load_general_images(wh, "ex")
    assert {g.asset_id for g in general} == set(copies)
    assert {o.annotation_id: (o.x, o.y, o.w, o.h) for g in general for o in g.objects} == exif_input["expected"]
    assert {r["coco_image_id"] for r in
            pq.read_table(wh.landing / "coco_annotations" / "ex.parquet").to_pylist()} == set(
        exif_input["ids"].values())


def test_an_undecidable_frame_is_rejected_unless_named(exif_input, wh) -> None:
    report = land_coco(wh, exif_input["images"], exif_input["annotations"], "ex")
    turned_180 = exif_input["ids"]["000000000030.jpg"]
    reasons = {str(r.reason) for r in report.rejects}
    assert reasons == {"exif_frame_undecidable"}
    assert all(f"image {turned_180})" in r.message and "--exif-frame" in r.message for r in report.rejects)
    landed = _boxes(wh, "ex")
    assert len(landed) + len(report.rejects) == len(exif_input["expected"])
    assert landed == {k: v for k, v in exif_input["expected"].items() if k in landed}
    record = next(r for r in pq.read_table(wh.landing / "coco_images" / "ex.parquet").to_pylist()
                  if r["coco_image_id"] == turned_180)
    assert record["has_exif_orientation"] is True  # on its original file, with no box

    # named on the command line, the same file lands whole; an unchanged copy is reused
    done = cli(wh, "land", "coco", "--images", str(exif_input["images"]), "--annotations",
               str(exif_input["annotations"]), "--source", "ex", "--exif-frame", "raw")
    assert done.returncode == 0, done.stderr
    assert "3 images ship as upright copies" in done.stdout and "2 unchanged, reused" in done.stdout
    assert _boxes(wh, "ex") == exif_input["expected"]
    bad = cli(wh, "land", "coco", "--images", str(exif_input["images"]), "--annotations",
              str(exif_input["annotations"]), "--source", "ex", "--exif-frame", "sideways")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_a_takedown_of_the_original_takes_the_upright_copy_down(exif_input, wh) -> None:
    land_coco(wh, exif_input["images"], exif_input["annotations"], "ex", exif_frame="raw")
    images = {r["file_name"]: r for r in
              pq.read_table(wh.landing / "coco_images" / "ex.parquet").to_pylist()}
    originals = {r["relative_path"]: r["asset_id"] for r in
                 pq.read_table(wh.landing / "assets" / "ex.parquet").to_pylist()}
    gone = "000000000009.jpg"
    land_takedown(wh, "test: the photo's owner asked", "tests", path=f"ex/{gone}")
    assert run_dbt(wh, ["build", "--quiet", "--exclude-resource-type", "test", "unit_test",
                        "--select", "+int_annotations_normalized", "+int_asset_licenses_resolved"]) == 0
    with duckdb.connect(str(wh.root / "lakehouse.duckdb"), read_only=True) as con:
        down = dict(con.execute("select asset_id, lineage_depth from int_assets_taken_down").fetchall())
        assets = {a for (a,) in con.execute("select asset_id from stg_landing__assets").fetchall()}
        shipped = con.execute("select asset_id, count(*) from int_annotations_normalized "
                              "group by asset_id").fetchall()
    copy = images[gone]["asset_id"]
    assert down == {originals[gone]: 0, copy: 1}
    assert originals[gone] not in assets and copy not in assets
    # the others still ship their boxes once, on their upright copies only
    kept = {images[n]["asset_id"] for n, _, _ in CASES if n != gone}
    assert {a for a, _ in shipped} == kept
    expected = sum(1 for k in exif_input["expected"]
                   if k not in {a["id"] for a in json.loads(exif_input["annotations"].read_text())["annotations"]
                                if a["image_id"] == exif_input["ids"][gone]})
    assert sum(n for _, n in shipped) == expected
    # a copy is the viewer's own turn of its photo: it carries the photo's license as its
    # own (not a derivative, so a NoDerivs photo's copy is not gated as one)
    with duckdb.connect(str(wh.root / "lakehouse.duckdb"), read_only=True) as con:
        terms = con.execute("select asset_id, is_derived, has_no_derivatives_ancestor, license_keys "
                            "from int_asset_licenses_resolved").fetchall()
    by_asset = {a: (derived, nd, keys) for a, derived, nd, keys in terms}
    for name, _, _ in CASES:
        if name != gone:
            copy_terms, photo_terms = by_asset[images[name]["asset_id"]], by_asset[originals[name]]
            assert copy_terms == photo_terms and copy_terms[0] is False


def test_coco128_has_no_exif_rotated_photo(shared_datasets) -> None:
    """The default data keeps its figures: none of its photos carries an orientation."""
    tags = set()
    for path in sorted(COCO128_IMAGES.glob("*.jpg")):
        with Image.open(path) as img:
            tags.add(img.getexif().get(ORIENTATION, 1))
    assert tags == {1}


def test_a_relanding_without_rotated_photos_clears_the_copies(exif_input, wh, tmp_path) -> None:
    land_coco(wh, exif_input["images"], exif_input["annotations"], "ex", exif_frame="raw")
    folder = wh.derived / "upright" / "ex"
    assert len(list(folder.glob("*.png"))) == 3
    # the same photos stored upright without a tag, boxes in their (only) frame
    images = tmp_path / "upright"
    images.mkdir()
    for name, _, _ in CASES:
        shutil.copy(COCO128_IMAGES / name, images / name)
    doc = json.loads(exif_input["annotations"].read_text())
    for record in doc["images"]:
        with Image.open(images / record["file_name"]) as img:
            record["width"], record["height"] = img.size
    for a in doc["annotations"]:
        a["bbox"] = list(exif_input["expected"][a["id"]])
    path = tmp_path / "upright.json"
    path.write_text(json.dumps(doc))
    report = land_coco(wh, images, path, "ex")  # no refusal: the copies were derived data
    assert report.rejects == []
    originals = {r["asset_id"] for r in pq.read_table(wh.landing / "assets" / "ex.parquet").to_pylist()}
    records = pq.read_table(wh.landing / "coco_images" / "ex.parquet").to_pylist()
    assert {r["asset_id"] for r in records} == originals
    assert pq.read_table(wh.landing / "assets" / "ex-upright.parquet").num_rows == 0
    assert list(folder.glob("*.png")) == []
    assert _boxes(wh, "ex") == exif_input["expected"]


def test_an_image_whose_copy_cannot_be_made_is_rejected_with_its_boxes(exif_input, wh, tmp_path) -> None:
    from ingest.coco import land_coco_frames, write_coco_landing
    from lakehouse.landing import new_run_id, utc_now

    images = tmp_path / "images"
    shutil.copytree(exif_input["images"], images)
    run_id, at = new_run_id(), utc_now()
    landing = land_coco_frames(images, exif_input["annotations"], "ex", run_id, at, exif_frame="raw")
    gone = "000000000025.jpg"
    (images / gone).write_bytes((images / gone).read_bytes()[:2000])  # damaged after inspection
    report = write_coco_landing(wh, landing, "ex", images, exif_input["annotations"], run_id, at)
    assert report.unbalanced_tables() == []
    iid = exif_input["ids"][gone]
    (image_reject,) = [r for r in report.rejects if r.landing_table == "coco_images"]
    assert image_reject.item == f"image {iid}" and str(image_reject.reason) == "corrupt_image"
    assert gone in image_reject.message and "upright copy cannot be made" in image_reject.message
    box_rejects = {str(r.reason) for r in report.rejects if r.landing_table == "coco_annotations"}
    assert box_rejects == {"image_rejected"}
    records = pq.read_table(wh.landing / "coco_images" / "ex.parquet").to_pylist()
    assert iid not in {r["coco_image_id"] for r in records} and len(records) == 2
    assert pq.read_table(wh.landing / "assets" / "ex-upright.parquet").num_rows == 2
