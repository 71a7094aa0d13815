"""generation.prompts: versioned templates, hashed."""

from __future__ import annotations

import pytest

from generation.prompts import (
    ALL_TEMPLATES,
    JUDGE_DIMENSIONS,
    JUDGE_WITH_IMAGES,
    PromptError,
    PromptTemplate,
)


def test_hashes_are_stable_distinct_and_follow_the_text() -> None:
    hashes = {t.sha256 for t in ALL_TEMPLATES.values()}
    assert len(hashes) == len(ALL_TEMPLATES)
    a = PromptTemplate("x.v1", "sys", "Hello $name")
    assert a.sha256 == PromptTemplate("x.v1", "sys", "Hello $name").sha256
    assert a.sha256 != PromptTemplate("x.v1", "sys", "Hello  $name").sha256
    assert a.sha256 != PromptTemplate("x.v2", "sys", "Hello $name").sha256


def test_render_and_missing_variable() -> None:
    _, user = JUDGE_WITH_IMAGES.render({"task_type": "caption", "conversation": "[human]: hi"})
    assert all(d in user for d in JUDGE_DIMENSIONS) and '{"image_text_consistency": 4' in user
    with pytest.raises(PromptError, match="conversation"):
        JUDGE_WITH_IMAGES.render({"task_type": "caption"})
