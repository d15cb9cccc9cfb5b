"""Exceptions and warnings raised by cxlib.

One exception for data problems (:class:`CXDataError`), one warning for thin bases
(:class:`SmallBaseWarning`) and one for computations expected to run long
(:class:`SlowComputationWarning`), so callers can catch exactly what cxlib raises.
"""

from __future__ import annotations


class CXDataError(ValueError):
    """Input data cannot be used as given.

    The message names the argument or column, shows the offending values and how
    many rows carry them, and says what would be valid.
    """


class SmallBaseWarning(UserWarning):
    """An estimate rests on fewer observations than the configured minimum base."""


class SlowComputationWarning(UserWarning):
    """A computation is expected to take long; the message gives the estimated time and
    the options that avoid it."""


class ResamplingWarning(UserWarning):
    """Too few bootstrap resamples for what is asked of them (e.g. no p-value below the
    significance level is attainable)."""


class NotIdentifiedWarning(UserWarning):
    """The data do not identify a model's parameters: an estimate ran off towards the edge
    of the parameter space, where the likelihood is flat; the message says which and what
    can still be read."""
