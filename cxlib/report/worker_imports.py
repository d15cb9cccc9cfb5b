"""What every batch worker imports, imported once in multiprocessing's fork server.

The batch's workers are forked from multiprocessing's fork server
(:func:`cxlib.report.execute._execute_all`), which imports this module first: each worker
then starts with papermill, nbconvert and the report package loaded instead of importing
them itself (≈ 3 s CPU per worker, most of it one optional dependency, below).

jsonschema (nbformat validates notebooks with it) imports ``rfc3987_syntax`` when that is
installed, and that module compiles about 35 Earley grammars at import (≈ 2 s CPU) for
jsonschema's optional ``iri`` and ``iri-reference`` format checkers. nbformat never checks
formats, so the workers do without them: a ``None`` entry in ``sys.modules`` makes the
import fail as if the package were absent, and jsonschema then leaves those two checkers
out (python-jsonschema/jsonschema#1428). Only the batch's own processes import this
module; kernels are separate interpreters.
"""

from __future__ import annotations

import sys

sys.modules.setdefault("rfc3987_syntax", None)

import nbconvert  # noqa: F401
import papermill  # noqa: F401

from . import execute  # noqa: F401
