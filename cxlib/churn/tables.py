"""Survival tables from the data model: who is followed from when to when, and what ended it.

:func:`churn_table` gives one row per customer (clock from signup) or per survey response
(clock from the response); :func:`churn_spells` gives start/stop rows on the tenure clock
for time-varying models. Both return a :class:`ChurnTable` that records every exclusion.
The survival and model functions accept a :class:`ChurnTable` wherever they take a frame
(:func:`as_frame`) and validate durations and events one way (:func:`durations_events`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.checks import as_timestamp, check_choice, check_columns, date_column, show_values
from ..errors import CXDataError

#: NPS groups, promoter first (the reference level of the churn models).
NPS_GROUPS = ("promoter", "passive", "detractor")

#: Days per time unit of durations and tenure (a month is 365.25 / 12 days).
UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}

#: Days per unit that time-span (``timedelta64``) durations can be converted to.
TIMEDELTA_UNITS = {"hours": 1.0 / 24, **UNIT_DAYS}

_CARRIED = ("plan", "monthly_revenue", "country", "acquisition_channel")


@dataclass(frozen=True)
class ChurnTable:
    """A survival table built from the data model, with what was excluded and why.

    Attributes
    ----------
    data : pandas.DataFrame
        The table (see :func:`churn_table` / :func:`churn_spells` for columns).
    counts : dict
        Row counts: input rows, rows excluded by reason, censoring notes.
    as_of : pandas.Timestamp
    unit : str
        Time unit of durations and tenure.
    level : str
        ``"customer"``, ``"response"`` or ``"spell"`` (start/stop rows).
    """

    data: pd.DataFrame
    counts: dict
    as_of: pd.Timestamp
    unit: str
    level: str

    def to_frame(self) -> pd.DataFrame:
        """The table itself."""
        return self.data.copy()

    def __len__(self) -> int:
        return len(self.data)


def as_frame(data: Any) -> pd.DataFrame:
    """The rows of a :class:`ChurnTable`, or ``data`` itself if it is a DataFrame."""
    if isinstance(data, ChurnTable):
        return data.data
    if not isinstance(data, pd.DataFrame):
        raise CXDataError(f"`data` must be a pandas DataFrame or a ChurnTable, got {type(data).__name__}")
    return data


def durations_events(
    df: pd.DataFrame, duration: str, event: str, *, unit: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Durations (finite, >= 0) and 0/1 events of ``df`` as float arrays (missing stays NaN).

    Time spans (``timedelta64``) are converted to ``unit`` (one of :data:`TIMEDELTA_UNITS`);
    without a ``unit`` they are refused rather than read as nanoseconds. Text, dates and
    event labels such as "Yes"/"No" are refused with the column, the values and their
    row count.

    >>> durations_events(pd.DataFrame({"t": [1, 2.5], "e": [True, False]}), "t", "e")
    (array([1. , 2.5]), array([1., 0.]))
    >>> durations_events(pd.DataFrame({"t": pd.to_timedelta([36, 84], unit="h"), "e": [1, 0]}), "t", "e",
    ...                  unit="days")[0]
    array([1.5, 3.5])
    """
    t = _durations(df[duration], duration, unit)
    if np.isinf(t).any():
        raise CXDataError(f"column {duration!r} has {int(np.isinf(t).sum())} infinite value(s)")
    neg = t < 0
    if neg.any():
        raise CXDataError(
            f"column {duration!r} has {int(neg.sum())} negative duration(s) {show_values(np.unique(t[neg]))}; "
            "durations run from the start of observation to churn or censoring and must be >= 0"
        )
    e_raw = df[event]
    if pd.api.types.is_bool_dtype(e_raw.dtype):
        e_raw = e_raw.astype("float")
    e = pd.to_numeric(e_raw, errors="coerce")
    text = e_raw.notna() & e.isna()
    if text.any():
        labels = show_values(sorted(pd.unique(e_raw[text]), key=str))
        raise CXDataError(
            f"column {event!r} has {int(text.sum())} non-numeric value(s) {labels}; code churn as 1 and "
            f"still-active (censored) as 0, e.g. `data[{event!r}].map({{'Yes': 1, 'No': 0}})`"
        )
    e = e.astype(float).to_numpy()
    bad = ~np.isnan(e) & ~np.isin(e, [0.0, 1.0])
    if bad.any():
        raise CXDataError(
            f"column {event!r} has {int(bad.sum())} value(s) other than 0/1 {show_values(np.unique(e[bad]))}; "
            "code churn as 1 and still-active (censored) as 0"
        )
    return t, e


