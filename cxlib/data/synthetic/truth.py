"""The planted truth of the synthetic dataset: :class:`PlantedTruth` and how it is computed.

:func:`planted_truth` collects every parameter of :mod:`.parameters` the generator used
and the values realised in its whole simulated population (latent NPS by quarter,
country and plan; churn by group; the exact relative importance of the drivers; the
hazard ratios a survey-based churn model can identify). It draws no random numbers.
``data/README.md`` documents each field.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from itertools import combinations
from math import factorial
from typing import Any

import numpy as np
import pandas as pd

from ...errors import CXDataError
from ..schema import DRIVERS
from . import parameters as P


@dataclass(frozen=True, eq=False)
class PlantedTruth:
    """The structure planted by :func:`cxlib.synthesize`, every number in one place.

    All fields but ``customer_segments`` are JSON-able dicts/lists (see ``to_dict``);
    ``customer_segments`` is a DataFrame ``customer_id -> segment`` (the latent
    attitudinal segment of every customer). ``data/README.md`` documents each field.
    """

    generator_version: str
    seed: int
    parameters: dict
    quarters: list
    segments: dict
    drivers: dict
    asymmetric_driver: dict
    satisfaction_to_ltr: dict
    negative_episode: dict
    churn: dict
    touchpoint_csat: dict
    country_styles: dict
    nps_drop: dict
    incident: dict
    seasonality: dict
    survey_design: dict
    realized: dict
    episode_recovery: dict
    peak_end: dict
    channel_switching: dict
    customer_segments: pd.DataFrame = dataclasses.field(repr=False)

    def to_dict(self) -> dict:
        """Every field except the per-customer segment table, as JSON-able values."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "customer_segments"}
        return json.loads(json.dumps(out))  # deep copy, and proves it is JSON-able

    @classmethod
    def from_dict(cls, d: dict, customer_segments: pd.DataFrame) -> PlantedTruth:
        """Rebuild from :meth:`to_dict` output and the segment table."""
        names = [f.name for f in dataclasses.fields(cls) if f.name != "customer_segments"]
        missing = [n for n in names if n not in d]
        if missing:
            raise CXDataError(
                f"truth is missing field(s) {missing} (written by generator {d.get('generator_version')!r}, "
                f"this is {P.GENERATOR_VERSION!r}); delete the dataset directory to regenerate it")
        return cls(**{n: d[n] for n in names}, customer_segments=customer_segments)

    def segment_of(self, customer_id: Any) -> pd.Series:
        """The latent segment of each ``customer_id`` (NaN for unknown ids)."""
        lookup = self.customer_segments.set_index("customer_id")["segment"]
        ids = pd.Series(np.asarray(customer_id))
        return ids.map(lookup).rename("segment")


