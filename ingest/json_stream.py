"""Streaming a large JSON file section by section, without holding it in memory.

In: the path of a JSON document whose top level is an object (a COCO file). Out: the
items of one top-level array at a time (``iter_items(path, "annotations")``), parsed by
ijson's C backend so that an Objects365-size file never sits in memory whole.

Python's ``json.dump`` writes ``NaN``, ``Infinity`` and ``-Infinity`` for non-finite
floats, which are not JSON. The reader quotes those bare tokens as it streams
(``NaN`` -> ``"NaN"``), and ``to_float`` turns such strings into the float they name, so a
non-finite box reaches validation and is rejected there with a reason instead of failing
the whole file. (The C parser also refuses literals like ``1e999`` that overflow.)

Speed (a COCO file is mostly polygon coordinates, and tokenizing costs about 10 s per
500 MB): ``scan_head`` reads the small sections before ``annotations`` and stops there;
``SectionStream`` reads the big section in one pass, in batches, through
``BackgroundCompactingReader``, which replaces every ``"segmentation"`` value that is a
plain list of polygons (lists of JSON numbers, checked strictly) by ``"[[...]]"`` before
the parser sees it, on a worker thread. Only the values' truthiness survives that, which is
all the landing reads; everything else about the file, including whether it is valid JSON,
is unchanged. Run under ``paused_gc``: the cyclic collector would double the time.
"""

from __future__ import annotations

import gc
import queue
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO, Self

import ijson
import pyarrow as pa
import pyarrow.compute as pc

CHUNK_BYTES = 1 << 20
_TAIL_BYTES = 32
# A bare NaN/Infinity token: after [ , or : (with optional space), before , ] or }.
_NON_FINITE = re.compile(rb"(?<=[\[,:])(\s*)(-?)(NaN|Infinity)(?=\s*[,\]}])")


def _rewrite(match: re.Match[bytes]) -> bytes:
    space, sign, word = match.groups()
    return space + b'"' + sign + word + b'"'


def _quote_non_finite(data: bytes) -> bytes:
    # the regex is slow (~80 MB/s); a chunk without either word cannot match it
    if b"NaN" not in data and b"Infinity" not in data:
        return data
    return _NON_FINITE.sub(_rewrite, data)


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
                return _quote_non_finite(data)
            cut = max(data.rfind(b",", -_TAIL_BYTES), data.rfind(b"[", -_TAIL_BYTES),
                      data.rfind(b":", -_TAIL_BYTES))
            if cut == 0:
                # only the held delimiter: read on until the token after it is whole
                self._held = data
                continue
            if cut < 0:
                # no delimiter near the end: no token can be split here
                self._held = b""
                return _quote_non_finite(data)
            self._held = data[cut:]
            return _quote_non_finite(data[: cut + 1])[:-1]


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


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block (restored after it).

    Parsed JSON values hold no reference cycles, so the collector finds nothing to free
    in them; but with batches of a hundred thousand fresh dicts alive it walks them again
    and again, which doubles the time of a big read.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- Fast paths for big COCO files -------------------------------------------------------

#: What a compacted ``"segmentation"`` value becomes: a non-empty string, truthy like the
#: polygons it replaces, and one parse event instead of dozens.
COMPACTED_VALUE = "[[...]]"
COMPACTED_SEGMENTATION = b'"segmentation": "' + COMPACTED_VALUE.encode() + b'"'
_COMPACTED_REPR = repr(COMPACTED_VALUE)


def may_show_compacted(message: str) -> bool:
    """True when ``message``, which ends with a record's ``repr`` cut at some length, may
    show a compacted value where the file had polygons (then the record must be read
    again as it is in the file)."""
    r = _COMPACTED_REPR
    return r in message or any(message.endswith(r[:k]) for k in range(1, len(r)))


