"""Streaming a large JSON file section by section, without holding it in memory.

In: the path of a JSON document whose top level is an object (a COCO file). Out: the
items of one top-level array at a time (``iter_items(path, "annotations")``), parsed by
ijson's C backend so that an Objects365-size file never sits in memory whole.

Python's ``json.dump`` writes ``NaN``, ``Infinity`` and ``-Infinity`` for non-finite
floats, which are not JSON. The reader quotes those bare tokens as it streams
(``NaN`` -> ``"NaN"``), and ``to_float`` turns such strings into the float they name, so a
non-finite box reaches validation and is rejected there with a reason instead of failing
the whole file. (The C parser also refuses literals like ``1e999`` that overflow.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson

CHUNK_BYTES = 1 << 20
_TAIL_BYTES = 32
# A bare NaN/Infinity token: after [ , or : (with optional space), before , ] or }.
_NON_FINITE = re.compile(rb"(?<=[\[,:])(\s*)(-?)(NaN|Infinity)(?=\s*[,\]}])")


def _rewrite(match: re.Match[bytes]) -> bytes:
    space, sign, word = match.groups()
    return space + b'"' + sign + word + b'"'


class NonFiniteTolerantReader:
    """A binary reader that rewrites Python's non-JSON float tokens as it reads.

    Each chunk is cut at its last delimiter (``,`` ``[`` ``:``), which is kept for the next
    chunk too, so that a token split across two reads is still seen whole together with
    the delimiters around it. Substitutions never change a delimiter, so the one byte of
    overlap is simply dropped from the first chunk's output.
    """

    def __init__(self, raw: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._raw = raw
        self._chunk_bytes = chunk_bytes
        self._held = b""

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        want = self._chunk_bytes if size < 0 else max(size, 1)
        while True:
            new = self._raw.read(want)
            data = self._held + new
            if not new:
                self._held = b""
                return _NON_FINITE.sub(_rewrite, data)
            cut = max(data.rfind(b",", -_TAIL_BYTES), data.rfind(b"[", -_TAIL_BYTES),
                      data.rfind(b":", -_TAIL_BYTES))
            if cut == 0:
                # only the held delimiter: read on until the token after it is whole
                self._held = data
                continue
            if cut < 0:
                # no delimiter near the end: no token can be split here
                self._held = b""
                return _NON_FINITE.sub(_rewrite, data)
            self._held = data[cut:]
            return _NON_FINITE.sub(_rewrite, data[: cut + 1])[:-1]


NON_FINITE_STRINGS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def to_float(value: Any) -> float | None:
    """A JSON number as float; the quoted non-finite tokens as nan/inf; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return NON_FINITE_STRINGS.get(value)
    return None


def iter_items(path: Path, section: str) -> Iterator[Any]:
    """Every item of the top-level array ``section`` of the JSON file at ``path``.

    Floats come back as ``float`` (not ``Decimal``). A missing section yields nothing.
    Raises ``ijson.JSONError`` (a ``ValueError``) on text that is not JSON.
    """
    with open(path, "rb") as raw:
        yield from ijson.items(NonFiniteTolerantReader(raw), f"{section}.item", use_float=True)
