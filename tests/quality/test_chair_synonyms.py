"""Landing the CHAIR synonym list: stripped, deduped, explicit schema, idempotent."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lakehouse.landing import LandingError, landed_files
from quality.chair_synonyms import (
    CHAIR_SYNONYMS_SCHEMA,
    CHAIR_SYNONYMS_TABLE,
    DEFAULT_CHAIR_SYNONYMS,
    land_chair_synonyms,
)


def _rows(wh):
    (path,) = landed_files(wh, CHAIR_SYNONYMS_TABLE)
    table = pq.read_table(path)
    assert table.schema.equals(CHAIR_SYNONYMS_SCHEMA, check_metadata=False)
    return table.to_pylist()


def test_lands_the_shared_list(wh, shared_datasets):
    report = land_chair_synonyms(wh, DEFAULT_CHAIR_SYNONYMS)
    rows = _rows(wh)
    assert report.unbalanced_tables() == []
    assert report.rejects == []
    assert len({r["category_name"] for r in rows}) == 80
    by_synonym = {r["synonym_normalized"]: r for r in rows}
    # the double-space quirk: " motor bike" and " cheesecake" land stripped
    assert by_synonym["motor bike"]["category_name"] == "motorcycle"
    assert by_synonym["cheesecake"]["category_name"] == "cake"
    assert all(r["synonym"] == r["synonym"].strip() and "  " not in r["synonym"] for r in rows)
    # "person" lists person, woman, guy, child and gentleman twice: once each, counted
    assert by_synonym["woman"]["listed_count"] == 2
    assert len(by_synonym) == len(rows)  # one category per synonym
    assert by_synonym["iphone"]["synonym"] == "iPhone"
    assert sum(r["listed_count"] for r in rows) == 416  # every item of the file


def test_landing_twice_replaces(wh, shared_datasets):
    land_chair_synonyms(wh, DEFAULT_CHAIR_SYNONYMS)
    first = len(_rows(wh))
    land_chair_synonyms(wh, DEFAULT_CHAIR_SYNONYMS)
    assert len(_rows(wh)) == first


def test_empty_and_ambiguous_synonyms_are_rejected(wh, tmp_path: Path):
    path = tmp_path / "synonyms.txt"
    path.write_text("dog, puppy, , hound\ncat, kitten, puppy\n\n", encoding="utf-8")
    report = land_chair_synonyms(wh, path, source="test")
    assert sorted(r.reason for r in report.rejects) == ["ambiguous_synonym", "empty_synonym"]
    assert report.unbalanced_tables() == []
    assert {r["synonym"] for r in _rows(wh)} == {"dog", "puppy", "hound", "cat", "kitten"}


def test_missing_file_is_a_landing_error(wh, tmp_path: Path):
    with pytest.raises(LandingError, match="not found"):
        land_chair_synonyms(wh, tmp_path / "nope.txt")


def test_a_list_that_would_drop_most_synonyms_is_refused_unless_replace(wh, tmp_path: Path, shared_datasets):
    from lakehouse.commit import WouldShrink
    from tests.ingest.landing_cases import snapshot

    land_chair_synonyms(wh, DEFAULT_CHAIR_SYNONYMS)
    before = snapshot(wh)
    landed = len(_rows(wh))
    short = tmp_path / "short.txt"
    short.write_text("person, woman\n")
    with pytest.raises(WouldShrink, match=rf"chair_synonyms: {landed} -> 2 rows \(drops {landed - 2}\)"):
        land_chair_synonyms(wh, short)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    with pytest.raises(WouldShrink, match=rf"chair_synonyms: {landed} -> 0 rows"):
        land_chair_synonyms(wh, empty)
    assert snapshot(wh) == before  # the refused landings changed nothing
    # a source name of another kind is refused too
    with pytest.raises(LandingError, match="already holds a chair_synonyms landing"):
        from ingest.chartqa import land_chartqa
        land_chartqa(wh, shared_datasets / "chartqa", source="chair")
    assert snapshot(wh) == before
    land_chair_synonyms(wh, short, replace=True)
    assert len(_rows(wh)) == 2
