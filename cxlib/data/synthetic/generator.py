"""A synthetic subscription business with planted, documented truth.

:func:`synthesize` simulates customers quarter by quarter: each customer has a latent
attitudinal segment and a persistent satisfaction effect; every quarter draws eight
latent driver experiences (segment profile + persistent effect + a quarter "halo" +
noise), negative and positive journey episodes, a continuous latent satisfaction built
from the drivers, the likelihood-to-recommend that satisfaction implies, support
tickets, churn (with a hazard that depends on the quarter's NPS group) and, for a
sampled and responding subset, a relational survey answered through a country response
style. Every parameter (:mod:`.parameters`) and the realised population values are
returned in :class:`~cxlib.data.synthetic.truth.PlantedTruth`; ``data/README.md``
documents them.

All randomness of generator 1.0 flows from one ``numpy.random.default_rng(seed)``; the
parts added in 1.1 (proactive follow-ups, channel switching, event surveys) draw from
their own streams (:class:`_Streams`), so they leave the 1.0 draws in place (the data
still changes where the new effects feed back into churn). The same seed and
arguments give identical tables. The simulation runs in named steps that draw from that
generator in a fixed order (the order is part of the output: reordering the draws
changes every table):

1. :func:`_draw_customers` — signup, segment, country, plan, channel, revenue and the
   persistent effects of every customer;
2. per quarter (:func:`_simulate_quarter`): :func:`_quarter_state` (latent drivers,
   episodes, satisfaction, ltr), :func:`_churn`, :func:`_tickets`, :func:`_survey_wave`,
   :func:`_other_touchpoints`, :func:`_journey_events`, then the records of the truth
   (:func:`_population_record`, :func:`_observable_records`; no draws);
3. the tables: :func:`_customers_table`, :func:`_touchpoints_table` (ticket-linked
   surveys and touchpoint CSAT), :func:`_survey_table` (duplicate submissions),
   :func:`_journeys_table`; the peak-end memory effect on the reported osat
   (:func:`_apply_peak_end`, after the touchpoints exist; no draws);
4. the planted truth (:func:`cxlib.data.synthetic.truth.planted_truth`; no draws).

Days count from the first instant of the first quarter (``t0``) until the tables are
built, where they become timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...errors import CXDataError
from ..calendar import parse_quarter, quarter_bounds, quarter_of, quarter_range
from ..schema import DRIVERS, SCHEMA, CXData
from . import parameters as P
from .episodes import _apply_peak_end, _episode_history, _event_surveys, _Streams
from .scales import _cat_draw, _cut, _nps_group, _reported_ltr, _style, _to_ns
from .truth import planted_truth


# ----------------------------------------------------------------------------- state
@dataclass(frozen=True)
class _Window:
    """The simulated quarters; ``start``/``end`` in days after ``t0`` (end = next start)."""

    labels: list[str]
    t0: np.datetime64
    start: np.ndarray
    end: np.ndarray
    calendar_quarter: np.ndarray  # 1..4, for the seasonality
    incident_k: int  # index of the incident quarter (-1: none)
    drop_k: int  # index of the quarter of the planted NPS drop (-1: none)


@dataclass(frozen=True)
class _Customers:
    """Every customer's attributes (arrays of length n; categories as integer codes)."""

    signup: np.ndarray  # day of signup (negative: before the window)
    seg: np.ndarray
    country: np.ndarray
    plan: np.ndarray
    channel: np.ndarray
    revenue: np.ndarray
    person: np.ndarray  # persistent effect on every driver
    ltr_person: np.ndarray  # persistent recommending propensity
    churn_day: np.ndarray  # inf while active; filled in quarter by quarter by _churn
    neg_hist: np.ndarray  # n x quarters: 0 none, 1 negative episode, 2 episode with follow-up
    sz_hist: np.ndarray  # n x quarters: standardised satisfaction (for the event surveys)
    fu_day_hist: np.ndarray  # n x quarters: day of the follow-up (NaN: none)


@dataclass(frozen=True)
class _State:
    """The customers active in quarter ``k`` (positions ``idx``) and their latent state."""

    k: int
    label: str  # "YYYYQn"
    calendar_q: int  # 1..4
    qs: float  # first day of the quarter
    qe: float  # first day of the next quarter
    incident: bool
    idx: np.ndarray
    entry: np.ndarray  # signup day or the quarter's first day
    seg: np.ndarray
    z: np.ndarray  # latent drivers (m x 8)
    r_true: np.ndarray  # style-free driver ratings
    ep_day: np.ndarray
    neg: np.ndarray  # negative episode this quarter
    pos: np.ndarray  # positive episode this quarter
    followup: np.ndarray  # proactive follow-up after this quarter's negative episode
    fu_day: np.ndarray
    ep_contrib: np.ndarray  # m x lags: S contribution of the episode 0, 1, ... quarters ago
    ep_status: np.ndarray  # m x lags: 0 none, 1 episode, 2 episode with follow-up
    angry_draw: np.ndarray  # the uniform draw of the angry zero (< LTR_ANGRY_P)
    sat: np.ndarray
    sz: np.ndarray  # standardised satisfaction
    ltr_lat: np.ndarray
    angry: np.ndarray
    ltr_true: np.ndarray
    group: np.ndarray  # NPS group of ltr_true


@dataclass(frozen=True)
class _Churn:
    rate: np.ndarray  # hazard per day before a negative episode
    ep_eff: np.ndarray  # day of the negative episode (inf: none)
    t_churn: np.ndarray  # churn day (may fall after the quarter)
    churned: np.ndarray  # churned within the quarter
    alive_to: np.ndarray  # churn day or the quarter's end


@dataclass(frozen=True)
class _Tickets:
    frame: pd.DataFrame  # one row per ticket (days, customer positions)
    owner: np.ndarray  # position of the ticket's customer among the active ones
    created: np.ndarray
    resolved: np.ndarray
    channel: np.ndarray  # channel names
    had_ticket: np.ndarray  # per active customer
    any_reopen: np.ndarray  # per active customer
    end_channel: np.ndarray  # channel the ticket was resolved in (another one when switched)
    any_switch: np.ndarray  # per active customer: a ticket switched channel this quarter


