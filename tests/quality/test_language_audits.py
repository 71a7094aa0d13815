"""The language audits on the built lakehouse (the default data, as `make run` builds it).

Targets of issue 14: no shipped English sample with a number next to a noun that
disagrees with it, no shipped Chinese sample with Latin text that is not quoted visible
text. The audits (int_sample_language_checked) gate shipping; report_language_audits and
p3_report.md state what they flag per task type. A second, independent look at the
shipped Chinese text (plain Python over the samples mart) guards the audit itself.
"""

from __future__ import annotations

import re

import duckdb

from expectations.config import REPORT_FILE
from lakehouse.settings import Warehouse

_QUOTED = re.compile(r"「[^」]*」|“[^”]*”")
_BOX_NOTATION = re.compile(r"\[\s*[xy](?:min|max|[12])(?:\s*,\s*[xy](?:min|max|[12])){3}\s*\]")


def _rows(wh: Warehouse, query: str) -> list[tuple]:
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return con.execute(query).fetchall()


def test_no_shipped_sample_breaks_the_language_rules(built_warehouse: Warehouse) -> None:
    (row,) = _rows(built_warehouse, "select candidate_sample_count, shipped_sample_count, "
                                    "shipped_grammar_agreement_count, shipped_language_mixing_count "
                                    "from report_language_audits where task_type = 'all'")
    candidates, shipped, grammar, mixing = row
    assert candidates > 1000 and shipped > 500
    assert (grammar, mixing) == (0, 0)
    # every candidate the audits flag carries the error type and is not shipped
    leaks = _rows(built_warehouse, """
        select l.sample_id from int_sample_language_checked l
        join samples s using (sample_id)
        where len(l.failed_checks) > 0""")
    assert leaks == []
    flagged = _rows(built_warehouse, """
        select count(*) filter (where not list_contains(q.error_types, l.failed_error_types))
        from int_sample_language_checked l join quality_audit q using (sample_id)
        where l.failed_error_types in ('grammar_agreement', 'language_mixing')""")
    assert flagged == [(0,)]


def test_shipped_chinese_text_has_latin_only_in_quotes(built_warehouse: Warehouse) -> None:
    """Independent of the SQL: strip quoted spans and the box notation from every shipped
    Chinese question and answer; what is left has no Latin letter, unless the answer is
    entirely text the page shows (an extractive document answer, no Chinese in it)."""
    rows = _rows(built_warehouse, "select sample_id, question_text, answer_text from samples "
                                  "where language = 'zh'")
    assert len(rows) > 100
    bad = []
    for sample_id, question, answer in rows:
        for part, text in (("question", question), ("answer", answer)):
            rest = _QUOTED.sub(" ", _BOX_NOTATION.sub(" ", text))
            extractive = part == "answer" and not re.search(r"[\u4e00-\u9fff]", text)
            if re.search(r"[A-Za-z]", rest) and not extractive:
                bad.append((sample_id, part, text))
    assert bad == []


def test_the_report_states_the_language_audits(built_warehouse: Warehouse) -> None:
    report = (built_warehouse.exports / REPORT_FILE).read_text(encoding="utf-8")
    assert "## Language audits (grammar_agreement, language_mixing)" in report
    section = report.split("## Language audits", 1)[1].split("\n## ", 1)[0]
    assert "shipped_grammar_agreement_count" in section and "| all | all |" in section
