"""Fixtures of the generation tests: a loopback chat server requiring a random key, a fast
config pointing at it, real COCO128 images with their annotations, small synthetic images.
(``wh`` and ``shared_datasets`` come from ``tests/conftest.py``.)"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from generation.config import GenerationConfig, config_from_env
from generation.items import AnnotatedImage
from lakehouse.settings import Warehouse
from tests.generation.fake_server import FakeChatServer
from tests.generation.testkit import TEST_MODEL, load_coco_items, make_image


@pytest.fixture
def api_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A random key in ``MMFACTORY_API_KEY`` (and none in ``OPENAI_API_KEY``)."""
    key = "sk-mmf-test-" + secrets.token_hex(16)
    monkeypatch.setenv("MMFACTORY_API_KEY", key)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return key


@pytest.fixture
def server(api_key: str):
    """The loopback server, requiring ``api_key``; a "timeout" fault sleeps 1.5 s."""
    with FakeChatServer(api_key=api_key, timeout_sleep_s=1.5) as srv:
        yield srv


@pytest.fixture
def prices_csv(tmp_path: Path) -> Path:
    """A price list with the test model at $1 / $2 per million tokens."""
    path = tmp_path / "prices.csv"
    path.write_text(
        "model,provider,prompt_usd_per_1m_tokens,completion_usd_per_1m_tokens,valid_from,note\n"
        f"{TEST_MODEL},test,1.0,2.0,2020-01-01,test price\n"
    )
    return path


@pytest.fixture
def cfg(server: FakeChatServer, wh: Warehouse, prices_csv: Path) -> GenerationConfig:
    """Fast settings: 4 in flight, batches of 4, 3 attempts, tiny backoff, 0.8 s timeout."""
    return config_from_env(
        base_url=server.base_url,
        model=TEST_MODEL,
        concurrency=4,
        batch_size=4,
        max_attempts=3,
        backoff_base_s=0.01,
        backoff_max_s=0.05,
        timeout_s=0.8,
        prices_path=prices_csv,
    )


@pytest.fixture(scope="session")
def coco_items(shared_datasets: Path) -> list[AnnotatedImage]:
    """12 real COCO128 images with their annotations."""
    return load_coco_items(12)


@pytest.fixture
def tiny_items(tmp_path: Path) -> list[AnnotatedImage]:
    """Eight 64x48 PNG images made with Pillow."""
    folder = tmp_path / "images"
    folder.mkdir()
    return [make_image(folder / f"img{i}.png", (64, 48), seed=i) for i in range(8)]