@dataclass(frozen=True)
class _Wave:
    frame: pd.DataFrame  # the responses (before duplicates)
    counts: dict  # eligible, invited, responded
    eligible: np.ndarray
    p_inv: np.ndarray
    resp_day: np.ndarray  # field day drawn for every active customer


@dataclass
class _Parts:
    """Per-quarter pieces collected for the tables and the truth."""

    survey: list = field(default_factory=list)
    tickets: list = field(default_factory=list)
    touchpoints: list = field(default_factory=list)
    events: list = field(default_factory=list)
    events_frame: pd.DataFrame | None = None  # the events concatenated, once all quarters ran
    population: list = field(default_factory=list)  # customer-quarter records for the realised truth
    observable: list = field(default_factory=list)  # exposure on the survey's (reported) scale
    ratings: list = field(default_factory=list)  # true driver ratings, for the population importance
    satisfaction: list = field(default_factory=list)
    waves: dict = field(default_factory=dict)  # quarter -> eligible, invited, responded counts


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
    parse_quarter(end_quarter, argument="end_quarter")
    rng = np.random.default_rng(seed)
    aux = _Streams.from_seed(seed)
    w = _window(end_quarter, quarters)
    n = int(n_customers)
    c = _draw_customers(rng, n, w)
    parts = _Parts()
    for k in range(quarters):
        _simulate_quarter(rng, aux, k, w, c, parts)

    customers, remap = _customers_table(w, c)
    parts.events_frame = pd.concat(parts.events, ignore_index=True)
    tickets = _ticket_rows(parts)
    touchpoints, tp_days = _touchpoints_table(rng, aux, w, c, parts, tickets, remap)  # draws before the survey's
    responses = _apply_peak_end(pd.concat(parts.survey, ignore_index=True), tp_days, w)
    survey = _survey_table(rng, w, responses, remap)
    tables = {
        "customers": customers,
        "survey": survey,
        "touchpoints": touchpoints,
        "tickets": _tickets_table(w, tickets, remap),
        "journeys": _journeys_table(w, parts, remap),
    }
    for name, frame in tables.items():
        assert list(frame.columns) == list(SCHEMA[name]), name  # internal invariant

    seg_table = pd.DataFrame({"customer_id": remap[np.arange(n)], "segment": np.array(P.SEGMENTS, dtype=object)[c.seg]})
    seg_table = seg_table.sort_values("customer_id").reset_index(drop=True)
    truth = planted_truth(
        seed=seed, n_customers=n, quarters=quarters, end_quarter=end_quarter, labels=w.labels,
        incident_k=w.incident_k, drop_k=w.drop_k, population=pd.concat(parts.population, ignore_index=True),
        customer_segments=seg_table, ratings=np.vstack(parts.ratings), satisfaction=np.concatenate(parts.satisfaction),
        waves=parts.waves, observable=pd.concat(parts.observable, ignore_index=True),
        responses=responses, touchpoint_days=tp_days,
    )
    return CXData(**tables, truth=truth)


def _window(end_quarter: str, quarters: int) -> _Window:
    labels = quarter_range(end_quarter, quarters)
    bounds = [quarter_bounds(q) for q in labels]
    return _Window(
        labels=labels,
        t0=np.datetime64(bounds[0][0].to_datetime64(), "ns"),
        start=np.array([(b[0] - bounds[0][0]).days for b in bounds], dtype=float),
        end=np.array([(b[1] - bounds[0][0]).days for b in bounds], dtype=float),
        calendar_quarter=np.array([parse_quarter(q)[1] for q in labels]),
        incident_k=(quarters - 2) // 2 if quarters >= 3 else -1,  # never adjacent to the latest quarter
        drop_k=quarters - 1 if quarters >= 2 else -1,
    )


# ----------------------------------------------------------------------------- customers
def _draw_customers(rng: np.random.Generator, n: int, w: _Window) -> _Customers:
    quarters = len(w.labels)
    pre = rng.random(n) < P.PRE_WINDOW_SHARE
    signup = np.empty(n)
    signup[pre] = -P.PRE_WINDOW_MAX_DAYS * rng.beta(*P.PRE_WINDOW_AGE_BETA, pre.sum()) - 0.5
    growth = ((1.0 + P.SIGNUP_GROWTH_PER_QUARTER * np.arange(quarters))
              * np.array([P.SIGNUP_Q1_MULT if q == 1 else 1.0 for q in w.calendar_quarter]))
    kq = _cat_draw(rng, np.tile(growth / growth.sum(), ((~pre).sum(), 1)))
    signup[~pre] = w.start[kq] + rng.random((~pre).sum()) * (w.end[kq] - w.start[kq])
    frac = np.clip(signup / w.end[-1], 0.0, 1.0)[:, None]
    seg_p = (1 - frac) * np.array(P.SEGMENT_SHARE_START) + frac * np.array(P.SEGMENT_SHARE_END)
    seg = _cat_draw(rng, seg_p)
    country = _cat_draw(rng, np.tile(P.COUNTRY_SHARES, (n, 1)))
    plan_p = P.PLAN_P_BY_SEGMENT[seg]
    plan_p = plan_p + frac * P.PLAN_P_DRIFT
    plan = _cat_draw(rng, plan_p / plan_p.sum(axis=1, keepdims=True))
    channel = _cat_draw(rng, P.CHANNEL_P_BY_SEGMENT[seg])
    price = np.array([P.PLAN_PRICE[p] for p in P.PLANS])[plan]
    revenue = np.round(price * rng.lognormal(0.0, P.REVENUE_SDLOG, n), 2)
    person = rng.normal(0.0, P.PERSON_SD, n)
    ltr_person = rng.normal(0.0, P.LTR_PERSON_SD, n)
    return _Customers(signup=signup, seg=seg, country=country, plan=plan, channel=channel, revenue=revenue,
                      person=person, ltr_person=ltr_person, churn_day=np.full(n, np.inf),
                      neg_hist=np.zeros((n, quarters), dtype=np.int8), sz_hist=np.full((n, quarters), np.nan),
                      fu_day_hist=np.full((n, quarters), np.nan))


