"""The tables of model calls: generations, judgements, consistency scores, translations."""

from __future__ import annotations

import pyarrow as pa

GENERATIONS = "generations"

JUDGEMENTS = "judgements"

CONSISTENCY_SCORES = "consistency_scores"

TRANSLATIONS = "translations"

_TS = pa.timestamp("us", tz="UTC")

IMAGE_RECORD_TYPE = pa.struct(
    [
        pa.field("asset_id", pa.string()),
        pa.field("original_width_px", pa.int32()),
        pa.field("original_height_px", pa.int32()),
        pa.field("original_bytes", pa.int64()),
        pa.field("sent_width_px", pa.int32()),
        pa.field("sent_height_px", pa.int32()),
        pa.field("sent_bytes", pa.int64()),
        pa.field("sent_mime_type", pa.string()),
        pa.field("is_downscaled", pa.bool_()),
        pa.field("is_reencoded", pa.bool_()),
    ]
)

GENERATIONS_SCHEMA = pa.schema(
    [
        pa.field("request_hash", pa.string(), nullable=False),
        pa.field("group_hash", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("batch_no", pa.int32(), nullable=False),
        pa.field("stage", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("sample_id", pa.string()),
        pa.field("sample_index", pa.int32(), nullable=False),
        pa.field("asset_ids", pa.list_(pa.string()), nullable=False),
        pa.field("images", pa.list_(IMAGE_RECORD_TYPE)),
        pa.field("base_url", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("temperature", pa.float64(), nullable=False),
        pa.field("top_p", pa.float64(), nullable=False),
        pa.field("max_tokens", pa.int32(), nullable=False),
        pa.field("seed", pa.int64()),
        pa.field("template_id", pa.string(), nullable=False),
        pa.field("template_hash", pa.string(), nullable=False),
        pa.field("inputs_hash", pa.string(), nullable=False),
        pa.field("system_prompt", pa.string()),
        pa.field("prompt", pa.string()),
        pa.field("response_text", pa.string()),
        pa.field("finish_reason", pa.string()),
        pa.field("response_id", pa.string()),
        pa.field("response_model", pa.string()),
        pa.field("prompt_tokens", pa.int64()),
        pa.field("completion_tokens", pa.int64()),
        pa.field("cost_usd", pa.float64()),
        pa.field("latency_ms", pa.float64()),
        pa.field("total_ms", pa.float64()),
        pa.field("attempts", pa.int32(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("http_status", pa.int32()),
        pa.field("error", pa.string()),
        pa.field("requested_at", _TS, nullable=False),
        pa.field("completed_at", _TS, nullable=False),
    ]
)

JUDGEMENTS_SCHEMA = pa.schema(
    [
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("request_hash", pa.string(), nullable=False),
        pa.field("judge_model", pa.string(), nullable=False),
        pa.field("judge_prompt_id", pa.string(), nullable=False),
        pa.field("judge_prompt_hash", pa.string(), nullable=False),
        pa.field("is_text_only", pa.bool_(), nullable=False),
        pa.field("image_text_consistency", pa.int8(), nullable=False),
        pa.field("task_following", pa.int8(), nullable=False),
        pa.field("detail_completeness", pa.int8(), nullable=False),
        pa.field("reasoning_reliability", pa.int8(), nullable=False),
        pa.field("safety_compliance", pa.int8(), nullable=False),
        pa.field("language_quality", pa.int8(), nullable=False),
        pa.field("mean_score", pa.float64(), nullable=False),
        pa.field("min_score", pa.int8(), nullable=False),
        pa.field("threshold", pa.float64(), nullable=False),
        pa.field("is_passed", pa.bool_(), nullable=False),
        pa.field("rationale", pa.string()),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("judged_at", _TS, nullable=False),
    ]
)

CONSISTENCY_SCORES_SCHEMA = pa.schema(
    [
        pa.field("group_hash", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("asset_ids", pa.list_(pa.string()), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("template_hash", pa.string(), nullable=False),
        pa.field("question", pa.string(), nullable=False),
        pa.field("answer_kind", pa.string(), nullable=False),
        pa.field("n_samples", pa.int32(), nullable=False),
        pa.field("n_parsed", pa.int32(), nullable=False),
        pa.field("agreement_score", pa.float64(), nullable=False),
        pa.field("majority_answer", pa.string()),
        pa.field("answers", pa.list_(pa.string()), nullable=False),
        pa.field("sample_request_hashes", pa.list_(pa.string()), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("scored_at", _TS, nullable=False),
    ]
)

TURN_TYPE = pa.struct([pa.field("from", pa.string()), pa.field("value", pa.string())])

TRANSLATIONS_SCHEMA = pa.schema(
    [
        pa.field("sample_id", pa.string(), nullable=False),
        pa.field("translation_hash", pa.string(), nullable=False),
        pa.field("source_language", pa.string(), nullable=False),
        pa.field("target_language", pa.string(), nullable=False),
        pa.field("model", pa.string(), nullable=False),
        pa.field("translate_prompt_hash", pa.string(), nullable=False),
        pa.field("conversations", pa.list_(TURN_TYPE), nullable=False),
        pa.field("turn_request_hashes", pa.list_(pa.string()), nullable=False),
        pa.field("has_numbers_preserved", pa.bool_(), nullable=False),
        pa.field("has_boxes_preserved", pa.bool_(), nullable=False),
        pa.field("has_placeholders_preserved", pa.bool_(), nullable=False),
        pa.field("has_names_preserved", pa.bool_(), nullable=False),
        pa.field("is_passed", pa.bool_(), nullable=False),
        pa.field("missing_numbers", pa.list_(pa.string()), nullable=False),
        pa.field("missing_boxes", pa.list_(pa.string()), nullable=False),
        pa.field("missing_names", pa.list_(pa.string()), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("translated_at", _TS, nullable=False),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    GENERATIONS: GENERATIONS_SCHEMA,
    JUDGEMENTS: JUDGEMENTS_SCHEMA,
    CONSISTENCY_SCORES: CONSISTENCY_SCORES_SCHEMA,
    TRANSLATIONS: TRANSLATIONS_SCHEMA,
}
