"""A synthetic subscription business with planted, documented truth.

:func:`synthesize` simulates customers quarter by quarter: each customer has a latent
attitudinal segment and a persistent satisfaction effect; every quarter draws eight
latent driver experiences (segment profile + persistent effect + a quarter "halo" +
noise), negative and positive journey episodes, a continuous latent satisfaction built
from the drivers, the likelihood-to-recommend that satisfaction implies, support
tickets, churn (with a hazard that depends on the quarter's NPS group) and, for a
sampled and responding subset, a relational survey answered through a country response
style. Every parameter and the realised population values are returned in
:class:`cxlib.data.PlantedTruth`; ``data/README.md`` documents them.

All randomness flows from one ``numpy.random.default_rng(seed)``; the same seed and
arguments give identical tables.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from .data import DRIVERS, SCHEMA, CXData, PlantedTruth, _parse_quarter, quarter_bounds, quarter_of, quarter_range
from .errors import CXDataError

__all__ = ["synthesize", "GENERATOR_VERSION"]

GENERATOR_VERSION = "1.0.0"

# ----------------------------------------------------------------------------- constants
COUNTRIES = ("US", "GB", "DE", "JP", "BR", "MX")
COUNTRY_SHARES = (0.38, 0.14, 0.16, 0.09, 0.15, 0.08)
# Response style, in standard-deviation units of each latent answer: raw = centre +
# shift + spread * (latent - centre). Latent experience is identical across countries.
COUNTRY_SHIFT = {"US": 0.0, "GB": -0.10, "DE": -0.30, "JP": -0.45, "BR": 0.30, "MX": 0.25}
COUNTRY_SPREAD = {"US": 1.0, "GB": 1.0, "DE": 0.9, "JP": 0.75, "BR": 1.3, "MX": 1.25}

PLANS = ("basic", "standard", "premium")
PLAN_PRICE = {"basic": 29.0, "standard": 79.0, "premium": 199.0}  # median monthly revenue
REVENUE_SDLOG = 0.30
CHANNELS = ("organic", "paid_search", "partner", "referral")

SEGMENTS = ("advocates", "value_seekers", "support_reliant", "reliability_frustrated")
# Segment share among customers who signed up before the window, and at its end
# (linear in signup time in between): value seekers grow, advocates shrink.
SEGMENT_SHARE_START = (0.32, 0.22, 0.25, 0.21)
SEGMENT_SHARE_END = (0.22, 0.36, 0.23, 0.19)
# Driver profiles: latent mean of each driver (columns in DRIVERS order) by segment.
DRIVER_BASE = 0.35
_P = {
    "advocates": dict.fromkeys(DRIVERS, 0.90),
    "value_seekers": {**dict.fromkeys(DRIVERS, 0.30), "value_for_money": -1.60, "billing_clarity": -1.10},
    "support_reliant": {
        **dict.fromkeys(DRIVERS, 0.10),
        "support": -1.50, "ease_of_use": -1.10, "onboarding": -1.20, "communication": -0.20,
    },
    "reliability_frustrated": {
        **dict.fromkeys(DRIVERS, 0.10),
        "reliability": -1.70, "product_quality": -1.20,
    },
}
SEGMENT_PROFILE = np.array([[DRIVER_BASE + _P[s][d] for d in DRIVERS] for s in SEGMENTS])
PERSON_SD = 0.36  # persistent customer effect on every driver (panel correlation)
HALO_SD = 0.36  # quarter-specific effect shared by all drivers of a customer
DRIVER_NOISE_SD = 0.55
DRIVER_CUTS = np.array([-1.45, -0.75, 0.05, 0.80])  # latent -> rating 1..5

# Satisfaction = sum_j weight_j * z_j + asymmetric term + episode effects + season + noise
DRIVER_WEIGHTS = {
    "product_quality": 0.36,
    "reliability": 0.28,
    "ease_of_use": 0.24,
    "value_for_money": 0.20,
    "support": 0.12,
    "onboarding": 0.05,
    "communication": 0.03,
    "billing_clarity": 0.01,
}
ASYM_DRIVER = "billing_clarity"
ASYM_PENALTY = -0.40  # added to satisfaction when the (true) rating is 1 or 2
ASYM_REWARD = 0.04  # added when the (true) rating is 5
SAT_NOISE_SD = 0.40
SEASON_SAT = {1: 0.05, 2: 0.05, 3: 0.0, 4: -0.10}  # by calendar quarter
SEASON_TICKETS = {1: 1.15, 2: 0.95, 3: 0.90, 4: 1.05}
NEG_EPISODE_P = 0.06
NEG_EPISODE_P_INCIDENT = 0.20
NEG_EPISODE_SAT = -0.60
NEG_EPISODE_HR = 1.6
POS_EPISODE_P = 0.10
POS_EPISODE_SAT = 0.15
INCIDENT_DRIVER = "reliability"
INCIDENT_SHIFT = -0.90
NPS_DROP_PLAN = "standard"
NPS_DROP_SHIFT = -0.24  # satisfaction shift for that plan in the latest quarter

# Standardisation of satisfaction (fixed constants: the population mean and SD of the
# default generator, so Sz is approximately standard normal).
SAT_MEAN = 0.47
SAT_SD = 1.18
LTR_INTERCEPT = 8.15
LTR_SLOPE = 2.20  # ltr points per SD of satisfaction
LTR_NOISE_SD = 0.70  # quarter-specific
LTR_PERSON_SD = 0.65  # persistent per customer (recommending propensity)
LTR_ANGRY_BELOW = 4.5  # latent ltr below which a respondent may answer 0
LTR_ANGRY_P = 0.45
LTR_STYLE_SD = 1.8  # style shifts for ltr are in units of this many points
LTR_CENTRE = 7.5
OSAT_CUTS = np.array([-1.75, -1.30, -0.75, 0.40])  # styled Sz -> osat 1..5
CES_CUTS = np.array([-1.75, -1.25, -0.85, -0.45, 0.20, 0.95])  # -> ces 1..7
CSAT_CUTS = np.array([-1.6, -1.1, -0.55, 0.35])  # touchpoint csat 1..5

CHURN_H0 = 0.0075  # monthly hazard of a promoter on the standard plan
CHURN_HR_GROUP = {"detractor": 3.0, "passive": 1.5, "promoter": 1.0}
CHURN_HR_PLAN = {"basic": 1.25, "standard": 1.0, "premium": 0.70}
DAYS_PER_MONTH = 365.25 / 12

TICKET_RATE = 0.37  # expected tickets per customer-quarter (before multipliers)
TICKET_SEGMENT_MULT = {"advocates": 0.8, "value_seekers": 0.9, "support_reliant": 1.6, "reliability_frustrated": 1.2}
TICKET_CHANNELS = ("email", "chat", "phone")
TICKET_CHANNEL_P = (0.40, 0.35, 0.25)
TICKET_CATEGORIES = ("technical", "billing", "account", "how_to")
TICKET_CATEGORY_P = (0.35, 0.25, 0.15, 0.25)
FIRST_RESPONSE_MEDIAN_MIN = {"email": 180.0, "chat": 2.0, "phone": 4.0}
FIRST_RESPONSE_SDLOG = 1.1
FIRST_RESOLVE_MEDIAN_H = {"email": 20.0, "chat": 2.0, "phone": 1.5}
FIRST_RESOLVE_SDLOG = 1.3
REOPEN_P = 0.08
REOPEN_EXTRA_HOURS_MEDIAN = 30.0
EXTRA_CONTACT_P = 0.20

TP_INTERCEPT = 0.60
TP_SLOPE = 0.60
TP_NOISE_SD = 0.80
TP_REOPEN_EFFECT = -0.90  # per reopen, latent touchpoint csat (SD units)
TICKET_SURVEY_P = 0.30
OTHER_TP_P = 0.10

INVITE_BASE = 0.60
INVITE_MULT_PLAN = {"basic": 0.55, "standard": 1.0, "premium": 2.5}
INVITE_MULT_COUNTRY = {"US": 0.75, "GB": 1.0, "DE": 1.0, "JP": 2.3, "BR": 1.0, "MX": 2.3}
RESPONSE_BASE = 0.28
RESPONSE_MULT_COUNTRY = {"US": 1.0, "GB": 0.9, "DE": 0.8, "JP": 0.6, "BR": 1.3, "MX": 1.2}
RESPONSE_MULT_SEGMENT = {"advocates": 1.20, "value_seekers": 0.90, "support_reliant": 1.0, "reliability_frustrated": 0.90}
FIELD_DAYS = (45.0, 88.0)  # survey fielded between these days of the quarter
DUPLICATE_P = 0.012
COMMENT_P = {"detractor": 0.55, "passive": 0.30, "promoter": 0.25}

_NEG_COMMENTS = {
    "product_quality": ("The product feels unfinished.", "Quality has gone down lately.", "Too many bugs."),
    "reliability": ("The service keeps going down.", "Outages again this quarter.", "Not reliable enough for us."),
    "ease_of_use": ("Hard to find anything in the app.", "Too complicated to use.", "The new interface is confusing."),
    "value_for_money": ("Too expensive for what it does.", "Price went up, value did not.", "Cheaper options exist."),
    "support": ("Support never solved my problem.", "Waited days for an answer.", "Had to explain my issue three times."),
    "billing_clarity": ("My invoice is impossible to understand.", "Charged twice, nobody explained why.", "Billing is a mess."),
    "onboarding": ("Getting started was painful.", "No help setting things up.", "Onboarding took far too long."),
    "communication": ("You never tell us about changes.", "Too many pointless emails.", "Nobody told us about the outage."),
}
_POS_COMMENTS = {
    "product_quality": ("Great product.", "Does exactly what we need.", "Best tool we use."),
    "reliability": ("Always works.", "Rock solid.", "Never had downtime."),
    "ease_of_use": ("So easy to use.", "Intuitive and quick.", "Our whole team picked it up fast."),
    "value_for_money": ("Worth every penny.", "Good value.", "Fair price."),
    "support": ("Support was fantastic.", "Quick and friendly help.", "They fixed it in minutes."),
    "billing_clarity": ("Clear invoices.", "Billing is simple.", "No surprises on the bill."),
    "onboarding": ("Smooth onboarding.", "Setup was a breeze.", "Great start."),
    "communication": ("They keep us informed.", "Helpful updates.", "Good communication."),
}


# ----------------------------------------------------------------------------- helpers
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
    shift = np.array([COUNTRY_SHIFT[c] for c in COUNTRIES])[country]
    spread = np.array([COUNTRY_SPREAD[c] for c in COUNTRIES])[country]
    if x.ndim == 2:
        shift, spread = shift[:, None], spread[:, None]
    return centre + shift * unit + spread * (x - centre)


def _nps_group(ltr: np.ndarray) -> np.ndarray:
    """0 detractor (0-6), 1 passive (7-8), 2 promoter (9-10)."""
    return np.where(ltr >= 9, 2, np.where(ltr >= 7, 1, 0))


def _lmg(corr: np.ndarray) -> np.ndarray:
    """Shapley (LMG) shares of R^2 from a correlation matrix whose last row is the outcome."""
    p = corr.shape[0] - 1
    rxx, rxy = corr[:p, :p], corr[:p, p]

    def r2(subset: tuple[int, ...]) -> float:
        if not subset:
            return 0.0
        s = list(subset)
        return float(rxy[s] @ np.linalg.solve(rxx[np.ix_(s, s)], rxy[s]))

    cache = {S: r2(S) for k in range(p + 1) for S in combinations(range(p), k)}
    from math import factorial

    out = np.zeros(p)
    for j in range(p):
        others = [i for i in range(p) if i != j]
        for k in range(p):
            wt = factorial(k) * factorial(p - k - 1) / factorial(p)
            for S in combinations(others, k):
                out[j] += wt * (cache[tuple(sorted(S + (j,)))] - cache[S])
    return out


def _to_ns(t0: np.datetime64, days: np.ndarray) -> np.ndarray:
    """Days after ``t0`` (float) -> datetime64[ns], rounded to the second; NaN -> NaT."""
    days = np.asarray(days, dtype=float)
    secs = np.round(days * 86400.0)
    out = np.full(days.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.isfinite(secs)
    out[ok] = t0 + secs[ok].astype("int64") * np.timedelta64(1, "s")
    return out


# ----------------------------------------------------------------------------- generator
def synthesize(
    seed: int = 0,
    *,
    n_customers: int = 20_000,
    quarters: int = 12,
    end_quarter: str = "2026Q3",
) -> CXData:
    """Generate a synthetic CX dataset with planted, documented structure.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; equal seeds give identical data.
    n_customers : int
        Customers ever observed (about 55 % signed up before the first quarter).
    quarters : int
        Number of quarterly survey waves.
    end_quarter : str
        The latest quarter, ``"YYYYQn"``.

    Returns
    -------
    CXData
        Tables as documented in ``data/README.md`` and the planted truth in ``.truth``.

    Notes
    -----
    Per customer *i* and quarter *q*: driver latents
    ``z_ijq = profile[seg_i, j] + a_i + g_iq + e_ijq`` (+ the incident shift on
    reliability); satisfaction ``S = Σ_j w_j z_ij + asym + episodes + season + ε``;
    latent ltr ``L = 8.15 + 2.2 (S − 0.47)/1.18 + b_i + η``; true ltr = rounded, clipped L
    (0 for some very unhappy customers). The monthly churn hazard is
    ``0.0075 × HR(NPS group of true ltr) × HR(plan) × HR(negative episode)``.
    Survey answers are the same latents passed through the country response style.

    Examples
    --------
    >>> d = synthesize(1, n_customers=300, quarters=2)
    >>> sorted(d.survey["quarter"].unique())
    ['2026Q2', '2026Q3']
    """
    if not isinstance(n_customers, (int, np.integer)) or n_customers < 50:
        raise CXDataError(f"`n_customers`={n_customers!r} must be an integer of at least 50")
    if not isinstance(quarters, (int, np.integer)) or quarters < 1:
        raise CXDataError(f"`quarters`={quarters!r} must be a positive integer")
    _parse_quarter(end_quarter, argument="end_quarter")
    rng = np.random.default_rng(seed)
    qlabels = quarter_range(end_quarter, quarters)
    bounds = [quarter_bounds(q) for q in qlabels]
    t0 = np.datetime64(bounds[0][0].to_datetime64(), "ns")
    qstart = np.array([(b[0] - bounds[0][0]).days for b in bounds], dtype=float)
    qend = np.array([(b[1] - bounds[0][0]).days for b in bounds], dtype=float)
    qnum = np.array([_parse_quarter(q)[1] for q in qlabels])
    window_end = qend[-1]
    incident_k = (quarters - 2) // 2 if quarters >= 3 else -1  # never adjacent to the latest quarter
    drop_k = quarters - 1 if quarters >= 2 else -1

    # ---- customers --------------------------------------------------------------
    n = int(n_customers)
    pre = rng.random(n) < 0.55
    signup = np.empty(n)
    signup[pre] = -1460.0 * rng.beta(1.0, 1.8, pre.sum()) - 0.5
    growth = (1.0 + 0.05 * np.arange(quarters)) * np.array([1.15 if q == 1 else 1.0 for q in qnum])
    kq = _cat_draw(rng, np.tile(growth / growth.sum(), ((~pre).sum(), 1)))
    signup[~pre] = qstart[kq] + rng.random((~pre).sum()) * (qend[kq] - qstart[kq])
    frac = np.clip(signup / window_end, 0.0, 1.0)[:, None]
    seg_p = (1 - frac) * np.array(SEGMENT_SHARE_START) + frac * np.array(SEGMENT_SHARE_END)
    seg = _cat_draw(rng, seg_p)
    country = _cat_draw(rng, np.tile(COUNTRY_SHARES, (n, 1)))
    plan_p = np.array([[0.55, 0.33, 0.12], [0.70, 0.25, 0.05], [0.52, 0.35, 0.13], [0.50, 0.36, 0.14]])[seg]
    plan_p = plan_p + frac * np.array([-0.05, -0.02, 0.07])
    plan = _cat_draw(rng, plan_p / plan_p.sum(axis=1, keepdims=True))
    chan_p = np.array([[0.33, 0.20, 0.12, 0.35], [0.25, 0.50, 0.15, 0.10], [0.35, 0.30, 0.20, 0.15], [0.35, 0.30, 0.17, 0.18]])[seg]
    channel = _cat_draw(rng, chan_p)
    price = np.array([PLAN_PRICE[p] for p in PLANS])[plan]
    revenue = np.round(price * rng.lognormal(0.0, REVENUE_SDLOG, n), 2)
    person = rng.normal(0.0, PERSON_SD, n)
    ltr_person = rng.normal(0.0, LTR_PERSON_SD, n)
    churn_day = np.full(n, np.inf)

    w_vec = np.array([DRIVER_WEIGHTS[d] for d in DRIVERS])
    j_asym, j_inc = DRIVERS.index(ASYM_DRIVER), DRIVERS.index(INCIDENT_DRIVER)
    j_sup, j_ease, j_onb = DRIVERS.index("support"), DRIVERS.index("ease_of_use"), DRIVERS.index("onboarding")
    hr_group = np.array([CHURN_HR_GROUP[g] for g in ("detractor", "passive", "promoter")])
    hr_plan = np.array([CHURN_HR_PLAN[p] for p in PLANS])
    seg_tmult = np.array([TICKET_SEGMENT_MULT[s] for s in SEGMENTS])
    inv_plan = np.array([INVITE_MULT_PLAN[p] for p in PLANS])
    inv_country = np.array([INVITE_MULT_COUNTRY[c] for c in COUNTRIES])
    resp_seg = np.array([RESPONSE_MULT_SEGMENT[s] for s in SEGMENTS])
    resp_country = np.array([RESPONSE_MULT_COUNTRY[c] for c in COUNTRIES])

    survey_parts, ticket_parts, tp_parts, ev_parts = [], [], [], []
    pop_rows = []  # per customer-quarter population records for the realised truth
    obs_rows = []  # exposure pieces on the survey's (reported) scale, for the observable churn truth
    lmg_r, lmg_s = [], []
    waves = {}  # quarter -> eligible, invited, responded counts

    for k in range(quarters):
        qs, qe = qstart[k], qend[k]
        idx = np.flatnonzero((signup < qe) & (churn_day > qs))
        m = idx.size
        entry = np.maximum(signup[idx], qs)
        s_i = seg[idx]
        z = (SEGMENT_PROFILE[s_i] + person[idx, None] + rng.normal(0.0, HALO_SD, m)[:, None]
             + rng.normal(0.0, DRIVER_NOISE_SD, (m, len(DRIVERS))))
        if k == incident_k:
            z[:, j_inc] += INCIDENT_SHIFT
        r_true = _cut(z, DRIVER_CUTS)
        # journey episodes (before the survey fields: days 0-40 of the quarter)
        ep_day = qs + rng.uniform(0.0, 40.0, m)
        neg = (rng.random(m) < (NEG_EPISODE_P_INCIDENT if k == incident_k else NEG_EPISODE_P)) & (ep_day >= entry)
        pos = (rng.random(m) < POS_EPISODE_P) & (ep_day >= entry) & ~neg
        asym = np.where(r_true[:, j_asym] <= 2, ASYM_PENALTY, 0.0) + np.where(r_true[:, j_asym] == 5, ASYM_REWARD, 0.0)
        drop = np.where((k == drop_k) & (plan[idx] == PLANS.index(NPS_DROP_PLAN)), NPS_DROP_SHIFT, 0.0)
        sat = (z @ w_vec + asym + NEG_EPISODE_SAT * neg + POS_EPISODE_SAT * pos + SEASON_SAT[qnum[k]] + drop
               + rng.normal(0.0, SAT_NOISE_SD, m))
        sz = (sat - SAT_MEAN) / SAT_SD
        ltr_lat = LTR_INTERCEPT + LTR_SLOPE * sz + ltr_person[idx] + rng.normal(0.0, LTR_NOISE_SD, m)
        angry = (ltr_lat < LTR_ANGRY_BELOW) & (rng.random(m) < LTR_ANGRY_P)
        ltr_true = np.where(angry, 0, np.clip(np.rint(ltr_lat), 0, 10)).astype(int)
        group = _nps_group(ltr_true)

        # churn: piecewise-constant hazard, raised after a negative episode
        rate = CHURN_H0 * hr_group[group] * hr_plan[plan[idx]] / DAYS_PER_MONTH
        e = rng.exponential(1.0, m)
        ep_eff = np.where(neg, ep_day, np.inf)
        c1 = rate * np.maximum(np.minimum(ep_eff, qe) - entry, 0.0)
        t_churn = np.where(e < c1, entry + e / rate, np.maximum(ep_eff, entry) + (e - c1) / (rate * NEG_EPISODE_HR))
        churned = t_churn < qe
        churn_day[idx[churned]] = t_churn[churned]
        alive_to = np.minimum(qe, t_churn)

        # tickets
        lam = TICKET_RATE * seg_tmult[s_i] * SEASON_TICKETS[qnum[k]] * np.where(neg, 1.5, 1.0) * (1.4 if k == incident_k else 1.0)
        lam = lam * np.clip((alive_to - entry) / (qe - qs), 0.0, 1.0)
        nt = rng.poisson(lam)
        t_owner = np.repeat(np.arange(m), nt)
        nT = t_owner.size
        t_created = entry[t_owner] + rng.random(nT) * (alive_to[t_owner] - entry[t_owner])
        t_chan = _cat_draw(rng, np.tile(TICKET_CHANNEL_P, (nT, 1)))
        cat_p = np.array(TICKET_CATEGORY_P) if k != incident_k else np.array([0.55, 0.18, 0.10, 0.17])
        t_cat = _cat_draw(rng, np.tile(cat_p, (nT, 1)))
        chan_names = np.array(TICKET_CHANNELS)
        fr_min = np.array([FIRST_RESPONSE_MEDIAN_MIN[c] for c in TICKET_CHANNELS])[t_chan] * rng.lognormal(0, FIRST_RESPONSE_SDLOG, nT)
        t_first_resp = t_created + fr_min / 1440.0
        solve_h = np.array([FIRST_RESOLVE_MEDIAN_H[c] for c in TICKET_CHANNELS])[t_chan] * rng.lognormal(0, FIRST_RESOLVE_SDLOG, nT)
        t_first_res = t_first_resp + solve_h / 24.0
        p_reopen = REOPEN_P * np.where(t_cat == 0, 1.4, 1.0) * (1.4 if k == incident_k else 1.0)
        reopen = np.where(rng.random(nT) < p_reopen, 1 + rng.geometric(0.7, nT) - 1, 0)
        extra_h = np.zeros(nT)
        for r in range(1, int(reopen.max(initial=0)) + 1):
            extra_h += np.where(reopen >= r, REOPEN_EXTRA_HOURS_MEDIAN * rng.lognormal(0, 1.0, nT), 0.0)
        t_resolved = t_first_res + extra_h / 24.0
        contacts = 1 + reopen + (rng.random(nT) < EXTRA_CONTACT_P) * (1 + rng.poisson(0.3, nT))
        had_ticket = nt > 0
        any_reopen = np.bincount(t_owner, weights=(reopen > 0), minlength=m) > 0
        ticket_parts.append(pd.DataFrame({
            "customer_id": idx[t_owner], "channel": chan_names[t_chan], "category": np.array(TICKET_CATEGORIES)[t_cat],
            "created_at": t_created, "first_response_at": t_first_resp, "first_resolved_at": t_first_res,
            "resolved_at": t_resolved, "reopen_count": reopen, "contacts": contacts, "_sz": sz[t_owner],
        }))

        # survey: invitations, response, answers through the country style
        eligible = entry < qs + FIELD_DAYS[0]
        p_inv = np.minimum(0.95, INVITE_BASE * inv_plan[plan[idx]] * inv_country[country[idx]])
        invited = eligible & (rng.random(m) < p_inv)
        resp_day = qs + rng.uniform(*FIELD_DAYS, m)
        responded = invited & (rng.random(m) < RESPONSE_BASE * resp_seg[s_i] * resp_country[country[idx]]) & (resp_day < t_churn) & (resp_day > entry)
        rr = np.flatnonzero(responded)
        waves[qlabels[k]] = {"eligible": int(eligible.sum()), "invited": int(invited.sum()), "responded": int(rr.size)}
        c_r = country[idx[rr]]
        r_obs = _cut(_style(z[rr], c_r, DRIVER_BASE, 1.0), DRIVER_CUTS).astype(float)
        tenure = resp_day[rr] - signup[idx[rr]]
        miss_p = np.full(r_obs.shape, 0.015)
        miss_p[:, j_sup] = np.where(had_ticket[rr], 0.04, 0.24)
        miss_p[:, j_onb] = np.where(tenure > 365, 0.16, 0.02)
        r_obs[rng.random(r_obs.shape) < miss_p] = np.nan
        osat = _cut(_style(sz[rr], c_r, 0.0, 1.0), OSAT_CUTS).astype(float)
        osat[rng.random(rr.size) < 0.01] = np.nan
        ltr_s = _style(ltr_lat[rr], c_r, LTR_CENTRE, LTR_STYLE_SD)
        ltr_obs = np.where(angry[rr], 0, np.clip(np.rint(ltr_s), 0, 10))
        ces_lat = (0.45 * (z[rr, j_ease] - DRIVER_BASE) + 0.25 * (z[rr, j_sup] - DRIVER_BASE) - 0.25 * had_ticket[rr]
                   - 0.60 * any_reopen[rr] + rng.normal(0.0, 0.70, rr.size))
        ces = _cut(_style(ces_lat, c_r, 0.0, 1.0), CES_CUTS).astype(float)
        ces[rng.random(rr.size) < 0.01] = np.nan
        # design weights: post-stratify respondents to the eligible population by country x plan
        cell_pop = country[idx[eligible]] * 3 + plan[idx[eligible]]
        cell_resp = c_r * 3 + plan[idx[rr]]
        big_n = np.bincount(cell_pop, minlength=18)
        small_n = np.bincount(cell_resp, minlength=18)
        wt = big_n[cell_resp] / small_n[cell_resp]
        wt = wt / wt.mean() if wt.size else wt
        # comments
        grp_obs = _nps_group(ltr_obs)
        has_comment = rng.random(rr.size) < np.array([COMMENT_P["detractor"], COMMENT_P["passive"], COMMENT_P["promoter"]])[grp_obs]
        filled = np.where(np.isnan(r_obs), 3.0, r_obs)
        worst, best = filled.argmin(axis=1), filled.argmax(axis=1)
        pick = rng.integers(0, 3, rr.size)
        neg_txt = np.array([_NEG_COMMENTS[d] for d in DRIVERS], dtype=object)
        pos_txt = np.array([_POS_COMMENTS[d] for d in DRIVERS], dtype=object)
        text = np.where(grp_obs == 2, pos_txt[best, pick], neg_txt[worst, pick])
        comment = np.where(has_comment, text, None)
        survey_parts.append(pd.DataFrame({
            "customer_id": idx[rr], "response_day": resp_day[rr], "quarter": qlabels[k],
            "country": np.array(COUNTRIES)[c_r], "plan": np.array(PLANS)[plan[idx[rr]]], "weight": wt,
            "ltr": ltr_obs, "osat": osat, "ces": ces, **{d: r_obs[:, j] for j, d in enumerate(DRIVERS)},
            "comment": comment,
        }))

        # other touchpoint surveys (ticket-linked ones are added after all tickets exist)
        other = rng.random(m) < OTHER_TP_P
        new = (signup[idx] >= qs) & (rng.random(m) < 0.5)
        for mask, kinds in ((other, None), (new, "onboarding")):
            ii = np.flatnonzero(mask)
            if kinds is None:
                kind = rng.integers(0, 3, ii.size)
                tp_name = np.array(["billing_inquiry", "app_feedback", "renewal_call"])[kind]
                tp_chan = np.array(["phone", "app", "phone"])[kind]
                day = entry[ii] + rng.random(ii.size) * (alive_to[ii] - entry[ii])
            else:
                tp_name = np.full(ii.size, "onboarding", dtype=object)
                tp_chan = np.where(rng.random(ii.size) < 0.6, "web", "phone")
                day = signup[idx[ii]] + rng.uniform(1.0, 10.0, ii.size)
            tp_parts.append(pd.DataFrame({
                "customer_id": idx[ii], "day": day, "touchpoint": tp_name, "channel": tp_chan,
                "_sz": sz[ii], "reopen_count": 0, "ticket_row": -1,
            }))

        # journey events
        ev = []
        nu = rng.poisson(1.5 * np.clip((alive_to - entry) / (qe - qs), 0.0, 1.0))
        u_own = np.repeat(np.arange(m), nu)
        ev.append((u_own, entry[u_own] + rng.random(u_own.size) * (alive_to[u_own] - entry[u_own]), "usage",
                   np.where(rng.random(u_own.size) < 0.5, "login", "feature_use"), np.where(rng.random(u_own.size) < 0.7, "app", "web"), 0))
        inv_day = qs + rng.uniform(0.0, 90.0, m)
        bill = (inv_day >= entry) & (inv_day < alive_to)
        ev.append((np.flatnonzero(bill), inv_day[bill], "billing", "invoice", "email", 0))
        ng = np.flatnonzero(neg)
        kind = np.where(rng.random(ng.size) < (0.8 if k == incident_k else 0.35), 0, 1 + (rng.random(ng.size) < 0.5))
        ev.append((ng, ep_day[ng], np.array(["usage", "billing", "support"])[kind],
                   np.array(["service_outage", "billing_error", "failed_support_contact"])[kind],
                   np.array(["app", "email", "phone"])[kind], -1))
        pg = np.flatnonzero(pos)
        kind = rng.random(pg.size) < 0.6
        ev.append((pg, ep_day[pg], np.where(kind, "usage", "support"), np.where(kind, "feature_adopted", "proactive_help"),
                   np.where(kind, "app", "email"), 1))
        ns = np.flatnonzero(signup[idx] >= qs)
        ev.append((ns, signup[idx[ns]], "onboarding", "account_created", "web", 0))
        ev.append((ns, signup[idx[ns]] + rng.uniform(1.0, 10.0, ns.size), "onboarding", "onboarding_call", "phone", 0))
        ev.append((t_owner, t_created, "support", "ticket_opened", chan_names[t_chan], 0))
        ev.append((t_owner, t_resolved, "support", "ticket_resolved", chan_names[t_chan], 0))
        yrs = np.floor((qe - signup[idx]) / 365.25)
        anniv = signup[idx] + yrs * 365.25
        ren = (yrs >= 1) & (anniv >= entry) & (anniv < alive_to)
        ev.append((np.flatnonzero(ren), anniv[ren], "renewal", "renewal", "email", 0))
        ch = np.flatnonzero(churned)
        ev.append((ch, t_churn[ch], "renewal", "cancellation", np.where(rng.random(ch.size) < 0.6, "web", "phone"), 0))
        for own, day, stage, tp, chn, val in ev:
            ev_parts.append(pd.DataFrame({"customer_id": idx[own], "day": day, "stage": stage, "touchpoint": tp,
                                          "channel": chn, "valence": val}))

        # population records for the realised truth
        exposure = np.maximum(np.minimum(t_churn, qe) - entry, 0.0) / DAYS_PER_MONTH
        pop_rows.append(pd.DataFrame({
            "k": k, "country": country[idx], "plan": plan[idx], "seg": s_i, "group": group, "ltr": ltr_true,
            "churned": churned, "exposure_months": exposure, "neg": neg, "asym_low": r_true[:, j_asym] <= 2,
            "asym_top": r_true[:, j_asym] == 5, "had_ticket": had_ticket, "sz": sz,
        }))
        lmg_r.append(r_true.astype(float))
        lmg_s.append(sat)

        # observable-scale churn records (no random draws): every customer eligible for
        # the wave, at the field day drawn above, with the NPS group she WOULD report
        # through her country style; exposure from that day to churn or the quarter's
        # end, split at a negative episode; expected events = the planted hazard
        # integrated over the exposure (the compensator, not the realised events).
        ltr_rep = np.where(angry, 0, np.clip(np.rint(_style(ltr_lat, country[idx], LTR_CENTRE, LTR_STYLE_SD)), 0, 10))
        at_field = eligible & (resp_day > entry) & (resp_day < t_churn)
        a, b = resp_day, np.minimum(t_churn, qe)
        cut = np.clip(ep_eff, a, b)
        for on, lo, hi in ((0, a, cut), (1, cut, b)):
            ok = at_field & (hi > lo)
            obs_rows.append(pd.DataFrame({
                "group": _nps_group(ltr_rep[ok]), "plan": plan[idx[ok]], "country": country[idx[ok]], "neg": on,
                "exposure_months": (hi - lo)[ok] / DAYS_PER_MONTH,
                "expected": (rate * (NEG_EPISODE_HR if on else 1.0) * (hi - lo))[ok],
                "events": (churned & (t_churn > lo) & (t_churn <= hi))[ok],
                "respond_p": (p_inv * RESPONSE_BASE * resp_seg[s_i] * resp_country[country[idx]])[ok],
            }))

    # ---- assemble tables ----------------------------------------------------------
    cid = np.arange(n, dtype="int64") + 100_001
    customers = pd.DataFrame({
        "customer_id": cid, "country": np.array(COUNTRIES, dtype=object)[country],
        "plan": np.array(PLANS, dtype=object)[plan], "acquisition_channel": np.array(CHANNELS, dtype=object)[channel],
        "signup_date": _to_ns(t0, signup), "monthly_revenue": revenue,
        "churn_date": _to_ns(t0, np.where(np.isfinite(churn_day), churn_day, np.nan)),
    })
    customers = customers.sort_values(["signup_date", "customer_id"], kind="mergesort").reset_index(drop=True)
    # ids in signup order
    remap = np.empty(n, dtype="int64")
    remap[(customers["customer_id"].to_numpy() - 100_001)] = np.arange(n, dtype="int64") + 100_001
    customers["customer_id"] = np.arange(n, dtype="int64") + 100_001

    tickets = pd.concat(ticket_parts, ignore_index=True)
    tickets = tickets.sort_values(["created_at", "customer_id"], kind="mergesort").reset_index(drop=True)
    tickets["ticket_id"] = np.arange(len(tickets), dtype="int64") + 1
    # ticket-linked touchpoint surveys
    tsurv = rng.random(len(tickets)) < TICKET_SURVEY_P
    tt = tickets.loc[tsurv]
    tp_parts.append(pd.DataFrame({
        "customer_id": tt["customer_id"].to_numpy(), "day": tt["resolved_at"].to_numpy() + rng.uniform(0.05, 3.0, len(tt)),
        "touchpoint": "support_ticket", "channel": tt["channel"].to_numpy(), "_sz": tt["_sz"].to_numpy(),
        "reopen_count": tt["reopen_count"].to_numpy(), "ticket_row": tt["ticket_id"].to_numpy(),
    }))
    tp = pd.concat(tp_parts, ignore_index=True)
    tp = tp.loc[tp["day"] < window_end].reset_index(drop=True)
    ccode = country[tp["customer_id"].to_numpy()]
    csat_lat = (TP_INTERCEPT + TP_SLOPE * tp["_sz"].to_numpy() + TP_REOPEN_EFFECT * tp["reopen_count"].to_numpy()
                + rng.normal(0.0, TP_NOISE_SD, len(tp)))
    tp["csat"] = _cut(_style(csat_lat, ccode, 0.0, 1.0), CSAT_CUTS)
    tp = tp.sort_values(["day", "customer_id"], kind="mergesort").reset_index(drop=True)
    tp_dates = _to_ns(t0, tp["day"].to_numpy())
    touchpoints = pd.DataFrame({
        "tp_response_id": np.arange(len(tp), dtype="int64") + 1,
        "customer_id": remap[tp["customer_id"].to_numpy()],
        "quarter": quarter_of(tp_dates),
        "date": tp_dates,
        "touchpoint": tp["touchpoint"].to_numpy(dtype=object),
        "channel": tp["channel"].to_numpy(dtype=object),
        "csat": pd.array(tp["csat"].to_numpy(), dtype="Int64"),
        "ticket_id": pd.array(np.where(tp["ticket_row"] > 0, tp["ticket_row"], np.nan), dtype="Int64"),
    })

    created = _to_ns(t0, tickets["created_at"].to_numpy())
    tickets_out = pd.DataFrame({
        "ticket_id": tickets["ticket_id"].to_numpy(dtype="int64"),
        "customer_id": remap[tickets["customer_id"].to_numpy()],
        "quarter": quarter_of(created),
        "channel": tickets["channel"].to_numpy(dtype=object),
        "category": tickets["category"].to_numpy(dtype=object),
        "created_at": created,
        "first_response_at": _to_ns(t0, tickets["first_response_at"].to_numpy()),
        "first_resolved_at": _to_ns(t0, tickets["first_resolved_at"].to_numpy()),
        "resolved_at": _to_ns(t0, tickets["resolved_at"].to_numpy()),
        "reopen_count": tickets["reopen_count"].to_numpy(dtype="int64"),
        "contacts": tickets["contacts"].to_numpy(dtype="int64"),
    })

    sv = pd.concat(survey_parts, ignore_index=True)
    dup = sv.loc[rng.random(len(sv)) < DUPLICATE_P].copy()
    dup["response_day"] = dup["response_day"] + rng.uniform(0.002, 2.0, len(dup))
    sv = pd.concat([sv, dup], ignore_index=True)
    sv = sv.sort_values(["response_day", "customer_id"], kind="mergesort").reset_index(drop=True)
    survey = pd.DataFrame({
        "response_id": np.arange(len(sv), dtype="int64") + 1,
        "customer_id": remap[sv["customer_id"].to_numpy()],
        "quarter": sv["quarter"].to_numpy(dtype=object),
        "response_date": _to_ns(t0, sv["response_day"].to_numpy()),
        "country": sv["country"].to_numpy(dtype=object),
        "plan": sv["plan"].to_numpy(dtype=object),
        "weight": sv["weight"].to_numpy(dtype=float),
        **{c: pd.array(sv[c].to_numpy(), dtype="Int64") for c in ("ltr", "osat", "ces", *DRIVERS)},
        "comment": sv["comment"].to_numpy(dtype=object),
    })

    evs = pd.concat(ev_parts, ignore_index=True)
    evs = evs.loc[evs["day"] < window_end]
    evs = evs.sort_values(["customer_id", "day"], kind="mergesort").reset_index(drop=True)
    ts = _to_ns(t0, evs["day"].to_numpy())
    journeys = pd.DataFrame({
        "event_id": np.arange(len(evs), dtype="int64") + 1,
        "customer_id": remap[evs["customer_id"].to_numpy()],
        "timestamp": ts,
        "quarter": quarter_of(ts),
        "stage": evs["stage"].to_numpy(dtype=object),
        "touchpoint": evs["touchpoint"].to_numpy(dtype=object),
        "channel": evs["channel"].to_numpy(dtype=object),
        "valence": evs["valence"].to_numpy(dtype="int64"),
    })
    journeys = journeys.sort_values(["customer_id", "timestamp", "event_id"], kind="mergesort").reset_index(drop=True)
    journeys["event_id"] = np.arange(len(journeys), dtype="int64") + 1

    for name, frame in (("customers", customers), ("survey", survey), ("touchpoints", touchpoints),
                        ("tickets", tickets_out), ("journeys", journeys)):
        assert list(frame.columns) == list(SCHEMA[name]), name  # internal invariant

    seg_table = pd.DataFrame({"customer_id": remap[np.arange(n)], "segment": np.array(SEGMENTS, dtype=object)[seg]})
    seg_table = seg_table.sort_values("customer_id").reset_index(drop=True)
    pop = pd.concat(pop_rows, ignore_index=True)
    truth = _truth(seed, n, quarters, end_quarter, qlabels, incident_k, drop_k, pop, seg_table,
                   np.vstack(lmg_r), np.concatenate(lmg_s), waves, pd.concat(obs_rows, ignore_index=True))
    return CXData(customers=customers, survey=survey, touchpoints=touchpoints, tickets=tickets_out,
                  journeys=journeys, truth=truth)


def _nps(groups: pd.Series) -> float:
    g = np.asarray(groups)
    return float(100.0 * ((g == 2).mean() - (g == 0).mean())) if g.size else float("nan")


def _poisson_fit(X: np.ndarray, y: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson regression ``E[y] = t exp(Xb)`` by Newton-Raphson: (coefficients, std errors).

    ``y`` may be non-integer (expected counts): the solution is then the population
    value ("pseudo-true" parameter) of the working model.
    """
    b = np.zeros(X.shape[1])
    b[0] = np.log(y.sum() / t.sum())
    for _ in range(50):
        mu = t * np.exp(X @ b)
        info = X.T @ (X * mu[:, None])
        step = np.linalg.solve(info, X.T @ (y - mu))
        b += step
        if np.max(np.abs(step)) < 1e-12:
            break
    return b, np.sqrt(np.diag(np.linalg.inv(info)))