# ----------------------------------------------------------------------------- computation
def planted_truth(
    *,
    seed: int,
    n_customers: int,
    quarters: int,
    end_quarter: str,
    labels: list[str],
    incident_k: int,
    drop_k: int,
    population: pd.DataFrame,
    customer_segments: pd.DataFrame,
    ratings: np.ndarray,
    satisfaction: np.ndarray,
    waves: dict,
    observable: pd.DataFrame,
    responses: pd.DataFrame,
    touchpoint_days: pd.DataFrame,
) -> PlantedTruth:
    """Assemble the :class:`PlantedTruth` of one generator run.

    Parameters
    ----------
    seed, n_customers, quarters, end_quarter
        The arguments of :func:`~cxlib.data.synthetic.generator.synthesize`.
    labels : list of str
        The simulated quarters, oldest first.
    incident_k, drop_k : int
        Positions in ``labels`` of the incident quarter and of the planted NPS drop (-1: none).
    population : pandas.DataFrame
        One row per active customer-quarter (``k``, ``country``, ``plan``, ``seg``,
        ``group``, ``churned``, ``exposure_months``, ``asym_low``, ``asym_top``,
        ``had_ticket``, ``sz`` …; categories as codes).
    customer_segments : pandas.DataFrame
        ``customer_id -> segment``.
    ratings, satisfaction : numpy.ndarray
        True driver ratings and latent satisfaction of every customer-quarter (for the
        population relative importance).
    waves : dict
        Per quarter: eligible, invited and responded counts.
    observable : pandas.DataFrame
        Exposure records on the survey's scale (see :func:`_observable_churn`).
    responses : pandas.DataFrame
        The survey responses (before duplicates) with the generator's private columns
        (episode status and counterfactual answers by lag, switching, touchpoint counts).
    touchpoint_days : pandas.DataFrame
        Every touchpoint survey (experience ``_e``, switching counterfactual ``_d_csat_switch``).
    """
    lmg = _lmg(np.corrcoef(np.column_stack([ratings, satisfaction]), rowvar=False))
    pop_imp = dict(zip(DRIVERS, (lmg / lmg.sum()).round(4).tolist(), strict=True))
    drop_change = None
    if drop_k >= 1:
        pl = P.PLANS.index(P.NPS_DROP_PLAN)
        a = population.loc[(population["k"] == drop_k) & (population["plan"] == pl), "group"]
        b = population.loc[(population["k"] == drop_k - 1) & (population["plan"] == pl), "group"]
        drop_change = round(_nps(a) - _nps(b), 2)
    return PlantedTruth(
        generator_version=P.GENERATOR_VERSION,
        seed=int(seed),
        parameters={"n_customers": int(n_customers), "quarters": int(quarters), "end_quarter": end_quarter},
        quarters=list(labels),
        segments=_segments(customer_segments),
        drivers=_drivers(pop_imp),
        churn={
            "monthly_hazard_promoter_standard_plan": P.CHURN_H0,
            "hazard_ratio_by_nps_group": dict(P.CHURN_HR_GROUP),
            "hazard_ratio_by_plan": dict(P.CHURN_HR_PLAN),
            "nps_group_definition": "group of the style-free (true) ltr of the current quarter, the latent score the survey ltr is generated from",
            "observable": _observable_churn(observable),
        },
        nps_drop={
            "plan": P.NPS_DROP_PLAN, "quarter": labels[drop_k] if drop_k >= 0 else None,
            "satisfaction_shift": P.NPS_DROP_SHIFT, "latent_nps_change_vs_previous_quarter": drop_change,
        },
        incident={"quarter": labels[incident_k] if incident_k >= 0 else None, "driver": P.INCIDENT_DRIVER,
                  "latent_shift": P.INCIDENT_SHIFT, "ticket_rate_multiplier": P.INCIDENT_TICKET_MULT,
                  "reopen_multiplier": P.INCIDENT_REOPEN_MULT},
        realized=_realized(population, labels, waves),
        episode_recovery=_episode_recovery(population, responses),
        peak_end=_peak_end(responses),
        channel_switching=_channel_switching(responses, touchpoint_days),
        customer_segments=customer_segments,
        **_fixed_parameters(),
    )


def _segments(customer_segments: pd.DataFrame) -> dict:
    return {
        "names": list(P.SEGMENTS),
        "share_at_window_start": dict(zip(P.SEGMENTS, P.SEGMENT_SHARE_START, strict=True)),
        "share_of_signups_at_window_end": dict(zip(P.SEGMENTS, P.SEGMENT_SHARE_END, strict=True)),
        "driver_profiles_latent": {s: dict(zip(DRIVERS, P.SEGMENT_PROFILE[i].round(4).tolist(), strict=True))
                                   for i, s in enumerate(P.SEGMENTS)},
        "person_sd": P.PERSON_SD, "halo_sd": P.HALO_SD, "driver_noise_sd": P.DRIVER_NOISE_SD,
        "driver_cuts": P.DRIVER_CUTS.tolist(),
        "counts": {str(k): int(v) for k, v in customer_segments["segment"].value_counts().sort_index().items()},
    }


def _drivers(pop_imp: dict) -> dict:
    return {
        "weights": dict(P.DRIVER_WEIGHTS),
        "ranking_by_weight": sorted(P.DRIVER_WEIGHTS, key=P.DRIVER_WEIGHTS.get, reverse=True),
        "population_relative_importance": pop_imp,
        "population_ranking": sorted(pop_imp, key=pop_imp.get, reverse=True),
        "satisfaction_noise_sd": P.SAT_NOISE_SD,
        "satisfaction_standardisation": {"mean": P.SAT_MEAN, "sd": P.SAT_SD},
        "osat_cuts_on_standardised_satisfaction": P.OSAT_CUTS.tolist(),
    }


