"""Bounds a JSON input must keep before anything parses it into memory.

In: the bytes of a JSON file (a path, read in chunks of 1 MiB). Out: ``None``, or a
``JsonProblem`` naming the reason code and what is wrong.

Why: a parser builds every nested level of a value before handing it over, and ijson
keeps a prefix string per level, so memory grows with the square of the nesting depth (a
32 KB file of nested arrays takes 733 MB). No real annotation file nests deeper than a
handful of levels, so:

- ``json_too_deep``: brackets nest deeper than ``MAX_DEPTH`` (64) levels;
- ``record_too_large``: one record (a value three levels down, e.g. one COCO annotation or
  one FUNSD entity) spans more than ``MAX_RECORD_BYTES`` (16 MiB) of the file (in a 1 MiB
  chunk that holds a backslash, its strings count as one byte each);
- ``invalid_encoding``: the file starts with a byte-order mark, is UTF-16/UTF-32, or is
  not valid UTF-8; the message names the encoding.

The encoding rule is one for every JSON input (COCO, FUNSD, SROIE keys, ChartQA QA files,
review JSONL files, Label Studio exports): UTF-8 without a byte-order mark, as RFC 8259 requires of JSON
exchanged between systems. ``encoding_problem`` judges a file's first bytes and
``decode_json_text`` turns a whole file's bytes into text or the problem; every adapter
goes through one of them, and a file that breaks the rule is a reject (or, for an input
that is one file, a refusal) naming its encoding, never a silently different reading.

The scan is vectorized (see ``scan_bounds``), about 600 MB per CPU second on a synthetic
COCO file (225 MB/s before its byte classes became a ``bytes.translate`` table;
BENCHMARKS.md), and holds one chunk at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lakehouse.rejects import Reason

MAX_DEPTH = 64
MAX_RECORD_BYTES = 16 << 20
RECORD_DEPTH = 3
CHUNK_BYTES = 1 << 20

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*+"', re.DOTALL)
_QUOTE, _OPEN_BRACKET, _CLOSE_BRACKET = 1, 2, 3
_KIND = np.zeros(256, dtype=np.uint8)
_KIND[ord('"')] = _QUOTE
_KIND[[ord("["), ord("{")]] = _OPEN_BRACKET
_KIND[[ord("]"), ord("}")]] = _CLOSE_BRACKET
# the same classes as a ``bytes.translate`` table giving 1 for a quote or bracket, else 0:
# a chunk is translated and read as booleans, whose positions numpy finds ~4x faster than
# those of the nonzero bytes of ``_KIND[data]`` (1.0 against 4.3 ms per MiB of COCO text)
_IS_SPECIAL = bytes(int(kind != 0) for kind in _KIND.tolist())

_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian, with a byte-order mark)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian, with a byte-order mark)"),
    (b"\xef\xbb\xbf", "UTF-8 with a byte-order mark"),
    (b"\xfe\xff", "UTF-16 (big-endian, with a byte-order mark)"),
    (b"\xff\xfe", "UTF-16 (little-endian, with a byte-order mark)"),
)


@dataclass(frozen=True)
class JsonProblem:
    """Why a JSON file is refused before parsing."""

    reason: Reason
    message: str


def encoding_problem(head: bytes) -> JsonProblem | None:
    """A problem when ``head`` (the file's first bytes) is not plain UTF-8 JSON text."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return JsonProblem(Reason.INVALID_ENCODING,
                               f"the file is {name}; JSON files must be UTF-8 without a byte-order mark")
    if len(head) >= 4 and head[0] and not head[1] and not head[2] and not head[3]:
        return JsonProblem(Reason.INVALID_ENCODING, "the file is UTF-32 (little-endian); JSON files must be UTF-8")
    if len(head) >= 2 and (not head[0]) != (not head[1]):
        endian = "big" if not head[0] else "little"
        return JsonProblem(Reason.INVALID_ENCODING,
                           f"the file is UTF-16 ({endian}-endian, no byte-order mark); JSON files must be UTF-8")
    return None


def decode_json_text(data: bytes) -> str | JsonProblem:
    """The text of a JSON file's bytes under the one encoding rule (module docstring), or
    the ``invalid_encoding`` problem naming what the bytes are."""
    problem = encoding_problem(data[:4])
    if problem is not None:
        return problem
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return JsonProblem(Reason.INVALID_ENCODING,
                           f"the file is not valid UTF-8 ({exc.reason} at byte {exc.start}: "
                           f"{exc.object[exc.start:exc.end]!r}); JSON files must be UTF-8")


