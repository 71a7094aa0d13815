"""The price list seed -> the cost of one call in USD.

In: ``seeds/model_prices.csv`` (also a dbt seed, so plain CSV), columns ``model``,
``provider``, ``prompt_usd_per_1m_tokens``, ``completion_usd_per_1m_tokens``,
``valid_from`` (ISO date), ``note``. A model may have several rows; the one with the
latest ``valid_from`` on or before the call's date applies.
Out: ``cost_usd = prompt_tokens * prompt_price / 1e6 + completion_tokens *
completion_price / 1e6``, or None when the model has no price (or no token counts).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

REQUIRED_COLUMNS = (
    "model",
    "prompt_usd_per_1m_tokens",
    "completion_usd_per_1m_tokens",
    "valid_from",
)


class PriceListError(ValueError):
    """A price list that cannot be read (missing column, bad number or date)."""


@dataclass(frozen=True)
class Price:
    """The per-token prices of one model from ``valid_from`` on."""

    model: str
    prompt_usd_per_1m_tokens: float
    completion_usd_per_1m_tokens: float
    valid_from: date


class PriceList:
    """Prices by model, each model's rows sorted by ``valid_from``."""

    def __init__(self, prices: list[Price]) -> None:
        self._by_model: dict[str, list[Price]] = {}
        for p in sorted(prices, key=lambda p: p.valid_from):
            self._by_model.setdefault(p.model, []).append(p)
        self._folded = {m.casefold(): m for m in self._by_model}

    @classmethod
    def load(cls, path: Path) -> PriceList:
        """Read the CSV at ``path``; a missing file gives an empty list (every cost None)."""
        if not path.exists():
            return cls([])
        prices: list[Price] = []
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise PriceListError(f"{path}: missing column(s) {', '.join(missing)}")
            for line_no, row in enumerate(reader, start=2):
                try:
                    prices.append(
                        Price(
                            model=row["model"].strip(),
                            prompt_usd_per_1m_tokens=float(row["prompt_usd_per_1m_tokens"]),
                            completion_usd_per_1m_tokens=float(row["completion_usd_per_1m_tokens"]),
                            valid_from=date.fromisoformat(row["valid_from"].strip()),
                        )
                    )
                except (ValueError, AttributeError) as exc:
                    raise PriceListError(f"{path}:{line_no}: {exc}") from None
        return cls(prices)

    def price_for(self, model: str, at: datetime | date) -> Price | None:
        """The price of ``model`` (exact name, else case-insensitive) in force at ``at``."""
        name = model if model in self._by_model else self._folded.get(model.casefold())
        if name is None:
            return None
        day = at.date() if isinstance(at, datetime) else at
        current = None
        for p in self._by_model[name]:
            if p.valid_from <= day:
                current = p
        return current

    def has_model(self, model: str) -> bool:
        """True when ``model`` has at least one price row."""
        return model in self._by_model or model.casefold() in self._folded

    def cost_usd(
        self,
        model: str,
        prompt_tokens: int | None,
        completion_tokens: int | None,
        at: datetime | date,
    ) -> float | None:
        """The cost of one call, or None without a price or without token counts."""
        if prompt_tokens is None and completion_tokens is None:
            return None
        price = self.price_for(model, at)
        if price is None:
            return None
        return (
            (prompt_tokens or 0) * price.prompt_usd_per_1m_tokens
            + (completion_tokens or 0) * price.completion_usd_per_1m_tokens
        ) / 1_000_000
