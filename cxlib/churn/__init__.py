"""Churn: how many customers leave, when, and what goes with it.

- :mod:`cxlib.churn.rates` — calendar churn rates (:func:`churn_rate`), signup-cohort
  retention (:func:`cohort_retention`), the churn hazard per unit of time at risk
  (:func:`churn_hazard_by_group`) and the customers at risk at the start of each quarter
  (:func:`customers_at_risk`);
- :mod:`cxlib.churn.tables` — survival tables built from the data model: one row per
  customer or response (:func:`churn_table`) or start/stop rows (:func:`churn_spells`);
- :mod:`cxlib.churn.models` — Cox (and logistic) churn-driver models (:func:`churn_drivers`);
- :mod:`cxlib.churn.diagnostics` — the checks before a model is fitted and the warnings
  read off it afterwards (separation, proportional hazards) as plain sentences.

Survival curves live in :mod:`cxlib.survival`, lifetime value and revenue at risk in
:mod:`cxlib.value`. Nothing here imports matplotlib or writes findings (a model result carries
its warnings as short sentences, so that no reader misses them).
"""
