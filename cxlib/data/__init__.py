"""The data layer: what a CX dataset is, how it is stored, prepared and simulated.

- :mod:`~cxlib.data.calendar` — quarter arithmetic (``"2026Q3"``): parse, step, bounds,
  the quarter of a date, the latest quarter of a dataset;
- :mod:`~cxlib.data.schema` — the :class:`~cxlib.data.schema.CXData` container, the
  tables' columns and dtypes (``SCHEMA``, ``DRIVERS``, ``TABLES``) and their checks;
- :mod:`~cxlib.data.store` — datasets on disk (Parquet tables, truth, manifest; atomic
  writes), ``ensure_dataset`` and the data fingerprint;
- :mod:`~cxlib.data.roles` — which column plays which part (a study's roles, labels and
  scales, or the synthetic schema's): :class:`~cxlib.data.roles.StudyRoles`;
- :mod:`~cxlib.data.prepare` — de-duplicating survey responses, restricting a dataset
  to one customer segment;
- :mod:`~cxlib.data.synthetic` — the synthetic dataset: parameters, generator, planted truth.

Nothing here imports the analysis layers (``cxlib.metrics`` and above), and no module
outside ``synthetic`` imports the generator at import time: ``store`` imports it only
where ``ensure_dataset`` generates data or ``load_dataset`` restores a planted truth.
"""

from __future__ import annotations

from .schema import DRIVERS as DRIVERS
from .schema import CXData as CXData
from .store import default_data_dir as default_data_dir
from .store import load_dataset as load_dataset