def _chunks(path: Path, chunk_bytes: int):
    """The file's bytes in chunks that never end inside an escape sequence."""
    with open(path, "rb") as f:
        while data := f.read(chunk_bytes):
            while data.endswith(b"\\"):
                more = f.read(1)
                if not more:
                    break
                data += more
            yield data


def scan_bounds(path: Path, max_depth: int | None = None, max_record_bytes: int | None = None,
                chunk_bytes: int = CHUNK_BYTES) -> JsonProblem | None:
    """The first bound ``path`` breaks (see the module docstring; the bounds default to
    ``MAX_DEPTH`` and ``MAX_RECORD_BYTES``), or None. Never parses the file; text that is
    not JSON passes here and fails in the parser.

    Per chunk, only the quotes and brackets are looked at (one table lookup over the
    bytes, then arrays as long as the number of those): quote parity says which brackets
    sit inside strings, a cumulative sum gives the depth after every bracket, and the
    positions where the depth enters and leaves the record level give record sizes. A
    chunk holding a backslash (escapes make quote parity wrong) has its strings blanked
    by a regex first.
    """
    max_depth = MAX_DEPTH if max_depth is None else max_depth
    max_record_bytes = MAX_RECORD_BYTES if max_record_bytes is None else max_record_bytes
    depth, in_string, offset = 0, False, 0
    record_start: int | None = None  # offset where the open record began
    for chunk in _chunks(path, chunk_bytes):
        blanked = b"\\" in chunk
        if blanked:
            if in_string:
                m = _STRING_REST.match(chunk)
                if m is None:
                    continue  # the whole chunk is inside one string
                chunk, in_string = chunk[m.end():], False
            chunk = _STRING.sub(b"0", chunk)
            open_quote = chunk.find(b'"')
            if open_quote >= 0:  # a string that goes on in the next chunk
                chunk, in_string = chunk[:open_quote] + b"0", True
        where = np.flatnonzero(np.frombuffer(chunk.translate(_IS_SPECIAL), dtype=np.bool_))
        kinds = _KIND[np.frombuffer(chunk, dtype=np.uint8)[where]]
        quotes = kinds == _QUOTE
        if blanked:  # no string left in the chunk: every bracket counts
            outside = np.ones(len(kinds), dtype=bool)
        elif quotes.any():
            parity = (np.cumsum(quotes, dtype=np.int64) & 1).astype(bool)
            if in_string:
                parity = ~parity
            in_string = bool(parity[-1])
            outside = ~parity & ~quotes
        elif in_string:
            outside = np.zeros(len(kinds), dtype=bool)
        else:
            outside = np.ones(len(kinds), dtype=bool)
        brackets = where[outside]
        steps = np.where(kinds[outside] == _OPEN_BRACKET, 1, -1).astype(np.int64)
        if len(steps):
            levels = np.cumsum(steps) + depth
            if int(levels.max()) > max_depth:
                return JsonProblem(Reason.JSON_TOO_DEEP,
                                   f"brackets nest deeper than {max_depth} levels (no annotation file "
                                   "needs that many; refused before parsing)")
            enters = (steps == 1) & (levels == RECORD_DEPTH)
            leaves = (steps == -1) & (levels == RECORD_DEPTH - 1)
            events = offset + brackets[enters | leaves]
            if record_start is not None:
                events = np.concatenate(([record_start], events))
            opens, closes = events[0::2], events[1::2]
            if len(closes) and int((closes - opens[: len(closes)]).max()) + 1 > max_record_bytes:
                return _too_large(max_record_bytes)
            record_start = int(events[-1]) if len(events) % 2 else None
            depth = int(levels[-1])
        offset += len(chunk)
        if record_start is not None and offset - record_start > max_record_bytes:
            return _too_large(max_record_bytes)
    return None


def _too_large(max_record_bytes: int) -> JsonProblem:
    return JsonProblem(Reason.RECORD_TOO_LARGE,
                       f"one record is larger than {max_record_bytes:,} bytes (refused before parsing)")


def check_json_file(path: Path, max_depth: int | None = None,
                    max_record_bytes: int | None = None) -> JsonProblem | None:
    """``encoding_problem`` of the file's head, then ``scan_bounds``."""
    with open(path, "rb") as f:
        head = f.read(4)
    return encoding_problem(head) or scan_bounds(path, max_depth, max_record_bytes)
