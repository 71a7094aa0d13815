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

One thing dbt does not check: which checkout saved the parse. It matches a saved file by
project name and path inside the project, so a warehouse built from one clone of mmfactory
and then from another (an upgrade cloned beside the old one, a moved checkout) kept the
first clone's parse, in which every seed names the folder it was parsed in: dbt-duckdb
then loaded the seeds from the OTHER clone (its templates, prices and taxonomies), or
failed with "No files found that match the pattern <other clone>/seeds/<seed>.csv" when
it was gone. Before dbt runs, ``start_from_shared`` drops such a parse (``drop_foreign``)
and starts from this checkout's shared one; without it, dbt parses in full once.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.atomic import copy_file
from lakehouse.settings import PROJECT_ROOT

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
SHARED_PARSE = PROJECT_ROOT / "target" / "shared_parse" / PARTIAL_PARSE_FILE


def saved_by(parse: bytes, root: Path) -> bool:
    """Whether the msgpack of a saved parse has files of the project in ``root`` (each file
    records its project's folder as ``project_root``; dbt's own macros name its package)."""
    import msgpack  # dbt's own dependency; only needed here

    return msgpack.packb("project_root") + msgpack.packb(str(root)) in parse


def drop_foreign(target: Path, root: Path = PROJECT_ROOT) -> bool:
    """Remove ``target``'s saved parse when another checkout than ``root`` saved it (see
    above); True when it did. Reads the file once (~1 ms for the 2.5 MB of the project's)."""
    own = target / PARTIAL_PARSE_FILE
    try:
        if saved_by(own.read_bytes(), root):
            return False
        own.unlink()
    except OSError:  # none saved, or it cannot be read: dbt decides, as before
        return False
    return True


def start_from_shared(target: Path, shared: Path = SHARED_PARSE, root: Path = PROJECT_ROOT) -> bool:
    """Give ``target`` the shared parse when it has none of its own; True when it did.
    Either way, a parse another checkout than ``root`` saved is dropped first
    (``drop_foreign``), and so is a shared one that was (a moved checkout's)."""
    own = target / PARTIAL_PARSE_FILE
    drop_foreign(target, root)
    if own.exists() or not shared.is_file():
        return False
    try:
        copy_file(shared, own)
    except OSError:  # a read-only checkout or target: dbt parses in full, as before
        return False
    return not drop_foreign(target, root)


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
