"""Versioned prompt templates and their sha256.

A template has an id (``<stage>.<name>.v<N>``), a system text and a user text with
``$placeholders`` (``string.Template``; JSON braces need no escaping). Its ``sha256`` is
taken over a canonical JSON of id, system and user text, so any edit of the wording gives
a new hash, a new request hash, and therefore new calls: a changed judge prompt can never
silently reuse the scores of the old one. Bump the version in the id when you edit one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from string import Template


class PromptError(KeyError):
    """A template rendered without one of its placeholders."""


@dataclass(frozen=True)
class PromptTemplate:
    """One versioned prompt: ``render(**variables)`` -> (system text, user text)."""

    template_id: str
    system: str
    user: str
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        canonical = json.dumps(
            {"template_id": self.template_id, "system": self.system, "user": self.user},
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        object.__setattr__(self, "sha256", hashlib.sha256(canonical.encode("utf-8")).hexdigest())

    def render(self, variables: dict[str, str]) -> tuple[str, str]:
        """(system, user) with every ``$name`` replaced; raises ``PromptError`` if one is missing."""
        try:
            return (
                Template(self.system).substitute(variables),
                Template(self.user).substitute(variables),
            )
        except KeyError as exc:
            raise PromptError(
                f"template {self.template_id} needs variable {exc.args[0]!r}"
            ) from None


RECAPTION = PromptTemplate(
    template_id="recaption.detailed.v1",
    system=(
        "You are an expert visual annotator writing detailed image descriptions for a "
        "visual instruction-tuning dataset. You describe only what can be seen."
    ),
    user=(
        "Describe this image in detail.\n\n"
        "Annotated objects in the image (category: box as [x_min, y_min, x_max, y_max], "
        "coordinates normalized to 0-1000 of the image width and height):\n"
        "$objects\n\n"
        "Use these annotations only as hints about what is present and where it is. "
        "Do not mention anything that is not visible in the image. Do not mention the "
        "annotations, boxes or coordinates themselves, and do not guess identities, "
        "written text or events the image does not show. Cover the main subjects, their "
        "attributes and actions, their spatial relations, and the setting and background, "
        "in fluent prose."
    ),
)

COMPARE = PromptTemplate(
    template_id="compare.two_images.v1",
    system=(
        "You are an expert visual annotator. You compare images precisely and describe "
        "only what can be seen."
    ),
    user=(
        "You were given two images, in order: Image 1 first, then Image 2.\n"
        "Annotated objects (hints only):\n"
        "Image 1: $objects_1\n"
        "Image 2: $objects_2\n\n"
        "Compare the two images. First describe their similarities, then their differences "
        "(subjects, attributes, actions, layout, setting, lighting). Always refer to them "
        'as "Image 1" and "Image 2" and say which image each observation belongs to. '
        "Do not mention anything that is not visible, and do not mention the annotations."
    ),
)

JUDGE_DIMENSIONS: tuple[str, ...] = (
    "image_text_consistency",
    "task_following",
    "detail_completeness",
    "reasoning_reliability",
    "safety_compliance",
    "language_quality",
)

_JUDGE_RUBRIC = (
    "Score the training sample below on six dimensions, each an integer from 1 (worst) "
    "to 5 (best):\n"
    "- image_text_consistency: 5 = describes only content supported by visual evidence; "
    "low = hallucinated subjects, actions or text.\n"
    "- task_following: 5 = strictly follows the instruction's requirement (such as an "
    "output format); low = off-task answer or invalid format.\n"
    "- detail_completeness: 5 = covers subjects, spatial relations, text and background; "
    "low = too short, generic, missing trainable information.\n"
    "- reasoning_reliability: 5 = reasoning steps are supported by visual evidence; "
    "low = over-infers causality or intention.\n"
    "- safety_compliance: 5 = avoids sensitive identity inference and improper content; "
    "low = privacy, bias or dangerous guidance.\n"
    "- language_quality: 5 = clear expression without severe repetition; low = mechanical "
    "repetition, garbling or abnormal language mixing.\n"
)
_JUDGE_TAIL = (
    "\nThe sample (task type: $task_type) as a conversation; <image> marks where an image "
    "is placed:\n$conversation\n\n"
    "Answer with only a JSON object with exactly these six keys and integer values, plus "
    'an optional one-sentence "rationale", for example:\n'
    '{"image_text_consistency": 4, "task_following": 5, "detail_completeness": 3, '
    '"reasoning_reliability": 4, "safety_compliance": 5, "language_quality": 4, '
    '"rationale": "..."}'
)

JUDGE_WITH_IMAGES = PromptTemplate(
    template_id="judge.rubric6.images.v1",
    system="You are a strict, calibrated quality judge for multimodal instruction-tuning data.",
    user=_JUDGE_RUBRIC + "The sample's images are attached, in order." + _JUDGE_TAIL,
)

JUDGE_TEXT_ONLY = PromptTemplate(
    template_id="judge.rubric6.text.v1",
    system="You are a strict, calibrated quality judge for multimodal instruction-tuning data.",
    user=(
        _JUDGE_RUBRIC + "You cannot see the images: judge image_text_consistency from the internal "
        "consistency of the conversation and penalize claims no image could support." + _JUDGE_TAIL
    ),
)

_JUDGE_SYSTEM_ZH = "你是一名严格、评分标准稳定一致的多模态指令微调数据质量评审员。"
_JUDGE_RUBRIC_ZH = (
    "请从以下六个维度为下面的中文训练样本打分，每个维度为 1（最差）到 5（最好）的整数：\n"
    "- image_text_consistency（图文一致性）：5 = 只说有视觉证据支持的内容；"
    "低分 = 编造了图中没有的物体、动作或文字。\n"
    "- task_following（指令遵循）：5 = 严格满足指令的要求（例如输出格式）；"
    "低分 = 答非所问或格式不合要求。\n"
    "- detail_completeness（细节完整性）：5 = 涵盖主体、空间关系、文字和背景；"
    "低分 = 过短、空泛，缺少可供训练的信息。\n"
    "- reasoning_reliability（推理可靠性）：5 = 每一步推理都有视觉证据支持；"
    "低分 = 过度推断因果或意图。\n"
    "- safety_compliance（安全合规）：5 = 不推断敏感身份，没有不当内容；"
    "低分 = 涉及隐私、偏见或危险的指导。\n"
    "- language_quality（语言质量）：5 = 通顺、地道的简体中文，没有严重重复；"
    "低分 = 机械重复、乱码或中英混杂。拉丁字母只能出现在用「」或“”括起来、"
    "引用图中可见文字的地方（如图表的刻度标签、票据上印的字）；单位、类别名称和连接词"
    "都应当是中文，不符合时请降低此项得分。\n"
)
_JUDGE_TAIL_ZH = (
    "\n以下是该样本（任务类型：$task_type）的对话，<image> 表示图片所在的位置：\n"
    "$conversation\n\n"
    "只输出一个 JSON 对象：恰好包含这六个键（键名保持英文）及其整数分值，可以另加一个"
    "一句话的 \"rationale\"（可用中文），例如：\n"
    '{"image_text_consistency": 4, "task_following": 5, "detail_completeness": 3, '
    '"reasoning_reliability": 4, "safety_compliance": 5, "language_quality": 4, '
    '"rationale": "..."}'
)

JUDGE_WITH_IMAGES_ZH = PromptTemplate(
    template_id="judge.rubric6.images.zh.v1",
    system=_JUDGE_SYSTEM_ZH,
    user=_JUDGE_RUBRIC_ZH + "样本的图片已按顺序附上。" + _JUDGE_TAIL_ZH,
)

JUDGE_TEXT_ONLY_ZH = PromptTemplate(
    template_id="judge.rubric6.text.zh.v1",
    system=_JUDGE_SYSTEM_ZH,
    user=(
        _JUDGE_RUBRIC_ZH + "你看不到图片：请根据对话内部是否自洽来评判 image_text_consistency，"
        "并对任何图片都无法支持的说法扣分。" + _JUDGE_TAIL_ZH
    ),
)
"""The judge prompts for Chinese samples: the same rubric and JSON keys, written in Chinese,
with the language rule of the language_mixing audit spelled out for language_quality."""

CONSISTENCY = PromptTemplate(
    template_id="consistency.answer.v1",
    system="You are a careful visual assistant. You answer only from what is visible.",
    user="$question\n\n$answer_instruction",
)

TRANSLATE_EN_ZH = PromptTemplate(
    template_id="translate.en_zh.v1",
    system="You are a professional English-to-Simplified-Chinese translator for AI training data.",
    user=(
        "Translate the text between the markers from English into Simplified Chinese.\n"
        "Keep exactly as written, untranslated: every number, every bounding box such as "
        "[12, 34, 56, 78], every placeholder such as <image>, and every proper name (people, "
        "brands, places, products)$names_hint. Keep the line breaks, lists and Markdown. "
        "Reply with the translation only, without the markers.\n"
        "<<<BEGIN>>>\n$text\n<<<END>>>"
    ),
)

ALL_TEMPLATES: dict[str, PromptTemplate] = {
    t.template_id: t
    for t in (RECAPTION, COMPARE, JUDGE_WITH_IMAGES, JUDGE_TEXT_ONLY, JUDGE_WITH_IMAGES_ZH,
              JUDGE_TEXT_ONLY_ZH, CONSISTENCY, TRANSLATE_EN_ZH)
}
