"""dbt's saved parse, shared by the warehouses of one checkout.

dbt keeps the project it parsed in ``<target>/partial_parse.msgpack`` and, on the next run,
parses again only the files that changed, after checking that dbt's version, the profile,
the command-line variables and the environment variables the files read are the same
(any other difference: it parses the whole project). A new warehouse has no saved parse
of its own, so its first dbt run parsed all of the project: 7.5 CPU-s of the COCO128
build's, against ~3 s for a saved one.

In: a warehouse's dbt target folder. Out: the same folder started from the last parse any
warehouse of this checkout saved (``start_from_shared``, before dbt runs), and that
warehouse's parse offered to the next one (``share``, after). The shared copy lives in
the checkout's git-ignored ``target/`` folder (``SHARED_PARSE``), so a fresh clone starts
without one. dbt itself decides whether what it finds is still valid; nothing it parses
names the warehouse folder (macros/warehouse.sql), so a parse saved in one warehouse is
valid as it is in another (tests/lakehouse/test_dbt_parse.py).
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.atomic import copy_file
from lakehouse.settings import PROJECT_ROOT

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
SHARED_PARSE = PROJECT_ROOT / "target" / "shared_parse" / PARTIAL_PARSE_FILE


def start_from_shared(target: Path, shared: Path = SHARED_PARSE) -> bool:
    """Give ``target`` the shared parse when it has none of its own; True when it did."""
    own = target / PARTIAL_PARSE_FILE
    if own.exists() or not shared.is_file():
        return False
    try:
        copy_file(shared, own)
    except OSError:  # a read-only checkout or target: dbt parses in full, as before
        return False
    return True


def share(target: Path, shared: Path = SHARED_PARSE) -> bool:
    """Offer ``target``'s saved parse to the next new warehouse; True when it did."""
    own = target / PARTIAL_PARSE_FILE
    if not own.is_file():
        return False
    try:
        copy_file(own, shared)
    except OSError:
        return False
    return True
