"""Small seeded data sets shared by the churn, survival, value and findings tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def cox_data(n: int = 400, seed: int = 0, ties: bool = True) -> pd.DataFrame:
    """Exponential churn with planted log-hazard ratios; integer months give ties.

    Planted: passive +0.3, detractor +0.8 (vs promoter), osat -0.15 per point, recent
    negative episode +0.4; baseline hazard 0.03 a month; uniform censoring 6–36 months.
    """
    rng = np.random.default_rng(seed)
    grp = rng.choice(["promoter", "passive", "detractor"], n, p=[0.45, 0.35, 0.2])
    osat = rng.integers(1, 6, n).astype(float)
    neg = rng.integers(0, 2, n)
    lin = 0.3 * (grp == "passive") + 0.8 * (grp == "detractor") - 0.15 * (osat - 3) + 0.4 * neg
    t = rng.exponential(1 / (0.03 * np.exp(lin)))
    c = rng.uniform(6, 36, n)
    dur = np.minimum(t, c)
    if ties:
        dur = np.ceil(dur)
    return pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "duration": dur,
            "event": (t <= c).astype(int),
            "nps_group": pd.Categorical(grp, categories=["promoter", "passive", "detractor"]),
            "osat": osat,
            "recent_negative": neg,
            "monthly_revenue": rng.lognormal(3, 0.5, n),
        }
    )


def model_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """customers, survey, journeys, tickets small enough to compute every row by hand."""
    customers = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 4],
            "plan": ["basic", "pro", "basic", "pro"],
            "monthly_revenue": [20.0, 50.0, 20.0, 50.0],
            "signup_date": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01", "2026-06-01"]),
            "churn_date": pd.to_datetime(["2025-10-01", None, "2026-05-01", None]),
        }
    )
    survey = pd.DataFrame(
        {
            "response_id": [10, 11, 12, 13, 14],
            "customer_id": [1, 2, 2, 3, 3],
            "quarter": ["2025Q2", "2025Q2", "2025Q4", "2025Q3", "2026Q2"],
            "response_date": pd.to_datetime(["2025-04-01", "2025-04-15", "2025-11-01", "2025-08-01", "2026-04-10"]),
            "ltr": [3, 9, 7, 10, np.nan],
            "osat": [2, 5, 4, 5, 3],
            "ces": [3, 7, 5, 6, 4],
        }
    )
    journeys = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3],
            "timestamp": pd.to_datetime(["2025-03-15", "2024-12-01", "2025-11-02", "2025-07-01"]),
            "valence": [-1, -1, -1, 1],
        }
    )
    tickets = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "created_at": pd.to_datetime(["2025-02-15", "2025-03-20", "2025-10-01"]),
            "reopen_count": [1, 0, 2],
        }
    )
    return customers, survey, journeys, tickets


def customers(n: int = 500, seed: int = 2) -> pd.DataFrame:
    """Signups over 800 days from 2024-01-01, exponential lifetimes (mean 400 days)."""
    rng = np.random.default_rng(seed)
    signup = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 800, n), unit="D")
    life = pd.to_timedelta(rng.exponential(400, n).astype(int), unit="D")
    churn = pd.Series(signup + life).where(lambda d: d <= pd.Timestamp("2026-03-31"))
    return pd.DataFrame({
        "customer_id": np.arange(n, dtype=np.int64),
        "plan": rng.choice(["basic", "pro"], n, p=[0.7, 0.3]),
        "country": rng.choice(["DE", "FR", "UK"], n),
        "signup_date": signup,
        "churn_date": churn,
    })