# ----------------------------------------------------------------------------- one quarter
def _simulate_quarter(rng: np.random.Generator, aux: _Streams, k: int, w: _Window, c: _Customers,
                      parts: _Parts) -> None:
    """Simulate quarter ``k``: append its pieces to ``parts`` and record churn in ``c``."""
    st = _quarter_state(rng, aux, k, w, c)
    ch = _churn(rng, st, c)
    tk = _tickets(rng, aux, st, ch)
    parts.tickets.append(tk.frame)
    wave = _survey_wave(rng, st, c, ch, tk)
    parts.survey.append(wave.frame)
    parts.waves[st.label] = wave.counts
    parts.touchpoints.extend(_other_touchpoints(rng, st, c, ch))
    parts.events.extend(_journey_events(rng, st, c, ch, tk))
    parts.population.append(_population_record(st, c, ch, tk))
    parts.ratings.append(st.r_true.astype(float))
    parts.satisfaction.append(st.sat)
    parts.observable.extend(_observable_records(st, c, ch, wave))


def _quarter_state(rng: np.random.Generator, aux: _Streams, k: int, w: _Window, c: _Customers) -> _State:
    """Latent drivers, journey episodes, satisfaction and ltr of the customers active in quarter ``k``."""
    qs, qe = w.start[k], w.end[k]
    incident = k == w.incident_k
    idx = np.flatnonzero((c.signup < qe) & (c.churn_day > qs))
    m = idx.size
    entry = np.maximum(c.signup[idx], qs)
    s_i = c.seg[idx]
    z = (P.SEGMENT_PROFILE[s_i] + c.person[idx, None] + rng.normal(0.0, P.HALO_SD, m)[:, None]
         + rng.normal(0.0, P.DRIVER_NOISE_SD, (m, len(DRIVERS))))
    if incident:
        z[:, DRIVERS.index(P.INCIDENT_DRIVER)] += P.INCIDENT_SHIFT
    r_true = _cut(z, P.DRIVER_CUTS)
    # journey episodes (before the survey fields: days 0-40 of the quarter)
    ep_day = qs + rng.uniform(*P.EPISODE_DAYS, m)
    neg = (rng.random(m) < (P.NEG_EPISODE_P_INCIDENT if incident else P.NEG_EPISODE_P)) & (ep_day >= entry)
    pos = (rng.random(m) < P.POS_EPISODE_P) & (ep_day >= entry) & ~neg
    followup = neg & (aux.followup.random(m) < P.FOLLOWUP_P)
    fu_day = ep_day + aux.followup.uniform(*P.FOLLOWUP_DELAY_DAYS, m)
    ep_status, ep_contrib = _episode_history(k, c, idx, neg, followup)
    j_asym = DRIVERS.index(P.ASYM_DRIVER)
    asym = np.where(r_true[:, j_asym] <= 2, P.ASYM_PENALTY, 0.0) + np.where(r_true[:, j_asym] == 5, P.ASYM_REWARD, 0.0)
    drop = np.where((k == w.drop_k) & (c.plan[idx] == P.PLANS.index(P.NPS_DROP_PLAN)), P.NPS_DROP_SHIFT, 0.0)
    w_vec = np.array([P.DRIVER_WEIGHTS[d] for d in DRIVERS])
    sat = (z @ w_vec + asym + P.NEG_EPISODE_SAT * neg + ep_contrib[:, 1:].sum(axis=1) + P.POS_EPISODE_SAT * pos
           + P.SEASON_SAT[w.calendar_quarter[k]] + drop + rng.normal(0.0, P.SAT_NOISE_SD, m))
    sz = (sat - P.SAT_MEAN) / P.SAT_SD
    c.sz_hist[idx, k] = sz
    c.fu_day_hist[idx[followup], k] = fu_day[followup]
    ltr_lat = P.LTR_INTERCEPT + P.LTR_SLOPE * sz + c.ltr_person[idx] + rng.normal(0.0, P.LTR_NOISE_SD, m)
    angry_draw = rng.random(m) < P.LTR_ANGRY_P
    angry = (ltr_lat < P.LTR_ANGRY_BELOW) & angry_draw
    ltr_true = np.where(angry, 0, np.clip(np.rint(ltr_lat), 0, 10)).astype(int)
    return _State(k=k, label=w.labels[k], calendar_q=w.calendar_quarter[k], qs=qs, qe=qe, incident=incident, idx=idx, entry=entry, seg=s_i, z=z, r_true=r_true,
                  ep_day=ep_day, neg=neg, pos=pos, followup=followup, fu_day=fu_day, ep_contrib=ep_contrib,
                  ep_status=ep_status, angry_draw=angry_draw, sat=sat, sz=sz, ltr_lat=ltr_lat, angry=angry,
                  ltr_true=ltr_true, group=_nps_group(ltr_true))


def _churn(rng: np.random.Generator, st: _State, c: _Customers) -> _Churn:
    """Churn with a piecewise-constant hazard, raised after a negative episode; records
    the churn day of those who churn in the quarter in ``c.churn_day``."""
    rate = _hazard_rate(st.group, c.plan[st.idx])
    e = rng.exponential(1.0, st.idx.size)
    ep_eff = np.where(st.neg, st.ep_day, np.inf)
    c1 = rate * np.maximum(np.minimum(ep_eff, st.qe) - st.entry, 0.0)
    t_churn = np.where(e < c1, st.entry + e / rate,
                       np.maximum(ep_eff, st.entry) + (e - c1) / (rate * P.NEG_EPISODE_HR))
    churned = t_churn < st.qe
    c.churn_day[st.idx[churned]] = t_churn[churned]
    return _Churn(rate=rate, ep_eff=ep_eff, t_churn=t_churn, churned=churned, alive_to=np.minimum(st.qe, t_churn))


