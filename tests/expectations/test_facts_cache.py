"""The checks' cache of record facts by line digest (expectations/facts_cache.py): a run
with the cache gives exactly the rows of a run without it, parses only the lines it
lacks, survives a damaged cache, and forgets what no run reads any more."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from expectations import facts_cache
from expectations.record_facts import FACTS_SCHEMA, spool_record_facts
from lakehouse.settings import Warehouse
from tests.expectations.test_record_facts import _write

FILES = ("train.jsonl", "final_llava_dataset.jsonl", "qwen25vl/train.jsonl", "packed/train.jsonl",
         "llava/train.json")


def _exports(root: Path, n: int = 40) -> list[tuple[Path, str, bool]]:
    """Record files of four kinds: canonical JSONL (two holding the same records), a box
    profile's JSONL, the packed set's and a JSON array, with blank, broken and non-UTF-8
    lines."""
    files = []
    for rel in FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".json"):
            path.write_text(json.dumps([{"id": f"a{i}", "image": "x.jpg", "conversations": []}
                                        for i in range(5)]), encoding="utf-8")
        else:
            _write(path, n)
        files.append((path, rel, rel.startswith("qwen25vl/")))
    return files


def _spool(files, folder: Path, cache: Path | None, **kwargs) -> list[dict]:
    n = (spool_record_facts(files, folder, **kwargs) if cache is None
         else facts_cache.spool_record_facts(files, folder, cache, **kwargs))
    table = pa.concat_tables(pq.read_table(p, schema=FACTS_SCHEMA) for p in sorted(folder.glob("facts-*.parquet")))
    assert table.num_rows == n
    return sorted(table.to_pylist(), key=lambda r: (r["file_no"], r["line_no"]))


def _cached_rows(cache: Path) -> int:
    return sum(pq.read_metadata(p).num_rows for p in cache.glob("*.parquet"))


def test_a_cached_run_gives_the_rows_of_a_run_without_the_cache(tmp_path: Path) -> None:
    files = _exports(tmp_path / "exports")
    cache = tmp_path / "wh" / "record_facts" / "v"
    plain = _spool(files, tmp_path / "plain", None, executor="inprocess")
    cold = _spool(files, tmp_path / "cold", cache, executor="inprocess")
    warm = _spool(files, tmp_path / "warm", cache, executor="inprocess")
    pooled = _spool(files, tmp_path / "pooled", cache, executor="pool", target_bytes=2_000)
    assert cold == plain and warm == plain and pooled == plain
    assert len(plain) == 4 * 42 + 5
    assert {r["file_path"] for r in plain if r["turns"] is not None} == {"packed/train.jsonl"}
    # each distinct (profile, line) once: the two canonical files share their lines
    assert _cached_rows(cache) == 3 * 42


def test_a_warm_run_parses_only_the_lines_the_cache_lacks(tmp_path: Path, monkeypatch) -> None:
    files = _exports(tmp_path / "exports")
    cache = tmp_path / "cache" / "v"
    _spool(files, tmp_path / "first", cache, executor="inprocess")
    held = _cached_rows(cache)
    with open(files[2][0], "a", encoding="utf-8") as fh:  # one record more in the box profile
        fh.write(json.dumps({"id": "new", "image": ["n.jpg"], "conversations": [
            {"from": "human", "value": "<image>\nWhere?"}, {"from": "gpt", "value": "there"}]}) + "\n")
    parsed: list[int] = []
    real = facts_cache.parse_lines

    def counting(items):
        parsed.extend(len(wanted) for _, wanted, _, _ in items)
        return real(items)

    monkeypatch.setattr(facts_cache, "parse_lines", counting)
    rows = _spool(files, tmp_path / "second", cache, executor="inprocess")
    assert parsed == [1]
    assert _cached_rows(cache) == held + 1
    assert [r["record_key"] for r in rows if r["id"] == "new"] == ["qwen25vl/train.jsonl:new"]
    assert rows == _spool(files, tmp_path / "plain", None, executor="inprocess")


def _operators(node: dict) -> list[dict]:
    """Every operator of a DuckDB JSON profile's plan, depth first."""
    found = []
    for child in node.get("operator", node.get("children", [])):
        found += [child, *_operators(child)]
    return found


def test_a_warm_run_holds_the_lines_and_streams_the_facts_past_them(tmp_path: Path, monkeypatch) -> None:
    """The join that puts the cached facts on the lines keeps the lines in memory (the build
    side of DuckDB's hash join) and streams the facts, with their texts, past them. Left to
    its estimates DuckDB held the facts: it estimates a list of Parquet files from the
    first one, and here, as after a build that added a few records, the cache's first file
    is a small one of new entries."""
    files = _exports(tmp_path / "exports", n=400)
    cache = tmp_path / "cache" / "v"
    _spool(files, tmp_path / "first", cache, executor="inprocess")
    [large] = cache.glob("*.parquet")
    with open(files[2][0], "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "new", "image": ["n.jpg"], "conversations": [
            {"from": "human", "value": "<image>\nWhere?"}, {"from": "gpt", "value": "there"}]}) + "\n")
    _spool(files, tmp_path / "second", cache, executor="inprocess")
    [small] = [p for p in cache.glob("*.parquet") if p != large]
    small.rename(cache / f"{'0' * 32}.parquet")  # listed first
    profile = tmp_path / "profile.json"
    assemble = facts_cache._assemble

    def profiled(con, spool, cached):
        con.execute("pragma enable_profiling = 'json'")
        con.execute(f"pragma profiling_output = '{profile}'")
        try:
            return assemble(con, spool, cached)
        finally:
            con.execute("pragma disable_profiling")

    monkeypatch.setattr(facts_cache, "_assemble", profiled)
    rows = _spool(files, tmp_path / "third", cache, executor="inprocess")
    assert rows == _spool(files, tmp_path / "plain", None, executor="inprocess")
    joins = [op for op in _operators(json.loads(profile.read_text())) if op["type"] == "HASH_JOIN"]
    assert len(joins) == 3  # lines to files, facts to lines, the files' names
    # a hash join's children: the side streamed past (probe), then the side held (build)
    held = [json.dumps(join["children"][1]) for join in joins]
    streamed = [json.dumps(join["children"][0]) for join in joins]
    assert not [side for side in held if "first_turn" in side], "the facts are held in memory"
    assert [side for side in streamed if "first_turn" in side]


