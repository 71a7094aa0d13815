"""Stage ``judge``: LLM-as-judge with the P13 rubric, 1-5 on six dimensions.

In: ``SampleItem`` work items (sample id, conversation, image paths), a threshold
(default 4.0), and whether the judge sees the images (default) or is text-only (a
text model such as Qwen2.5-72B-Instruct: a separate prompt, hence separate hashes).
Out: ``generations`` rows (``stage='judge'``, ``item_id`` = ``sample_id``), the raw answer
in ``response_text``; an answer that does not parse into six 1-5 integers is landed with
status ``unparsable_judgement`` (no exception) and is asked again on the next run.
Parsed scores land in their own table ``judgements``, one row per (request_hash,
threshold): the judgement is the paid thing, the threshold is policy, so changing the
threshold adds rows computed from the landed answers without a single new call.
``is_passed`` = ``mean_score >= threshold``. The judge prompt is versioned by its hash
(``judge_prompt_hash``), which is also part of every request hash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generation.client import UNPARSABLE_JUDGEMENT
from generation.config import GenerationConfig
from generation.items import SampleItem
from generation.lakehouse import select_samples
from generation.prompts import (
    JUDGE_DIMENSIONS,
    JUDGE_TEXT_ONLY,
    JUDGE_TEXT_ONLY_ZH,
    JUDGE_WITH_IMAGES,
    JUDGE_WITH_IMAGES_ZH,
    PromptTemplate,
)
from generation.requests import GenerationRequest
from generation.runner import RunReport, build_requests, land_derived, run_requests
from generation.store import landed_keys, ok_generations
from lakehouse.landing import utc_now
from lakehouse.settings import Warehouse, warehouse
from lakehouse.tables.generation import JUDGEMENTS

STAGE = "judge"
DEFAULT_THRESHOLD = 4.0

# Spellings a judge model might use for a dimension -> the canonical key.
_ALIASES = {
    "image_text_consistency": "image_text_consistency",
    "image_consistency": "image_text_consistency",
    "consistency": "image_text_consistency",
    "task_following": "task_following",
    "instruction_following": "task_following",
    "detail_completeness": "detail_completeness",
    "completeness": "detail_completeness",
    "reasoning_reliability": "reasoning_reliability",
    "reasoning": "reasoning_reliability",
    "safety_compliance": "safety_compliance",
    "safety_and_compliance": "safety_compliance",
    "safety": "safety_compliance",
    "language_quality": "language_quality",
    "language": "language_quality",
}
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class JudgementParseError(ValueError):
    """A judge answer without six integer scores from 1 to 5."""


@dataclass(frozen=True)
class Judgement:
    """Six 1-5 scores and an optional rationale."""

    scores: dict[str, int]
    rationale: str | None = None

    @property
    def mean_score(self) -> float:
        """Mean of the six scores."""
        return sum(self.scores.values()) / len(self.scores)

    @property
    def min_score(self) -> int:
        """The lowest of the six scores."""
        return min(self.scores.values())


def _key(name: str) -> str:
    return re.sub(r"[^a-z]+", "_", name.lower()).strip("_")


def _score(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"\s*[1-5](\.0+)?\s*", value):
        value = float(value)
    if isinstance(value, (int, float)) and float(value).is_integer() and 1 <= value <= 5:
        return int(value)
    return None


def _candidates(text: str) -> list[str]:
    """JSON object texts to try: fenced blocks first, then the outermost ``{...}`` span."""
    found = [m.group(1) for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        found.append(text[start : end + 1])
    return found


def parse_judgement(text: str) -> Judgement:
    """The six scores in a judge answer (a JSON object, code fences tolerated).

    Raises ``JudgementParseError`` naming what is missing or out of range.
    """
    problems = ["no JSON object found"]
    for candidate in _candidates(text):
        try:
            obj = json.loads(candidate)
        except json.JSONDecodeError:
            problems = ["the JSON object does not parse"]
            continue
        if isinstance(obj, dict) and isinstance(obj.get("scores"), dict):
            obj = {**obj["scores"], "rationale": obj.get("rationale")}
        if not isinstance(obj, dict):
            problems = ["the JSON value is not an object"]
            continue
        scores: dict[str, int] = {}
        bad: list[str] = []
        for k, v in obj.items():
            canonical = _ALIASES.get(_key(str(k)))
            if canonical is None or canonical in scores:
                continue
            s = _score(v)
            if s is None:
                bad.append(f"{canonical}={v!r}")
            else:
                scores[canonical] = s
        missing = [d for d in JUDGE_DIMENSIONS if d not in scores]
        if not missing and not bad:
            rationale = obj.get("rationale")
            return Judgement(
                {d: scores[d] for d in JUDGE_DIMENSIONS},
                str(rationale) if rationale not in (None, "") else None,
            )
        problems = []
        if missing:
            problems.append("missing " + ", ".join(missing))
        if bad:
            problems.append("not an integer 1-5: " + ", ".join(bad))
    raise JudgementParseError("; ".join(problems))


def judge_postcheck(request: GenerationRequest, text: str) -> tuple[str, str] | None:
    """``None`` when ``text`` parses, else ``('unparsable_judgement', reason)``."""
    try:
        parse_judgement(text)
    except JudgementParseError as exc:
        return UNPARSABLE_JUDGEMENT, f"unparsable judgement: {exc}"
    return None


def render_conversation(turns: Sequence[tuple[str, str]]) -> str:
    """``from: value`` lines, one block per turn."""
    return "\n\n".join(f"[{role}]: {value}" for role, value in turns)


def judge_template(text_only: bool, language: str = "en") -> PromptTemplate:
    """The judge prompt for a vision judge (images attached) or a text-only one, in the
    sample's language: Chinese samples (``language == "zh"``) get the Chinese rubric."""
    if language == "zh":
        return JUDGE_TEXT_ONLY_ZH if text_only else JUDGE_WITH_IMAGES_ZH
    return JUDGE_TEXT_ONLY if text_only else JUDGE_WITH_IMAGES