def _hazard_rate(group: np.ndarray, plan: np.ndarray) -> np.ndarray:
    """Churn hazard per day before a negative episode, by NPS group and plan codes."""
    hr_group = np.array([P.CHURN_HR_GROUP[g] for g in P.NPS_GROUPS])
    hr_plan = np.array([P.CHURN_HR_PLAN[p] for p in P.PLANS])
    return P.CHURN_H0 * hr_group[group] * hr_plan[plan] / P.DAYS_PER_MONTH


def _churn_probability(rate: np.ndarray, ep_eff: np.ndarray, entry: np.ndarray, qe: float) -> np.ndarray:
    """Probability to churn before ``qe`` (hazard ``rate``, × NEG_EPISODE_HR from ``ep_eff``)."""
    cum = (rate * np.maximum(np.minimum(ep_eff, qe) - entry, 0.0)
           + rate * P.NEG_EPISODE_HR * np.maximum(qe - np.maximum(ep_eff, entry), 0.0))
    return 1.0 - np.exp(-cum)


def _tickets(rng: np.random.Generator, aux: _Streams, st: _State, ch: _Churn) -> _Tickets:
    """Support tickets of the quarter: counts, channel, category, timings, reopens, contacts."""
    m = st.idx.size
    seg_tmult = np.array([P.TICKET_SEGMENT_MULT[s] for s in P.SEGMENTS])
    lam = (P.TICKET_RATE * seg_tmult[st.seg] * P.SEASON_TICKETS[st.calendar_q]
           * np.where(st.neg, P.NEG_EPISODE_TICKET_MULT, 1.0) * (P.INCIDENT_TICKET_MULT if st.incident else 1.0))
    lam = lam * np.clip((ch.alive_to - st.entry) / (st.qe - st.qs), 0.0, 1.0)
    nt = rng.poisson(lam)
    owner = np.repeat(np.arange(m), nt)
    n_t = owner.size
    created = st.entry[owner] + rng.random(n_t) * (ch.alive_to[owner] - st.entry[owner])
    t_chan = _cat_draw(rng, np.tile(P.TICKET_CHANNEL_P, (n_t, 1)))
    cat_p = np.array(P.TICKET_CATEGORY_P) if not st.incident else np.array(P.INCIDENT_TICKET_CATEGORY_P)
    t_cat = _cat_draw(rng, np.tile(cat_p, (n_t, 1)))
    chan_names = np.array(P.TICKET_CHANNELS)
    fr_min = (np.array([P.FIRST_RESPONSE_MEDIAN_MIN[x] for x in P.TICKET_CHANNELS])[t_chan]
              * rng.lognormal(0, P.FIRST_RESPONSE_SDLOG, n_t))
    first_resp = created + fr_min / 1440.0
    solve_h = (np.array([P.FIRST_RESOLVE_MEDIAN_H[x] for x in P.TICKET_CHANNELS])[t_chan]
               * rng.lognormal(0, P.FIRST_RESOLVE_SDLOG, n_t))
    first_res = first_resp + solve_h / 24.0
    p_reopen = (P.REOPEN_P * np.where(t_cat == 0, P.TECHNICAL_REOPEN_MULT, 1.0)
                * (P.INCIDENT_REOPEN_MULT if st.incident else 1.0))
    reopen = np.where(rng.random(n_t) < p_reopen, 1 + rng.geometric(P.REOPEN_COUNT_GEOMETRIC_P, n_t) - 1, 0)
    extra_h = np.zeros(n_t)
    for r in range(1, int(reopen.max(initial=0)) + 1):
        extra_h += np.where(reopen >= r, P.REOPEN_EXTRA_HOURS_MEDIAN * rng.lognormal(0, P.REOPEN_EXTRA_HOURS_SDLOG, n_t), 0.0)
    resolved = first_res + extra_h / 24.0
    contacts = 1 + reopen + (rng.random(n_t) < P.EXTRA_CONTACT_P) * (1 + rng.poisson(P.EXTRA_CONTACTS_MEAN, n_t))
    switched = (contacts >= 2) & (aux.switch.random(n_t) < P.SWITCH_P_MULTI_CONTACT)
    end_chan = np.where(switched, (t_chan + 1 + aux.switch.integers(0, 2, n_t)) % len(P.TICKET_CHANNELS), t_chan)
    frame = pd.DataFrame({
        "customer_id": st.idx[owner], "channel": chan_names[t_chan], "category": np.array(P.TICKET_CATEGORIES)[t_cat],
        "created_at": created, "first_response_at": first_resp, "first_resolved_at": first_res,
        "resolved_at": resolved, "reopen_count": reopen, "contacts": contacts, "_sz": st.sz[owner],
        "_switched": switched,
    })
    return _Tickets(frame=frame, owner=owner, created=created, resolved=resolved, channel=chan_names[t_chan],
                    had_ticket=nt > 0, any_reopen=np.bincount(owner, weights=(reopen > 0), minlength=m) > 0,
                    end_channel=chan_names[end_chan], any_switch=np.bincount(owner, weights=switched, minlength=m) > 0)



