"""generation.images: data URLs, byte-for-byte when small enough, downscaled (and recorded) when not."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from generation.images import ImageInputError, ImageRef, encode_image
from tests.generation.testkit import make_image


def _decode(url: str) -> tuple[str, bytes]:
    head, payload = url.split(",", 1)
    return head, base64.b64decode(payload)


def test_small_coco_jpeg_is_sent_byte_for_byte(coco_items) -> None:
    item = coco_items[0]
    url, rec = encode_image(item.ref, max_side_px=2048, max_bytes=4_000_000)
    head, data = _decode(url)
    assert head == "data:image/jpeg;base64"
    assert hashlib.sha256(data).hexdigest() == item.asset_id
    assert not rec.is_downscaled and not rec.is_reencoded
    assert (rec.sent_width_px, rec.sent_height_px) == (item.width_px, item.height_px)


def test_large_side_is_downscaled_and_recorded(tmp_path: Path) -> None:
    item = make_image(tmp_path / "big.jpg", (3000, 1500))
    url, rec = encode_image(item.ref, max_side_px=1000, max_bytes=4_000_000)
    _, data = _decode(url)
    with Image.open(io.BytesIO(data)) as img:
        assert img.size == (1000, 500) and img.format == "JPEG"
    assert rec.is_downscaled and rec.is_reencoded
    assert (
        rec.original_width_px,
        rec.original_height_px,
        rec.sent_width_px,
        rec.sent_height_px,
    ) == (3000, 1500, 1000, 500)
    assert rec.sent_bytes == len(data) and rec.original_bytes == item.path.stat().st_size


def test_byte_limit_shrinks_until_it_fits(coco_items) -> None:
    item = coco_items[1]
    _, rec = encode_image(item.ref, max_side_px=4096, max_bytes=20_000)
    assert rec.is_downscaled and rec.sent_bytes <= 20_000
    assert max(rec.sent_width_px, rec.sent_height_px) < max(item.width_px, item.height_px)


def test_alpha_stays_png_and_bmp_is_reencoded(tmp_path: Path) -> None:
    rgba = make_image(tmp_path / "a.png", (400, 200), mode="RGBA")
    url, rec = encode_image(rgba.ref, max_side_px=100, max_bytes=4_000_000)
    assert url.startswith("data:image/png;base64,") and (rec.sent_width_px, rec.sent_height_px) == (
        100,
        50,
    )
    bmp = make_image(tmp_path / "b.bmp", (40, 30), fmt="BMP")
    url, rec = encode_image(bmp.ref, max_side_px=2048, max_bytes=4_000_000)
    assert url.startswith("data:image/jpeg;base64,") and rec.is_reencoded and not rec.is_downscaled


def test_unreadable_inputs_raise_image_input_error(tmp_path: Path) -> None:
    with pytest.raises(ImageInputError, match="cannot be read"):
        encode_image(ImageRef("x", tmp_path / "missing.jpg"), 100, 10_000)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(ImageInputError, match="not a decodable image"):
        encode_image(ImageRef("x", bad), 100, 10_000)
    assert ImageRef.from_path(bad).asset_id == hashlib.sha256(b"not an image").hexdigest()
