"""Bounds a JSON input must keep before anything parses it into memory.

In: the bytes of a JSON file (a path, read in chunks of 1 MiB). Out: ``None``, or a
``JsonProblem`` naming the reason code and what is wrong.

Why: a parser builds every nested level of a value before handing it over, and ijson
keeps a prefix string per level, so memory grows with the square of the nesting depth (a
32 KB file of nested arrays takes 733 MB). No real annotation file nests deeper than a
handful of levels, so:

- ``json_too_deep``: brackets nest deeper than ``MAX_DEPTH`` (64) levels;
- ``record_too_large``: one record (a value three levels down, e.g. one COCO annotation or
  one FUNSD entity) spans more than ``MAX_RECORD_BYTES`` (16 MiB) of structure. String
  contents are not counted (the scan blanks them), numbers and brackets are;
- ``invalid_encoding``: the file starts with a byte-order mark or is UTF-16/UTF-32 (JSON
  files must be UTF-8); the message names the encoding.

The scan is vectorized (strings blanked by one regex substitution per chunk, depth by a
numpy cumulative sum), a few hundred MB/s, and holds one chunk at a time.
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
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1

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
    not JSON passes here and fails in the parser."""
    max_depth = MAX_DEPTH if max_depth is None else max_depth
    max_record_bytes = MAX_RECORD_BYTES if max_record_bytes is None else max_record_bytes
    depth, carry, in_string, max_seen = 0, 0, False, 0
    for chunk in _chunks(path, chunk_bytes):
        if in_string:
            m = _STRING_REST.match(chunk)
            if m is None:
                continue  # the whole chunk is inside one string
            chunk, in_string = chunk[m.end():], False
        blanked = _STRING.sub(b"0", chunk)
        open_quote = blanked.find(b'"')
        if open_quote >= 0:  # a string that goes on in the next chunk
            blanked, in_string = blanked[:open_quote] + b"0", True
        if not blanked:
            continue
        steps = _OPEN[np.frombuffer(blanked, dtype=np.uint8)].astype(np.int32)
        levels = np.cumsum(steps, dtype=np.int32)
        levels += depth
        max_seen = max(max_seen, int(levels.max()))
        if max_seen > max_depth:
            return JsonProblem(Reason.JSON_TOO_DEEP,
                               f"brackets nest deeper than {max_depth} levels (no annotation file "
                               "needs that many; refused before parsing)")
        inside = (levels >= RECORD_DEPTH).view(np.int8)
        change = np.diff(np.concatenate(([0], inside, [0])).astype(np.int8))
        starts, ends = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
        lengths = ends - starts
        if lengths.size:
            if inside[0] and carry:
                lengths[0] += carry
            carry = int(lengths[-1]) if inside[-1] else 0
            if int(lengths.max()) > max_record_bytes:
                return JsonProblem(Reason.RECORD_TOO_LARGE,
                                   f"one record is larger than {max_record_bytes:,} bytes "
                                   "(refused before parsing)")
        else:
            carry = 0
        depth = int(levels[-1])
    return None


def check_json_file(path: Path, max_depth: int | None = None,
                    max_record_bytes: int | None = None) -> JsonProblem | None:
    """``encoding_problem`` of the file's head, then ``scan_bounds``."""
    with open(path, "rb") as f:
        head = f.read(4)
    return encoding_problem(head) or scan_bounds(path, max_depth, max_record_bytes)