_SEGMENTATION_KEY = b'"segmentation"'
# A JSON number that the C parser reads without complaint: no exponent, at most 18 integer
# digits (so neither an integer nor a float can overflow), no leading zero, digits after
# the point. Possessive quantifiers (for Python's re): a failed value is given up at once.
_NUMBER = r"-?+(?:0|[1-9][0-9]{0,17}+)(?:\.[0-9]++)?+"
_POLYGON = r"\[(?:" + _NUMBER + r"(?:, ?" + _NUMBER + r")*+)?\]"
# "segmentation": [[x, y, ...], [x, y, ...]] written as json.dump writes it (", " or ","
# between items); any other spelling, an RLE dict or a NaN is left as it is.
_POLYGONS_PATTERN = r'"segmentation": ?\[' + _POLYGON + r"(?:, ?" + _POLYGON + r")*+\]"
_POLYGONS = re.compile(_POLYGONS_PATTERN.encode())
# The same language for RE2 (Arrow's regex kernels), which has no possessive quantifiers
# and needs none (it never backtracks): ``compact_segmentations_re2`` must give the same
# bytes as ``compact_segmentations`` (tests/ingest/test_coco_fast_paths.py checks it).
_POLYGONS_RE2 = (_POLYGONS_PATTERN.replace("?+", "?").replace("*+", "*").replace("++", "+")
                 .replace("}+", "}"))
_HOLD_BYTES = 1 << 16
BACKGROUND_CHUNK_BYTES = 4 << 20


def compact_segmentations(data: bytes) -> bytes:
    """``data`` with every complete polygon-list ``"segmentation"`` value replaced by
    ``"[[...]]"``. The text replaced is always a whole JSON value made of valid tokens only,
    so the result is valid JSON exactly when ``data`` is."""
    if _SEGMENTATION_KEY not in data:
        return data
    return _POLYGONS.sub(COMPACTED_SEGMENTATION, data)


def compact_segmentations_re2(data: bytes) -> bytes:
    """``compact_segmentations`` by Arrow's RE2 kernel: faster, and it releases the GIL."""
    if _SEGMENTATION_KEY not in data:
        return data
    out = pc.replace_substring_regex(pa.array([data], pa.binary()), pattern=_POLYGONS_RE2,
                                     replacement=COMPACTED_SEGMENTATION.decode())
    return out[0].as_py()


def _compacted_chunks(raw: BinaryIO, chunk_bytes: int,
                      compact: Callable[[bytes], bytes]) -> Iterator[bytes]:
    """``raw``'s bytes, compacted, in non-empty chunks of about ``chunk_bytes``.

    The text from the last ``"segmentation"`` key of a chunk on is held for the next
    chunk, so that a value is seen whole (values longer than ``_HOLD_BYTES`` plus a chunk
    may be passed through as they are: compacting is an optimisation, never needed).
    """
    held = b""
    while True:
        new = raw.read(chunk_bytes)
        data = held + new
        if not new:
            if data:
                yield compact(data)
            return
        cut = data.rfind(_SEGMENTATION_KEY, max(0, len(data) - _HOLD_BYTES))
        if cut <= 0 and len(data) < _HOLD_BYTES:
            held = data  # nothing before the key yet (or no key and little text): read on
            continue
        if cut <= 0:
            cut = len(data) - len(_SEGMENTATION_KEY) + 1  # a key may start in the tail
        held = data[cut:]
        yield compact(data[:cut])


class SegmentationCompactingReader:
    """A binary reader that applies ``compact_segmentations`` as it reads (chunks of
    about ``chunk_bytes``, whatever the size asked)."""

    def __init__(self, raw: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._chunks = _compacted_chunks(raw, chunk_bytes, compact_segmentations)

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        return next(self._chunks, b"")


_END = object()


class BackgroundCompactingReader:
    """``SegmentationCompactingReader`` whose reading and compacting (with RE2, which
    releases the GIL) run on a worker thread, a few chunks ahead of the parser, so that on
    a machine with a free core they cost the parser nothing. ``on_chunk``, if given, is
    called (on the worker) with every compacted chunk. Use as a context manager, or call
    ``close()``: it stops the worker."""

    def __init__(self, raw: BinaryIO, chunk_bytes: int = BACKGROUND_CHUNK_BYTES,
                 on_chunk: Callable[[bytes], None] | None = None, depth: int = 4) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._work, args=(raw, chunk_bytes, on_chunk),
                                        name="compact-segmentations", daemon=True)
        self._thread.start()

    def _work(self, raw: BinaryIO, chunk_bytes: int, on_chunk: Callable[[bytes], None] | None) -> None:
        try:
            for chunk in _compacted_chunks(raw, chunk_bytes, compact_segmentations_re2):
                if on_chunk is not None:
                    on_chunk(chunk)
                if not self._put(chunk):
                    return
            self._put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the reading thread, raised there
            self._put(exc)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read(self, size: int = -1) -> bytes:
        if size == 0 or self._done:
            return b""
        item = self._queue.get()
        if item is _END:
            self._done = True
            return b""
        if isinstance(item, BaseException):
            self._done = True
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _feeds(key: str, section: str) -> bool:
    """True when the value of top-level ``key`` can hold items with prefix ``section.item``
    (ijson joins keys with dots: the value of ``{"images.item": 1}`` is such an item)."""
    target = f"{section}.item"
    return key == target or target.startswith(key + ".")


