"""generation.stages.judge: the P13 rubric, robust parsing, unparsable as its own class."""

from __future__ import annotations

import json

import pytest

from generation.items import SampleItem
from generation.prompts import JUDGE_DIMENSIONS, JUDGE_WITH_IMAGES
from generation.stages.judge import JudgementParseError, judge_request, parse_judgement, run_judge
from generation.store import GENERATIONS, read_landed
from lakehouse.tables.generation import JUDGEMENTS
from tests.generation.fake_server import Reply

SCORES = dict(zip(JUDGE_DIMENSIONS, [5, 4, 4, 5, 5, 3]))


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(SCORES),
        "Here is my judgement:\n```json\n"
        + json.dumps({**SCORES, "rationale": "fine"}, indent=2)
        + "\n```\nThanks.",
        json.dumps({"scores": SCORES, "rationale": "nested"}),
        json.dumps({k.replace("_", " ").title(): str(v) for k, v in SCORES.items()}),
        json.dumps({**{k: float(v) for k, v in SCORES.items()}, "extra": 99}),
    ],
)
def test_parse_tolerates_fences_nesting_spelling_and_strings(text: str) -> None:
    j = parse_judgement(text)
    assert j.scores == SCORES and j.mean_score == pytest.approx(26 / 6) and j.min_score == 3


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("I think it is good.", "no JSON object"),
        ("{not json}", "does not parse"),
        (
            json.dumps({k: v for k, v in SCORES.items() if k != "safety_compliance"}),
            "missing safety_compliance",
        ),
        (json.dumps({**SCORES, "language_quality": 7}), "not an integer 1-5: language_quality=7"),
        (json.dumps({**SCORES, "task_following": 4.5}), "task_following=4.5"),
    ],
)
def test_parse_failures_say_why(text: str, reason: str) -> None:
    with pytest.raises(JudgementParseError, match=reason):
        parse_judgement(text)


def _samples(tiny_items, n: int) -> list[SampleItem]:
    return [
        SampleItem(
            f"s{i}",
            [("human", "<image>\nDescribe the image."), ("gpt", f"A red block, sample {i}.")],
            [tiny_items[i].path],
            task_type="detailed_description",
        )
        for i in range(n)
    ]


def test_judge_lands_scores_and_unparsable_rows(cfg, server, wh, tiny_items) -> None:
    samples = _samples(tiny_items, 4)
    unparsable = judge_request(samples[3], cfg).request_hash
    server.inject([Reply(text="Overall I'd say 4/5.")], when=lambda c: c.request_hash == unparsable)
    report = run_judge(samples, cfg, threshold=4.0)
    assert report.status_counts == {"ok": 3, "unparsable_judgement": 1}
    gen = {r["request_hash"]: r for r in read_landed(wh, GENERATIONS).to_pylist()}
    assert gen[unparsable]["status"] == "unparsable_judgement"
    assert gen[unparsable]["response_text"] == "Overall I'd say 4/5."  # the raw answer is kept
    assert "no JSON object" in gen[unparsable]["error"]
    judgements = read_landed(wh, JUDGEMENTS).to_pylist()
    assert sorted(j["sample_id"] for j in judgements) == ["s0", "s1", "s2"]
    for j in judgements:
        assert j["judge_prompt_hash"] == JUDGE_WITH_IMAGES.sha256 and j["threshold"] == 4.0
        assert j["is_passed"] == (j["mean_score"] >= 4.0)
        assert j["mean_score"] == pytest.approx(sum(j[d] for d in JUDGE_DIMENSIONS) / 6)
    # all judge requests carried the sample's image
    assert all(len(c.images) == 1 for c in server.calls)

    calls = server.n_calls
    again = run_judge(samples, cfg, threshold=4.0)  # only the unparsable one is asked again
    assert (again.n_called, again.n_ok, server.n_calls - calls) == (1, 1, 1)
    assert again.derived_counts == {"judgements": 1}

    stricter = run_judge(samples, cfg, threshold=4.5)  # a new threshold costs no call
    assert stricter.n_called == 0 and stricter.derived_counts == {"judgements": 4}
    rows = read_landed(wh, JUDGEMENTS).to_pylist()
    assert len(rows) == 8 and all(
        r["is_passed"] == (r["mean_score"] >= r["threshold"]) for r in rows
    )


def test_text_only_judge_sends_no_images_and_has_its_own_prompt_hash(
    cfg, server, wh, tiny_items
) -> None:
    sample = _samples(tiny_items, 1)
    run_judge(sample, cfg, text_only=True)
    assert server.calls[-1].images == [] and "You cannot see the images" in server.calls[-1].text
    assert read_landed(wh, JUDGEMENTS).to_pylist()[0]["is_text_only"] is True
    assert (
        judge_request(sample[0], cfg, True).request_hash
        != judge_request(sample[0], cfg, False).request_hash
    )


def test_chinese_samples_are_judged_with_the_chinese_prompt(cfg, server, wh, tiny_items) -> None:
    from generation.prompts import JUDGE_WITH_IMAGES_ZH

    en = SampleItem("s_en", [("human", "<image>\nHow many cats?"), ("gpt", "There are 2 cats.")],
                    [tiny_items[0].path], task_type="counting_visual_qa", language="en")
    zh = SampleItem("s_zh", [("human", "<image>\n图中有几只猫？"), ("gpt", "图中有2只猫。")],
                    [tiny_items[1].path], task_type="counting_visual_qa", language="zh")
    assert judge_request(zh, cfg).template is JUDGE_WITH_IMAGES_ZH
    assert judge_request(en, cfg).template is JUDGE_WITH_IMAGES
    report = run_judge([en, zh], cfg, threshold=4.0)
    assert report.status_counts == {"ok": 2}
    prompt_of = {c.request_hash: c.text for c in server.calls}
    zh_prompt = prompt_of[judge_request(zh, cfg).request_hash]
    en_prompt = prompt_of[judge_request(en, cfg).request_hash]
    assert "图文一致性" in zh_prompt and "图中有2只猫。" in zh_prompt and "Score the training" not in zh_prompt
    assert "Score the training sample" in en_prompt and "图文一致性" not in en_prompt
    hashes = {j["sample_id"]: (j["judge_prompt_id"], j["judge_prompt_hash"])
              for j in read_landed(wh, JUDGEMENTS).to_pylist()}
    assert hashes == {"s_en": (JUDGE_WITH_IMAGES.template_id, JUDGE_WITH_IMAGES.sha256),
                      "s_zh": (JUDGE_WITH_IMAGES_ZH.template_id, JUDGE_WITH_IMAGES_ZH.sha256)}