def _durations(s: pd.Series, name: str, unit: str | None) -> np.ndarray:
    """A duration column as floats: numbers as they are, time spans in ``unit``."""
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        if unit is None:
            raise CXDataError(
                f"column {name!r} holds time spans ({s.dtype}); convert them to numbers in a stated unit "
                f"first, e.g. `data[{name!r}].dt.total_seconds() / 86400` for days"
            )
        per = TIMEDELTA_UNITS[check_choice(unit, tuple(TIMEDELTA_UNITS), argument="unit")]
        return s.dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 86400 / per
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        raise CXDataError(
            f"column {name!r} holds dates ({s.dtype}), not durations; durations are the time from the start "
            "of observation to churn or censoring (e.g. from cx.churn_table)"
        )
    if pd.api.types.is_bool_dtype(s.dtype):
        raise CXDataError(f"column {name!r} is boolean (True/False); expected durations (numbers >= 0)")
    num = pd.to_numeric(s, errors="coerce")
    text = s.notna() & num.isna()
    if text.any():
        raise CXDataError(
            f"column {name!r} has {int(text.sum())} non-numeric value(s) {show_values(pd.unique(s[text]))}; "
            "expected durations (numbers >= 0); fix or blank those rows"
        )
    return num.to_numpy(dtype=float, na_value=np.nan)


def nps_group_labels(ltr: Any) -> pd.Series:
    """Detractor (0-6), passive (7-8), promoter (9-10) as a categorical, promoter first.

    Promoters come first so that they are the reference level of regression models;
    missing scores stay missing.

    >>> nps_group_labels([10, 7, 3, None]).tolist()
    ['promoter', 'passive', 'detractor', nan]
    """
    s = pd.to_numeric(pd.Series(ltr), errors="coerce")
    out = pd.Series(pd.NA, index=s.index, dtype="object")
    out[s >= 9] = "promoter"
    out[(s >= 7) & (s < 9)] = "passive"
    out[s <= 6] = "detractor"
    return pd.Series(pd.Categorical(out, categories=list(NPS_GROUPS)), index=s.index, name="nps_group")


def _ids_sample(ids: pd.Series) -> str:
    return show_values(pd.unique(ids))


def _unit_days(unit: str) -> float:
    return UNIT_DAYS[check_choice(unit, tuple(UNIT_DAYS), argument="unit")]


def _in_units(end: pd.Series, start: pd.Series, per: float) -> np.ndarray:
    return (end - start).dt.total_seconds().to_numpy() / 86400 / per


# ---------------------------------------------------------------------------- churn_table
def _followed_customers(customers: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, dict]:
    """Checked customers signed up by ``as_of``, with ``_end`` (churn or as_of) and ``event``."""
    check_columns(customers, ["customer_id", "signup_date", "churn_date"], argument="customers")
    cust = customers.copy()
    cust["signup_date"] = date_column(cust, "signup_date", argument="customers")
    cust["churn_date"] = date_column(cust, "churn_date", argument="customers")
    dup = cust["customer_id"].duplicated(keep=False)
    if dup.any():
        raise CXDataError(
            f"column 'customer_id' of `customers` has {int(dup.sum())} duplicated row(s), ids "
            f"{_ids_sample(cust.loc[dup, 'customer_id'])}; one row per customer expected"
        )
    miss = cust["signup_date"].isna()
    if miss.any():
        raise CXDataError(
            f"column 'signup_date' is missing in {int(miss.sum())} row(s) of `customers` "
            f"(customer_id {_ids_sample(cust.loc[miss, 'customer_id'])})"
        )
    before = cust["churn_date"] < cust["signup_date"]
    if before.any():
        raise CXDataError(
            f"column 'churn_date' is before 'signup_date' in {int(before.sum())} row(s) of `customers` "
            f"(customer_id {_ids_sample(cust.loc[before, 'customer_id'])}); fix the dates"
        )
    counts: dict[str, int] = {"customers": int(len(cust))}
    late = cust["signup_date"] > as_of
    counts["customers_signed_up_after_as_of"] = int(late.sum())
    counts["churn_after_as_of_censored"] = int((~late & (cust["churn_date"] > as_of)).sum())
    cust = cust.loc[~late]
    cust["_end"] = cust["churn_date"].where(cust["churn_date"] <= as_of, as_of).fillna(as_of)
    cust["event"] = (cust["churn_date"].notna() & (cust["churn_date"] <= as_of)).astype(int)
    return cust, counts


