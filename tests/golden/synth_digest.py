"""A content digest of ``cx.synthesize`` output, independent of file formats.

Each table is hashed row by row with ``pandas.util.hash_pandas_object`` (values and
index), together with its column names and dtypes; the planted truth is hashed from its
JSON form and its customer-segment table. Used by ``tests/test_golden.py`` to pin the
generator: a refactor must leave this digest unchanged; a deliberate change of the
generator bumps ``GENERATOR_VERSION`` and the pinned value together.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd

TABLES = ("customers", "survey", "tickets", "touchpoints", "journeys")


def frame_digest(frame: pd.DataFrame) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()[:16]


def dataset_digest(data) -> dict[str, str]:
    out = {t: frame_digest(getattr(data, t)) for t in TABLES}
    truth = data.truth
    out["truth"] = hashlib.sha256(json.dumps(truth.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]
    out["truth.customer_segments"] = frame_digest(truth.customer_segments)
    return out


if __name__ == "__main__":  # pragma: no cover - prints the digest to pin
    import cxlib as cx

    print(json.dumps(dataset_digest(cx.synthesize(0)), indent=2))
