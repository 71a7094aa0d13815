"""Stage ``consistency``: n samples of the same request and their agreement.

In: ``ConsistencyItem`` work items (question, images, answer kind) and n >= 2. Each item
becomes n requests that differ only in ``sample_index`` (and, with a seed set, in the
seed sent: seed + i); they share ``group_hash``. Raising n later reuses the samples
already landed and calls only the new ones.
Out: ``generations`` rows (``stage='consistency'``) and, once all n samples of a group are
answered ok, one ``consistency_scores`` row per (group_hash, n_samples):

- number: the first number of each answer (digits or a number word up to twenty);
  agreement = share of the n samples that give the majority value.
- box: the first ``[a, b, c, d]`` of each answer; agreement = mean pairwise IoU (an
  answer without a box has IoU 0 with all others); the answer is the medoid box.
- text: agreement = mean pairwise Jaccard overlap of lower-cased word sets; the answer
  is the medoid text.
- auto: box if every answer has a box, number if every answer is a short (<= 5 words)
  answer with a number, else text.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from generation.config import GenerationConfig
from generation.items import ConsistencyItem
from generation.lakehouse import select_annotated_images
from generation.prompts import CONSISTENCY
from generation.requests import GenerationRequest
from generation.runner import RunReport, build_requests, land_derived, run_requests
from generation.store import landed_keys, ok_generations
from lakehouse.landing import utc_now
from lakehouse.settings import Warehouse, warehouse
from lakehouse.tables.generation import CONSISTENCY_SCORES

STAGE = "consistency"
DEFAULT_N = 5
ANSWER_INSTRUCTIONS = {
    "number": "Answer with a single number only.",
    "box": "Answer with the box only, as [x_min, y_min, x_max, y_max] normalized to 0-1000.",
    "text": "Answer in one or two sentences.",
    "auto": "Answer concisely.",
}
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w])")
_NUM = r"\s*(-?\d+(?:\.\d+)?)\s*"
_BOX = re.compile(r"\[" + ",".join([_NUM] * 4) + r"\]")
_WORDS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_TOKEN = re.compile(r"\w+", re.UNICODE)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def extract_number(text: str) -> str | None:
    """The first number in ``text`` (digits, or a number word zero..twenty), normalized."""
    m = _NUMBER.search(text)
    word = next((w for w in _TOKEN.findall(text.lower()) if w in _WORDS), None)
    if m and (word is None or text.lower().find(word) > m.start()):
        return _fmt(float(m.group()))
    return str(_WORDS[word]) if word is not None else None


def extract_box(text: str) -> tuple[float, float, float, float] | None:
    """The first ``[a, b, c, d]`` in ``text`` as ``(x_min, y_min, x_max, y_max)``."""
    m = _BOX.search(text)
    if not m:
        return None
    a, b, c, d = (float(g) for g in m.groups())
    return min(a, c), min(b, d), max(a, c), max(b, d)


def iou(p: tuple[float, ...] | None, q: tuple[float, ...] | None) -> float:
    """Intersection over union of two ``(x_min, y_min, x_max, y_max)`` boxes (0 if one is None)."""
    if p is None or q is None:
        return 0.0
    iw = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
    ih = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    inter = iw * ih
    union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
    if union <= 0:
        return 1.0 if p == q else 0.0
    return inter / union


def token_overlap(a: str, b: str) -> float:
    """Jaccard overlap of the lower-cased word sets of ``a`` and ``b`` (1.0 if both empty)."""
    sa, sb = set(_TOKEN.findall(a.lower())), set(_TOKEN.findall(b.lower()))
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def _medoid(values: Sequence[Any], sim: Any) -> int:
    n = len(values)
    totals = [sum(sim(values[i], values[j]) for j in range(n) if j != i) for i in range(n)]
    return max(range(n), key=lambda i: (totals[i], -i))


def _mean_pairwise(values: Sequence[Any], sim: Any) -> float:
    pairs = list(itertools.combinations(values, 2))
    return sum(sim(a, b) for a, b in pairs) / len(pairs)


def resolve_kind(kind: str, texts: Sequence[str]) -> str:
    """``kind``, or for ``auto`` the kind every answer fits (box, number, else text)."""
    if kind != "auto":
        return kind
    if all(extract_box(t) is not None for t in texts):
        return "box"
    if all(extract_number(t) is not None and len(_TOKEN.findall(t)) <= 5 for t in texts):
        return "number"
    return "text"


def agreement(kind: str, texts: Sequence[str]) -> dict[str, Any]:
    """Agreement of n >= 2 answers: kind, score, majority answer, parsed answers, n parsed."""
    if len(texts) < 2:
        raise ValueError("agreement needs at least two answers")
    kind = resolve_kind(kind, texts)
    if kind == "number":
        answers = [extract_number(t) for t in texts]
        counts = Counter(a for a in answers if a is not None)
        majority, top = counts.most_common(1)[0] if counts else (None, 0)
        score = top / len(texts)
    elif kind == "box":
        boxes = [extract_box(t) for t in texts]
        answers = [None if b is None else "[" + ", ".join(_fmt(v) for v in b) + "]" for b in boxes]
        score = _mean_pairwise(boxes, iou)
        parsed = [i for i, b in enumerate(boxes) if b is not None]
        majority = answers[_medoid(boxes, iou)] if parsed else None
    elif kind == "text":
        answers = [t.strip() for t in texts]
        score = _mean_pairwise(answers, token_overlap)
        majority = answers[_medoid(answers, token_overlap)]
    else:
        raise ValueError(f"unknown answer kind {kind!r}")
    return {
        "answer_kind": kind,
        "agreement_score": float(score),
        "majority_answer": majority,
        "answers": answers,
        "n_parsed": sum(a is not None for a in answers),
    }


def consistency_requests(
    item: ConsistencyItem, cfg: GenerationConfig, n: int
) -> list[GenerationRequest]:
    """The n requests of one item (same group hash, sample index 0..n-1)."""
    return [
        GenerationRequest(
            stage=STAGE,
            item_id=item.item_id,
            model=cfg.model,
            sampling=cfg.sampling,
            template=CONSISTENCY,
            variables={
                "question": item.question,
                "answer_instruction": ANSWER_INSTRUCTIONS[item.answer_kind],
                "answer_kind": item.answer_kind,
            },
            images=item.images,
            sample_index=i,
            is_grouped=True,
        )
        for i in range(n)
    ]


def score_rows(
    items: Sequence[ConsistencyItem],
    groups: dict[str, list[GenerationRequest]],
    n: int,
    run_id: str,
    wh: Warehouse,
) -> list[dict[str, Any]]:
    """``consistency_scores`` rows for groups whose n samples are all ok and not yet scored."""
    existing = landed_keys(wh, CONSISTENCY_SCORES, ["group_hash", "n_samples"])
    todo = {g: reqs for g, reqs in groups.items() if (g, n) not in existing}
    answers = ok_generations(wh, [r.request_hash for reqs in todo.values() for r in reqs])
    by_id = {it.item_id: it for it in items}
    now = utc_now()
    rows = []
    for group_hash, reqs in todo.items():
        if not all(r.request_hash in answers for r in reqs):
            continue
        texts = [answers[r.request_hash]["response_text"] or "" for r in reqs]
        item = by_id[reqs[0].item_id]
        rows.append(
            {
                "group_hash": group_hash,
                "item_id": item.item_id,
                "asset_ids": reqs[0].asset_ids,
                "model": reqs[0].model,
                "template_hash": reqs[0].template.sha256,
                "question": item.question,
                **agreement(item.answer_kind, texts),
                "n_samples": n,
                "sample_request_hashes": [r.request_hash for r in reqs],
                "run_id": run_id,
                "scored_at": now,
            }
        )
    return rows


def run_consistency(
    items: Sequence[ConsistencyItem],
    cfg: GenerationConfig,
    *,
    n: int = DEFAULT_N,
    wh: Warehouse | None = None,
    **run_kwargs: Any,
) -> RunReport:
    """Sample every item n times, then land ``consistency_scores`` for complete groups."""
    if n < 2:
        raise ValueError("self-consistency needs n >= 2 samples")
    wh = wh or warehouse()
    requests, skipped = build_requests(
        items, lambda it: consistency_requests(it, cfg, n), lambda it: it.item_id
    )
    groups: dict[str, dict[str, GenerationRequest]] = {}
    for r in requests:  # an item listed twice is one group, not 2n samples
        groups.setdefault(r.group_hash or r.request_hash, {})[r.request_hash] = r
    report = run_requests(requests, cfg, stage=STAGE, wh=wh, **run_kwargs)
    report.skipped_items.extend(skipped)
    if not run_kwargs.get("dry_run"):
        by_group = {g: list(reqs.values()) for g, reqs in groups.items()}
        land_derived(
            report, wh, CONSISTENCY_SCORES, score_rows(items, by_group, n, report.run_id, wh), cfg
        )
    return report


def select_consistency_items(
    wh: Warehouse | None = None,
    kind: str = "count",
    source: str | None = None,
    limit: int | None = None,
) -> list[ConsistencyItem]:
    """Questions about lakehouse images with a checkable answer.

    ``count``: how many objects of the image's most frequent category (answer: number);
    ``box``: the box of a category present exactly once (answer: box);
    ``describe``: the main subject in one sentence (answer: text).
    """
    if kind not in ("count", "box", "describe"):
        raise ValueError("kind must be count, box or describe")
    items: list[ConsistencyItem] = []
    for img in select_annotated_images(
        wh, source=source, limit=None if limit is None else 2 * limit
    ):
        if limit is not None and len(items) >= limit:
            break
        cats = Counter(a.category_name for a in img.annotations if not a.is_crowd)
        if kind == "describe":
            items.append(
                ConsistencyItem(
                    f"{img.asset_id}:describe",
                    "Describe the main subject of this image in one sentence.",
                    (img.ref,),
                    "text",
                )
            )
        elif kind == "count" and cats:
            cat = min(cats.items(), key=lambda cn: (-cn[1], cn[0]))[0]
            items.append(
                ConsistencyItem(
                    f"{img.asset_id}:count:{cat}",
                    f"How many objects of the category '{cat}' are visible in this image?",
                    (img.ref,),
                    "number",
                )
            )
        elif kind == "box":
            single = sorted(c for c, k in cats.items() if k == 1)
            if single:
                items.append(
                    ConsistencyItem(
                        f"{img.asset_id}:box:{single[0]}",
                        f"Where is the {single[0]} in this image? Give its bounding box.",
                        (img.ref,),
                        "box",
                    )
                )
    return items
