"""python_udfs.grammar: English plurals, articles and number words, row by row and as UDFs."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from python_udfs import grammar
from python_udfs.dbt_plugin import register_udfs


@pytest.mark.parametrize(
    ("noun", "expected"),
    [
        ("person", "people"),
        ("knife", "knives"),
        ("mouse", "mice"),
        ("sheep", "sheep"),
        ("bus", "buses"),
        ("wine glass", "wine glasses"),
        ("traffic light", "traffic lights"),
        ("hair drier", "hair driers"),
    ],
)
def test_plural_inflects_the_head_noun(noun: str, expected: str) -> None:
    assert grammar.plural_of(noun) == expected


@pytest.mark.parametrize(
    ("noun", "expected"),
    [("umbrella", "an umbrella"), ("person", "a person"), ("hour glass", "an hour glass"),
     ("uniform", "a uniform"), ("apple", "an apple")],
)
def test_article_follows_the_sound(noun: str, expected: str) -> None:
    assert grammar.with_article(noun) == expected


def test_number_words_up_to_twenty_then_digits() -> None:
    assert grammar.number_words([0, 1, 7, 20, 21, None]).to_pylist() == [
        "zero", "one", "seven", "twenty", "21", None]


def test_vectorized_functions_keep_nulls_and_length() -> None:
    out = grammar.plural(pa.chunked_array([["cat", None], ["dog"]]))
    assert out.to_pylist() == ["cats", None, "dogs"]
    assert grammar.article([None]).to_pylist() == [None]


def test_udfs_registered_in_duckdb() -> None:
    conn = duckdb.connect()
    register_udfs(conn)
    row = conn.execute(
        "select en_plural('bench'), en_with_article('elephant'), en_number_word(3::bigint)"
    ).fetchone()
    assert row == ("benches", "an elephant", "three")
    # a column with NULLs goes through in one call
    rows = conn.execute(
        "select en_plural(n) from (values ('cup'), (null), ('bus')) t(n)"
    ).fetchall()
    assert [r[0] for r in rows] == ["cups", None, "buses"]


def test_seed_singular_and_plural_agree_with_inflect_where_the_name_is_singular() -> None:
    """The seed's plurals are the reference; inflect must agree on every ordinary name,
    so that a category outside the seed (a user's taxonomy) is inflected the same way."""
    import csv

    from lakehouse.settings import PROJECT_ROOT

    path = PROJECT_ROOT / "seeds" / "coco_category_names.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    disagree = [
        (r["category_name"], r["plural_en"], grammar.plural_of(r["singular_en"]))
        for r in rows
        if r["singular_en"] == r["category_name"]
        and grammar.plural_of(r["singular_en"]) != r["plural_en"]
    ]
    assert disagree == []


@pytest.mark.parametrize(
    ("noun", "expected"),
    [("skis", True), ("scissors", True), ("objects", True), ("broccoli", False),
     ("person", False), ("count", False), ("dining table", False)],
)
def test_is_plural_reads_the_head_noun(noun: str, expected: bool) -> None:
    assert grammar.is_plural_of(noun) is expected


def test_is_plural_udf_keeps_nulls() -> None:
    conn = duckdb.connect()
    register_udfs(conn)
    rows = conn.execute("select en_is_plural(n) from (values ('skis'), (null), ('cat')) t(n)").fetchall()
    assert [r[0] for r in rows] == [True, None, False]


def test_inflect_loaded_without_typeguard_answers_as_the_checked_one() -> None:
    """grammar imports inflect with typeguard's @typechecked off (1.8 s less per process):
    every answer equals the one of inflect imported as usual, in a separate interpreter
    with its checks on, for every COCO name, singular and plural, and the counts 0-25; and
    typeguard's decorator is itself again once the import is done."""
    import csv
    import json
    import subprocess
    import sys

    import typeguard

    from lakehouse.settings import PROJECT_ROOT

    path = PROJECT_ROOT / "seeds" / "coco_category_names.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    nouns = sorted({r[k] for r in rows for k in ("category_name", "singular_en", "plural_en")})
    checked_script = (
        "import json, sys, inflect\n"
        "e = inflect.engine(); nouns = json.loads(sys.stdin.read())\n"
        "print(json.dumps([[e.plural_noun(n) or n, e.a(n), bool(e.singular_noun(n))] for n in nouns]"
        " + [e.number_to_words(i) for i in range(21)]))\n")
    proc = subprocess.run([sys.executable, "-c", checked_script], input=json.dumps(nouns),
                          capture_output=True, text=True, check=True)
    unchecked = [[grammar.plural_of(n), grammar.with_article(n), grammar.is_plural_of(n)] for n in nouns]
    unchecked += [grammar.number_word(i) for i in range(21)]
    assert json.loads(proc.stdout) == unchecked
    assert [grammar.number_word(i) for i in (21, 25)] == ["21", "25"]
    from typeguard._decorators import typechecked

    assert typeguard.typechecked is typechecked
