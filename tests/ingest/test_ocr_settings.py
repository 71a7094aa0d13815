"""The OCR engine's settings are part of its identity, and reads start with the largest
files (no engine is loaded here)."""

from __future__ import annotations

from pathlib import Path

from ingest import ocr
from lakehouse.settings import Warehouse


def test_the_engine_version_names_its_settings_and_changes_with_them(monkeypatch,
                                                                      tmp_path: Path) -> None:
    name, version = ocr.engine_identity()
    assert name == ocr.ENGINE_NAME
    assert version.endswith("+rec_batch_num=3,rec_img_shape=3x48x160"), version
    wh = Warehouse(tmp_path / "wh")
    before = ocr.checkpoint_dir(wh, ocr._Identity(name, version))
    monkeypatch.setattr(ocr, "ENGINE_SETTINGS", {"rec_img_shape": [3, 48, 320]})
    _, changed = ocr.engine_identity()
    assert changed != version and changed.endswith("+rec_img_shape=3x48x320")
    # lines and checkpoints are keyed by the version: other settings never reuse them
    assert ocr.checkpoint_dir(wh, ocr._Identity(name, changed)) != before
    monkeypatch.setattr(ocr, "ENGINE_SETTINGS", {})
    assert ocr.engine_identity()[1].endswith("+defaults")


def test_reads_start_with_the_largest_file(tmp_path: Path) -> None:
    items = []
    for name, size in (("a.png", 10), ("b.png", 300), ("c.png", 20)):
        (tmp_path / name).write_bytes(b"x" * size)
        items.append({"asset_id": name, "item": name, "path": str(tmp_path / name)})
    items.append({"asset_id": "gone", "item": "gone", "path": str(tmp_path / "gone.png")})
    assert [it["asset_id"] for it in ocr.largest_first(items)] == ["b.png", "c.png", "a.png", "gone"]


def test_the_parent_does_not_import_the_engine_libraries() -> None:
    import subprocess
    import sys

    code = ("import sys; from ingest.ocr import _check_engine_installed as c; c(); "
            "print(any(m in sys.modules for m in ('cv2', 'onnxruntime', 'rapidocr_onnxruntime')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