def _customer_rows(cust: pd.DataFrame, per: float) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "customer_id": cust["customer_id"].to_numpy(),
            "signup_date": cust["signup_date"].to_numpy(),
            "churn_date": cust["churn_date"].to_numpy(),
            "duration": _in_units(cust["_end"], cust["signup_date"], per),
            "event": cust["event"].to_numpy(),
            "tenure": 0.0,
        }
    )
    for c in _CARRIED:
        if c in cust.columns:
            out[c] = cust[c].to_numpy()
    return out


def _checked_responses(survey: pd.DataFrame, customers: pd.DataFrame, score: str) -> pd.DataFrame:
    check_columns(survey, ["response_id", "customer_id", "response_date", score], argument="survey")
    sv = survey.copy()
    sv["response_date"] = date_column(sv, "response_date", argument="survey")
    unknown = ~sv["customer_id"].isin(customers["customer_id"])
    if unknown.any():
        raise CXDataError(
            f"column 'customer_id' of `survey` has {int(unknown.sum())} response(s) from "
            f"{sv.loc[unknown, 'customer_id'].nunique()} customer(s) missing from `customers` "
            f"(ids {_ids_sample(sv.loc[unknown, 'customer_id'])}); every respondent must be a customer"
        )
    miss = sv["response_date"].isna()
    if miss.any():
        raise CXDataError(f"column 'response_date' is missing in {int(miss.sum())} row(s) of `survey`")
    return sv


def _response_rows(cust: pd.DataFrame, sv: pd.DataFrame, per: float, score: str) -> pd.DataFrame:
    """One row per response, clock from the response date (responses by ``as_of`` only)."""
    carried = [c for c in _CARRIED if c in cust.columns]
    keep_cols = ["customer_id", "signup_date", "churn_date", "_end", "event"] + carried
    m = sv.merge(cust[keep_cols], on="customer_id", how="left", validate="many_to_one", suffixes=("_survey", ""))
    pre = m["response_date"] < m["signup_date"]
    if pre.any():
        raise CXDataError(
            f"column 'response_date' is before 'signup_date' in {int(pre.sum())} response(s) "
            f"(response_id {_ids_sample(m.loc[pre, 'response_id'])}): negative tenure"
        )
    post = m["response_date"] > m["_end"]
    if post.any():
        raise CXDataError(
            f"column 'response_date' is after 'churn_date' in {int(post.sum())} response(s) "
            f"(response_id {_ids_sample(m.loc[post, 'response_id'])}): negative duration to churn"
        )
    out = pd.DataFrame({"response_id": m["response_id"].to_numpy(), "customer_id": m["customer_id"].to_numpy()})
    if "quarter" in m.columns:
        out["quarter"] = m["quarter"].to_numpy()
    for c in ("response_date", "signup_date", "churn_date"):
        out[c] = m[c].to_numpy()
    out["duration"] = _in_units(m["_end"], m["response_date"], per)
    out["event"] = m["event"].to_numpy()
    out["tenure"] = _in_units(m["response_date"], m["signup_date"], per)
    for c in carried:
        out[c] = m[c].to_numpy()
    out["ltr"] = pd.to_numeric(m[score], errors="coerce").to_numpy()
    out["nps_group"] = nps_group_labels(out["ltr"])
    for c in ("osat", "ces", "weight"):
        if c in m.columns:
            out[c] = pd.to_numeric(m[c], errors="coerce").to_numpy()
    return out


