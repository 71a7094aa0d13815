"""Model answers in the dataset, end to end on real data and a real loopback server:
re-captions and comparisons replace template answers and go through the same audits
(CHAIR included); a judgement below the threshold keeps a sample out; the calls' cost
reaches the cost report."""

from __future__ import annotations

import json
import secrets

import duckdb
import pytest

from generation.config import config_from_env
from generation.stages.compare import run_compare, select_compare_items
from generation.stages.judge import run_judge, select_judge_items
from generation.stages.recaption import run_recaption, select_recaption_items
from lakehouse.dbt import run_dbt
from lakehouse.settings import WAREHOUSE_ENV, Warehouse
from tests.generation.fake_server import ChatCall, FakeChatServer
from tests.warehouses import scratch_copy

FAITHFUL = "A photograph taken outdoors."
HALLUCINATED = "A giraffe and a zebra stand next to a surfboard."
DIMENSIONS = ["image_text_consistency", "task_following", "detail_completeness",
              "reasoning_reliability", "safety_compliance", "language_quality"]
# The calls are made on a scratch copy of the session build (which has every sample, the
# relations the generation stages pick their items from, and the audits); after each
# round of model calls dbt runs only the models downstream of the calls that the marts
# below read (models only, in one dbt process per round: each parses the project anew)
READ = ["samples", "low_quality_flags", "report_model_call_costs"]
AFTER_CALLS = ["run", "--quiet", "--select", *(f"source:generation+,+{m}" for m in READ)]
# every trainer profile's records, and where each keeps a record's last answer
PROFILE_ANSWERS = {f"{p}_records": "conversations[-1].value"
                   for p in ("llava", "qwen2vl", "qwen25vl", "llamafactory", "qwen3vl", "internvl",
                             "llamafactory_qwen25vl")} | {"swift_records": "messages[-1].content"}
SINGLE_IMAGE_PROFILES = {"llava_records", "internvl_records"}
AFTER_ANSWERS = [*AFTER_CALLS, *(f"source:generation+,+{m}" for m in PROFILE_ANSWERS)]


