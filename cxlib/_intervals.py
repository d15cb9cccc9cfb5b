"""Interval formulas shared by several estimators (one implementation each)."""

from __future__ import annotations

import numpy as np

__all__ = ["normal_quantile", "wilson_interval"]


def normal_quantile(confidence_level: float) -> float:
    """Two-sided standard-normal critical value ``z`` for a confidence level (0.95 → 1.96).

    >>> round(normal_quantile(0.95), 4)
    1.96
    """
    from scipy import stats

    return float(stats.norm.ppf(0.5 + confidence_level / 2.0))


def wilson_interval(p, base, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson (1927) score interval for a share ``p`` on (effective) base ``base``.

    ``(p + z²/2b) / (1 + z²/b) ± z / (1 + z²/b) · sqrt(p(1 − p)/b + z²/4b²)``.
    The bounds are kept inside [0, 1] and on either side of ``p``: mathematically they
    are, and clipping only removes floating-point dust (e.g. 5.6e-17 above 0 when p = 0).
    Where ``base`` is 0 the bounds are NaN.

    Examples
    --------
    >>> lo, hi = wilson_interval(np.array([0.0, 0.5]), np.array([10.0, 100.0]), 1.959963984540054)
    >>> float(lo[0]), round(float(hi[0]), 4), round(float(lo[1]), 4), round(float(hi[1]), 4)
    (0.0, 0.2775, 0.4038, 0.5962)
    """
    p = np.asarray(p, dtype=float)
    b = np.asarray(base, dtype=float)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = 1.0 + z2 / b
        centre = (p + z2 / (2.0 * b)) / denom
        half = z / denom * np.sqrt(p * (1.0 - p) / b + z2 / (4.0 * b * b))
        low = np.clip(np.minimum(centre - half, p), 0.0, 1.0)
        high = np.clip(np.maximum(centre + half, p), 0.0, 1.0)
    return low, high
