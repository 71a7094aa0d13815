"""How much of a ground-truth text an OCR output recovers: character recall and friends.

Definitions (all on *normalised* text: Unicode NFKC, then ``casefold()``, then every
whitespace character removed; NFKC maps the full-width punctuation an OCR model may emit,
``：`` -> ``:``, to its ASCII form):

- **character recall** = sum over characters c of min(n_gt(c), n_ocr(c)) / sum n_gt(c):
  multiset recall. Each ground-truth character counts once, matched by any equal
  character anywhere in the OCR output. It ignores order on purpose: OCR engines return
  lines in their own reading order (columns, table cells, chart labels come out in an
  order that differs from the ground truth's), and an order-aware measure (LCS, edit
  distance) would punish that ordering instead of unreadable text. Whitespace is removed
  because engines differ in whether they emit spaces at all (RapidOCR often does not).
  ``None`` when the ground truth has no characters.
- **character precision** = the same matched count / sum n_ocr(c): low when the OCR output
  is mostly characters the ground truth lacks (hallucinated text, noise read as letters),
  which recall alone would not show. ``None`` when the OCR output is empty.
- **word recall** = share of the ground truth's whitespace-separated words whose
  normalised form occurs as a substring of the normalised OCR text (all lines joined).
  Stricter than character recall (a word needs its characters together and in order) and
  still indifferent to line order. ``None`` when the ground truth has no words.

Character recall is the usability figure: text too small or too faint to read gives few
characters and a recall near 0, readable text a recall near 1.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


def normalise(text: str) -> str:
    """NFKC, casefolded, with every whitespace character removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split())


def char_recall(ground_truth: str, ocr_text: str) -> float | None:
    """Multiset character recall of ``ground_truth`` by ``ocr_text`` (see module doc)."""
    return recall_scores(ground_truth, [ocr_text]).char_recall


@dataclass(frozen=True)
class RecallScores:
    """The recall figures of one image (see the module doc for the definitions)."""

    gt_char_count: int
    ocr_char_count: int
    matched_char_count: int
    gt_word_count: int
    matched_word_count: int

    @property
    def char_recall(self) -> float | None:
        return self.matched_char_count / self.gt_char_count if self.gt_char_count else None

    @property
    def char_precision(self) -> float | None:
        return self.matched_char_count / self.ocr_char_count if self.ocr_char_count else None

    @property
    def word_recall(self) -> float | None:
        return self.matched_word_count / self.gt_word_count if self.gt_word_count else None


def recall_scores(ground_truth: str, ocr_lines: Iterable[str]) -> RecallScores:
    """All recall figures of ``ground_truth`` against the OCR lines of the same image."""
    gt = normalise(ground_truth)
    ocr = "".join(normalise(line) for line in ocr_lines)
    gt_counts, ocr_counts = Counter(gt), Counter(ocr)
    matched = sum(min(n, ocr_counts[c]) for c, n in gt_counts.items())
    words = [
        w for w in (normalise(w) for w in unicodedata.normalize("NFKC", ground_truth).split()) if w
    ]
    found = sum(1 for w in words if w in ocr)
    return RecallScores(
        gt_char_count=len(gt),
        ocr_char_count=len(ocr),
        matched_char_count=matched,
        gt_word_count=len(words),
        matched_word_count=found,
    )