def _rows(wh, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(wh.database), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture()
def server(monkeypatch):
    key = "sk-mmf-test-" + secrets.token_hex(8)
    monkeypatch.setenv("MMFACTORY_API_KEY", key)
    state: dict[str, object] = {"hallucinate_asset": None, "low_sample": None}

    def respond(call: ChatCall) -> str | None:
        if "six dimensions" in call.text:
            score = 2 if state["low_sample"] and state["low_sample"] in call.text else 5
            return json.dumps({d: score for d in DIMENSIONS} | {"rationale": "scripted"})
        if len(call.images) == 1:
            return HALLUCINATED if state["hallucinate"] == call.images[0]["width"] else FAITHFUL
        return None  # the server's default comparison answer

    with FakeChatServer(api_key=key, responder=respond) as srv:
        srv.state = state
        yield srv


@pytest.fixture()
def wh(built_warehouse, tmp_path, monkeypatch) -> Warehouse:
    """A scratch copy of the session build (MMFACTORY_WAREHOUSE points at it)."""
    copy = scratch_copy(built_warehouse, tmp_path / "warehouse")
    monkeypatch.setenv(WAREHOUSE_ENV, str(copy.root))
    return copy


def test_model_answers_are_audited_judged_and_costed(wh, server, tmp_path) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("model,provider,prompt_usd_per_1m_tokens,completion_usd_per_1m_tokens,valid_from,note\n"
                      "fake-vlm,test,1.0,2.0,2020-01-01,test price\n")
    cfg = config_from_env(base_url=server.base_url, model="fake-vlm", concurrency=2, batch_size=4,
                          prices_path=prices)

    items = select_recaption_items(wh, limit=6)
    target = next(i for i in items if not {a.category_name for a in i.annotations} & {"giraffe", "zebra", "surfboard"})
    # the scripted server tells images apart by size: hallucinate on one width only
    server.state["hallucinate"] = target.width_px
    invented = {"giraffe", "zebra", "surfboard"}
    same_width = {i.asset_id for i in items if i.width_px == target.width_px}
    hallucinated = {i.asset_id for i in items
                    if i.asset_id in same_width and not {a.category_name for a in i.annotations} & invented}
    assert run_recaption(items, cfg, wh=wh).status_counts.keys() <= {"ok"}
    assert run_compare(select_compare_items(wh, limit=2), cfg, wh=wh).status_counts.keys() <= {"ok"}
    assert run_dbt(wh, AFTER_ANSWERS) == 0

    model_samples = _rows(wh, "select sample_id, task_type, source_asset_ids, answer_text, generation_method "
                              "from int_samples_templated where generation_method = 'model'")
    descriptions = [r for r in model_samples if r[1] == "image_description"]
    comparisons = [r for r in model_samples if r[1] == "multi_image_comparison"]
    assert descriptions and comparisons
    shipped = {r[0] for r in _rows(wh, "select sample_id from samples")}
    for sample_id, _, assets, answer, _ in descriptions:
        flags = {r[0] for r in _rows(wh, "select error_type from low_quality_flags where sample_id = ?", [sample_id])}
        if assets[0] in same_width - hallucinated:
            continue  # the scripted answer happens to name an object this image holds
        if assets[0] in hallucinated:
            assert answer == HALLUCINATED
            assert "visual_hallucination" in flags and sample_id not in shipped
            # the verified template answer ships instead, and the failed answer is a failure
            (twin,) = _rows(wh, "select sample_id, answer_text, generation_method from int_samples_templated "
                                "where fallback_of_sample_id = ?", [sample_id])
            assert twin[0] in shipped and twin[2] == "template_fallback" and twin[1] != HALLUCINATED
        else:
            assert answer == FAITHFUL and not flags and sample_id in shipped
            # a model answer that passed: its template twin stays out
            (twin,) = _rows(wh, "select sample_id from int_samples_templated where fallback_of_sample_id = ?",
                            [sample_id])
            assert twin[0] not in shipped
    assert any(a[0] in hallucinated for _, _, a, _, _ in descriptions)

    # every trainer profile ships the model's answers, as the canonical records do (the
    # single-image profiles leave the comparisons out)
    shipped_answers = dict(_rows(wh, "select sample_id, answer_text from samples where generation_method = 'model'"))
    single = {r[0] for r in descriptions} & set(shipped_answers)
    assert single and set(shipped_answers) - single
    for relation, answer in PROFILE_ANSWERS.items():
        got = dict(_rows(wh, f"select id, {answer} from {relation} where id in (select unnest(?::varchar[]))",
                         [list(shipped_answers)]))
        wanted = single if relation in SINGLE_IMAGE_PROFILES else set(shipped_answers)
        assert got == {sample_id: shipped_answers[sample_id] for sample_id in wanted}, relation

    # a judgement below the threshold keeps a sample out; one above does not
    judged = [i for i in select_judge_items(wh, language="en", limit=40) if i.sample_id in shipped][:2]
    low, high = judged
    server.state["low_sample"] = low.conversations[-1][1]
    assert run_judge([low, high], cfg, wh=wh).status_counts.keys() <= {"ok"}
    assert run_dbt(wh, AFTER_CALLS) == 0
    shipped = {r[0] for r in _rows(wh, "select sample_id from samples")}
    assert low.sample_id not in shipped and high.sample_id in shipped
    assert _rows(wh, "select error_type from low_quality_flags where sample_id = ?", [low.sample_id]) == [("judge_rejected",)]

    # every paid call is in the cost report, priced from the seed
    calls = _rows(wh, "select count(*), sum(cost_usd) from stg_generation__generations where status = 'ok'")[0]
    assert calls[0] == len(items) + 2 + 2 and calls[1] > 0
    report = _rows(wh, "select sum(call_count) from report_model_call_costs where level = 'total'")
    assert report and report[0][0] == calls[0]
