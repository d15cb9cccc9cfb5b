"""Exceptions and warnings raised by cxlib.

One exception for data problems (:class:`CXDataError`) and one warning for thin
bases (:class:`SmallBaseWarning`), so callers can catch exactly what cxlib raises.
"""

from __future__ import annotations



class CXDataError(ValueError):
    """Input data cannot be used as given.

    The message names the argument or column, shows the offending values and how
    many rows carry them, and says what would be valid.
    """


class SmallBaseWarning(UserWarning):
    """An estimate rests on fewer observations than the configured minimum base."""
