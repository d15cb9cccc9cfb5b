"""Channel switching at ticket level: which tickets were resolved in another channel than
the one they were opened in, and what switching costs in ticket satisfaction and effort.

:func:`ticket_switches` flags each ticket (opening channel from the tickets table; the
resolving channel from a column of it, or from an event log's resolution events);
:func:`switching_effect` is the comparison itself, switched vs not switched *within* strata
(e.g. the number of contacts: only multi-contact tickets can switch, and they are harder
tickets), weighted to the switched tickets' mix; :func:`ticket_switching_csat` and
:func:`ticket_switching_effort` apply it to the ticket's own survey and to the customer's
relationship-survey effort score of the quarter.

The journey-level comparison (:func:`cxlib.channel_switching`) stays in
:mod:`cxlib.journeys.omnichannel`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..core.checks import (
    apply_scale,
    as_datetimes,
    check_columns,
    check_confidence_level,
    check_frame,
    check_min_base,
    column_list,
    kish_n_eff,
    resolve_weights,
    show_values,
)
from ..core.inference import normal_quantile, share_interval
from ..data.calendar import quarter_of
from ..errors import CXDataError

#: Columns :func:`ticket_switches` adds (``resolved_channel`` only when read from events).
SWITCH_COLUMNS = ("resolved_channel", "switched")


def _events_resolution(data: pd.DataFrame, events: pd.DataFrame, *, ticket: str, customer: str, resolved: str,
                       event_ticket: str | None, event_time: str, event_step: str, event_channel: str,
                       resolved_step: str | None, tolerance: Any) -> pd.Series:
    """The channel of each ticket's resolution event (missing when none matches)."""
    ev = check_frame(events, argument="events")
    need = [event_channel] + ([event_step] if resolved_step is not None else [])
    need += [event_ticket] if event_ticket is not None else [customer, event_time]
    check_columns(ev, list(dict.fromkeys(need)), argument="events columns")
    if resolved_step is not None:
        hit = (ev[event_step] == resolved_step).to_numpy(bool)
        if not hit.any():
            raise CXDataError(f"`events` has no {event_step!r} = {resolved_step!r} (the resolution step); "
                              f"steps present: {show_values(sorted(pd.unique(ev[event_step].dropna()), key=str))}")
        ev = ev[hit]
    if event_ticket is not None:  # an event log that names the ticket: its last (resolution) event
        if event_time in ev.columns:
            ev = ev.assign(_t=as_datetimes(ev[event_time], event_time)).sort_values("_t", kind="stable")
        last = ev.dropna(subset=[event_ticket]).groupby(event_ticket, sort=False)[event_channel].last()
        return data[ticket].map(last)
    # no ticket id in the events: the customer's resolution event at the ticket's resolved time
    check_columns(data, [resolved], argument="resolved")
    t_ticket = as_datetimes(data[resolved], resolved).astype("datetime64[ns]")
    t_event = as_datetimes(ev[event_time], event_time).astype("datetime64[ns]")
    right = pd.DataFrame({"_c": ev[customer].to_numpy(), "_t": t_event.to_numpy(),
                          "_ch": ev[event_channel].to_numpy()}).dropna(subset=["_t"]).sort_values("_t", kind="stable")
    left = pd.DataFrame({"_row": np.arange(len(data)), "_c": data[customer].to_numpy(), "_t": t_ticket.to_numpy()})
    left = left.dropna(subset=["_t"]).sort_values("_t", kind="stable")
    if left["_c"].dtype != right["_c"].dtype:
        right["_c"] = right["_c"].astype(left["_c"].dtype)
    m = pd.merge_asof(left, right, on="_t", by="_c", direction="nearest", tolerance=pd.Timedelta(tolerance))
    return pd.Series(m.set_index("_row")["_ch"].reindex(np.arange(len(data))).to_numpy(), index=data.index)