def _survey_wave(rng: np.random.Generator, st: _State, c: _Customers, ch: _Churn, tk: _Tickets) -> _Wave:
    """The quarter's relational survey: invitations, responses, answers, weights, comments."""
    m = st.idx.size
    inv_plan = np.array([P.INVITE_MULT_PLAN[p] for p in P.PLANS])
    inv_country = np.array([P.INVITE_MULT_COUNTRY[x] for x in P.COUNTRIES])
    resp_seg = np.array([P.RESPONSE_MULT_SEGMENT[s] for s in P.SEGMENTS])
    resp_country = np.array([P.RESPONSE_MULT_COUNTRY[x] for x in P.COUNTRIES])
    country, plan = c.country[st.idx], c.plan[st.idx]
    eligible = st.entry < st.qs + P.FIELD_DAYS[0]
    p_inv = np.minimum(P.INVITE_CAP, P.INVITE_BASE * inv_plan[plan] * inv_country[country])
    invited = eligible & (rng.random(m) < p_inv)
    resp_day = st.qs + rng.uniform(*P.FIELD_DAYS, m)
    responded = (invited & (rng.random(m) < P.RESPONSE_BASE * resp_seg[st.seg] * resp_country[country])
                 & (resp_day < ch.t_churn) & (resp_day > st.entry))
    rr = np.flatnonzero(responded)
    counts = {"eligible": int(eligible.sum()), "invited": int(invited.sum()), "responded": int(rr.size)}
    answers = _answers(rng, st, c, tk, rr, resp_day[rr])
    weight = _design_weights(country[eligible], plan[eligible], country[rr], plan[rr])
    comment = _comments(rng, answers["drivers"], answers["ltr"])
    frame = pd.DataFrame({
        "customer_id": st.idx[rr], "response_day": resp_day[rr], "quarter": st.label,
        "country": np.array(P.COUNTRIES)[country[rr]], "plan": np.array(P.PLANS)[plan[rr]], "weight": weight,
        "ltr": answers["ltr"], "osat": np.nan, "ces": answers["ces"],
        **{d: answers["drivers"][:, j] for j, d in enumerate(DRIVERS)}, "comment": comment,
        # for the peak-end step and the episode truth (dropped from the table)
        "_k": st.k, "_qs": st.qs, "_osat_styled": answers["osat_styled"], "_spread": answers["spread"],
        "_sz": st.sz[rr], "_ltr_lat": st.ltr_lat[rr], "_angry_draw": st.angry_draw[rr],
        "_switch": tk.any_switch[rr], "_d_ces_switch": answers["d_ces_switch"],
        **{f"_contrib{lag}": st.ep_contrib[rr, lag] for lag in range(st.ep_contrib.shape[1])},
        **{f"_status{lag}": st.ep_status[rr, lag] for lag in range(st.ep_status.shape[1])},
        "_ep_day": np.where(st.neg[rr], st.ep_day[rr], np.nan),
    })
    return _Wave(frame=frame, counts=counts, eligible=eligible, p_inv=p_inv, resp_day=resp_day)


def _answers(rng: np.random.Generator, st: _State, c: _Customers, tk: _Tickets, rr: np.ndarray,
             resp_day: np.ndarray) -> dict[str, np.ndarray]:
    """Answers of respondents ``rr``: the latents through the country style, with item non-response."""
    c_r = c.country[st.idx[rr]]
    j_sup, j_ease, j_onb = DRIVERS.index("support"), DRIVERS.index("ease_of_use"), DRIVERS.index("onboarding")
    r_obs = _cut(_style(st.z[rr], c_r, P.DRIVER_BASE, 1.0), P.DRIVER_CUTS).astype(float)
    tenure = resp_day - c.signup[st.idx[rr]]
    miss_p = np.full(r_obs.shape, P.ITEM_MISSING_P)
    miss_p[:, j_sup] = np.where(tk.had_ticket[rr], P.SUPPORT_MISSING_P_WITH_TICKET, P.SUPPORT_MISSING_P_NO_TICKET)
    miss_p[:, j_onb] = np.where(tenure > P.ONBOARDING_MISSING_TENURE_DAYS, P.ONBOARDING_MISSING_P_TENURED,
                                P.ONBOARDING_MISSING_P_NEW)
    r_obs[rng.random(r_obs.shape) < miss_p] = np.nan
    osat_styled = _style(st.sz[rr], c_r, 0.0, 1.0)  # cut after the peak-end step (_apply_peak_end)
    osat_styled[rng.random(rr.size) < P.OSAT_MISSING_P] = np.nan
    ltr_s = _style(st.ltr_lat[rr], c_r, P.LTR_CENTRE, P.LTR_STYLE_SD)
    ltr_obs = np.where(st.angry[rr], 0, np.clip(np.rint(ltr_s), 0, 10))
    ces_lat = (P.CES_EASE_WEIGHT * (st.z[rr, j_ease] - P.DRIVER_BASE)
               + P.CES_SUPPORT_WEIGHT * (st.z[rr, j_sup] - P.DRIVER_BASE) - P.CES_TICKET_PENALTY * tk.had_ticket[rr]
               - P.CES_REOPEN_PENALTY * tk.any_reopen[rr] + rng.normal(0.0, P.CES_NOISE_SD, rr.size)
               - P.SWITCH_CES_PENALTY * tk.any_switch[rr])
    ces = _cut(_style(ces_lat, c_r, 0.0, 1.0), P.CES_CUTS).astype(float)
    ces[rng.random(rr.size) < P.CES_MISSING_P] = np.nan
    d_ces = ces - _cut(_style(ces_lat + P.SWITCH_CES_PENALTY * tk.any_switch[rr], c_r, 0.0, 1.0), P.CES_CUTS)
    spread = np.array([P.COUNTRY_SPREAD[x] for x in P.COUNTRIES])[c_r]
    return {"drivers": r_obs, "osat_styled": osat_styled, "spread": spread, "ltr": ltr_obs, "ces": ces,
            "d_ces_switch": d_ces}


def _design_weights(pop_country: np.ndarray, pop_plan: np.ndarray, country: np.ndarray,
                    plan: np.ndarray) -> np.ndarray:
    """Post-stratification of respondents to the eligible population by country x plan, mean 1."""
    n_plans, n_cells = len(P.PLANS), len(P.COUNTRIES) * len(P.PLANS)
    cell_resp = country * n_plans + plan
    big_n = np.bincount(pop_country * n_plans + pop_plan, minlength=n_cells)
    small_n = np.bincount(cell_resp, minlength=n_cells)
    wt = big_n[cell_resp] / small_n[cell_resp]
    return wt / wt.mean() if wt.size else wt