def _negative_episodes(journeys: pd.DataFrame) -> pd.DataFrame:
    """customer_id and timestamp of every negative episode (valence -1)."""
    check_columns(journeys, ["customer_id", "timestamp", "valence"], argument="journeys")
    negative = (pd.to_numeric(journeys["valence"], errors="coerce") == -1).to_numpy()
    stamps = date_column(journeys, "timestamp", argument="journeys")  # aware times in UTC, naive
    return pd.DataFrame({"customer_id": journeys["customer_id"].to_numpy()[negative],
                         "timestamp": stamps.to_numpy()[negative]})


def _recent_negative(out: pd.DataFrame, journeys: pd.DataFrame, window: pd.Timedelta) -> np.ndarray:
    """1 if the customer had a negative episode in the ``window`` up to the response."""
    neg = _negative_episodes(journeys)
    j = out[["response_id", "customer_id", "response_date"]].merge(neg, on="customer_id")
    hit = (j["timestamp"] <= j["response_date"]) & (j["timestamp"] > j["response_date"] - window)
    return out["response_id"].isin(set(j.loc[hit, "response_id"])).astype(int).to_numpy()


def _reopened_tickets(out: pd.DataFrame, tickets: pd.DataFrame, window: pd.Timedelta) -> np.ndarray:
    """Tickets created in the ``window`` up to the response that were reopened at least once."""
    check_columns(tickets, ["customer_id", "created_at", "reopen_count"], argument="tickets")
    reopened = (pd.to_numeric(tickets["reopen_count"], errors="coerce") > 0).to_numpy()
    created = date_column(tickets, "created_at", argument="tickets")  # aware times in UTC, naive
    tk = pd.DataFrame({"customer_id": tickets["customer_id"].to_numpy()[reopened],
                       "created_at": created.to_numpy()[reopened]})
    j = out[["response_id", "customer_id", "response_date"]].merge(tk, on="customer_id")
    hit = (j["created_at"] <= j["response_date"]) & (j["created_at"] > j["response_date"] - window)
    n_re = j.loc[hit].groupby("response_id").size()
    return out["response_id"].map(n_re).fillna(0).astype(int).to_numpy()


