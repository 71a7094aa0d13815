"""Counting the words and characters of a document's text."""

from __future__ import annotations


def text_counts(full_text: str) -> tuple[int, int]:
    """(word_count, char_count) of a text: whitespace-separated words, non-space characters."""
    words = full_text.split()
    return len(words), sum(len(w) for w in words)
