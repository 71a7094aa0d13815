"""What a document/chart landing, derived render or OCR run did.

``DocumentLandingReport`` is ``lakehouse.report.LandingReport`` (rows in / landed / rejected
per table, the rejects, the files written) plus the images root of every source it
landed, so the CLI prints it with the same ``print_landing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.rejects import Reject
from lakehouse.report import LandingReport


@dataclass
class DocumentLandingReport(LandingReport):
    """A ``LandingReport`` that also names the images root (absolute) of each source."""

    images_roots: dict[str, Path] = field(default_factory=dict)

    @property
    def images_root(self) -> Path | None:
        """The images root when the report covers one source (else None)."""
        roots = set(self.images_roots.values())
        return roots.pop() if len(roots) == 1 else None

    def add_landed(self, table: str, landed: int) -> None:
        """Count ``landed`` rows of ``table`` (they are rows in as well)."""
        self.rows_landed[table] = self.rows_landed.get(table, 0) + landed
        self.rows_in[table] = self.rows_in.get(table, 0) + landed

    def add_rejects(self, rejects: list[Reject]) -> None:
        """Record ``rejects``; each counts as a row in of its own ``landing_table``."""
        for r in rejects:
            self.rows_in[r.landing_table] = self.rows_in.get(r.landing_table, 0) + 1
            self.rows_landed.setdefault(r.landing_table, 0)
        self.rejects.extend(rejects)

    def merge(self, other: LandingReport) -> None:
        """Fold another report into this one (tables summed, rejects and files appended)."""
        for table, n in other.rows_in.items():
            self.rows_in[table] = self.rows_in.get(table, 0) + n
        for table, n in other.rows_landed.items():
            self.rows_landed[table] = self.rows_landed.get(table, 0) + n
        self.rejects.extend(other.rejects)
        self.files.extend(other.files)
        if isinstance(other, DocumentLandingReport):
            self.images_roots.update(other.images_roots)
