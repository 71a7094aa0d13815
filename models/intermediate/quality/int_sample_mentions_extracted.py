"""CHAIR mentions: one row per (answer, COCO category it mentions), with whether the
answer's image(s) hold that category.

In: the answers of the task types CHAIR reads (``is_chair_checked`` in seeds/task_types.csv:
image_description and multi_image_comparison) (template or
model-written: ``generation_method`` when the samples carry it, else ``'template'``), the
categories each image holds (int_image_objects_counted: any annotation, crowd regions
included), the CHAIR synonym list (stg_quality__chair_synonyms; the category names alone
when it has not been landed) and the Chinese category names (the seed).
Out: sample_id, task_type, language, generation_method, category_name, mention_count,
mentioned_as (the words as written), is_hallucinated (no image of the sample holds the
category). An answer without mentions has no row; CHAIR_s counts it all the same
(marts/quality/chair_scores). Mention extraction is quality.chair.extract_mentions.
"""

from collections import Counter

SCHEMA_NAMES = ("sample_id", "task_type", "language", "generation_method", "category_name",
                "mention_count", "mentioned_as", "is_hallucinated")


def model(dbt, session):
    import pyarrow as pa

    from lakehouse.taxonomy import task_types
    from quality import chair

    dbt.config(materialized="table")

    samples = dbt.ref("int_samples_templated")
    method = "generation_method" if "generation_method" in samples.columns else "'template'"
    task_list = ", ".join(f"'{t.task_type}'" for t in task_types() if t.is_chair_checked)
    answers = samples.filter(f"task_type in ({task_list})").project(
        f"sample_id, task_type, language, {method} as generation_method, answer_text, source_asset_ids"
    ).fetchall()

    objects = dbt.ref("int_image_objects_counted").project("asset_id, category_name").fetchall()
    held: dict[str, set[str]] = {}
    for asset_id, category in objects:
        held.setdefault(asset_id, set()).add(category)

    names = dbt.ref("stg_seeds__coco_category_names").project(
        "category_name, category_name_zh").fetchall()
    synonyms = dbt.ref("stg_quality__chair_synonyms").project("category_name, synonym").fetchall()
    if not synonyms:
        synonyms = [(category, category) for category, _ in names]
    vocabulary = chair.build_vocabulary(synonyms, {zh: category for category, zh in names if zh})

    columns: dict[str, list] = {name: [] for name in SCHEMA_NAMES}
    for sample_id, task_type, language, generation_method, answer_text, asset_ids in answers:
        truth = set().union(*(held.get(a, set()) for a in asset_ids or []))
        mentions = chair.extract_mentions(answer_text or "", vocabulary)
        surfaces: dict[str, set[str]] = {}
        for mention in mentions:
            surfaces.setdefault(mention.category, set()).add(mention.surface)
        counts = Counter(m.category for m in mentions)
        for category, count in sorted(counts.items()):
            for name, value in zip(SCHEMA_NAMES, (
                    sample_id, task_type, language, generation_method, category, count,
                    sorted(surfaces[category]), category not in truth)):
                columns[name].append(value)

    return pa.Table.from_pydict(columns, schema=pa.schema([
        ("sample_id", pa.string()), ("task_type", pa.string()), ("language", pa.string()),
        ("generation_method", pa.string()), ("category_name", pa.string()),
        ("mention_count", pa.int64()), ("mentioned_as", pa.list_(pa.string())),
        ("is_hallucinated", pa.bool_()),
    ]))
