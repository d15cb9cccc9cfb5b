"""The synthetic CX dataset with planted, documented truth (``data/README.md``).

- :mod:`~cxlib.data.synthetic.parameters` — every number the generator uses;
- :mod:`~cxlib.data.synthetic.generator` — :func:`synthesize`, the simulation in named steps;
- :mod:`~cxlib.data.synthetic.episodes` — the generator-1.1 additions around journey episodes
  (recovery, follow-ups, event surveys, the peak-end memory);
- :mod:`~cxlib.data.synthetic.scales` — latent values to answers (cuts, response styles);
- :mod:`~cxlib.data.synthetic.truth` — :class:`~cxlib.data.synthetic.truth.PlantedTruth`
  and how the generator computes it.
"""

from __future__ import annotations

from .generator import synthesize as synthesize