def _observable_churn(obs: pd.DataFrame) -> dict:
    """Hazard ratios the survey design can identify, from the whole simulated population.

    Working model (the one a survey-based time-varying Cox fits): hazard by the
    *reported* NPS group (true latent passed through the country style), plan, country
    and a negative episode earlier in the quarter, over the time from the wave's field
    day to the quarter's end. Solved as a Poisson model on exposure cells with the
    planted expected events as outcome: the population value of that model's hazard
    ratios (no sampling noise, no realised churn). The realised-events version is
    reported alongside.
    """
    obs = obs.assign(w_exposure=obs["exposure_months"] * obs["respond_p"], w_expected=obs["expected"] * obs["respond_p"])
    cells = obs.groupby(["group", "plan", "country", "neg"], as_index=False)[
        ["exposure_months", "expected", "events", "w_exposure", "w_expected"]].sum()
    cols = [np.ones(len(cells))]
    names = ["const"]
    for g, lab in ((0, "detractor"), (1, "passive")):  # promoter (2) is the reference
        cols.append((cells["group"] == g).to_numpy(float)); names.append(f"nps_group[{lab}]")
    for p in range(len(PLANS)):
        if PLANS[p] != "standard":
            cols.append((cells["plan"] == p).to_numpy(float)); names.append(f"plan[{PLANS[p]}]")
    for c in range(1, len(COUNTRIES)):  # US is the reference
        cols.append((cells["country"] == c).to_numpy(float)); names.append(f"country[{COUNTRIES[c]}]")
    cols.append(cells["neg"].to_numpy(float)); names.append("negative_episode")
    X = np.column_stack(cols)
    t = cells["exposure_months"].to_numpy(float)
    b_exp, _ = _poisson_fit(X, cells["expected"].to_numpy(float), t)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # tiny data: a cell may have no events
        b_real, se_real = _poisson_fit(X, cells["events"].to_numpy(float), t)
    ok_real = bool(np.isfinite(b_real).all() and np.isfinite(se_real).all() and np.abs(b_real).max() < 20)
    b_smp, _ = _poisson_fit(X, cells["w_expected"].to_numpy(float), cells["w_exposure"].to_numpy(float))
    hr = dict(zip(names, np.exp(b_smp).round(4).tolist(), strict=True))
    hr_pop = dict(zip(names, np.exp(b_exp).round(4).tolist(), strict=True))
    real = dict(zip(names, np.exp(b_real).round(4).tolist() if ok_real else [None] * len(names), strict=True))
    by_g = obs.groupby("group")[["expected", "exposure_months"]].sum()
    crude = (by_g["expected"] / by_g["exposure_months"]).to_dict()
    return {
        "design": "customers eligible for a wave, from the wave's field day to churn or the quarter's end; "
                  "NPS group as the customer would report it that quarter (country response style)",
        "model": "hazard ~ reported nps_group + plan + country + negative episode earlier in the quarter",
        "weighting": "each customer-quarter weighted by its probability of being invited and responding, so the "
                     "values are those an unweighted model on the respondents converges to; "
                     "population_hazard_ratios weight every customer-quarter equally",
        "hazard_ratio_by_reported_nps_group": {"detractor": hr["nps_group[detractor]"],
                                               "passive": hr["nps_group[passive]"], "promoter": 1.0},
        "negative_episode_hazard_ratio": hr["negative_episode"],
        "hazard_ratios": {k: v for k, v in hr.items() if k != "const"},
        "population_hazard_ratios": {k: v for k, v in hr_pop.items() if k != "const"},
        "crude_monthly_hazard_by_reported_group": {
            lab: round(float(crude.get(g, np.nan)), 5) for g, lab in ((0, "detractor"), (1, "passive"), (2, "promoter"))},
        "realised_events_hazard_ratios": {k: v for k, v in real.items() if k != "const"},
        "realised_events_std_err_log_detractor": round(float(se_real[1]), 4) if ok_real else None,
        "exposure_months": round(float(t.sum()), 1),
        "events": int(cells["events"].sum()),
    }


