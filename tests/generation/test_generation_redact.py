"""generation.redact: the key never survives into text."""

from __future__ import annotations

from generation.redact import REDACTED, Scrubber, Secret


def test_scrubs_key_bearer_and_nested_values() -> None:
    key = "sk-live-abcdefgh12345678"
    s = Scrubber(Secret(key))
    assert s.text(f"failed with {key}!") == f"failed with {REDACTED}!"
    assert key not in s.text("Authorization: Bearer sk-other-token-999999")
    assert s.value({"a": [key, {"b": (f"x{key}y",)}], "n": 3}) == {
        "a": [REDACTED, {"b": [f"x{REDACTED}y"]}],
        "n": 3,
    }
    assert key not in s.exception(RuntimeError(f"boom {key}"))


def test_short_placeholder_keys_do_not_corrupt_text() -> None:
    s = Scrubber(Secret("EMPTY"))
    assert s.text("EMPTY plate on a table") == "EMPTY plate on a table"
    assert (
        s.text("the authorization procedure took place") == "the authorization procedure took place"
    )
