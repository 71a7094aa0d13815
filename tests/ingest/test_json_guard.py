"""The byte scan that bounds JSON nesting depth and record size before any parser runs:
exact on random documents (strings full of brackets, quotes and backslashes included),
whatever the chunk size, and naming the encoding of a BOM or UTF-16 file."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from ingest.json_guard import check_json_file, encoding_problem, scan_bounds

_LEAVES = [1, "a[b{", 'q"[', "x\\", "}]", None, 2.5, "plain", "\\\"[["]


def _doc(rng: random.Random, depth: int) -> Any:
    if depth > 6 or rng.random() < 0.3:
        return rng.choice(_LEAVES)
    if rng.random() < 0.5:
        return [_doc(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["k[", "a", 'b"{', "c\\"]): _doc(rng, depth + 1) for _ in range(rng.randint(0, 3))}


def _depth(value: Any) -> int:
    if not isinstance(value, (list, dict)):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(c) for c in children), default=0)


def _largest_record(doc: dict) -> int:
    sizes = [len(json.dumps(item)) for section in doc.values() if isinstance(section, list)
             for item in section if isinstance(item, (list, dict))]
    return max(sizes, default=0)


def test_depth_and_record_size_are_exact(tmp_path: Path) -> None:
    rng = random.Random(7)
    for i in range(150):
        doc = {"images": [_doc(rng, 2) for _ in range(3)]}
        text = json.dumps(doc)
        path = tmp_path / f"{i}.json"
        path.write_text(text)
        depth = _depth(doc)
        for chunk in (1, 5, 1 << 20):
            assert scan_bounds(path, max_depth=depth, chunk_bytes=chunk) is None, text
            assert scan_bounds(path, max_depth=depth - 1, chunk_bytes=chunk).reason == "json_too_deep", text
            record = _largest_record(doc)
            if record and "\\" not in text:  # escapes: string contents are blanked, not counted
                assert scan_bounds(path, max_record_bytes=record, chunk_bytes=chunk) is None, text
                problem = scan_bounds(path, max_record_bytes=record - 1, chunk_bytes=chunk)
                assert problem is not None and problem.reason == "record_too_large", text


def test_encodings_are_named(tmp_path: Path) -> None:
    assert "UTF-8 with a byte-order mark" in encoding_problem(b"\xef\xbb\xbf{").message
    assert "UTF-16 (big-endian" in encoding_problem('{"a"'.encode("utf-16-be")).message
    assert "UTF-32" in encoding_problem('{"a"'.encode("utf-32-le")).message
    assert encoding_problem(b'{"a": 1}') is None
    path = tmp_path / "x.json"
    path.write_bytes('{"a": [1]}'.encode("utf-16"))
    assert check_json_file(path).reason == "invalid_encoding"