def test_a_damaged_cache_costs_time_not_rows(tmp_path: Path) -> None:
    files = _exports(tmp_path / "exports")
    cache = tmp_path / "cache" / "v"
    plain = _spool(files, tmp_path / "plain", None, executor="inprocess")
    _spool(files, tmp_path / "first", cache, executor="inprocess")
    for path in cache.glob("*.parquet"):
        path.write_bytes(path.read_bytes()[:100])  # cut short: not Parquet any more
    assert _spool(files, tmp_path / "second", cache, executor="inprocess") == plain


def test_what_no_run_reads_is_forgotten(tmp_path: Path) -> None:
    """The cache of another code version is removed; one holding over twice what a run
    used is rewritten to what it used."""
    files = _exports(tmp_path / "exports", n=200)
    cache = tmp_path / "cache" / "v"
    other = cache.parent / "older"
    other.mkdir(parents=True)
    (other / "x.parquet").write_bytes(b"old")
    _spool(files, tmp_path / "first", cache, executor="inprocess")
    assert not other.exists()
    for path, rel, _ in files[:4]:  # every JSONL file down to its first 20 lines
        path.write_bytes(b"".join(path.read_bytes().splitlines(keepends=True)[:20]))
    rows = _spool(files, tmp_path / "second", cache, executor="inprocess")
    assert len(list(cache.glob("*.parquet"))) == 1
    per_file = sum(1 for r in rows if r["file_path"] == "train.jsonl")
    assert 0 < per_file < 20 and _cached_rows(cache) == 3 * per_file  # canonical, qwen25vl and packed


def test_the_cache_is_per_code_version(tmp_path: Path, monkeypatch) -> None:
    source = tmp_path / "rules.py"
    source.write_text("# one version\n")
    monkeypatch.setattr(facts_cache, "_CODE", [*facts_cache._CODE, source])
    wh = Warehouse(tmp_path)
    before = facts_cache.cache_dir(wh)
    source.write_text("# another\n")
    assert facts_cache.cache_dir(wh) != before
    assert facts_cache.cache_dir(wh).parent == before.parent == wh.record_facts_cache


def _duckdb_array(path: Path, n: int = 6) -> bytes:
    """A JSON array file as the exports write one (DuckDB's COPY ... ARRAY true)."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(f"""copy (select 'a' || i as id, 'x.jpg' as image,
                                 [{{'from': 'human', 'value': '<image>\nQ' || i}},
                                  {{'from': 'gpt', 'value': 'A' || i}}] as conversations
                              from range({n}) as t (i) order by i)
                        to '{path}' (format json, array true)""")
    return path.read_bytes()


def _lines_edited(data: bytes, edit) -> bytes:
    lines = data.split(b"\n")
    edit(lines)
    return b"\n".join(lines)


ARRAY_EDITS = {
    "as written": lambda lines: None,
    "a comma missing": lambda lines: lines.__setitem__(1, lines[1].rstrip(b",")),
    "two elements on a line": lambda lines: lines.__setitem__(slice(1, 3), [lines[1] + lines[2].lstrip(b"\t")]),
    "an element not an object": lambda lines: lines.__setitem__(2, b"\t[1, 2],"),
    "a blank line between": lambda lines: lines.insert(2, b""),
    "a trailing comma": lambda lines: lines.__setitem__(-2, lines[-2] + b","),
}


def test_an_array_file_in_the_exports_layout_is_read_by_element(tmp_path: Path) -> None:
    """A JSON array file as DuckDB writes it is read element by element through the cache,
    with the rows of a whole parse; one that breaks the layout, or is no array of
    objects, gives exactly what parsing it whole gives (here checked per edit)."""
    written = _duckdb_array(tmp_path / "template.json")
    assert written.startswith(b"[\n\t{") and written.rstrip().endswith(b"}\n]")
    for name, edit in ARRAY_EDITS.items():
        root = tmp_path / name.replace(" ", "_")
        path = root / "exports" / "llava" / "train.json"
        path.parent.mkdir(parents=True)
        path.write_bytes(_lines_edited(written, edit))
        files = [(path, "llava/train.json", True)]
        cache = root / "cache" / "v"
        plain = _spool(files, root / "plain", None, executor="inprocess")
        assert _spool(files, root / "cold", cache, executor="inprocess") == plain, name
        assert _spool(files, root / "warm", cache, executor="inprocess") == plain, name
        if name == "as written":
            assert len(plain) == 6 and all(r["parse_error"] is None for r in plain)
            assert _cached_rows(cache) == 6  # read by element: each kept by its digest