def ticket_switches(tickets: pd.DataFrame, *, events: pd.DataFrame | None = None, ticket: str = "ticket_id",
                    customer: str = "customer_id", channel: str = "channel", resolution_channel: str | None = None,
                    resolved: str = "resolved_at", event_ticket: str | None = None, event_time: str = "timestamp",
                    event_step: str = "touchpoint", event_channel: str = "channel",
                    resolved_step: str | None = "ticket_resolved", tolerance: Any = "1min") -> pd.DataFrame:
    """Flag each ticket that was resolved in another channel than the one it was opened in.

    Parameters
    ----------
    tickets : DataFrame
        One row per ticket, with its opening ``channel``. Not modified.
    events : DataFrame, optional
        An event log with the resolution events (needed unless ``resolution_channel`` is
        given): either naming the ticket (``event_ticket``) or, without a ticket id, matched
        on the same customer at the ticket's ``resolved`` time (nearest event within
        ``tolerance``).
    ticket, customer, channel : str
        Ticket id, customer id and opening-channel columns of ``tickets``.
    resolution_channel : str, optional
        A column of ``tickets`` holding the channel the ticket was resolved in (a helpdesk
        export that has one); then ``events`` is not used.
    resolved : str, default "resolved_at"
        Resolution time of ``tickets`` (matching events without a ticket id).
    event_ticket : str, optional
        Ticket id column of ``events``; the ticket's last resolution event counts.
    event_time, event_step, event_channel : str
        Columns of ``events``.
    resolved_step : str or None, default "ticket_resolved"
        The step that records the resolution; ``None`` with ``event_ticket``: the ticket's
        last event, whatever its step.
    tolerance : duration, default "1min"
        Largest distance between ``resolved`` and the event's time (matching by time).

    Returns
    -------
    DataFrame
        ``tickets`` (same rows and order) with ``resolved_channel`` (when read from
        ``events``) and ``switched``: nullable boolean, missing where either channel is
        unknown (e.g. no resolution event yet).

    Raises
    ------
    CXDataError
        A missing column, duplicated ticket ids, ``tickets`` already holding an output
        column, no event with the resolution step, or neither ``events`` nor
        ``resolution_channel``.

    Notes
    -----
    ``switched = resolved channel ≠ opening channel``. In the synthetic data
    (``data/README.md``, item 11) the journeys' ``ticket_opened`` event carries the
    opening channel and ``ticket_resolved`` the resolving one, at the tickets table's
    ``created_at`` and ``resolved_at``; the ticket's touchpoint survey carries the opening
    channel, so it cannot tell a switch.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> tk = pd.DataFrame({"ticket_id": [1, 2], "customer_id": [7, 8], "channel": ["chat", "email"],
    ...                    "resolved_at": pd.to_datetime(["2026-01-02", "2026-01-05"])})
    >>> ev = pd.DataFrame({"customer_id": [7, 8], "timestamp": pd.to_datetime(["2026-01-02", "2026-01-05"]),
    ...                    "touchpoint": "ticket_resolved", "channel": ["phone", "email"]})
    >>> cx.ticket_switches(tk, events=ev)[["ticket_id", "channel", "resolved_channel", "switched"]]
       ticket_id channel resolved_channel  switched
    0          1    chat            phone      True
    1          2   email            email     False
    """
    data = check_frame(tickets, argument="tickets")
    check_columns(data, [ticket, channel], argument="ticket / channel")
    dup = data[ticket].duplicated(keep=False) & data[ticket].notna()
    if dup.any():
        raise CXDataError(f"`ticket` column {ticket!r} repeats ids {show_values(pd.unique(data.loc[dup, ticket]))} "
                          f"({int(dup.sum())} rows): one row per ticket is needed")
    out_cols = ["switched"] + (["resolved_channel"] if resolution_channel is None else [])
    clash = [c for c in out_cols if c in data.columns]
    if clash:
        raise CXDataError(f"`tickets` already has the column(s) {clash}; rename or drop them")
    if resolution_channel is not None:
        check_columns(data, [resolution_channel], argument="resolution_channel")
        end = data[resolution_channel]
    elif events is None:
        raise CXDataError("give `events` (an event log with the resolution events) or `resolution_channel` "
                          "(a column of `tickets` with the channel each ticket was resolved in)")
    else:
        if event_ticket is None:
            check_columns(data, [customer], argument="customer")
        end = _events_resolution(data, events, ticket=ticket, customer=customer, resolved=resolved,
                                 event_ticket=event_ticket, event_time=event_time, event_step=event_step,
                                 event_channel=event_channel, resolved_step=resolved_step, tolerance=tolerance)
    start = data[channel]
    known = (start.notna() & end.notna()).to_numpy()
    flag = pd.array(np.where(known, start.astype(object).to_numpy() != end.astype(object).to_numpy(), False),
                    dtype="boolean")
    flag[~known] = pd.NA
    out = data.copy()
    if resolution_channel is None:
        out["resolved_channel"] = end.to_numpy(dtype=object)
    out["switched"] = flag
    return out