@dataclass
class HeadScan:
    """The items of some top-level arrays, read up to a stop key (see ``scan_head``)."""

    items: dict[str, list[Any]]
    #: per section, how many top-level keys read start with the section's name
    keys_seen: Counter[str] = field(default_factory=Counter)
    #: sections fed by a key read whose value is not a plain array: read them whole instead
    irregular: set[str] = field(default_factory=set)
    #: True when the scan met ``stop_key``; False when the document has no such key
    stopped: bool = False


def scan_head(path: Path, sections: Iterable[str], stop_key: str) -> HeadScan:
    """The items of ``sections`` (as ``iter_items`` gives them) from the top-level keys
    that come before the first key starting with ``stop_key``, reading about that far.

    A section that comes after the stop key (or a key that repeats after it) is not seen:
    ``keys_seen`` and ``SectionStream.census`` tell whether that can have happened. Raises
    ``ijson.JSONError`` on text that is not JSON in the part read.
    """
    sections = list(sections)
    scan = HeadScan(items={s: [] for s in sections})
    pairs, started = ijson.sendable_list(), ijson.sendable_list()
    # the top-level values as whole objects (C-built), and a detector that fires at the
    # first item of the stop key's array, when everything before it has been built
    coros = [ijson.kvitems_coro(pairs, "", use_float=True),
             ijson.items_coro(started, f"{stop_key}.item", use_float=True)]
    with open(path, "rb") as raw:
        reader = NonFiniteTolerantReader(raw)
        done = False
        while not done:
            data = reader.read()
            if not data:
                for coro in coros:
                    coro.close()
                done = True
            else:
                for coro in coros:
                    coro.send(data)
                done = bool(started)
            for key, value in pairs:
                if scan.stopped:
                    break
                for section in sections:
                    if key.startswith(section):
                        scan.keys_seen[section] += 1
                if key.startswith(stop_key):
                    scan.stopped = True
                    break
                for section in sections:
                    if key == section and type(value) is list:
                        scan.items[section].extend(value)
                    elif _feeds(key, section):
                        scan.irregular.add(section)
            del pairs[:]
            if scan.stopped:
                break
    # the detector fired inside the stop key's value: its pair is not complete yet
    scan.stopped = scan.stopped or bool(started)
    return scan


def iter_compacted_items(path: Path, section: str, census: _Census | None = None) -> Iterator[Any]:
    """``iter_items`` on the file compacted by ``BackgroundCompactingReader``: polygon
    ``"segmentation"`` values arrive as ``"[[...]]"`` (see ``may_show_compacted``), everything
    else as ``iter_items`` gives it. ``census``, if given, is shown every byte of the file
    (after compacting, which never makes nor breaks a ``"<name>``)."""
    with open(path, "rb") as raw, BackgroundCompactingReader(
            raw, on_chunk=None if census is None else census.feed) as compacted:
        # the C parser's own read loop (~2x faster than pushing chunks into items_coro)
        yield from ijson.items(NonFiniteTolerantReader(compacted), f"{section}.item", use_float=True,
                               buf_size=1 << 18)