def churn_table(
    customers: pd.DataFrame,
    survey: pd.DataFrame | None = None,
    *,
    as_of: Any,
    journeys: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    window_days: int = 90,
    unit: str = "months",
    score: str = "ltr",
) -> ChurnTable:
    """Build a survival table (duration, event, covariates) from the cxlib data model.

    Parameters
    ----------
    customers : pandas.DataFrame
        customer_id, signup_date, churn_date (NaT while active); plan, monthly_revenue,
        country, acquisition_channel are carried along when present.
    survey : pandas.DataFrame, optional
        Relational survey (response_id, customer_id, response_date, ``score``; osat,
        ces, quarter, weight when present). With a survey the table has one row per
        response, whose clock starts at the response date.
    as_of : date-like
        End of observation: churn after ``as_of`` is censored at ``as_of``; customers
        signed up and responses given after it are excluded (counted).
    journeys : pandas.DataFrame, optional
        Journey events (customer_id, timestamp, valence); adds ``recent_negative`` = 1 if
        the customer had a negative episode (valence -1) in the ``window_days`` up to the
        response date. Response-level tables only.
    tickets : pandas.DataFrame, optional
        Tickets (customer_id, created_at, reopen_count); adds ``reopened_tickets`` = number
        of tickets created in the ``window_days`` up to the response that were reopened
        at least once. Response-level tables only.
    window_days : int
        Look-back window for ``recent_negative`` and ``reopened_tickets``.
    unit : {"months", "weeks", "days"}
        Time unit of ``duration`` and ``tenure`` (a month is 365.25/12 days).
    score : str
        Likelihood-to-recommend column (0-10) of ``survey``.

    Returns
    -------
    ChurnTable
        ``.data`` with columns customer_id, [response_id, quarter, response_date],
        signup_date, churn_date, ``duration``, ``event`` (1 = churned by ``as_of``),
        ``tenure`` (at the start of the clock; 0 for customer rows), the carried
        customer columns and, with a survey, ``ltr``, ``nps_group`` (categorical;
        promoter first), ``osat``, ``ces``, ``weight``, ``recent_negative``,
        ``reopened_tickets``. ``.counts`` records every exclusion.

    Raises
    ------
    CXDataError
        Duplicate customer ids; missing signup dates; churn before signup; survey
        customers missing from ``customers``; responses before signup or after churn
        (negative durations). The message names the column and counts the rows.

    Notes
    -----
    Customer level: ``duration = (min(churn_date, as_of) - signup_date) / unit``.
    Response level: ``duration = (min(churn_date, as_of) - response_date) / unit`` and
    ``tenure = (response_date - signup_date) / unit``. Covariates are measured before the
    clock starts (no look-ahead). Missing survey answers stay missing (models drop and
    count them).

    Examples
    --------
    >>> import pandas as pd
    >>> cust = pd.DataFrame({"customer_id": [1, 2, 3],
    ...     "signup_date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-06-01"]),
    ...     "churn_date": pd.to_datetime(["2025-07-01", None, "2026-03-01"])})
    >>> tab = churn_table(cust, as_of="2026-01-01", unit="days")
    >>> tab.data[["customer_id", "duration", "event"]]
       customer_id  duration  event
    0            1     181.0      1
    1            2     365.0      0
    2            3     214.0      0
    >>> tab.counts["churn_after_as_of_censored"]
    1
    """
    per = _unit_days(unit)
    as_of = as_timestamp(as_of)
    cust, counts = _followed_customers(customers, as_of)
    if survey is None:
        if journeys is not None or tickets is not None:
            raise CXDataError(
                "`journeys`/`tickets` covariates are measured before each survey response; "
                "pass `survey=` too (customer-level tables carry baseline covariates only)"
            )
        out = _customer_rows(cust, per)
        counts["rows"] = int(len(out))
        return ChurnTable(out, counts, as_of, unit, "customer")
    sv = _checked_responses(survey, customers, score)
    counts["responses"] = int(len(sv))
    after = sv["response_date"] > as_of
    counts["responses_after_as_of"] = int(after.sum())
    # responses of customers who signed up after as_of are necessarily after as_of too
    out = _response_rows(cust, sv.loc[~after], per, score)
    counts["responses_missing_score"] = int(out["ltr"].isna().sum())
    window = pd.Timedelta(days=window_days)
    if journeys is not None:
        out["recent_negative"] = _recent_negative(out, journeys, window)
    if tickets is not None:
        out["reopened_tickets"] = _reopened_tickets(out, tickets, window)
    counts["rows"] = int(len(out))
    return ChurnTable(out, counts, as_of, unit, "response")


# ---------------------------------------------------------------------------- churn_spells
def _next_quarter_start(ts: pd.Series) -> pd.Series:
    return (ts.dt.to_period("Q") + 1).dt.start_time


def _check_spell_options(until: str, episode_window: Any) -> None:
    check_choice(until, ("next_response", "quarter_end"), argument="until")
    if episode_window is not None and episode_window != "quarter" and (
        isinstance(episode_window, (bool, str)) or int(episode_window) != episode_window or episode_window < 1
    ):
        raise CXDataError(
            f"`episode_window`={episode_window!r} must be 'quarter', a whole number of days >= 1, or None"
        )


def _spells_between_responses(base: ChurnTable, until: str) -> tuple[pd.DataFrame, int, int]:
    """Each response's spell: ``_start_date`` (the response) to ``_stop_date``, with its event.

    Returns the spells and the counts of same-day responses and zero-length spells dropped.
    """
    d = base.data.sort_values(["customer_id", "response_date", "response_id"], kind="mergesort")
    same_day = d.duplicated(["customer_id", "response_date"], keep="last")
    d = d.loc[~same_day].copy()
    end = d["churn_date"].where(d["event"] == 1, base.as_of)
    nxt = d.groupby("customer_id", sort=False)["response_date"].shift(-1)
    stop_date = nxt.where(nxt.notna(), end)
    churns = nxt.isna() & (d["event"] == 1)
    if until == "quarter_end":
        q_end = _next_quarter_start(d["response_date"])
        closed = q_end < stop_date
        stop_date = stop_date.where(~closed, q_end)
        churns &= ~closed
    d["_start_date"] = d["response_date"]
    d["_stop_date"] = stop_date
    d["event"] = churns.astype(int).to_numpy()
    zero = (d["_stop_date"] <= d["_start_date"]).to_numpy()
    return d.loc[~zero].copy(), int(same_day.sum()), int(zero.sum())


