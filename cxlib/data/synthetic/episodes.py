"""Generator 1.1 additions around journey episodes (see :mod:`.generator`).

- :class:`_Streams` — the random streams of the additions (independent of the main one);
- :func:`_episode_history` — the recovery profile of negative episodes over later quarters;
- :func:`_event_surveys` — csat surveys after some journey events;
- :func:`_apply_peak_end` — the peak-end memory on the reported osat, and the episode
  truth (counterfactual answers without each episode).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import parameters as P
from .scales import _cut, _reported_ltr


@dataclass(frozen=True)
class _Streams:
    """Random streams of the generator-1.1 additions (independent of the main stream)."""

    followup: np.random.Generator
    switch: np.random.Generator
    survey: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> _Streams:
        return cls(*(np.random.default_rng([int(seed), 1100 + i]) for i in range(3)))


def _episode_history(k: int, c: Any, idx: np.ndarray, neg: np.ndarray,
                     followup: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Record this quarter's episodes in ``c.neg_hist``; return the status and the S
    contribution of the episode 0, 1, ... quarters ago (recovery profile, no draws)."""
    c.neg_hist[idx, k] = neg.astype(np.int8) + followup.astype(np.int8)
    lags = len(P.RECOVERY_PROFILE)
    status = np.zeros((idx.size, lags), dtype=np.int8)
    for lag in range(min(lags, k + 1)):
        status[:, lag] = c.neg_hist[idx, k - lag]
    profile = np.array([np.zeros(lags), P.RECOVERY_PROFILE, P.RECOVERY_PROFILE_FOLLOWUP])  # by status
    contrib = P.NEG_EPISODE_SAT * profile[status, np.arange(lags)]
    return status, contrib


def _event_surveys(rng: np.random.Generator, w: Any, c: Any, evs: pd.DataFrame) -> pd.DataFrame:
    """Csat surveys a little after some journey events (EVENT_SURVEY_P), with their own noise;
    ``_ep`` marks the surveys of negative episodes and of their follow-ups."""
    p = evs["touchpoint"].map(P.EVENT_SURVEY_P).fillna(0.0).to_numpy(float)
    pick = rng.random(len(evs)) < p
    ev = evs.loc[pick]
    day = ev["day"].to_numpy() + rng.uniform(*P.EVENT_SURVEY_DELAY_DAYS, len(ev))
    cust = ev["customer_id"].to_numpy()
    k = np.clip(np.searchsorted(w.end, ev["day"].to_numpy(), side="right"), 0, len(w.labels) - 1)
    tp_name = ev["touchpoint"].to_numpy()
    episode = (ev["valence"].to_numpy() == -1) | ((tp_name == P.FOLLOWUP_TOUCHPOINT[1])
                                                  & (ev["day"].to_numpy() == c.fu_day_hist[cust, k]))
    out = pd.DataFrame({
        "customer_id": cust, "day": day, "touchpoint": tp_name,
        "channel": ev["channel"].to_numpy(), "_sz": c.sz_hist[cust, k], "reopen_count": 0, "ticket_row": -1,
        "_effect": ev["touchpoint"].map(P.EVENT_CSAT_EFFECT).fillna(0.0).to_numpy(float),
        "_noise": rng.normal(0.0, P.TP_NOISE_SD, len(ev)), "_ep": episode,
    })
    return out.loc[out["day"] < w.end[-1]]


def _apply_peak_end(sv: pd.DataFrame, tp: pd.DataFrame, w: Any) -> pd.DataFrame:
    """Cut the reported osat after adding the peak-end memory term; add the episode truth
    columns (counterfactual osat / ltr without the episode 0, 1, ... quarters ago). No draws.

    Term: ``spread × (PEAK_END_WORST × min_k e_k + PEAK_END_LAST × e_last)`` over the
    customer's touchpoint experiences ``e_k`` of the quarter dated before the response.
    """
    sv = sv.reset_index(drop=True)
    m = sv[["customer_id", "_qs", "response_day"]].reset_index(names="_row").merge(tp, on="customer_id")
    m = m.loc[(m["day"] >= m["_qs"]) & (m["day"] < m["response_day"])].sort_values(["_row", "day"], kind="mergesort")

    def term(rows: pd.DataFrame) -> np.ndarray:
        g = rows.groupby("_row")["_e"]
        out = np.zeros(len(sv))
        if len(rows):
            out[g.min().index] += P.PEAK_END_WORST * g.min().to_numpy()
            out[g.last().index] += P.PEAK_END_LAST * g.last().to_numpy()
        return out

    pe, pe_without_episode = term(m), term(m.loc[~m["_ep"].to_numpy(bool)])
    styled, spread = sv["_osat_styled"].to_numpy(float), sv["_spread"].to_numpy(float)
    missing = np.isnan(styled)

    def osat(x: np.ndarray) -> np.ndarray:
        return np.where(missing, np.nan, _cut(np.where(missing, 0.0, x), P.OSAT_CUTS))

    sv["osat"] = osat(styled + spread * pe)
    sv["_n_tp"] = m.groupby("_row").size().reindex(range(len(sv)), fill_value=0).to_numpy()
    country = pd.Categorical(sv["country"], categories=P.COUNTRIES).codes
    ltr_lat, angry = sv["_ltr_lat"].to_numpy(float), sv["_angry_draw"].to_numpy(bool)
    for lag in range(len(P.RECOVERY_PROFILE)):
        shift = sv[f"_contrib{lag}"].to_numpy(float) / P.SAT_SD
        sv[f"_d_osat{lag}"] = sv["osat"] - osat(styled + spread * ((pe_without_episode if lag == 0 else pe) - shift))
        sv[f"_d_ltr{lag}"] = sv["ltr"] - _reported_ltr(ltr_lat - P.LTR_SLOPE * shift, angry, country)
    return sv