def _fixed_parameters() -> dict[str, dict]:
    """The truth fields that only restate parameters (the same for every run)."""
    return {
        "asymmetric_driver": {
            "driver": P.ASYM_DRIVER, "low_ratings": [1, 2], "penalty": P.ASYM_PENALTY, "high_ratings": [5],
            "reward": P.ASYM_REWARD, "linear_weight": P.DRIVER_WEIGHTS[P.ASYM_DRIVER],
            "coding": "penalty/reward added to latent satisfaction when the true (style-free) rating is 1-2 / 5",
        },
        "satisfaction_to_ltr": {
            "intercept": P.LTR_INTERCEPT, "slope_per_sd": P.LTR_SLOPE, "noise_sd": P.LTR_NOISE_SD,
            "person_sd": P.LTR_PERSON_SD, "angry_zero_below": P.LTR_ANGRY_BELOW, "angry_zero_probability": P.LTR_ANGRY_P,
        },
        "negative_episode": {
            "touchpoints": [tp for _, tp, _ in P.NEG_EPISODE_KINDS], "valence": -1,
            "probability_per_quarter": P.NEG_EPISODE_P, "probability_in_incident_quarter": P.NEG_EPISODE_P_INCIDENT,
            "days_into_quarter": [int(d) for d in P.EPISODE_DAYS], "satisfaction_effect": P.NEG_EPISODE_SAT,
            "satisfaction_effect_sd_units": round(P.NEG_EPISODE_SAT / P.SAT_SD, 4),
            "churn_hazard_ratio_after_episode": P.NEG_EPISODE_HR, "ticket_rate_multiplier": P.NEG_EPISODE_TICKET_MULT,
            "positive_episode": {"touchpoints": ["feature_adopted", "proactive_help"],
                                 "probability_per_quarter": P.POS_EPISODE_P,
                                 "satisfaction_effect": P.POS_EPISODE_SAT, "churn_effect": "none (only via NPS group)"},
        },
        "touchpoint_csat": {
            "intercept": P.TP_INTERCEPT, "slope_per_sd_satisfaction": P.TP_SLOPE, "noise_sd": P.TP_NOISE_SD,
            "reopen_effect_per_reopen": P.TP_REOPEN_EFFECT, "cuts": P.CSAT_CUTS.tolist(),
            "ticket_survey_probability": P.TICKET_SURVEY_P,
        },
        "country_styles": {
            "shift_sd_units": dict(P.COUNTRY_SHIFT), "spread": dict(P.COUNTRY_SPREAD),
            "ltr_points_per_sd_unit": P.LTR_STYLE_SD, "true_latent_difference": 0.0,
            "shares": dict(zip(P.COUNTRIES, P.COUNTRY_SHARES, strict=True)),
        },
        "seasonality": {
            "satisfaction_shift_by_calendar_quarter": {f"Q{q}": v for q, v in P.SEASON_SAT.items()},
            "ticket_rate_multiplier_by_calendar_quarter": {f"Q{q}": v for q, v in P.SEASON_TICKETS.items()},
        },
        "survey_design": {
            "invite_base_probability": P.INVITE_BASE, "invite_multiplier_by_plan": dict(P.INVITE_MULT_PLAN),
            "invite_multiplier_by_country": dict(P.INVITE_MULT_COUNTRY), "response_base_probability": P.RESPONSE_BASE,
            "response_multiplier_by_segment": dict(P.RESPONSE_MULT_SEGMENT),
            "response_multiplier_by_country": dict(P.RESPONSE_MULT_COUNTRY), "field_days": list(P.FIELD_DAYS),
            "weights": "post-stratified to eligible customers by country x plan, mean 1 per wave",
            "duplicate_probability": P.DUPLICATE_P, "comment_probability": dict(P.COMMENT_P),
        },
    }


