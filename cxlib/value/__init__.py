"""Customer value: what a customer is worth and what churn puts at risk.

- :mod:`cxlib.value.clv` — probabilistic CLV models fitted to transaction histories:
  BG/NBD (repeat purchasing) and Gamma-Gamma (spend per transaction), with their
  log-likelihoods;
- :mod:`cxlib.value.revenue` — the transparent geometric-lifetime CLV
  (:func:`~cxlib.value.revenue.simple_clv`) and the revenue expected to be lost to churn
  (:func:`~cxlib.value.revenue.revenue_at_risk`).
"""