def _comments(rng: np.random.Generator, ratings: np.ndarray, ltr: np.ndarray) -> np.ndarray:
    """Free-text comments (None when not given): promoters praise their best-rated driver,
    others criticise their worst."""
    grp_obs = _nps_group(ltr)
    comment_p = np.array([P.COMMENT_P[g] for g in P.NPS_GROUPS])
    has_comment = rng.random(ltr.size) < comment_p[grp_obs]
    filled = np.where(np.isnan(ratings), 3.0, ratings)
    worst, best = filled.argmin(axis=1), filled.argmax(axis=1)
    pick = rng.integers(0, P.COMMENTS_PER_DRIVER, ltr.size)
    neg_txt = np.array([P.NEG_COMMENTS[d] for d in DRIVERS], dtype=object)
    pos_txt = np.array([P.POS_COMMENTS[d] for d in DRIVERS], dtype=object)
    text = np.where(grp_obs == 2, pos_txt[best, pick], neg_txt[worst, pick])
    return np.where(has_comment, text, None)


def _other_touchpoints(rng: np.random.Generator, st: _State, c: _Customers, ch: _Churn) -> list[pd.DataFrame]:
    """Touchpoint surveys not linked to a ticket (those are added once all tickets exist)."""
    m = st.idx.size
    other = rng.random(m) < P.OTHER_TP_P
    new = (c.signup[st.idx] >= st.qs) & (rng.random(m) < P.ONBOARDING_TP_P)
    out = []
    for mask, kinds in ((other, None), (new, "onboarding")):
        ii = np.flatnonzero(mask)
        if kinds is None:
            kind = rng.integers(0, len(P.OTHER_TOUCHPOINTS), ii.size)
            tp_name = np.array(P.OTHER_TOUCHPOINTS)[kind]
            tp_chan = np.array(P.OTHER_TOUCHPOINT_CHANNELS)[kind]
            day = st.entry[ii] + rng.random(ii.size) * (ch.alive_to[ii] - st.entry[ii])
        else:
            tp_name = np.full(ii.size, "onboarding", dtype=object)
            tp_chan = np.where(rng.random(ii.size) < P.ONBOARDING_WEB_P, "web", "phone")
            day = c.signup[st.idx[ii]] + rng.uniform(*P.ONBOARDING_DAYS, ii.size)
        out.append(pd.DataFrame({
            "customer_id": st.idx[ii], "day": day, "touchpoint": tp_name, "channel": tp_chan,
            "_sz": st.sz[ii], "reopen_count": 0, "ticket_row": -1,
        }))
    return out


def _journey_events(rng: np.random.Generator, st: _State, c: _Customers, ch: _Churn, tk: _Tickets) -> list[pd.DataFrame]:
    """Journey events of the quarter: usage, invoices, episodes, onboarding, tickets,
    renewals and cancellations, as (owner, day, stage, touchpoint, channel, valence)."""
    m, entry, alive_to = st.idx.size, st.entry, ch.alive_to
    signup = c.signup[st.idx]
    ev = []
    nu = rng.poisson(P.USAGE_EVENTS_PER_QUARTER * np.clip((alive_to - entry) / (st.qe - st.qs), 0.0, 1.0))
    u_own = np.repeat(np.arange(m), nu)
    ev.append((u_own, entry[u_own] + rng.random(u_own.size) * (alive_to[u_own] - entry[u_own]), "usage",
               np.where(rng.random(u_own.size) < P.LOGIN_SHARE, "login", "feature_use"),
               np.where(rng.random(u_own.size) < P.USAGE_APP_SHARE, "app", "web"), 0))
    inv_day = st.qs + rng.uniform(*P.INVOICE_DAYS, m)
    bill = (inv_day >= entry) & (inv_day < alive_to)
    ev.append((np.flatnonzero(bill), inv_day[bill], "billing", "invoice", "email", 0))
    ng = np.flatnonzero(st.neg)
    outage = P.OUTAGE_SHARE_INCIDENT if st.incident else P.OUTAGE_SHARE
    kind = np.where(rng.random(ng.size) < outage, 0, 1 + (rng.random(ng.size) < P.SUPPORT_SHARE_OF_OTHER_EPISODES))
    stages, touchpoints, channels = (np.array(x) for x in zip(*P.NEG_EPISODE_KINDS, strict=True))
    ev.append((ng, st.ep_day[ng], stages[kind], touchpoints[kind], channels[kind], -1))
    pg = np.flatnonzero(st.pos)
    kind = rng.random(pg.size) < P.FEATURE_ADOPTED_SHARE
    ev.append((pg, st.ep_day[pg], np.where(kind, "usage", "support"), np.where(kind, "feature_adopted", "proactive_help"),
               np.where(kind, "app", "email"), 1))
    ns = np.flatnonzero(signup >= st.qs)
    ev.append((ns, signup[ns], "onboarding", "account_created", "web", 0))
    ev.append((ns, signup[ns] + rng.uniform(*P.ONBOARDING_DAYS, ns.size), "onboarding", "onboarding_call", "phone", 0))
    ev.append((tk.owner, tk.created, "support", "ticket_opened", tk.channel, 0))
    ev.append((tk.owner, tk.resolved, "support", "ticket_resolved", tk.end_channel, 0))
    yrs = np.floor((st.qe - signup) / P.DAYS_PER_YEAR)
    anniv = signup + yrs * P.DAYS_PER_YEAR
    ren = (yrs >= 1) & (anniv >= entry) & (anniv < alive_to)
    ev.append((np.flatnonzero(ren), anniv[ren], "renewal", "renewal", "email", 0))
    gone = np.flatnonzero(ch.churned)
    ev.append((gone, ch.t_churn[gone], "renewal", "cancellation",
               np.where(rng.random(gone.size) < P.CANCEL_WEB_P, "web", "phone"), 0))
    fu = np.flatnonzero(st.followup & (st.fu_day < alive_to))
    ev.append((fu, st.fu_day[fu], *P.FOLLOWUP_TOUCHPOINT, 1))
    return [pd.DataFrame({"customer_id": st.idx[own], "day": day, "stage": stage, "touchpoint": tp,
                          "channel": chn, "valence": val})
            for own, day, stage, tp, chn, val in ev]