@dataclass(frozen=True, eq=False)
class SwitchingEffect:
    """Switched vs not switched, compared within strata (result of :func:`switching_effect`).

    Attributes
    ----------
    outcome : str
    estimate, std_err, ci_low, ci_high, p_value : float
        The effect of switching on the outcome's mean (switched − not switched, averaged
        over the strata with the switched rows' mix), its HC2 standard error, the normal
        interval and the two-sided p-value.
    n : int
        Answered rows in the compared strata (both arms).
    n_switched, n_other : int
        Answered rows per arm in the compared strata.
    n_eff_switched, n_eff_other : float
        Kish effective bases per arm (= the counts when unweighted).
    switched, other : float
        The switched rows' mean and the comparison mean standardised to the same strata mix
        (``estimate = switched − other``).
    n_switched_unmatched : int
        Switched rows left out: their stratum has fewer than 2 rows in one arm.
    small_base : bool
        Either arm's (effective) base is below ``min_base``: the estimate should be withheld.
    min_base : int
    confidence_level : float
    strata : DataFrame
        One row per stratum: the stratum value(s), ``n_switched, n_other, switched, other,
        diff, std_err, weight`` (0 where not compared) and ``compared``.
    method : str
    """

    outcome: str
    estimate: float
    std_err: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    n_switched: int
    n_other: int
    n_eff_switched: float
    n_eff_other: float
    switched: float
    other: float
    n_switched_unmatched: int
    small_base: bool
    min_base: int
    confidence_level: float
    strata: pd.DataFrame
    method: str

    def to_frame(self) -> pd.DataFrame:
        """A tidy one-row frame (every field but ``strata``)."""
        return pd.DataFrame([{k: getattr(self, k) for k in self.__dataclass_fields__ if k != "strata"}])


def _arm(y: np.ndarray, w: np.ndarray | None) -> tuple[float, float, int, float]:
    """(mean, variance of the mean (HC2), n, Kish n_eff) of one stratum × arm."""
    n = y.size
    if w is None:
        return float(y.mean()), float(y.var(ddof=1) / n), n, float(n)
    big_w = w.sum()
    m = float(np.sum(w * y) / big_w)
    h = w / big_w  # leverage of each row in a weighted cell mean
    return m, float(np.sum(w ** 2 * (y - m) ** 2 / (1.0 - h)) / big_w ** 2), n, kish_n_eff(w)


