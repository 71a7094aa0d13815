"""English plurals, articles and number words for template text, via ``inflect``.

Pure, vectorized pyarrow functions (``python_udfs.dbt_plugin`` registers them as arrow
UDFs, so the task models write fluent English without hand-made pluralisation). Every
function takes column-like inputs (``pa.Array``, ``pa.ChunkedArray`` or a sequence, ``None``
meaning NULL) and returns one ``pa.Array`` of the same length; a NULL input row gives a
NULL output row, nothing raises.

The nouns are category names as a taxonomy spells them (``"traffic light"``,
``"person"``). Names that are already plural in their taxonomy (COCO's ``"skis"``,
``"scissors"``) are not this module's business: the seed ``coco_category_names`` carries
their singular and plural phrase ("pair of skis" / "pairs of skis"), and the models
prefer the seed and fall back to :func:`plural` only for names the seed does not know.

SQL functions:

* ``en_plural(noun VARCHAR) -> VARCHAR``: ``"person"`` -> ``"people"``, ``"knife"`` ->
  ``"knives"``, ``"wine glass"`` -> ``"wine glasses"`` (the head noun of a phrase).
* ``en_with_article(noun VARCHAR) -> VARCHAR``: ``"an umbrella"``, ``"a person"``.
* ``en_is_plural(noun VARCHAR) -> BOOLEAN``: whether inflect reads the noun as a plural
  (``"skis"``, ``"scissors"``: true; ``"broccoli"``, ``"person"``: false). The language
  audit uses it for a taxonomy name the seed's singular/plural phrases do not spell.
* ``en_number_word(n BIGINT) -> VARCHAR``: ``0..20`` as words (``"seven"``), larger numbers
  as digits, the usual style for counts in running text.

Lists are joined by the dbt macro ``human_list`` and a count with its noun by ``en_count``
(``macros/text.sql``): plain SQL, no UDF needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from types import ModuleType
from typing import Any, TypeAlias

import pyarrow as pa
import typeguard

Column: TypeAlias = pa.Array | pa.ChunkedArray | Sequence[Any]
"""A column of values; ``None`` (or an arrow NULL) is a NULL."""


def _unchecked(target: Any = None, **_options: Any) -> Any:
    """``typeguard.typechecked`` as it is under ``python -O``: returns what it decorates."""
    return target if target is not None else _unchecked


def _import_inflect() -> ModuleType:
    """``import inflect``, with typeguard's ``@typechecked`` a no-op while it loads.

    inflect decorates 23 of its methods with ``@typechecked``, and typeguard instruments
    each one by parsing inflect's whole source (4,000 lines) again: 1.8 s of CPU in every
    process that loads these functions, and every ``dbt`` run loads them (the plugin),
    where the rest of the import takes 0.1 s (BENCHMARKS.md). The checks it would add
    only validate that a word is a non-empty ``str`` and a number a number, which the
    functions below guarantee before they call inflect; typeguard itself skips them the
    same way under ``python -O``. Where inflect is already imported, it is reused as is.
    """
    checked = typeguard.typechecked
    typeguard.typechecked = _unchecked
    try:
        import inflect
    finally:
        typeguard.typechecked = checked
    return inflect


_ENGINE = _import_inflect().engine()
NUMBER_WORDS_UP_TO = 20
"""Counts up to this are written as words by :func:`number_word`; larger ones as digits."""


def _values(column: Column) -> list[Any]:
    if isinstance(column, (pa.Array, pa.ChunkedArray)):
        return column.to_pylist()
    return list(column)


def _map(fn: Callable[[Any], str], column: Column) -> pa.Array:
    return pa.array([None if v is None else fn(v) for v in _values(column)], pa.string())


@lru_cache(maxsize=65536)
def plural_of(noun: str) -> str:
    """The plural of one noun phrase (inflect inflects the head noun)."""
    noun = noun.strip()
    return _ENGINE.plural_noun(noun) or noun if noun else noun


@lru_cache(maxsize=65536)
def with_article(noun: str) -> str:
    """``noun`` with its indefinite article ("a" or "an", by sound, not by letter)."""
    noun = noun.strip()
    return _ENGINE.a(noun) if noun else noun


@lru_cache(maxsize=65536)
def is_plural_of(noun: str) -> bool:
    """Whether inflect reads ``noun`` (its head noun) as a plural: it has a singular form."""
    noun = noun.strip()
    return bool(noun) and bool(_ENGINE.singular_noun(noun))


def number_word(n: int) -> str:
    """``n`` spelled out when ``0 <= n <= NUMBER_WORDS_UP_TO``, else its digits."""
    n = int(n)
    return _ENGINE.number_to_words(n) if 0 <= n <= NUMBER_WORDS_UP_TO else str(n)


def plural(nouns: Column) -> pa.Array:
    """Vectorized :func:`plural_of` (UDF ``en_plural``)."""
    return _map(plural_of, nouns)


def article(nouns: Column) -> pa.Array:
    """Vectorized :func:`with_article` (UDF ``en_with_article``)."""
    return _map(with_article, nouns)


def is_plural(nouns: Column) -> pa.Array:
    """Vectorized :func:`is_plural_of` (UDF ``en_is_plural``)."""
    return pa.array([None if v is None else is_plural_of(v) for v in _values(nouns)], pa.bool_())


def number_words(numbers: Column) -> pa.Array:
    """Vectorized :func:`number_word` (UDF ``en_number_word``)."""
    return _map(number_word, numbers)
