"""The balance rule: equal counts of the three types, real assets first, deterministic."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from render.balance import (
    BEYOND_PER_TYPE,
    DEFAULT_PER_TYPE,
    NO_USABLE_ANNOTATION,
    plan_balance,
    ranked,
)

GENERAL = [f"g{i:03d}" for i in range(20)]
DOCS = [f"d{i}" for i in range(5)]
CHARTS = [f"c{i}" for i in range(2)]


def test_a_small_corpus_pools_every_usable_general_image_and_tops_up_with_derived() -> None:
    plan = plan_balance(GENERAL, DOCS, CHARTS)
    assert plan.per_type == 20
    assert plan.counts() == {"general_image": 20, "document_image": 20, "chart_image": 20}
    assert (plan.derived_documents, plan.derived_charts) == (15, 18)
    assert set(plan.real_documents) == set(DOCS) and set(plan.real_charts) == set(CHARTS)
    # each document has one parent, all distinct; charts have 3..6 parents from the pool
    assert len({p for (p,) in plan.document_parents}) == 15
    assert all(3 <= len(ps) <= 6 and set(ps) <= set(plan.general) for ps in plan.chart_parents)


def test_a_configured_count_selects_real_assets_first_and_is_capped_by_general() -> None:
    plan = plan_balance(GENERAL, DOCS, CHARTS, per_type=4)
    assert plan.counts() == {"general_image": 4, "document_image": 4, "chart_image": 4}
    assert plan.derived_documents == 0 and len(plan.real_documents) == 4  # 4 of the 5 real ones
    assert plan.derived_charts == 2
    capped = plan_balance(GENERAL, DOCS, CHARTS, per_type=500)
    assert capped.per_type == 20 and capped.requested_per_type == 500
    with pytest.raises(ValueError):
        plan_balance(GENERAL, DOCS, CHARTS, per_type=-1)


def test_the_choice_is_deterministic_order_free_and_seeded() -> None:
    a = plan_balance(GENERAL, DOCS, CHARTS, per_type=6, seed=0)
    b = plan_balance(list(reversed(GENERAL)), list(reversed(DOCS)), CHARTS, per_type=6, seed=0)
    assert a == b
    c = plan_balance(GENERAL, DOCS, CHARTS, per_type=6, seed=1)
    assert c.general != a.general
    assert ranked(GENERAL, 0) == ranked(GENERAL[::-1], 0)


@settings(max_examples=60)
@given(
    n_general=st.integers(0, 40),
    n_docs=st.integers(0, 50),
    n_charts=st.integers(0, 50),
    per_type=st.one_of(st.none(), st.integers(0, 60)),
    seed=st.integers(0, 3),
)
def test_the_three_types_always_come_out_equal(
    n_general: int, n_docs: int, n_charts: int, per_type: int | None, seed: int
) -> None:
    plan = plan_balance(
        [f"g{i}" for i in range(n_general)],
        [f"d{i}" for i in range(n_docs)],
        [f"c{i}" for i in range(n_charts)],
        per_type,
        seed,
    )
    expected = min(DEFAULT_PER_TYPE if per_type is None else per_type, n_general)
    assert plan.counts() == dict.fromkeys(
        ("general_image", "document_image", "chart_image"), expected
    )


def test_chart_parents_stay_inside_one_block_of_the_pool() -> None:
    """So that the split's groups (an image with everything derived from it) stay small:
    the parents of every chart lie inside one block of consecutive pool images."""
    from render.balance import CHART_BLOCK_SIZE

    general = [f"g{i:03d}" for i in range(126)]
    plan = plan_balance(general, [], [], seed=3)
    position = {a: i for i, a in enumerate(plan.general)}
    blocks = {frozenset(position[p] // CHART_BLOCK_SIZE for p in parents) for parents in plan.chart_parents}
    assert all(len(b) == 1 for b in blocks)
    assert len(blocks) == 126 // CHART_BLOCK_SIZE  # every block feeds some chart


def test_the_default_pool_is_capped_and_every_asset_left_out_has_its_reason() -> None:
    """A large corpus: the default pool stops at DEFAULT_PER_TYPE per type (renders are a
    fixed cost), real documents fill it first, and every photo, document and chart left
    out is listed once with why."""
    general = [f"g{i:05d}" for i in range(1000)]
    unusable = [f"u{i}" for i in range(7)]
    docs = [f"d{i:04d}" for i in range(DEFAULT_PER_TYPE + 30)]
    charts = [f"c{i}" for i in range(3)]
    plan = plan_balance(general, docs, charts, unusable_general=unusable)
    n = DEFAULT_PER_TYPE
    assert plan.counts() == dict.fromkeys(("general_image", "document_image", "chart_image"), n)
    assert plan.derived_documents == 0 and len(plan.real_documents) == n  # real ones first
    assert plan.derived_charts == n - 3
    reasons: dict[tuple[str, str], int] = {}
    for _, asset_type, reason in plan.exclusions:
        reasons[(asset_type, reason)] = reasons.get((asset_type, reason), 0) + 1
    assert reasons == {("general_image", NO_USABLE_ANNOTATION): 7,
                       ("general_image", BEYOND_PER_TYPE): 1000 - n,
                       ("document_image", BEYOND_PER_TYPE): 30}
    left_out = {a for a, _, _ in plan.exclusions}
    members = set(plan.general) | set(plan.real_documents) | set(plan.real_charts)
    assert not left_out & members
    assert left_out | members == set(general) | set(unusable) | set(docs) | set(charts)
    # overridable: a larger per_type renders more
    assert plan_balance(general, [], [], per_type=300).derived_documents == 300