def _truth(seed, n, quarters, end_quarter, qlabels, incident_k, drop_k, pop, seg_table, r_true, sat, waves, obs) -> PlantedTruth:
    r2_corr = np.corrcoef(np.column_stack([r_true, sat]), rowvar=False)
    lmg = _lmg(r2_corr)
    pop_imp = dict(zip(DRIVERS, (lmg / lmg.sum()).round(4).tolist(), strict=True))
    grp_names = ("detractor", "passive", "promoter")
    churn_by_group = {
        grp_names[g]: float(d["churned"].sum() / d["exposure_months"].sum()) for g, d in pop.groupby("group")
    }
    plan_names = np.array(PLANS)
    nps_plan_q = {
        qlabels[k]: {str(plan_names[p]): round(_nps(d["group"]), 2) for p, d in dk.groupby("plan")}
        for k, dk in pop.groupby("k")
    }
    drop_change = None
    if drop_k >= 1:
        pl = PLANS.index(NPS_DROP_PLAN)
        a = pop.loc[(pop["k"] == drop_k) & (pop["plan"] == pl), "group"]
        b = pop.loc[(pop["k"] == drop_k - 1) & (pop["plan"] == pl), "group"]
        drop_change = round(_nps(a) - _nps(b), 2)
    low, top = pop.loc[pop["asym_low"], "sz"].mean(), pop.loc[pop["asym_top"], "sz"].mean()
    realized = {
        "survey_waves": waves,
        "latent_nps_by_quarter": {qlabels[k]: round(_nps(d["group"]), 2) for k, d in pop.groupby("k")},
        "latent_nps_by_country": {COUNTRIES[c]: round(_nps(d["group"]), 2) for c, d in pop.groupby("country")},
        "latent_nps_by_plan_and_quarter": nps_plan_q,
        "monthly_churn_overall": float(pop["churned"].sum() / pop["exposure_months"].sum()),
        "monthly_churn_by_country": {
            COUNTRIES[c]: float(d["churned"].sum() / d["exposure_months"].sum()) for c, d in pop.groupby("country")
        },
        "monthly_churn_by_latent_nps_group": churn_by_group,
        "segment_share_by_quarter": {
            qlabels[k]: {SEGMENTS[s]: round(float(v), 4) for s, v in d["seg"].value_counts(normalize=True).sort_index().items()}
            for k, d in pop.groupby("k")
        },
        "ticket_contact_share_by_quarter": {qlabels[k]: round(float(d["had_ticket"].mean()), 4) for k, d in pop.groupby("k")},
        "standardised_satisfaction_mean_sd": [round(float(pop["sz"].mean()), 4), round(float(pop["sz"].std()), 4)],
        "mean_std_satisfaction_by_asym_rating": {"low_1_2": round(float(low), 4), "top_5": round(float(top), 4)},
    }
    return PlantedTruth(
        generator_version=GENERATOR_VERSION,
        seed=int(seed),
        parameters={"n_customers": int(n), "quarters": int(quarters), "end_quarter": end_quarter},
        quarters=list(qlabels),
        segments={
            "names": list(SEGMENTS),
            "share_at_window_start": dict(zip(SEGMENTS, SEGMENT_SHARE_START, strict=True)),
            "share_of_signups_at_window_end": dict(zip(SEGMENTS, SEGMENT_SHARE_END, strict=True)),
            "driver_profiles_latent": {s: dict(zip(DRIVERS, SEGMENT_PROFILE[i].round(4).tolist(), strict=True))
                                       for i, s in enumerate(SEGMENTS)},
            "person_sd": PERSON_SD, "halo_sd": HALO_SD, "driver_noise_sd": DRIVER_NOISE_SD,
            "driver_cuts": DRIVER_CUTS.tolist(),
            "counts": {str(k): int(v) for k, v in seg_table["segment"].value_counts().sort_index().items()},
        },
        drivers={
            "weights": dict(DRIVER_WEIGHTS),
            "ranking_by_weight": sorted(DRIVER_WEIGHTS, key=DRIVER_WEIGHTS.get, reverse=True),
            "population_relative_importance": pop_imp,
            "population_ranking": sorted(pop_imp, key=pop_imp.get, reverse=True),
            "satisfaction_noise_sd": SAT_NOISE_SD,
            "satisfaction_standardisation": {"mean": SAT_MEAN, "sd": SAT_SD},
            "osat_cuts_on_standardised_satisfaction": OSAT_CUTS.tolist(),
        },
        asymmetric_driver={
            "driver": ASYM_DRIVER, "low_ratings": [1, 2], "penalty": ASYM_PENALTY, "high_ratings": [5],
            "reward": ASYM_REWARD, "linear_weight": DRIVER_WEIGHTS[ASYM_DRIVER],
            "coding": "penalty/reward added to latent satisfaction when the true (style-free) rating is 1-2 / 5",
        },
        satisfaction_to_ltr={
            "intercept": LTR_INTERCEPT, "slope_per_sd": LTR_SLOPE, "noise_sd": LTR_NOISE_SD, "person_sd": LTR_PERSON_SD,
            "angry_zero_below": LTR_ANGRY_BELOW, "angry_zero_probability": LTR_ANGRY_P,
        },
        negative_episode={
            "touchpoints": ["service_outage", "billing_error", "failed_support_contact"], "valence": -1,
            "probability_per_quarter": NEG_EPISODE_P, "probability_in_incident_quarter": NEG_EPISODE_P_INCIDENT,
            "days_into_quarter": [0, 40], "satisfaction_effect": NEG_EPISODE_SAT,
            "satisfaction_effect_sd_units": round(NEG_EPISODE_SAT / SAT_SD, 4),
            "churn_hazard_ratio_after_episode": NEG_EPISODE_HR, "ticket_rate_multiplier": 1.5,
            "positive_episode": {"touchpoints": ["feature_adopted", "proactive_help"], "probability_per_quarter": POS_EPISODE_P,
                                 "satisfaction_effect": POS_EPISODE_SAT, "churn_effect": "none (only via NPS group)"},
        },
        churn={
            "monthly_hazard_promoter_standard_plan": CHURN_H0,
            "hazard_ratio_by_nps_group": dict(CHURN_HR_GROUP),
            "hazard_ratio_by_plan": dict(CHURN_HR_PLAN),
            "nps_group_definition": "group of the style-free (true) ltr of the current quarter, the latent score the survey ltr is generated from",
            "observable": _observable_churn(obs),
        },
        touchpoint_csat={
            "intercept": TP_INTERCEPT, "slope_per_sd_satisfaction": TP_SLOPE, "noise_sd": TP_NOISE_SD,
            "reopen_effect_per_reopen": TP_REOPEN_EFFECT, "cuts": CSAT_CUTS.tolist(),
            "ticket_survey_probability": TICKET_SURVEY_P,
        },
        country_styles={
            "shift_sd_units": dict(COUNTRY_SHIFT), "spread": dict(COUNTRY_SPREAD),
            "ltr_points_per_sd_unit": LTR_STYLE_SD, "true_latent_difference": 0.0,
            "shares": dict(zip(COUNTRIES, COUNTRY_SHARES, strict=True)),
        },
        nps_drop={
            "plan": NPS_DROP_PLAN, "quarter": qlabels[drop_k] if drop_k >= 0 else None,
            "satisfaction_shift": NPS_DROP_SHIFT, "latent_nps_change_vs_previous_quarter": drop_change,
        },
        incident={"quarter": qlabels[incident_k] if incident_k >= 0 else None, "driver": INCIDENT_DRIVER,
                  "latent_shift": INCIDENT_SHIFT, "ticket_rate_multiplier": 1.4, "reopen_multiplier": 1.4},
        seasonality={"satisfaction_shift_by_calendar_quarter": {f"Q{q}": v for q, v in SEASON_SAT.items()},
                     "ticket_rate_multiplier_by_calendar_quarter": {f"Q{q}": v for q, v in SEASON_TICKETS.items()}},
        survey_design={
            "invite_base_probability": INVITE_BASE, "invite_multiplier_by_plan": dict(INVITE_MULT_PLAN),
            "invite_multiplier_by_country": dict(INVITE_MULT_COUNTRY), "response_base_probability": RESPONSE_BASE,
            "response_multiplier_by_segment": dict(RESPONSE_MULT_SEGMENT),
            "response_multiplier_by_country": dict(RESPONSE_MULT_COUNTRY), "field_days": list(FIELD_DAYS),
            "weights": "post-stratified to eligible customers by country x plan, mean 1 per wave",
            "duplicate_probability": DUPLICATE_P, "comment_probability": dict(COMMENT_P),
        },
        realized=realized,
        customer_segments=seg_table,
    )
