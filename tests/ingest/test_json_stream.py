import io
import json
import math
import random

import ijson
import pytest

from ingest.json_stream import NonFiniteTolerantReader, iter_items, to_float


class _Trickle:
    """A raw reader that hands out at most ``n`` bytes per read, to split tokens."""

    def __init__(self, data: bytes, n: int) -> None:
        self._buf = io.BytesIO(data)
        self._n = n

    def read(self, size: int = -1) -> bytes:
        return self._buf.read(self._n if size < 0 else min(size, self._n))


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 31, 33, 4096])
def test_non_finite_tokens_survive_any_chunking(chunk: int) -> None:
    rng = random.Random(chunk)
    values = [rng.choice([1.5, math.nan, math.inf, -math.inf, 2, "NaN,x", "Infinity"]) for _ in range(2000)]
    doc = json.dumps({"a": [{"b": [v, v], "c": "Infinity"} for v in values]}).encode()
    got = list(ijson.items(NonFiniteTolerantReader(_Trickle(doc, chunk)), "a.item", use_float=True))
    assert len(got) == len(values)
    for item, value in zip(got, values, strict=True):
        assert item["c"] == "Infinity"  # strings are left alone
        if isinstance(value, str):
            assert item["b"][1] == value
        elif math.isnan(value):
            assert math.isnan(to_float(item["b"][1]))
        else:
            assert to_float(item["b"][1]) == value


def test_to_float_accepts_numbers_only() -> None:
    assert to_float(3) == 3.0
    assert to_float(True) is None
    assert to_float("12") is None
    assert to_float(None) is None
    assert to_float("-Infinity") == -math.inf


def test_iter_items_streams_one_section(tmp_path) -> None:
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"images": [{"id": 1}, {"id": 2}], "annotations": [{"id": 9}]}))
    assert [x["id"] for x in iter_items(path, "images")] == [1, 2]
    assert list(iter_items(path, "categories")) == []
