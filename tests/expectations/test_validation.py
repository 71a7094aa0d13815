"""expectations.validation: a frame validated by Great Expectations gives its outcome and
the ids of its offending rows, and GX takes no fingerprint of the frame on the way
(expectations.parts.gx_module turns that off: it was a fifth of the checks' time at 118k
photos)."""

from __future__ import annotations

import pandas as pd

from expectations.parts import Frame, gxe
from expectations.validation import Validator, outcomes_of_frame


def test_a_frame_is_validated_with_its_offending_ids_and_no_fingerprint() -> None:
    frame = Frame("ids", pd.DataFrame({"id": ["a", "b", "c"], "x": [1.0, None, 3.0]}),
                  [gxe().ExpectColumnValuesToNotBeNull(column="x"),
                   gxe().ExpectColumnValuesToBeUnique(column="id")], "id")
    validation = Validator().validate("test", frame)
    assert "pandas_data_fingerprint" not in validation.meta["batch_markers"]
    not_null, unique = outcomes_of_frame(frame, validation)
    assert (not_null.success, not_null.offending, not_null.observed) == (
        False, ["b"], "1 of 3 rows unexpected, values [None]")
    assert (unique.success, unique.offending, unique.observed) == (True, [], "0 of 3 rows unexpected")
