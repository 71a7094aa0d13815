"""What one landing did: rows in, landed and rejected per table, and where the files are."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.rejects import Reject


@dataclass
class LandingReport:
    """Per-table accounting of a landing: ``rows_in == rows_landed + rows_rejected``."""

    source: str
    rows_in: dict[str, int] = field(default_factory=dict)
    rows_landed: dict[str, int] = field(default_factory=dict)
    rejects: list[Reject] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: records repeated with identical content, collapsed to one row (not rows in), per table
    collapsed: dict[str, int] = field(default_factory=dict)
    # one-line facts worth printing under the table (e.g. how much came from a cache)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> dict[str, int]:
        return dict(Counter(r.landing_table for r in self.rejects))

    def unbalanced_tables(self) -> list[str]:
        """Tables whose rows in differ from landed + rejected (should be none)."""
        rejected = self.rows_rejected
        return [t for t, n in self.rows_in.items()
                if n != self.rows_landed.get(t, 0) + rejected.get(t, 0)]

    def reason_counts(self) -> dict[str, int]:
        return dict(Counter(str(r.reason) for r in self.rejects))