def _switch_values(s: pd.Series, name: str) -> np.ndarray:
    """The switched flag as a float array (1 / 0, NaN where missing)."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    vals = pd.unique(s.dropna())
    if not set(vals) <= {0, 1}:
        bad = [v for v in vals if v not in (0, 1)]
        raise CXDataError(f"`switched` column {name!r} must be true/false (or 1/0); found {show_values(bad)} "
                          f"in {int(s.isin(bad).sum())} rows")
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


def _per_stratum(y: np.ndarray, s: np.ndarray, w: np.ndarray | None, codes: np.ndarray,
                 keys: pd.DataFrame) -> pd.DataFrame:
    """One row per stratum (row i = stratum code i): arm counts, means, their difference and
    its variance (``_v``)."""
    rows = []
    for g in range(len(keys)):
        in_g = codes == g
        arms = [(y[in_g & s], None if w is None else w[in_g & s]), (y[in_g & ~s], None if w is None else w[in_g & ~s])]
        n1, n0 = arms[0][0].size, arms[1][0].size
        row = {**keys.iloc[g].to_dict(), "n_switched": n1, "n_other": n0,
               "w_switched": float(n1 if w is None else arms[0][1].sum())}
        ok = n1 >= 2 and n0 >= 2
        (m1, v1, _, e1), (m0, v0, _, e0) = ((_arm(*a) if a[0].size >= 2 else (np.nan, np.nan, a[0].size, np.nan))
                                            for a in arms)
        row.update(switched=m1, other=m0, diff=m1 - m0, std_err=np.sqrt(v1 + v0), compared=ok, _v=v1 + v0,
                   _e1=e1, _e0=e0, _w1=arms[0][1], _w0=arms[1][1])
        rows.append(row)
    return pd.DataFrame(rows)


def _cluster_variance(y: np.ndarray, s: np.ndarray, w: np.ndarray | None, codes: np.ndarray, used: pd.DataFrame,
                      wt: np.ndarray, clusters: np.ndarray) -> float:
    """CR1 cluster-robust variance of Σ w_s (m1_s − m0_s): each row's share of the estimate's
    deviation summed per cluster, with the factor G/(G−1)·(N−1)/(N−K), K = 2 × strata."""
    omega = np.ones_like(y) if w is None else w
    psi = np.zeros_like(y)
    for (g, row), weight in zip(used.iterrows(), wt):
        for arm, sign, mean in ((s, 1.0, row["switched"]), (~s, -1.0, row["other"])):
            m = (codes == g) & arm
            psi[m] = sign * weight * omega[m] * (y[m] - mean) / omega[m].sum()
    rows = np.isin(codes, used.index.to_numpy())
    groups = pd.factorize(pd.Series(clusters[rows]))[0]
    sums = np.bincount(groups, weights=psi[rows])
    big_g, big_n, k = sums.size, int(rows.sum()), 2 * len(used)
    if big_g < 2 or big_n <= k:
        return np.nan
    return float(big_g / (big_g - 1) * (big_n - 1) / (big_n - k) * np.sum(sums ** 2))


def switching_effect(data: pd.DataFrame, *, outcome: str, switched: str = "switched",
                     strata: str | Sequence[str] = "contacts", weights: Any = None, cluster: str | None = None,
                     scale: Any = None, missing: Any = (), min_base: int = 30,
                     confidence_level: float = 0.95) -> SwitchingEffect:
    """The effect of switching channel on an outcome, compared within strata.

    Parameters
    ----------
    data : DataFrame
        One row per unit (a ticket's survey, a survey response) with the outcome, a
        true/false ``switched`` column and the stratum column(s). Not modified.
    outcome : str
        Outcome column (a rating: CSAT 1–5, CES 1–7 …).
    switched : str, default "switched"
        True where the unit switched channel; rows where it is missing are left out.
    strata : str or list of str, default "contacts"
        Units are compared only with units of the same stratum (e.g. the same number of
        contacts: only multi-contact tickets can switch).
    weights : str, array or Series, optional
        Survey weights: weighted means; variances and bases (Kish) follow the weights.
    cluster : str, optional
        A column of ``data`` whose rows are not independent (e.g. the customer, when one
        customer has several tickets or answers several waves): cluster-robust standard
        error (CR1) instead of HC2.
    scale, missing : optional
        The outcome's declared points and missing codes (as in :func:`cxlib.mean_score`).
    min_base : int, default 30
        Below it in either arm (Kish effective base when weighted) ``small_base`` is set.
    confidence_level : float, default 0.95

    Returns
    -------
    SwitchingEffect

    Raises
    ------
    CXDataError
        Missing columns, a non-boolean ``switched``, outcomes off the scale, or no stratum
        with at least 2 rows in each arm.

    Notes
    -----
    Stratified difference of means weighted to the switched units (the effect on those who
    switched): with ``m1_s, m0_s`` the (weighted) arm means of stratum *s* and ``W1_s``
    the switched units' count (weight sum),

    ``Δ = Σ_s w_s (m1_s − m0_s)``, ``w_s = W1_s / Σ W1``,
    ``SE² = Σ_s w_s² (V1_s + V0_s)``, ``V = Σ_i w_i² e_i² / (1 − h_i) / W²``, ``h_i = w_i / W``

    (unweighted: ``V = s² / n``, Welch's per-stratum variance). Δ and SE equal the switched
    coefficient of the fully interacted regression ``y ~ switched + strata +
    switched × (strata − their switched means)`` (OLS, or WLS with the weights) with HC2
    standard errors (Imbens & Wooldridge 2009, §5.3; MacKinnon & White 1985), which the
    tests check against statsmodels. With ``cluster``: ``SE² = G/(G−1)·(N−1)/(N−K) ·
    Σ_g (Σ_{i∈g} ψ_i)²``, ``ψ_i = ± w_s ω_i (y_i − m) / W`` for row *i* of stratum *s*
    (+ switched, − other; ω the row's weight, W its cell's weight sum, K = 2 × strata),
    the same regression's cluster-robust (CR1) standard error. Strata with fewer than 2 answered rows in an arm are
    left out (their switched rows are counted in ``n_switched_unmatched``). Normal
    interval and two-sided p-value. Observational: within the strata, switching is assumed
    unrelated to other causes of the outcome.

    References
    ----------
    Imbens, G. W. & Wooldridge, J. M. (2009). Recent developments in the econometrics of
    program evaluation. *Journal of Economic Literature* 47(1), 5–86.
    MacKinnon, J. G. & White, H. (1985). Some heteroskedasticity-consistent covariance
    matrix estimators with improved finite sample properties. *J. Econometrics* 29(3).

    Examples
    --------
    Stratum 2: switched 2, 3 vs 4, 5 (−2); stratum 3: switched 1, 2, 3 vs 3, 4 (−1.5);
    weighted by the switched counts 2 and 3: Δ = (2·(−2) + 3·(−1.5)) / 5 = −1.7.

    >>> import pandas as pd, cxlib as cx
    >>> df = pd.DataFrame({"contacts": [2, 2, 2, 2, 3, 3, 3, 3, 3],
    ...                    "switched": [True, True, False, False, True, True, True, False, False],
    ...                    "csat": [2, 3, 4, 5, 1, 2, 3, 3, 4]})
    >>> r = cx.switching_effect(df, outcome="csat", min_base=2)
    >>> round(r.estimate, 6), r.n_switched, r.n_other, round(r.switched, 2), round(r.other, 2)
    (-1.7, 5, 4, 2.2, 3.9)
    """
    frame = check_frame(data, argument="data")
    level = check_confidence_level(confidence_level)
    base = check_min_base(min_base)
    by = column_list(strata, argument="strata")
    check_columns(frame, [outcome], argument="outcome")
    check_columns(frame, [switched], argument="switched")
    check_columns(frame, by, argument="strata")
    if cluster is not None:
        check_columns(frame, [cluster], argument="cluster")
    w_all = resolve_weights(frame, weights, len(frame))
    y, _ = apply_scale(frame[outcome], outcome, scale=scale, missing=missing)
    s = _switch_values(frame[switched], switched)
    keep = ~np.isnan(y) & ~np.isnan(s) & frame[by].notna().all(axis=1).to_numpy()
    if w_all is not None:
        keep &= np.isfinite(w_all) & (w_all > 0)
    if cluster is not None and frame.loc[keep, cluster].isna().any():
        bad = int(frame.loc[keep, cluster].isna().sum())
        raise CXDataError(f"`cluster` column {cluster!r} is missing in {bad} rows with an answer")
    sub = frame.loc[keep, by].reset_index(drop=True)
    y, s = y[keep], s[keep].astype(bool)
    w = None if w_all is None else w_all[keep]
    grouped = sub.groupby(by, sort=True, observed=True, dropna=True)
    codes = grouped.ngroup().to_numpy()
    keys = grouped.size().reset_index()[by]
    table = _per_stratum(y, s, w, codes, keys)
    used = table[table["compared"]] if len(table) else table
    if used.empty:
        raise CXDataError(f"no stratum of {by} has 2 or more answered rows of {outcome!r} in both arms of "
                          f"{switched!r} ({int(s.sum())} switched, {int((~s).sum())} other rows answered)")
    wt = used["w_switched"].to_numpy(float) / used["w_switched"].sum()
    table["weight"] = 0.0
    table.loc[used.index, "weight"] = wt
    est = float(np.sum(wt * used["diff"].to_numpy(float)))
    if cluster is None:
        se = float(np.sqrt(np.sum(wt ** 2 * used["_v"].to_numpy(float))))
    else:
        se = float(np.sqrt(_cluster_variance(y, s, w, codes, used, wt, frame.loc[keep, cluster].to_numpy())))
    z = normal_quantile(level)
    n1, n0 = int(used["n_switched"].sum()), int(used["n_other"].sum())
    if w is None:
        e1, e0 = float(n1), float(n0)
    else:
        e1, e0 = (kish_n_eff(np.concatenate(list(used[c]))) for c in ("_w1", "_w0"))
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else np.nan
    how = "weighted means, Kish effective bases" if w is not None else "means"
    error = "HC2 standard error" if cluster is None else f"cluster-robust (CR1) standard error by {cluster}"
    method = (f"stratified difference by {', '.join(by)} ({how}), weighted to the switched rows; {error}, "
              "normal interval")
    strata_table = table.drop(columns=["_v", "_e1", "_e0", "_w1", "_w0", "w_switched"])
    return SwitchingEffect(
        outcome=outcome, estimate=est, std_err=se, ci_low=est - z * se, ci_high=est + z * se, p_value=p,
        n=n1 + n0, n_switched=n1, n_other=n0, n_eff_switched=e1, n_eff_other=e0,
        switched=float(np.sum(wt * used["switched"].to_numpy(float))),
        other=float(np.sum(wt * used["other"].to_numpy(float))),
        n_switched_unmatched=int(table.loc[~table["compared"], "n_switched"].sum()),
        small_base=bool(min(e1, e0) < base), min_base=base, confidence_level=level, strata=strata_table,
        method=method)


def _capped(values: pd.Series, cap: int | None, name: str) -> pd.Series:
    """Whole-number counts, those above ``cap`` set to ``cap`` (``cap`` = "cap or more")."""
    v = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & (v.isna() | (v < 0) | (v % 1 != 0))
    if bad.any():
        raise CXDataError(f"`contacts` column {name!r} must hold whole counts >= 0; found "
                          f"{show_values(pd.unique(values[bad]))} in {int(bad.sum())} rows")
    return v if cap is None else v.clip(upper=cap)


def ticket_switching_csat(switches: pd.DataFrame, touchpoints: pd.DataFrame, *, ticket: str = "ticket_id",
                          touchpoint_ticket: str | None = None, score: str = "csat", contacts: str = "contacts",
                          switched: str = "switched", cluster: str | None = "customer_id", contacts_cap: int | None = 5,
                          scale: Any = None, missing: Any = (), min_base: int = 30,
                          confidence_level: float = 0.95) -> SwitchingEffect:
    """The effect of switching channel on the ticket's own satisfaction survey, compared
    within tickets with the same number of contacts.

    Parameters
    ----------
    switches : DataFrame
        One row per ticket with ``switched`` and ``contacts`` (:func:`ticket_switches`).
    touchpoints : DataFrame
        Touchpoint survey responses; those with a ticket id are the tickets' surveys.
    ticket : str, default "ticket_id"
        Ticket id of ``switches``.
    touchpoint_ticket : str, optional
        Ticket id of ``touchpoints`` (default: ``ticket``).
    score : str, default "csat"
        The survey's rating.
    contacts : str, default "contacts"
        Customer contacts on the ticket (the stratum).
    switched : str, default "switched"
    cluster : str or None, default "customer_id"
        The customer column of ``switches``: a customer's tickets are not independent
        (cluster-robust standard error); ``None``: HC2, every survey independent.
    contacts_cap : int or None, default 5
        Contacts above it are pooled with it (5 = "5 or more").
    scale, missing, min_base, confidence_level
        As in :func:`switching_effect`.

    Returns
    -------
    SwitchingEffect
        On the tickets' surveys (one row per survey response).

    Notes
    -----
    :func:`switching_effect` with ``strata=contacts``: only tickets that needed several
    contacts can switch, and those are harder tickets with lower satisfaction whatever the
    channel, so a switched ticket is compared with tickets of the same number of contacts.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> sw = pd.DataFrame({"ticket_id": range(1, 9), "contacts": [1, 2, 2, 2, 2, 3, 3, 3],
    ...                    "switched": [False, True, True, False, False, True, False, False]})
    >>> tp = pd.DataFrame({"ticket_id": [1, 2, 3, 4, 5, 6, 7, 8, None], "csat": [5, 2, 3, 4, 5, 2, 3, 4, 5]})
    >>> r = cx.ticket_switching_csat(sw, tp, cluster=None, min_base=1)
    >>> r.n_switched, r.n_other, r.n_switched_unmatched, round(r.estimate, 3)
    (2, 2, 1, -2.0)
    """
    tk = check_frame(switches, argument="switches")
    tp = check_frame(touchpoints, argument="touchpoints")
    key = touchpoint_ticket or ticket
    check_columns(tk, [ticket, contacts, switched] + ([cluster] if cluster else []), argument="switches columns")
    check_columns(tp, [key, score], argument="touchpoints columns")
    names = [score, switched, contacts] + ([cluster] if cluster else [])
    if len(set(names)) < len(names):
        raise CXDataError(f"`score`, `switched` and `contacts` must be different columns; got {names}")
    side = pd.DataFrame({"_ticket": tk[ticket].to_numpy(), switched: tk[switched].to_numpy(),
                         contacts: _capped(tk[contacts], contacts_cap, contacts).to_numpy(),
                         **({cluster: tk[cluster].to_numpy()} if cluster else {})})
    answers = pd.DataFrame({"_ticket": tp[key].to_numpy(), score: tp[score].to_numpy()})
    answers = answers[answers["_ticket"].notna().to_numpy()]
    if answers["_ticket"].dtype != side["_ticket"].dtype:
        answers["_ticket"] = answers["_ticket"].astype(side["_ticket"].dtype)
    rows = answers.merge(side, on="_ticket", how="inner")
    if rows.empty:
        raise CXDataError(f"no touchpoint response's {key!r} matches a ticket's {ticket!r}")
    return switching_effect(rows, outcome=score, switched=switched, strata=contacts, cluster=cluster, scale=scale,
                            missing=missing, min_base=min_base, confidence_level=confidence_level)


def ticket_switching_effort(switches: pd.DataFrame, survey: pd.DataFrame, *, score: str = "ces",
                            customer: str = "customer_id", quarter: str = "quarter", opened: str = "created_at",
                            contacts: str = "contacts", switched: str = "switched", weights: Any = None,
                            cluster: bool = True, tickets_cap: int | None = 3, scale: Any = None, missing: Any = (),
                            min_base: int = 30, confidence_level: float = 0.95) -> SwitchingEffect:
    """The effect of a switched ticket on the customer's effort score that quarter, compared
    among customers with the same number of multi-contact tickets that quarter.

    Parameters
    ----------
    switches : DataFrame
        One row per ticket with ``customer``, ``opened``, ``contacts`` and ``switched``
        (:func:`ticket_switches`).
    survey : DataFrame
        Relationship survey responses with ``customer``, ``quarter`` and the effort
        ``score`` (one row per response; drop duplicate submissions first).
    score : str, default "ces"
    customer, quarter : str
        Customer id (both tables) and the survey's quarter ("YYYYQn").
    opened : str, default "created_at"
        Ticket creation time: a ticket counts in the quarter it was opened.
    contacts, switched : str
        Columns of ``switches``.
    weights : str, array or Series, optional
        Survey weights (a column of ``survey``).
    cluster : bool, default True
        Cluster-robust standard error by customer (a customer answers several waves);
        ``False``: HC2, every response independent.
    tickets_cap : int or None, default 3
        Customers with more multi-contact tickets are pooled with it (3 = "3 or more").
    scale, missing, min_base, confidence_level
        As in :func:`switching_effect`.

    Returns
    -------
    SwitchingEffect
        Over the responses of customers with at least one multi-contact ticket that
        quarter (only they can have a switched one); ``strata`` is their number of
        multi-contact tickets (``multi_contact_tickets``).

    Notes
    -----
    A response is *switched* when one of the customer's tickets opened in the response's
    quarter was resolved in another channel; tickets whose switch is unknown count as not
    switched. :func:`switching_effect` with ``strata = multi-contact tickets that
    quarter``: the more such tickets, the more chances to switch and the more effort
    anyway. Every ticket opened in the quarter counts, also one opened after the response
    date (the synthetic data plant the penalty that way; with real data, filter
    ``switches`` to tickets opened before the response if a later ticket cannot matter).

    The interval is calibrated against the synthetic generator's planted effect (the mean
    of answer − answer without the switch over the switched respondents):
    ``benchmarks/check_switching_calibration.py``, recorded in ``data/README.md`` item 11
    (30 seeds: standardised error mean −0.11, SD 1.09; 60 more at 5,000 customers).

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> sw = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5], "contacts": [2, 3, 2, 2, 1],
    ...                    "switched": [True, True, False, False, False],
    ...                    "created_at": pd.to_datetime(["2026-07-02"] * 5)})
    >>> sv = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6], "quarter": "2026Q3", "ces": [3, 4, 6, 7, 7, 6]})
    >>> r = cx.ticket_switching_effort(sw, sv, min_base=1)
    >>> r.n_switched, r.n_other, r.estimate
    (2, 2, -3.0)
    """
    tk = check_frame(switches, argument="switches")
    sv = check_frame(survey, argument="survey")
    check_columns(tk, [customer, opened, contacts, switched], argument="switches columns")
    check_columns(sv, [customer, quarter, score], argument="survey columns")
    clash = [c for c in ("_sw", "multi_contact_tickets") if c in sv.columns]
    if clash:
        raise CXDataError(f"`survey` already has the column(s) {clash}; rename or drop them")
    multi = (_capped(tk[contacts], None, contacts) >= 2).to_numpy()
    flag = _switch_values(tk[switched], switched)
    per = pd.DataFrame({customer: tk[customer].to_numpy(), "_q": quarter_of(as_datetimes(tk[opened], opened)),
                        "_multi": multi.astype(int), "_sw": np.nan_to_num(flag, nan=0.0) > 0})
    per = per.groupby([customer, "_q"], sort=False).agg(multi_contact_tickets=("_multi", "sum"), _sw=("_sw", "any"))
    per = per.reset_index().rename(columns={"_q": quarter})
    if per[customer].dtype != sv[customer].dtype:
        per[customer] = per[customer].astype(sv[customer].dtype)
    joined = sv.merge(per, on=[customer, quarter], how="left", validate="many_to_one")
    count = joined["multi_contact_tickets"].fillna(0).astype(int)
    keep = (count >= 1).to_numpy()
    if not keep.any():
        raise CXDataError(f"no survey response's customer has a ticket with 2+ {contacts!r} in its {quarter!r}")
    rows = joined.loc[keep].assign(multi_contact_tickets=_capped(count[keep], tickets_cap, "multi_contact_tickets"),
                                   _sw=joined.loc[keep, "_sw"].eq(True).to_numpy())
    w = resolve_weights(sv, weights, len(sv))
    return switching_effect(rows, outcome=score, switched="_sw", strata="multi_contact_tickets",
                            weights=None if w is None else w[keep], cluster=customer if cluster else None,
                            scale=scale, missing=missing, min_base=min_base, confidence_level=confidence_level)


def ticket_switch_share(switches: pd.DataFrame, *, switched: str = "switched", contacts: str = "contacts",
                        confidence_level: float = 0.95) -> pd.DataFrame:
    """The share of tickets resolved in another channel, among all tickets and among those
    with more than one contact (the only ones that can switch), with Wilson intervals.

    Parameters
    ----------
    switches : DataFrame
        One row per ticket (:func:`ticket_switches`); tickets whose switch is unknown are
        left out.
    switched, contacts : str
    confidence_level : float, default 0.95

    Returns
    -------
    DataFrame
        Rows ``tickets`` ("all", "2+ contacts"): ``estimate, ci_low, ci_high, n,
        n_switched``.

    Examples
    --------
    >>> import pandas as pd, cxlib as cx
    >>> sw = pd.DataFrame({"contacts": [1, 1, 2, 2, 3], "switched": [False, False, True, False, True]})
    >>> cx.ticket_switch_share(sw)[["tickets", "estimate", "n", "n_switched"]]
           tickets  estimate  n  n_switched
    0          all  0.400000  5           2
    1  2+ contacts  0.666667  3           2
    """
    tk = check_frame(switches, argument="switches")
    check_columns(tk, [switched, contacts], argument="switches columns")
    level = check_confidence_level(confidence_level)
    flag = _switch_values(tk[switched], switched)
    multi = (_capped(tk[contacts], None, contacts) >= 2).to_numpy()
    rows = []
    for name, part in (("all", np.ones(len(tk), dtype=bool)), ("2+ contacts", multi)):
        f = flag[part & ~np.isnan(flag)]
        k, n = int(f.sum()), int(f.size)
        est, _, lo, hi = (a[0] for a in share_interval([k], [n], level))
        rows.append({"tickets": name, "estimate": float(est), "ci_low": float(lo), "ci_high": float(hi), "n": n,
                     "n_switched": k})
    return pd.DataFrame(rows)