# ----------------------------------------------------------------------------- truth records (no draws)
def _population_record(st: _State, c: _Customers, ch: _Churn, tk: _Tickets) -> pd.DataFrame:
    """Every active customer's quarter, for the realised truth."""
    j_asym = DRIVERS.index(P.ASYM_DRIVER)
    exposure = np.maximum(np.minimum(ch.t_churn, st.qe) - st.entry, 0.0) / P.DAYS_PER_MONTH
    plan = c.plan[st.idx]
    p_churn = _churn_probability(ch.rate, ch.ep_eff, st.entry, st.qe)
    episode = {}
    for lag in range(st.ep_contrib.shape[1]):  # counterfactual: without the episode `lag` quarters ago
        shift = st.ep_contrib[:, lag] / P.SAT_SD
        ltr_cf = _reported_ltr(st.ltr_lat - P.LTR_SLOPE * shift, st.angry_draw, None)
        rate_cf = _hazard_rate(_nps_group(ltr_cf), plan)
        ep_cf = np.full(st.idx.size, np.inf) if lag == 0 else ch.ep_eff
        episode[f"status{lag}"] = st.ep_status[:, lag]
        episode[f"d_churn{lag}"] = p_churn - _churn_probability(rate_cf, ep_cf, st.entry, st.qe)
    return pd.DataFrame({
        "k": st.k, "country": c.country[st.idx], "plan": c.plan[st.idx], "seg": st.seg, "group": st.group,
        "ltr": st.ltr_true, "churned": ch.churned, "exposure_months": exposure, "neg": st.neg,
        "asym_low": st.r_true[:, j_asym] <= 2, "asym_top": st.r_true[:, j_asym] == 5,
        "had_ticket": tk.had_ticket, "sz": st.sz, **episode,
    })


def _observable_records(st: _State, c: _Customers, ch: _Churn, wave: _Wave) -> list[pd.DataFrame]:
    """Exposure on the survey's scale, for the observable churn truth.

    Every customer eligible for the wave, at the field day drawn for the wave, with the
    NPS group she WOULD report through her country style; exposure from that day to churn
    or the quarter's end, split at a negative episode; expected events = the planted
    hazard integrated over the exposure (the compensator, not the realised events).
    """
    country, plan = c.country[st.idx], c.plan[st.idx]
    resp_seg = np.array([P.RESPONSE_MULT_SEGMENT[s] for s in P.SEGMENTS])
    resp_country = np.array([P.RESPONSE_MULT_COUNTRY[x] for x in P.COUNTRIES])
    ltr_rep = np.where(st.angry, 0, np.clip(np.rint(_style(st.ltr_lat, country, P.LTR_CENTRE, P.LTR_STYLE_SD)), 0, 10))
    at_field = wave.eligible & (wave.resp_day > st.entry) & (wave.resp_day < ch.t_churn)
    a, b = wave.resp_day, np.minimum(ch.t_churn, st.qe)
    cut = np.clip(ch.ep_eff, a, b)
    out = []
    for on, lo, hi in ((0, a, cut), (1, cut, b)):
        ok = at_field & (hi > lo)
        out.append(pd.DataFrame({
            "group": _nps_group(ltr_rep[ok]), "plan": plan[ok], "country": country[ok], "neg": on,
            "exposure_months": (hi - lo)[ok] / P.DAYS_PER_MONTH,
            "expected": (ch.rate * (P.NEG_EPISODE_HR if on else 1.0) * (hi - lo))[ok],
            "events": (ch.churned & (ch.t_churn > lo) & (ch.t_churn <= hi))[ok],
            "respond_p": (wave.p_inv * P.RESPONSE_BASE * resp_seg[st.seg] * resp_country[country])[ok],
        }))
    return out


# ----------------------------------------------------------------------------- tables
def _customers_table(w: _Window, c: _Customers) -> tuple[pd.DataFrame, np.ndarray]:
    """The customers table, ids in signup order, and ``remap``: position -> customer id."""
    n = c.signup.size
    first = P.FIRST_CUSTOMER_ID
    customers = pd.DataFrame({
        "customer_id": np.arange(n, dtype="int64") + first, "country": np.array(P.COUNTRIES, dtype=object)[c.country],
        "plan": np.array(P.PLANS, dtype=object)[c.plan],
        "acquisition_channel": np.array(P.CHANNELS, dtype=object)[c.channel],
        "signup_date": _to_ns(w.t0, c.signup), "monthly_revenue": c.revenue,
        "churn_date": _to_ns(w.t0, np.where(np.isfinite(c.churn_day), c.churn_day, np.nan)),
    })
    customers = customers.sort_values(["signup_date", "customer_id"], kind="mergesort").reset_index(drop=True)
    remap = np.empty(n, dtype="int64")
    remap[(customers["customer_id"].to_numpy() - first)] = np.arange(n, dtype="int64") + first
    customers["customer_id"] = np.arange(n, dtype="int64") + first
    return customers, remap


def _ticket_rows(parts: _Parts) -> pd.DataFrame:
    """All tickets in creation order, numbered from 1 (days, customer positions)."""
    tickets = pd.concat(parts.tickets, ignore_index=True)
    tickets = tickets.sort_values(["created_at", "customer_id"], kind="mergesort").reset_index(drop=True)
    tickets["ticket_id"] = np.arange(len(tickets), dtype="int64") + 1
    return tickets


