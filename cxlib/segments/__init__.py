"""Customer segments, one method family per module.

- :mod:`~cxlib.segments.rules` — rule-based segments from documented cut-offs:
  :func:`~cxlib.segments.rules.rfm` (and :data:`~cxlib.segments.rules.RFM_SEGMENT_MAP`),
  :func:`~cxlib.segments.rules.value_tiers`, :func:`~cxlib.segments.rules.tenure_bands`,
  :func:`~cxlib.segments.rules.nps_groups`;
- :mod:`~cxlib.segments.attitudinal` — needs-based segments clustered from driver ratings
  (k-means or a Gaussian mixture), the choice of k, bootstrap stability, descriptive names;
- :mod:`~cxlib.segments.profile` — segments against the total (means and shares, index,
  tests against the rest of the sample, one FDR family);
- :mod:`~cxlib.segments.styles` — response styles per group and within-group standardisation;
- :mod:`~cxlib.segments.style_adjust` — country (language, market) comparisons raw and
  adjusted for response styles, with a test of each and the rankings;
- :mod:`~cxlib.segments.compare` — survey metrics and churn per segment
  (scorecard, outcomes) and the association of membership with a grouping column.

Charts are in :mod:`cxlib.viz.segments`, sentences, key figures and display tables in
:mod:`cxlib.report.findings.segments`. Users call the functions as ``cx.<name>``; result
classes are imported from their modules (``from cxlib.segments.attitudinal import
AttitudinalSegments``). Nothing here imports matplotlib or writes sentences.
"""