def _realized(pop: pd.DataFrame, labels: list[str], waves: dict) -> dict:
    """Values realised in the whole simulated population (latent, no survey noise)."""
    plan_names = np.array(P.PLANS)
    by_k = pop.groupby("k")
    low, top = pop.loc[pop["asym_low"], "sz"].mean(), pop.loc[pop["asym_top"], "sz"].mean()
    return {
        "survey_waves": waves,
        "latent_nps_by_quarter": {labels[k]: round(_nps(d["group"]), 2) for k, d in by_k},
        "latent_nps_by_country": {P.COUNTRIES[c]: round(_nps(d["group"]), 2) for c, d in pop.groupby("country")},
        "latent_nps_by_plan_and_quarter": {
            labels[k]: {str(plan_names[p]): round(_nps(d["group"]), 2) for p, d in dk.groupby("plan")}
            for k, dk in by_k
        },
        "monthly_churn_overall": float(pop["churned"].sum() / pop["exposure_months"].sum()),
        "monthly_churn_by_country": {
            P.COUNTRIES[c]: float(d["churned"].sum() / d["exposure_months"].sum()) for c, d in pop.groupby("country")
        },
        "monthly_churn_by_latent_nps_group": {
            P.NPS_GROUPS[g]: float(d["churned"].sum() / d["exposure_months"].sum()) for g, d in pop.groupby("group")
        },
        "segment_share_by_quarter": {
            labels[k]: {P.SEGMENTS[s]: round(float(v), 4)
                        for s, v in d["seg"].value_counts(normalize=True).sort_index().items()}
            for k, d in by_k
        },
        "ticket_contact_share_by_quarter": {labels[k]: round(float(d["had_ticket"].mean()), 4) for k, d in by_k},
        "standardised_satisfaction_mean_sd": [round(float(pop["sz"].mean()), 4), round(float(pop["sz"].std()), 4)],
        "mean_std_satisfaction_by_asym_rating": {"low_1_2": round(float(low), 4), "top_5": round(float(top), 4)},
    }


def _episode_recovery(pop: pd.DataFrame, sv: pd.DataFrame) -> dict:
    """The recovery profile and its realised effects on the observed scales, by lag.

    ``observed`` holds, per quarters since the episode (lag) and follow-up status, the
    mean difference between what happened and the counterfactual without that episode
    (everything else equal, no new draws): reported osat and ltr over the survey
    responses (the sample a within-customer survey model uses; osat includes the
    peak-end memory of the episode's touchpoints at lag 0), and the churn probability
    within the quarter over all active customer-quarters.
    """
    lags = len(P.RECOVERY_PROFILE)
    observed: dict[str, dict] = {}
    for name, status in (("without_followup", [1]), ("with_followup", [2]), ("all", [1, 2])):
        rows = {}
        for lag in range(lags + 1):
            if lag == lags:  # recovered: no effect left by construction
                rows[str(lag)] = {"osat": 0.0, "ltr": 0.0, "churn_probability": 0.0, "n_responses": None,
                                  "n_customer_quarters": None}
                continue
            r = sv.loc[sv[f"_status{lag}"].isin(status)]
            pp = pop.loc[pop[f"status{lag}"].isin(status)]
            rows[str(lag)] = {
                "osat": _round(r[f"_d_osat{lag}"].mean()), "ltr": _round(r[f"_d_ltr{lag}"].mean()),
                "churn_probability": _round(pp[f"d_churn{lag}"].mean(), 6),
                "n_responses": len(r), "n_customer_quarters": len(pp),
            }
        observed[name] = rows
    profile = {"without_followup": list(P.RECOVERY_PROFILE), "with_followup": list(P.RECOVERY_PROFILE_FOLLOWUP)}
    return {
        "satisfaction_effect_at_lag_0": P.NEG_EPISODE_SAT,
        "share_of_effect_remaining_by_lag": profile,
        "latent_effect_by_lag": {k: [round(P.NEG_EPISODE_SAT * x, 4) for x in v] for k, v in profile.items()},
        "quarters_until_recovered": {k: next((i for i, x in enumerate(v) if i > 0 and x == 0), len(v))
                                     for k, v in profile.items()},
        "followup": {"touchpoint": P.FOLLOWUP_TOUCHPOINT[1], "channel": P.FOLLOWUP_TOUCHPOINT[2],
                     "probability": P.FOLLOWUP_P, "days_after_episode": list(P.FOLLOWUP_DELAY_DAYS)},
        "churn": "hazard x NEG_EPISODE_HR from the episode to its quarter's end; later quarters only via the NPS group",
        "observed": observed,
    }


