"""The rest of the metric core on data held by another engine (polars, pyarrow, DuckDB, Spark).

:mod:`cxlib.engines` runs the survey metrics inside the engine that holds the rows; this
package does the same for the operational and behavioural counts, each time computing
only a small table in the engine and finishing with the pandas path's own estimator:

- :mod:`~cxlib.engine_ops.common` — shared pieces: collecting a query, date columns,
  group keys in the pandas order;
- :mod:`~cxlib.engine_ops.categories` — the survey metrics' proportions and NPS on DuckDB
  and polars, from one aggregation grouped by the score's values or each row's category;
- :mod:`~cxlib.engine_ops.cross_products` — the weighted cross-product matrix that key drivers
  start from (:func:`cxlib.weighted_correlation`), one SQL string on Spark and DuckDB;
- :mod:`~cxlib.engine_ops.helpdesk` — reopen rate and first-contact resolution (solved and
  hit counts per group), first-response and resolution time quantiles (only the order
  statistics they read, ranked in the engine);
- :mod:`~cxlib.engine_ops.churn` — customers at risk, churned and new per group and period
  (:func:`cxlib.churn_rate`);
- :mod:`~cxlib.engine_ops.crosstab` — per-cell counts, Σw and Σw² (and the moments of rated
  questions) of a banner table (:func:`cxlib.crosstab`);
- :mod:`~cxlib.engine_ops.journeys` — the directly-follows counts of an event log, journeys
  cut in the engine with window functions (:func:`cxlib.directly_follows`);
- :mod:`~cxlib.engine_ops.paths` — the most frequent paths (variants): the same journeys,
  each journey's path written by the engine's ordered string aggregation, the variants
  counted there (:func:`cxlib.path_variants`).

The pandas modules dispatch here at the entry of each function (``if is_engine_frame(data)``);
the modules here import the pandas modules' estimators, never the other way round at
module level.
"""
