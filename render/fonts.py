"""Fonts for rendered pages: the TrueType files matplotlib ships (DejaVu and STIX).

No system font package is needed: every machine with the same matplotlib has the same
files (Debian's fonts-liberation may or may not be installed, so it is not used). Four
families: DejaVu Sans, DejaVu Serif, DejaVu Sans Mono and STIX General (a Times-like
serif). matplotlib's Computer Modern files (cmr10, ...) are left out: their character
maps are TeX encodings, not Unicode. Pillow loads them with its BASIC layout engine (not
libraqm, which may or may not be present and shapes text differently), so the same text
gives the same pixels.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import matplotlib
from PIL import ImageFont

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"

# family -> (regular, bold) file names
FAMILIES: dict[str, tuple[str, str]] = {
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "stix": ("STIXGeneral.ttf", "STIXGeneralBol.ttf"),
}


def font_path(file_name: str) -> Path:
    """The path of a bundled font file; raises ``FileNotFoundError`` naming the folder."""
    path = FONT_DIR / file_name
    if not path.is_file():
        raise FileNotFoundError(f"font {file_name} is not in matplotlib's font folder {FONT_DIR}")
    return path


@lru_cache(maxsize=128)
def load_font(file_name: str, size_px: int) -> ImageFont.FreeTypeFont:
    """A bundled font at ``size_px`` pixels, with Pillow's BASIC layout."""
    return ImageFont.truetype(
        str(font_path(file_name)), size_px, layout_engine=ImageFont.Layout.BASIC
    )