def judge_request(
    item: SampleItem, cfg: GenerationConfig, text_only: bool = False
) -> GenerationRequest:
    """The request judging one sample (its images attached unless ``text_only``)."""
    return GenerationRequest(
        stage=STAGE,
        item_id=item.sample_id,
        sample_id=item.sample_id,
        model=cfg.model,
        sampling=cfg.sampling,
        template=judge_template(text_only, item.language),
        variables={
            "task_type": item.task_type,
            "conversation": render_conversation(item.conversations),
        },
        images=() if text_only else item.image_refs(),
    )


def judgement_rows(
    requests: Sequence[GenerationRequest],
    threshold: float,
    run_id: str,
    wh: Warehouse,
    text_only: bool,
) -> list[dict[str, Any]]:
    """``judgements`` rows for the requests answered ok that have none at ``threshold`` yet."""
    existing = landed_keys(wh, JUDGEMENTS, ["request_hash", "threshold"])
    unique = {r.request_hash: r for r in requests}
    todo = [r for h, r in unique.items() if (h, float(threshold)) not in existing]
    answers = ok_generations(wh, [r.request_hash for r in todo])
    now = utc_now()
    rows = []
    for r in todo:
        if r.request_hash not in answers:
            continue
        try:
            j = parse_judgement(answers[r.request_hash]["response_text"] or "")
        except JudgementParseError:
            continue  # cannot happen for an ok row: ok means it parsed
        rows.append(
            {
                "sample_id": r.sample_id,
                "request_hash": r.request_hash,
                "judge_model": r.model,
                "judge_prompt_id": r.template.template_id,
                "judge_prompt_hash": r.template.sha256,
                "is_text_only": text_only,
                **j.scores,
                "mean_score": j.mean_score,
                "min_score": j.min_score,
                "threshold": float(threshold),
                "is_passed": j.mean_score >= threshold,
                "rationale": j.rationale,
                "run_id": run_id,
                "judged_at": now,
            }
        )
    return rows


def run_judge(
    items: Sequence[SampleItem],
    cfg: GenerationConfig,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    text_only: bool = False,
    wh: Warehouse | None = None,
    **run_kwargs: Any,
) -> RunReport:
    """Judge ``items``, then land their ``judgements`` rows (also for answers landed before)."""
    wh = wh or warehouse()
    requests, skipped = build_requests(
        items, lambda it: judge_request(it, cfg, text_only), lambda it: it.sample_id
    )
    report = run_requests(
        requests, cfg, stage=STAGE, wh=wh, postcheck=judge_postcheck, **run_kwargs
    )
    report.skipped_items.extend(skipped)
    if not run_kwargs.get("dry_run"):
        land_derived(
            report,
            wh,
            JUDGEMENTS,
            judgement_rows(requests, threshold, report.run_id, wh, text_only),
            cfg,
        )
    return report


def select_judge_items(
    wh: Warehouse | None = None, language: str | None = None, limit: int | None = None
) -> list[SampleItem]:
    """Samples from the ``samples`` mart (``LakehouseInputError`` if it is not built yet)."""
    return select_samples(wh, language=language, limit=limit)
