"""Whose turn a sample is, what a reviewer may see, and the live resolution (pure, on
verdict lists; the browser test checks the live resolution against the dbt model)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from review.state import SampleState, Verdict

T0 = datetime(2025, 3, 1, 10, tzinfo=UTC)


def _state(*verdicts: tuple[str, str, str]) -> SampleState:
    state = SampleState("s1")
    for n, (reviewer, role, verdict) in enumerate(verdicts):
        at = T0 + timedelta(hours=n)
        state.verdicts.append(Verdict("s1", reviewer, role, verdict, None, None, at, at))
    return state


def test_roles_go_first_second_then_arbitration_after_a_disagreement():
    state = _state()
    assert state.role_for("ann") == "first_review" and state.status == "unreviewed"
    state = _state(("ann", "first_review", "approve"))
    assert state.role_for("ann") == "first_review"  # a correction of her own review
    assert state.role_for("bob") == "second_review"
    assert state.status == "approved" and state.resolution == "single_review"
    agreed = _state(("ann", "first_review", "reject"), ("bob", "second_review", "reject"))
    assert agreed.role_for("cy") is None and agreed.status == "rejected"
    split = _state(("ann", "first_review", "approve"), ("bob", "second_review", "needs_fix"))
    assert split.status == "needs_arbitration" and split.role_for("cy") == "arbitration"
    settled = _state(("ann", "first_review", "approve"), ("bob", "second_review", "reject"),
                     ("cy", "arbitration", "approve"))
    assert settled.status == "approved" and settled.role_for("dee") is None


def test_the_latest_verdict_of_a_role_counts():
    state = _state(("ann", "first_review", "approve"), ("ann", "first_review", "reject"))
    assert state.status == "rejected"


def test_a_second_reviewer_is_blind_and_an_arbiter_sees_both():
    one = _state(("ann", "first_review", "reject"))
    assert one.visible_to("bob") == [] and one.shown_status("bob") == "awaiting_second_review"
    assert [v.reviewer for v in one.visible_to("ann")] == ["ann"] and one.shown_status("ann") == "rejected"
    split = _state(("ann", "first_review", "approve"), ("bob", "second_review", "reject"))
    assert [v.reviewer for v in split.visible_to("bob")] == ["bob"]
    assert [v.reviewer for v in split.visible_to("cy")] == ["ann", "bob"]