def _episode_windows(journeys: pd.DataFrame, episode_window: str | int) -> pd.DataFrame:
    """Negative episodes with ``_until``, the end of the window in which they raise the hazard."""
    neg = _negative_episodes(journeys)
    neg["_until"] = (
        _next_quarter_start(neg["timestamp"]) if episode_window == "quarter"
        else neg["timestamp"] + pd.Timedelta(days=int(episode_window))
    )
    return neg


def _split_at_episodes(d: pd.DataFrame, neg: pd.DataFrame) -> pd.DataFrame:
    """Cut every spell where an episode window opens or closes; flag ``negative_episode``.

    Only the last piece of a spell keeps its event.
    """
    d = d.copy()
    d["_row"] = np.arange(len(d))
    rows = d[["_row", "customer_id", "_start_date", "_stop_date"]]
    j = rows.merge(neg, on="customer_id")
    pts = pd.concat(
        [
            rows[["_row"]].assign(_t=rows["_start_date"]),
            rows[["_row"]].assign(_t=rows["_stop_date"]),
            j[["_row"]].assign(_t=j["timestamp"]),
            j[["_row"]].assign(_t=j["_until"]),
        ],
        ignore_index=True,
    ).merge(rows[["_row", "_start_date", "_stop_date"]], on="_row")
    pts = pts.loc[(pts["_t"] >= pts["_start_date"]) & (pts["_t"] <= pts["_stop_date"]), ["_row", "_t"]]
    pts = pts.drop_duplicates().sort_values(["_row", "_t"], kind="mergesort")
    pts["_t2"] = pts.groupby("_row", sort=False)["_t"].shift(-1)
    pieces = pts.dropna(subset=["_t2"])
    pieces = pieces.loc[pieces["_t2"] > pieces["_t"]]
    # episode windows covering each piece
    pc = pieces.merge(rows[["_row", "customer_id"]], on="_row").merge(neg, on="customer_id")
    cov = pc.loc[(pc["timestamp"] <= pc["_t"]) & (pc["_until"] >= pc["_t2"]), ["_row", "_t"]].drop_duplicates()
    cov["negative_episode"] = 1
    pieces = pieces.merge(cov, on=["_row", "_t"], how="left")
    pieces["negative_episode"] = pieces["negative_episode"].fillna(0).astype(int)
    d = d.drop(columns=["_start_date", "_stop_date"]).merge(
        pieces.rename(columns={"_t": "_start_date", "_t2": "_stop_date"}), on="_row"
    )
    d = d.sort_values(["customer_id", "_start_date"], kind="mergesort")
    last_piece = d["_stop_date"].eq(d.groupby("_row")["_stop_date"].transform("max"))
    d["event"] = np.where(last_piece, d["event"], 0).astype(int)
    return d.drop(columns="_row")


