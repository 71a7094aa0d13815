"""The document and chart landings' reject reasons, now members of ``lakehouse.rejects.Reason``
(``DocumentReason`` is kept as a name for the modules that import it)."""

from lakehouse.rejects import Reason as DocumentReason

__all__ = ["DocumentReason"]
