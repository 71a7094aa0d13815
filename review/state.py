"""The live review state of each sample, read from the landed verdict files (not from the
last build), and whose turn a sample is.

In: ``landing/review_verdicts/*.parquet`` (every import and every verdict the page landed).
Out: per sample, the latest verdict of each role and the resolution, by the rules
``int_sample_verdicts_resolved`` applies on the next build: an arbitration wins; a first
and a second review that agree decide; a disagreement waits for arbitration; a single
review decides alone (any verdict other than approve keeps the sample out).

Whose turn: a reviewer who already gave a role on a sample gives that role again (a
correction; the latest counts); else the first review, then the second (by someone
else), then, after a disagreement, the arbitration (by a third person). A reviewer who
owes a first or second review sees no other verdict (blind review); an arbiter sees both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow.parquet as pq

from lakehouse.landing import landed_files
from lakehouse.settings import Warehouse
from lakehouse.tables.quality import REVIEW_VERDICTS_TABLE

ROLES: tuple[str, ...] = ("first_review", "second_review", "arbitration")
BLIND_ROLES: tuple[str, ...] = ("first_review", "second_review")


@dataclass(frozen=True)
class Verdict:
    """One landed verdict."""

    sample_id: str
    reviewer: str
    role: str
    verdict: str
    error_type: str | None
    note: str | None
    reviewed_at: datetime
    ingested_at: datetime


@dataclass
class SampleState:
    """Every verdict of one sample, and what they resolve to."""

    sample_id: str
    verdicts: list[Verdict] = field(default_factory=list)

    def latest(self, role: str) -> Verdict | None:
        """The verdict that counts for ``role`` (latest reviewed, then latest landed)."""
        of_role = [v for v in self.verdicts if v.role == role]
        return max(of_role, key=lambda v: (v.reviewed_at, v.ingested_at)) if of_role else None

    @property
    def resolution(self) -> str:
        """unreviewed, single_review, agreement, disagreement or arbitration."""
        first, second = self.latest("first_review"), self.latest("second_review")
        if self.latest("arbitration"):
            return "arbitration"
        if first and second:
            return "agreement" if first.verdict == second.verdict else "disagreement"
        return "single_review" if first or second else "unreviewed"

    @property
    def status(self) -> str:
        """unreviewed, approved, rejected or needs_arbitration (review_status's values)."""
        resolution = self.resolution
        if resolution in ("unreviewed", "disagreement"):
            return {"unreviewed": "unreviewed", "disagreement": "needs_arbitration"}[resolution]
        decisive = (self.latest("arbitration") or self.latest("first_review")
                    or self.latest("second_review"))
        return "approved" if decisive.verdict == "approve" else "rejected"

    def roles_of(self, reviewer: str) -> set[str]:
        return {v.role for v in self.verdicts if v.reviewer == reviewer}

    def role_for(self, reviewer: str) -> str | None:
        """The role ``reviewer`` gives on this sample now, or None when none is owed."""
        own = self.roles_of(reviewer)
        if own:
            return sorted(own, key=ROLES.index)[-1]
        if not self.latest("first_review"):
            return "first_review"
        if not self.latest("second_review"):
            return "second_review"
        if self.resolution == "disagreement":
            return "arbitration"
        return None

    def visible_to(self, reviewer: str) -> list[Verdict]:
        """The verdicts ``reviewer`` may see: all of them for an arbiter or once nothing is
        owed; only their own while they owe a blind (first or second) review."""
        if self.role_for(reviewer) in BLIND_ROLES:
            return [v for v in self.verdicts if v.reviewer == reviewer]
        return list(self.verdicts)

    def shown_status(self, reviewer: str) -> str:
        """The status a reviewer may see: a single review they did not give and may still
        second shows as ``awaiting_second_review`` (its direction hidden)."""
        if self.resolution == "single_review" and not self.roles_of(reviewer):
            return "awaiting_second_review"
        return self.status


def read_states(wh: Warehouse) -> dict[str, SampleState]:
    """sample_id -> its live state, from every landed verdict file."""
    states: dict[str, SampleState] = defaultdict(lambda: SampleState(""))
    for path in landed_files(wh, REVIEW_VERDICTS_TABLE):
        table = pq.read_table(path)
        for row in table.to_pylist():
            state = states[row["sample_id"]]
            state.sample_id = row["sample_id"]
            state.verdicts.append(Verdict(row["sample_id"], row["reviewer"], row["role"], row["verdict"],
                                          row["error_type"], row["note"], row["reviewed_at"],
                                          row["ingested_at"]))
    return dict(states)
