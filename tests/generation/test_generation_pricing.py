"""generation.pricing: the seed price list and cost_usd."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from generation.config import DEFAULT_PRICES_PATH
from generation.pricing import PriceList, PriceListError


def test_the_seed_parses_and_prices_by_valid_from() -> None:
    prices = PriceList.load(DEFAULT_PRICES_PATH)
    assert prices.has_model("gpt-4o") and prices.has_model("Qwen/Qwen2.5-VL-7B-Instruct")
    assert prices.price_for("gpt-4o", date(2024, 6, 1)).prompt_usd_per_1m_tokens == 5.0
    assert prices.price_for("gpt-4o", date(2025, 1, 1)).prompt_usd_per_1m_tokens == 2.5
    assert prices.price_for("gpt-4o", date(2024, 1, 1)) is None  # before the first row
    assert prices.cost_usd("gpt-4o", 1_000_000, 100_000, date(2025, 1, 1)) == pytest.approx(
        2.5 + 1.0
    )
    assert prices.cost_usd("Qwen/Qwen2.5-VL-7B-Instruct", 5000, 500, date(2025, 6, 1)) == 0.0
    assert prices.cost_usd("unknown-model", 10, 10, date(2025, 1, 1)) is None
    assert prices.cost_usd("gpt-4o", None, None, date(2025, 1, 1)) is None


def test_bad_price_list(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text("model,prompt_usd_per_1m_tokens\nm,1\n")
    with pytest.raises(PriceListError, match="missing column"):
        PriceList.load(p)
    p.write_text(
        "model,prompt_usd_per_1m_tokens,completion_usd_per_1m_tokens,valid_from\nm,one,1,2024-01-01\n"
    )
    with pytest.raises(PriceListError, match=":2:"):
        PriceList.load(p)
    assert PriceList.load(tmp_path / "absent.csv").cost_usd("m", 1, 1, date(2025, 1, 1)) is None
