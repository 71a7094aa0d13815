"""Fixtures of the render tests: COCO128 landed once per session, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.coco import land_coco
from lakehouse.settings import Warehouse
from render.inputs import GeneralImage, load_general_images
from tests.conftest import COCO128_ANNOTATIONS, COCO128_IMAGES


@pytest.fixture(scope="session")
def coco_warehouse(tmp_path_factory: pytest.TempPathFactory, shared_datasets: Path) -> Warehouse:
    """A warehouse with the real COCO128 landed as source ``coco128`` (do not write to it)."""
    wh = Warehouse(tmp_path_factory.mktemp("coco_wh") / "warehouse")
    land_coco(wh, COCO128_IMAGES, COCO128_ANNOTATIONS, "coco128")
    return wh


@pytest.fixture(scope="session")
def general_images(coco_warehouse: Warehouse) -> list[GeneralImage]:
    """COCO128's general images as the renderer reads them."""
    return load_general_images(coco_warehouse, "coco128")


@pytest.fixture()
def coco_wh(coco_warehouse: Warehouse, tmp_path: Path) -> Warehouse:
    """A fresh copy of the COCO-landed warehouse for a test that writes."""
    wh = Warehouse(tmp_path / "warehouse")
    shutil.copytree(coco_warehouse.landing, wh.landing)
    return wh