class SectionStream:
    """``iter_compacted_items`` in batches of at most ``batch_items`` items; when the loop
    is done, ``census`` holds how often ``"<name>`` occurs in the file for each name in
    ``census_names`` (letters written as ``\\u00XX`` escapes included), which bounds how
    many top-level keys starting with that name the file can have.

    Raises ``ijson.JSONError`` on text that is not JSON, anywhere in the file.
    """

    def __init__(self, path: Path, section: str, census_names: Iterable[str] = (),
                 batch_items: int = 50_000) -> None:
        self.path = path
        self.section = section
        self.batch_items = batch_items
        self.census: Counter[str] = Counter()
        self._census = _Census(census_names)

    def __iter__(self) -> Iterator[list[Any]]:
        items = iter_compacted_items(self.path, self.section, self._census)
        while batch := list(islice(items, self.batch_items)):
            yield batch
        self.census = self._census.counts()
        self.escapes = self._census.escapes

    escapes = False  #: whether the file has ``\\u`` escapes (then names may hide in them)


def trailing_section_items(path: Path, section: str) -> list[Any] | None:
    """The items of top-level array ``section`` read from its key to the end of the file
    only, or None when that key cannot be shown to be where they are.

    For a file already known to be valid JSON in which ``"<section>`` occurs exactly once,
    unescaped (what ``SectionStream.census`` tells): COCO 2017 keeps ``categories`` after
    the annotations, and this reads a few KB instead of the whole file again. The one
    occurrence is the top-level key when (and only when) it is not preceded by a backslash
    (else it sits inside a string) and ``{`` + the text from it parses as one object (a
    key nested deeper leaves closing brackets over; a string value lacks its colon).
    """
    needle = b'"' + section.encode()
    with open(path, "rb") as raw:
        offset = _rfind_in_file(raw, needle)
        if offset < 0:
            return None
        if offset > 0:
            raw.seek(offset - 1)
            if raw.read(1) == b"\\":
                return None
        raw.seek(offset)
        reader = NonFiniteTolerantReader(SegmentationCompactingReader(_Prefixed(b"{", raw)))
        try:
            return list(ijson.items(reader, f"{section}.item", use_float=True))
        except ijson.JSONError:
            return None


def _rfind_in_file(raw: BinaryIO, needle: bytes, block: int = CHUNK_BYTES) -> int:
    """The offset of the last ``needle`` in the file, or -1 (reading backwards)."""
    end = raw.seek(0, 2)
    carry = b""
    while end > 0:
        start = max(0, end - block)
        raw.seek(start)
        data = raw.read(end - start) + carry
        found = data.rfind(needle)
        if found >= 0:
            return start + found
        carry = data[: len(needle) - 1]
        end = start
    return -1


class _Prefixed:
    """A reader giving ``head`` and then the rest of ``raw`` from where it stands."""

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        self._head = head
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        return self._raw.read(size)


class _Census:
    """Counts ``"<name>`` in a byte stream fed chunk by chunk (across chunk boundaries),
    with each letter possibly written as a ``\\u00XX`` escape."""

    def __init__(self, names: Iterable[str]) -> None:
        self._names = list(names)
        self._literal = {n: b'"' + n.encode() for n in self._names}
        self._escaped = {n: re.compile(b'"' + b"".join(
            b"(?:%s|\\\\u00(?i:%02x))" % (re.escape(c.encode()), ord(c)) for c in n)) for n in self._names}
        self._tail = b""
        self._keep = 1 + 6 * max((len(n) for n in self._names), default=0)
        self._counts: Counter[str] = Counter()
        #: True once a ``\\u`` escape was seen anywhere
        self.escapes = False

    def feed(self, chunk: bytes) -> None:
        if not self._names or not chunk:
            return
        # matches start with '"' and hold no other: they never overlap, so the count of
        # tail + chunk is tail's + chunk's + those across the boundary
        head = chunk[: self._keep]
        window = self._tail + head
        escaped_chunk, escaped_window = b"\\u" in chunk, b"\\u" in window
        self.escapes = self.escapes or escaped_chunk or escaped_window
        for name in self._names:
            in_window, in_tail, in_head = (self._count(name, text, escaped_window)
                                           for text in (window, self._tail, head))
            across = in_window - in_tail - in_head
            self._counts[name] += self._count(name, chunk, escaped_chunk) + across
        self._tail = (self._tail + chunk)[-self._keep:] if len(chunk) < self._keep else chunk[-self._keep:]

    def _count(self, name: str, data: bytes, escapes: bool) -> int:
        if escapes:
            return len(self._escaped[name].findall(data))
        return data.count(self._literal[name])

    def counts(self) -> Counter[str]:
        return Counter(self._counts)