def _peak_end(sv: pd.DataFrame) -> dict:
    n_tp = sv["_n_tp"]
    return {
        "weight_worst": P.PEAK_END_WORST, "weight_last": P.PEAK_END_LAST, "weight_mean": 0.0,
        "applies_to": "reported osat only (a memory effect): latent satisfaction, ltr and churn are unaffected",
        "experience": "latent touchpoint csat - intercept - slope * Sz (event, reopen and switch effects + noise)",
        "touchpoints": "the customer's touchpoint surveys of the quarter dated before the response",
        "responses_with_touchpoints": {"1": int((n_tp == 1).sum()), "2+": int((n_tp >= 2).sum()),
                                       "all": len(n_tp)},
        "event_survey_probability": dict(P.EVENT_SURVEY_P),
        "event_csat_effect": dict(P.EVENT_CSAT_EFFECT),
    }


def _channel_switching(sv: pd.DataFrame, tp: pd.DataFrame) -> dict:
    sw_tp = tp.loc[tp["_effect"].to_numpy(float) == P.SWITCH_CSAT_EFFECT]
    sw_sv = sv.loc[sv["_switch"].to_numpy(bool)]
    return {
        "definition": "a ticket with 2+ contacts moves to another channel and is resolved there "
                      "(journeys: ticket_opened and ticket_resolved in different channels)",
        "probability_given_multiple_contacts": P.SWITCH_P_MULTI_CONTACT,
        "touchpoint_csat_latent_effect": P.SWITCH_CSAT_EFFECT,
        "effort_latent_penalty": P.SWITCH_CES_PENALTY,
        "observed": {
            "ticket_csat_change": _round(sw_tp["_d_csat_switch"].mean()), "n_ticket_surveys": len(sw_tp),
            "ces_change": _round(sw_sv["_d_ces_switch"].mean()), "n_responses": len(sw_sv),
            "note": "mean of (answer - answer without the switch) over switched tickets' surveys / respondents "
                    "with a switched ticket that quarter",
        },
    }


def _round(x: float, digits: int = 4) -> float | None:
    return None if not np.isfinite(x) else round(float(x), digits)


def _nps(groups: pd.Series) -> float:
    g = np.asarray(groups)
    return float(100.0 * ((g == 2).mean() - (g == 0).mean())) if g.size else float("nan")


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
    out = np.zeros(p)
    for j in range(p):
        others = [i for i in range(p) if i != j]
        for k in range(p):
            wt = factorial(k) * factorial(p - k - 1) / factorial(p)
            for S in combinations(others, k):
                out[j] += wt * (cache[tuple(sorted(S + (j,)))] - cache[S])
    return out


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


def _design_matrix(cells: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Columns of the working churn model: reference promoter, standard plan, US, no episode."""
    cols = [np.ones(len(cells))]
    names = ["const"]
    for g, lab in ((0, "detractor"), (1, "passive")):  # promoter (2) is the reference
        cols.append((cells["group"] == g).to_numpy(float))
        names.append(f"nps_group[{lab}]")
    for p in range(len(P.PLANS)):
        if P.PLANS[p] != "standard":
            cols.append((cells["plan"] == p).to_numpy(float))
            names.append(f"plan[{P.PLANS[p]}]")
    for c in range(1, len(P.COUNTRIES)):  # US is the reference
        cols.append((cells["country"] == c).to_numpy(float))
        names.append(f"country[{P.COUNTRIES[c]}]")
    cols.append(cells["neg"].to_numpy(float))
    names.append("negative_episode")
    return np.column_stack(cols), names


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
    X, names = _design_matrix(cells)
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
            lab: round(float(crude.get(g, np.nan)), 5) for g, lab in enumerate(P.NPS_GROUPS)},
        "realised_events_hazard_ratios": {k: v for k, v in real.items() if k != "const"},
        "realised_events_std_err_log_detractor": round(float(se_real[1]), 4) if ok_real else None,
        "exposure_months": round(float(t.sum()), 1),
        "events": int(cells["events"].sum()),
    }
