"""Image files -> base64 data URLs, downscaled above a configurable size.

In: an ``ImageRef`` (asset id + path) and the limits (longer side in pixels, file bytes).
Out: the ``data:<mime>;base64,...`` URL and an ``ImageRecord`` of what was sent, which
lands on the generations row (``images`` column).

An image within both limits in a format every OpenAI-compatible server accepts (JPEG,
PNG, WEBP) is sent byte for byte. Otherwise it is decoded, shrunk to fit the longer side
(Lanczos), and re-encoded: JPEG quality 90, or PNG when it has transparency; if that is
still over the byte limit it shrinks by 0.8 per step. The stored pixel orientation is
kept and the EXIF block is carried over, so annotation boxes (which are in stored
pixels, normalized to 0-1000 in the prompts) still line up.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

_PASS_THROUGH = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
}
_MIN_SIDE_PX = 32


class ImageInputError(ValueError):
    """An image that cannot be read or decoded (the request lands as ``input_error``)."""


@dataclass(frozen=True)
class ImageRef:
    """One image of a request: its asset id (sha256 of the file bytes) and where it is."""

    asset_id: str
    path: Path

    @classmethod
    def from_path(cls, path: Path | str, asset_id: str | None = None) -> ImageRef:
        """A ref for ``path``; the asset id is the sha256 of its bytes unless given."""
        path = Path(path)
        if asset_id is None:
            try:
                asset_id = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                raise ImageInputError(f"{path}: cannot be read ({exc.strerror})") from None
        return cls(asset_id=asset_id, path=path)


@dataclass(frozen=True)
class ImageRecord:
    """What was sent for one image (a struct in the ``images`` column of ``generations``)."""

    asset_id: str
    original_width_px: int
    original_height_px: int
    original_bytes: int
    sent_width_px: int
    sent_height_px: int
    sent_bytes: int
    sent_mime_type: str
    is_downscaled: bool
    is_reencoded: bool

    def as_row(self) -> dict[str, object]:
        """The record as a dict matching ``store.IMAGE_RECORD_TYPE``."""
        return dict(self.__dict__)


def _encode(img: Image.Image, has_alpha: bool, exif: bytes | None) -> tuple[bytes, str]:
    buf = io.BytesIO()
    if has_alpha:
        img.save(buf, format="PNG", optimize=False)
        return buf.getvalue(), "image/png"
    if img.mode != "RGB":
        img = img.convert("RGB")
    kwargs = {"exif": exif} if exif else {}
    img.save(buf, format="JPEG", quality=90, **kwargs)
    return buf.getvalue(), "image/jpeg"


def encode_image(ref: ImageRef, max_side_px: int, max_bytes: int) -> tuple[str, ImageRecord]:
    """(data URL, record) for ``ref`` within ``max_side_px`` and ``max_bytes``.

    Raises ``ImageInputError`` when the file is missing or not a decodable image.
    """
    try:
        data = ref.path.read_bytes()
    except OSError as exc:
        raise ImageInputError(f"{ref.path}: cannot be read ({exc.strerror})") from None
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format or "UNKNOWN"
            width, height = img.size
            fits = max(width, height) <= max_side_px and len(data) <= max_bytes
            if fits and fmt in _PASS_THROUGH:
                record = ImageRecord(
                    ref.asset_id,
                    width,
                    height,
                    len(data),
                    width,
                    height,
                    len(data),
                    _PASS_THROUGH[fmt],
                    False,
                    False,
                )
                return _data_url(_PASS_THROUGH[fmt], data), record
            img.load()
            exif = img.info.get("exif")
            has_alpha = img.mode in ("RGBA", "LA", "PA") or (
                img.mode == "P" and "transparency" in img.info
            )
            work = img.convert("RGBA" if has_alpha else "RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageInputError(f"{ref.path}: not a decodable image ({exc})") from None

    scale = min(1.0, max_side_px / max(width, height))
    while True:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        resized = work if size == work.size else work.resize(size, Image.Resampling.LANCZOS)
        payload, mime = _encode(resized, has_alpha, exif)
        if len(payload) <= max_bytes or max(size) <= _MIN_SIDE_PX:
            break
        scale *= 0.8
    record = ImageRecord(
        asset_id=ref.asset_id,
        original_width_px=width,
        original_height_px=height,
        original_bytes=len(data),
        sent_width_px=size[0],
        sent_height_px=size[1],
        sent_bytes=len(payload),
        sent_mime_type=mime,
        is_downscaled=size != (width, height),
        is_reencoded=True,
    )
    return _data_url(mime, payload), record


def _data_url(mime: str, payload: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"