def _touchpoints_table(rng: np.random.Generator, aux: _Streams, w: _Window, c: _Customers, parts: _Parts,
                       tickets: pd.DataFrame, remap: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Touchpoint CSAT: the other surveys, a survey after some tickets' last solve and after
    some journey events; also (days, customer positions, experience ``_e``) for the peak-end step."""
    tsurv = rng.random(len(tickets)) < P.TICKET_SURVEY_P
    tt = tickets.loc[tsurv]
    linked = pd.DataFrame({
        "customer_id": tt["customer_id"].to_numpy(),
        "day": tt["resolved_at"].to_numpy() + rng.uniform(*P.TICKET_SURVEY_DELAY_DAYS, len(tt)),
        "touchpoint": "support_ticket", "channel": tt["channel"].to_numpy(), "_sz": tt["_sz"].to_numpy(),
        "reopen_count": tt["reopen_count"].to_numpy(), "ticket_row": tt["ticket_id"].to_numpy(),
        "_effect": P.SWITCH_CSAT_EFFECT * tt["_switched"].to_numpy(),
    })
    tp = pd.concat([*parts.touchpoints, linked], ignore_index=True)
    tp = tp.loc[tp["day"] < w.end[-1]].reset_index(drop=True)
    tp["_effect"] = tp["_effect"].fillna(0.0).to_numpy(float)
    noise = rng.normal(0.0, P.TP_NOISE_SD, len(tp))
    tp = pd.concat([tp.assign(_noise=noise, _ep=False), _event_surveys(aux.survey, w, c, parts.events_frame)],
                   ignore_index=True)
    ccode = c.country[tp["customer_id"].to_numpy()]
    effect = tp["_effect"].to_numpy(float)
    base = P.TP_INTERCEPT + P.TP_SLOPE * tp["_sz"].to_numpy() + P.TP_REOPEN_EFFECT * tp["reopen_count"].to_numpy()
    csat_lat = base + effect + tp["_noise"].to_numpy()
    tp["csat"] = _cut(_style(csat_lat, ccode, 0.0, 1.0), P.CSAT_CUTS)
    tp["_e"] = csat_lat - P.TP_INTERCEPT - P.TP_SLOPE * tp["_sz"].to_numpy()  # the experience itself
    tp["_d_csat_switch"] = np.where(
        tp["ticket_row"] > 0, tp["csat"] - _cut(_style(csat_lat - effect, ccode, 0.0, 1.0), P.CSAT_CUTS), np.nan)
    tp = tp.sort_values(["day", "customer_id"], kind="mergesort").reset_index(drop=True)
    tp_dates = _to_ns(w.t0, tp["day"].to_numpy())
    return pd.DataFrame({
        "tp_response_id": np.arange(len(tp), dtype="int64") + 1,
        "customer_id": remap[tp["customer_id"].to_numpy()],
        "quarter": quarter_of(tp_dates),
        "date": tp_dates,
        "touchpoint": tp["touchpoint"].to_numpy(dtype=object),
        "channel": tp["channel"].to_numpy(dtype=object),
        "csat": pd.array(tp["csat"].to_numpy(), dtype="Int64"),
        "ticket_id": pd.array(np.where(tp["ticket_row"] > 0, tp["ticket_row"], np.nan), dtype="Int64"),
    }), tp[["customer_id", "day", "_e", "_ep", "_effect", "_d_csat_switch"]]


def _tickets_table(w: _Window, tickets: pd.DataFrame, remap: np.ndarray) -> pd.DataFrame:
    created = _to_ns(w.t0, tickets["created_at"].to_numpy())
    return pd.DataFrame({
        "ticket_id": tickets["ticket_id"].to_numpy(dtype="int64"),
        "customer_id": remap[tickets["customer_id"].to_numpy()],
        "quarter": quarter_of(created),
        "channel": tickets["channel"].to_numpy(dtype=object),
        "category": tickets["category"].to_numpy(dtype=object),
        "created_at": created,
        "first_response_at": _to_ns(w.t0, tickets["first_response_at"].to_numpy()),
        "first_resolved_at": _to_ns(w.t0, tickets["first_resolved_at"].to_numpy()),
        "resolved_at": _to_ns(w.t0, tickets["resolved_at"].to_numpy()),
        "reopen_count": tickets["reopen_count"].to_numpy(dtype="int64"),
        "contacts": tickets["contacts"].to_numpy(dtype="int64"),
    })


def _survey_table(rng: np.random.Generator, w: _Window, sv: pd.DataFrame, remap: np.ndarray) -> pd.DataFrame:
    """All waves' responses plus repeated submissions (same answers, a little later)."""
    dup = sv.loc[rng.random(len(sv)) < P.DUPLICATE_P].copy()
    dup["response_day"] = dup["response_day"] + rng.uniform(*P.DUPLICATE_DELAY_DAYS, len(dup))
    sv = pd.concat([sv, dup], ignore_index=True)
    sv = sv.sort_values(["response_day", "customer_id"], kind="mergesort").reset_index(drop=True)
    return pd.DataFrame({
        "response_id": np.arange(len(sv), dtype="int64") + 1,
        "customer_id": remap[sv["customer_id"].to_numpy()],
        "quarter": sv["quarter"].to_numpy(dtype=object),
        "response_date": _to_ns(w.t0, sv["response_day"].to_numpy()),
        "country": sv["country"].to_numpy(dtype=object),
        "plan": sv["plan"].to_numpy(dtype=object),
        "weight": sv["weight"].to_numpy(dtype=float),
        **{col: pd.array(sv[col].to_numpy(), dtype="Int64") for col in ("ltr", "osat", "ces", *DRIVERS)},
        "comment": sv["comment"].to_numpy(dtype=object),
    })


def _journeys_table(w: _Window, parts: _Parts, remap: np.ndarray) -> pd.DataFrame:
    evs = parts.events_frame
    evs = evs.loc[evs["day"] < w.end[-1]]
    evs = evs.sort_values(["customer_id", "day"], kind="mergesort").reset_index(drop=True)
    ts = _to_ns(w.t0, evs["day"].to_numpy())
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
    return journeys
