"""Stage ``translate``: English samples to Simplified Chinese, with preservation checks.

In: ``SampleItem`` work items (sample id, English turns, optional protected ``names``).
Each turn is its own request (``item_id`` = ``<sample_id>#<turn index>``): short, plain-text
answers need no parsing, and a failed turn is retried alone on the next run.
Out: ``generations`` rows (``stage='translate'``) and, once every turn of a sample is
answered ok, one ``translations`` row per sample with the translated conversation and
per-sample flags, each comparing every source turn with its translation:

- ``has_numbers_preserved``: every number of the source (as a multiset) is in the target;
- ``has_boxes_preserved``: the ``[a, b, c, d]`` boxes appear in the same order, equal up
  to whitespace;
- ``has_placeholders_preserved``: the ``<image>`` / ``<video>`` placeholders appear in
  the same order and number;
- ``has_names_preserved``: every proper name (given ``names``, plus capitalized words
  and multi-word names that are not sentence-initial, or mixed-case / alphanumeric tokens
  like ``iPhone`` or ``GPT-4``) appears verbatim.

``is_passed`` is all four. ``missing_*`` list what did not come through, for review.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from generation.config import GenerationConfig
from generation.items import SampleItem
from generation.lakehouse import select_samples
from generation.prompts import TRANSLATE_EN_ZH
from generation.requests import GenerationRequest, canonical_json, sha256_text
from generation.runner import RunReport, build_requests, land_derived, run_requests
from generation.store import landed_keys, ok_generations
from lakehouse.landing import utc_now
from lakehouse.settings import Warehouse, warehouse
from lakehouse.tables.generation import TRANSLATIONS

STAGE = "translate"
SOURCE_LANGUAGE = "en"
TARGET_LANGUAGE = "zh"

_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_BOX = re.compile(r"\[\s*-?\d+(?:\.\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?){3}\s*\]")
_PLACEHOLDER = re.compile(r"<(?:image|video)(?:_?\d+)?>")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
_MARKERS = re.compile(r"^\s*<<<BEGIN>>>\s*|\s*<<<END>>>\s*$")
# Capitalized words that are not names (sentence starters handled separately).
_NOT_NAMES = frozenset(
    [
        "I",
        "I'm",
        "I've",
        "I'd",
        "I'll",
        "Image",
        "Images",
        "Picture",
        "Photo",
        "Figure",
        "Yes",
        "No",
        "OK",
        "Okay",
        "Mr",
        "Mrs",
        "Ms",
        "Dr",
    ]
)


def extract_numbers(text: str) -> list[str]:
    """Every number in ``text`` outside ``[a, b, c, d]`` boxes (checked on their own), in order,
    thousands separators removed (``1,000`` -> ``1000``)."""
    return [n.replace(",", "") for n in _NUMBER.findall(_BOX.sub(" ", text))]


def extract_boxes(text: str) -> list[str]:
    """Every ``[a, b, c, d]`` box in ``text``, whitespace removed, in order."""
    return [re.sub(r"\s+", "", b) for b in _BOX.findall(text)]


def extract_placeholders(text: str) -> list[str]:
    """Every ``<image>``-style placeholder in ``text``, in order."""
    return _PLACEHOLDER.findall(text)


def _is_sentence_start(text: str, pos: int) -> bool:
    before = text[:pos].rstrip(" \t\"'(")
    return not before or before[-1] in ".!?:\n>"


def extract_names(text: str) -> list[str]:
    """Proper-name candidates of English ``text``: runs of capitalized words not at a sentence
    start (a sentence-initial word counts if it is capitalized elsewhere mid-sentence), and
    mixed-case or alphanumeric tokens (``iPhone``, ``GPT-4``). Distinct, in order."""
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    mid_sentence = {w for w, s, _ in words if w[0].isupper() and not _is_sentence_start(text, s)}
    names: list[str] = []
    run: list[tuple[str, int, int]] = []

    def close() -> None:
        if run:
            names.append(text[run[0][1] : run[-1][2]])
            run.clear()

    for w, s, e in words:
        special = (any(c.isdigit() for c in w) and any(c.isalpha() for c in w)) or (
            w[0].islower() and any(c.isupper() for c in w)
        )
        capital = w[0].isupper() and w not in _NOT_NAMES and len(w) > 1
        if special or (capital and (not _is_sentence_start(text, s) or w in mid_sentence)):
            if run and text[run[-1][2] : s] != " ":
                close()
            run.append((w, s, e))
        else:
            close()
    close()
    return list(dict.fromkeys(names))


def check_translation(source: str, target: str, names: Sequence[str] = ()) -> dict[str, Any]:
    """The four preservation flags and the ``missing_*`` lists for one source/target pair."""
    missing_numbers = list(
        (Counter(extract_numbers(source)) - Counter(extract_numbers(target))).elements()
    )
    src_boxes, tgt_boxes = extract_boxes(source), extract_boxes(target)
    missing_boxes = (
        [] if src_boxes == tgt_boxes else [b for b in src_boxes if b not in tgt_boxes] or src_boxes
    )
    wanted_names = list(dict.fromkeys([*names, *extract_names(source)]))
    missing_names = [n for n in wanted_names if n in source and n not in target]
    return {
        "has_numbers_preserved": not missing_numbers,
        "has_boxes_preserved": src_boxes == tgt_boxes,
        "has_placeholders_preserved": extract_placeholders(source) == extract_placeholders(target),
        "has_names_preserved": not missing_names,
        "missing_numbers": missing_numbers,
        "missing_boxes": missing_boxes,
        "missing_names": missing_names,
    }


def clean_translation(text: str) -> str:
    """The model's answer without the prompt's ``<<<BEGIN>>>``/``<<<END>>>`` markers."""
    return _MARKERS.sub("", text).strip("\n")


def translate_requests(item: SampleItem, cfg: GenerationConfig) -> list[GenerationRequest]:
    """One request per turn of ``item`` (text only: the images are not needed)."""
    hint = f" (in particular: {', '.join(item.names)})" if item.names else ""
    return [
        GenerationRequest(
            stage=STAGE,
            item_id=f"{item.sample_id}#{i}",
            sample_id=item.sample_id,
            model=cfg.model,
            sampling=cfg.sampling,
            template=TRANSLATE_EN_ZH,
            variables={"text": value, "names_hint": hint},
        )
        for i, (_, value) in enumerate(item.conversations)
    ]


def translation_rows(
    items: Sequence[SampleItem],
    per_item: dict[str, list[GenerationRequest]],
    run_id: str,
    wh: Warehouse,
) -> list[dict[str, Any]]:
    """``translations`` rows for samples whose turns are all ok and not landed yet."""
    hashes = {
        sid: sha256_text(canonical_json([r.request_hash for r in reqs]))
        for sid, reqs in per_item.items()
    }
    existing = {k[0] for k in landed_keys(wh, TRANSLATIONS, ["translation_hash"])}
    todo = list(
        {
            it.sample_id: it
            for it in items
            if it.sample_id in per_item and hashes[it.sample_id] not in existing
        }.values()
    )
    answers = ok_generations(wh, [r.request_hash for it in todo for r in per_item[it.sample_id]])
    now = utc_now()
    rows = []
    for item in todo:
        reqs = per_item[item.sample_id]
        if not reqs or not all(r.request_hash in answers for r in reqs):
            continue
        turns, checks = [], []
        for (role, value), r in zip(item.conversations, reqs):
            target = clean_translation(answers[r.request_hash]["response_text"] or "")
            turns.append({"from": role, "value": target})
            checks.append(check_translation(value, target, item.names))
        flags = {
            k: all(c[k] for c in checks)
            for k in (
                "has_numbers_preserved",
                "has_boxes_preserved",
                "has_placeholders_preserved",
                "has_names_preserved",
            )
        }
        rows.append(
            {
                "sample_id": item.sample_id,
                "translation_hash": hashes[item.sample_id],
                "source_language": SOURCE_LANGUAGE,
                "target_language": TARGET_LANGUAGE,
                "model": reqs[0].model,
                "translate_prompt_hash": TRANSLATE_EN_ZH.sha256,
                "conversations": turns,
                "turn_request_hashes": [r.request_hash for r in reqs],
                **flags,
                "is_passed": all(flags.values()),
                "missing_numbers": [m for c in checks for m in c["missing_numbers"]],
                "missing_boxes": [m for c in checks for m in c["missing_boxes"]],
                "missing_names": list(dict.fromkeys(m for c in checks for m in c["missing_names"])),
                "run_id": run_id,
                "translated_at": now,
            }
        )
    return rows


def run_translate(
    items: Sequence[SampleItem],
    cfg: GenerationConfig,
    *,
    wh: Warehouse | None = None,
    **run_kwargs: Any,
) -> RunReport:
    """Translate every turn of ``items``, then land ``translations`` rows for complete samples."""
    wh = wh or warehouse()
    per_item = {it.sample_id: translate_requests(it, cfg) for it in items}
    requests, skipped = build_requests(
        items, lambda it: per_item[it.sample_id], lambda it: it.sample_id
    )
    report = run_requests(requests, cfg, stage=STAGE, wh=wh, **run_kwargs)
    report.skipped_items.extend(skipped)
    if not run_kwargs.get("dry_run"):
        land_derived(
            report, wh, TRANSLATIONS, translation_rows(items, per_item, report.run_id, wh), cfg
        )
    return report


def select_translate_items(
    wh: Warehouse | None = None, limit: int | None = None
) -> list[SampleItem]:
    """English samples from the ``samples`` mart (``LakehouseInputError`` if not built yet)."""
    return select_samples(wh, language=SOURCE_LANGUAGE, limit=limit)
