"""The API key is sent, yet never lands in any file under the warehouse, in any log line
(all loggers at DEBUG, openai's and the HTTP client's included), or in an error text, even
when a hostile server echoes it back in error bodies and answers."""

from __future__ import annotations

import json
import logging

from generation.items import ConsistencyItem, SampleItem
from generation.stages.compare import run_compare
from generation.stages.consistency import run_consistency
from generation.stages.judge import run_judge
from generation.stages.recaption import run_recaption
from generation.stages.translate import run_translate
from generation.store import GENERATIONS, read_landed
from tests.generation.fake_server import Reply


def test_key_absent_from_every_file_and_log_line(
    cfg, server, wh, api_key, coco_items, tiny_items, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    echo_error = json.dumps(
        {"error": {"message": f"invalid header: Authorization: Bearer {api_key}"}}
    ).encode()
    server.inject(
        [
            "429",
            "500",
            "timeout",
            "malformed",
            "empty",
            "refusal",
            "400",
            Reply(status=422, body=echo_error),
            Reply(text=f"your key is {api_key}"),
        ]
    )
    samples = [
        SampleItem(
            f"s{i}",
            [("human", "<image>\nDescribe."), ("gpt", f"A block {i} at [1, 2, 3, 4].")],
            [tiny_items[i].path],
        )
        for i in range(3)
    ]
    run_recaption(coco_items[:6], cfg)
    run_compare([(coco_items[0], coco_items[1])], cfg)
    run_judge(samples, cfg)
    run_consistency(
        [ConsistencyItem("q", "How many blocks?", (tiny_items[0].ref,), "number")], cfg, n=3
    )
    run_translate(samples, cfg)

    # the key was really used: the server accepted the requests it checks the key on
    assert server.outcomes()["ok"] > 10 and all(c.has_authorization for c in server.calls)
    statuses = set(read_landed(wh, GENERATIONS, ["status"]).column("status").to_pylist())
    assert {"http_error", "malformed_response", "empty_content", "refusal"} <= statuses
    texts = read_landed(wh, GENERATIONS, ["error", "response_text"]).to_pylist()
    assert any("[REDACTED]" in (t["error"] or "") for t in texts)
    assert any("[REDACTED]" in (t["response_text"] or "") for t in texts)

    files = [p for p in wh.root.rglob("*") if p.is_file()]
    assert len(files) > 10
    for path in files:
        assert api_key.encode() not in path.read_bytes(), path
    assert caplog.records and api_key not in caplog.text
    assert all(api_key not in r.getMessage() for r in caplog.records)
