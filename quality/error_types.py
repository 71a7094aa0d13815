"""The failure taxonomy: the fixed list of error types a low-quality sample can carry.

The list follows the design documents' failure attribution table (P03 section 19.2:
visual hallucination, OCR omission, chart misinterpretation, grounding offset,
multi-image confusion) plus the structural ``format_error``, ``count_mismatch`` for a
wrong number of objects (a visual fact read wrong, kept apart from hallucinated objects
so that each can be tracked on its own), ``judge_rejected`` for a sample an LLM judge
(``mmfactory generate judge``) scored below its threshold, and ``unclassified`` for a reviewer's reject
that names no type. The dbt models accept exactly these values (accepted_values tests
in ``models/*/quality/_quality__models.yml``); change both together.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorType(StrEnum):
    """Why a sample is low quality. The values are what ``error_type`` columns hold."""

    VISUAL_HALLUCINATION = "visual_hallucination"  # an object the image does not hold
    COUNT_MISMATCH = "count_mismatch"              # a count that differs from the annotations
    OCR_OMISSION = "ocr_omission"                  # text missing from / absent in the document
    CHART_MISREAD = "chart_misread"                # a value or relation that disagrees with the table
    GROUNDING_OFFSET = "grounding_offset"          # a box off its object, or an ambiguous referent
    MULTI_IMAGE_CONFUSION = "multi_image_confusion"  # facts of Image 1 and Image 2 mixed or swapped
    FORMAT_ERROR = "format_error"                  # missing fields, placeholders, broken conversation
    JUDGE_REJECTED = "judge_rejected"              # an LLM judge scored it below the threshold
    UNCLASSIFIED = "unclassified"                  # a reviewer's reject without an error type


ERROR_TYPES: tuple[str, ...] = tuple(e.value for e in ErrorType)
"""Every error type, in the order above."""