def churn_spells(
    customers: pd.DataFrame,
    survey: pd.DataFrame,
    *,
    as_of: Any,
    journeys: pd.DataFrame | None = None,
    tickets: pd.DataFrame | None = None,
    window_days: int = 90,
    unit: str = "months",
    score: str = "ltr",
    until: str = "next_response",
    episode_window: str | int | None = "quarter",
) -> ChurnTable:
    """Start/stop (counting-process) rows from successive survey waves, for time-varying Cox.

    Each response opens a spell on the tenure clock (time since signup) that runs to the
    customer's next response, or to churn / ``as_of`` after the last one
    (``until="quarter_end"`` closes it at the end of the response's calendar quarter
    instead, so that a covariate is only used in the quarter it describes). The
    covariates of a spell are those measured at its opening response; ``event`` is 1
    only on the spell that ends in churn. Customers enter the risk set at their first
    response (delayed entry, handled by the start/stop form). With ``journeys``, spells
    are also split where a negative episode (valence -1) starts and where its effect
    window ends, and ``negative_episode`` is the time-varying indicator "inside the
    window of a negative episode".

    Parameters
    ----------
    customers, survey, as_of, tickets, window_days, unit, score
        As in :func:`churn_table`.
    journeys : pandas.DataFrame, optional
        As in :func:`churn_table` (adds ``recent_negative``, measured at the response),
        and the source of the time-varying ``negative_episode``.
    until : {"next_response", "quarter_end"}
        Where a spell stops (besides churn and ``as_of``): at the customer's next
        response, or at the earlier of that and the end of the response's quarter (the
        customer is then out of the risk set until her next response).
    episode_window : "quarter", int or None
        How long a negative episode raises the hazard: ``"quarter"`` = from the episode
        to the end of its calendar quarter (how :func:`cxlib.synthesize` plants it); an
        integer = that many days from the episode; ``None`` = no splitting and no
        ``negative_episode`` column.

    Returns
    -------
    ChurnTable
        ``.data`` adds ``start`` and ``stop`` (tenure, in ``unit``) and, with
        ``journeys``, ``negative_episode`` (0/1) to the response-level columns;
        ``.counts`` adds ``same_day_responses_dropped`` (a customer's earlier
        responses on the same date as a later one), ``zero_length_spells_dropped``
        (a response on the churn date itself) and ``episode_splits`` (rows added by
        splitting at episode boundaries).

    Raises
    ------
    CXDataError
        As :func:`churn_table`; an unknown ``until`` or a bad ``episode_window``.

    Notes
    -----
    Use with ``churn_drivers(table, duration="stop", start="start", event="event",
    id_col="customer_id", ...)``, which fits lifelines' ``CoxTimeVaryingFitter``.
    Splitting a spell changes no covariate but ``negative_episode``, so the likelihood
    is that of the unsplit data when the indicator is left out.

    Examples
    --------
    >>> import pandas as pd
    >>> cust = pd.DataFrame({"customer_id": [1], "signup_date": pd.to_datetime(["2025-01-01"]),
    ...                      "churn_date": pd.to_datetime(["2025-12-27"])})
    >>> sv = pd.DataFrame({"response_id": [10, 11], "customer_id": [1, 1], "ltr": [9, 3],
    ...     "response_date": pd.to_datetime(["2025-03-01", "2025-09-28"])})
    >>> churn_spells(cust, sv, as_of="2026-01-01", unit="days").data[["start", "stop", "event", "nps_group"]]
       start   stop  event  nps_group
    0   59.0  270.0      0   promoter
    1  270.0  360.0      1  detractor
    >>> jr = pd.DataFrame({"customer_id": [1], "timestamp": pd.to_datetime(["2025-11-01"]), "valence": [-1]})
    >>> churn_spells(cust, sv, as_of="2026-01-01", unit="days",
    ...              journeys=jr).data[["start", "stop", "event", "negative_episode"]]
       start   stop  event  negative_episode
    0   59.0  270.0      0                 0
    1  270.0  304.0      0                 0
    2  304.0  360.0      1                 1
    >>> churn_spells(cust, sv, as_of="2026-01-01", unit="days",
    ...              until="quarter_end").data[["start", "stop", "event"]]
       start   stop  event
    0   59.0   90.0      0
    1  270.0  273.0      0
    """
    _check_spell_options(until, episode_window)
    base = churn_table(
        customers, survey, as_of=as_of, journeys=journeys, tickets=tickets,
        window_days=window_days, unit=unit, score=score,
    )
    d, n_same_day, n_zero = _spells_between_responses(base, until)
    n_before = len(d)
    if journeys is not None and episode_window is not None:
        d = _split_at_episodes(d, _episode_windows(journeys, episode_window))
    per = UNIT_DAYS[unit]
    d["start"] = _in_units(d["_start_date"], d["signup_date"], per)
    d["stop"] = _in_units(d["_stop_date"], d["signup_date"], per)
    d = d.drop(columns=["_start_date", "_stop_date"])
    zero = d["stop"] <= d["start"]
    d = d.loc[~zero].reset_index(drop=True)
    counts = dict(base.counts)
    counts["same_day_responses_dropped"] = n_same_day
    counts["episode_splits"] = int(len(zero) - n_before)
    counts["zero_length_spells_dropped"] = int(n_zero + zero.sum())
    counts["rows"] = int(len(d))
    return ChurnTable(d, counts, base.as_of, unit, "spell")
