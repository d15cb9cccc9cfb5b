"""Latent values to answers: categorical draws, cut points, country response styles, NPS
groups and day offsets to timestamps (shared by the generator's steps)."""

from __future__ import annotations

import numpy as np

from . import parameters as P


def _cat_draw(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows sum to 1)."""
    probs = np.atleast_2d(probs)
    cum = np.cumsum(probs, axis=1)
    u = rng.random(probs.shape[0])[:, None]
    return np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)


def _cut(x: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Latent values -> ratings 1..len(cuts)+1."""
    return np.searchsorted(cuts, x, side="right") + 1


def _style(x: np.ndarray, country: np.ndarray, centre: float, unit: float) -> np.ndarray:
    """Apply the country response style to latent ``x`` (``unit`` = one style SD)."""
    shift = np.array([P.COUNTRY_SHIFT[c] for c in P.COUNTRIES])[country]
    spread = np.array([P.COUNTRY_SPREAD[c] for c in P.COUNTRIES])[country]
    if x.ndim == 2:
        shift, spread = shift[:, None], spread[:, None]
    return centre + shift * unit + spread * (x - centre)


def _nps_group(ltr: np.ndarray) -> np.ndarray:
    """0 detractor (0-6), 1 passive (7-8), 2 promoter (9-10)."""
    return np.where(ltr >= 9, 2, np.where(ltr >= 7, 1, 0))


def _to_ns(t0: np.datetime64, days: np.ndarray) -> np.ndarray:
    """Days after ``t0`` (float) -> datetime64[ns], rounded to the second; NaN -> NaT."""
    days = np.asarray(days, dtype=float)
    secs = np.round(days * 86400.0)
    out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.isfinite(secs)
    out[ok] = t0 + secs[ok].astype("int64") * np.timedelta64(1, "s")
    return out


def _reported_ltr(ltr_lat: np.ndarray, angry_draw: np.ndarray, country: np.ndarray | None) -> np.ndarray:
    """Ltr from its latent: the angry zero, then rounded and clipped (styled when ``country`` is given)."""
    x = ltr_lat if country is None else _style(ltr_lat, country, P.LTR_CENTRE, P.LTR_STYLE_SD)
    return np.where((ltr_lat < P.LTR_ANGRY_BELOW) & angry_draw, 0, np.clip(np.rint(x), 0, 10))
