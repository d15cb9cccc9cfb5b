"""Re-record the golden files after a deliberate change (see tests/test_golden.py).

Usage (from the repository root, with the environment active)::

    python tests/golden/regenerate.py            # key figures of the default report + digest
    python tests/golden/regenerate.py --only 03_loyalty_and_churn   # one notebook's runs

It synthesises ``synthesize(0)``, runs ``cx report --quarter 2026Q3`` on it for the notebooks
that ``tests/test_golden.py`` pins, rewrites ``key_figures_2026Q3.json`` (only the runs of
the notebooks asked for) and prints the digest to paste into ``PINNED_SYNTH_DIGEST``.
Never run it to make a failing golden test pass without saying in the commit why the
figures moved.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
NOTEBOOKS = ("01_cx_scorecard", "02_key_drivers", "03_loyalty_and_churn", "04_segments")


def _keep_close(old, new):
    """``new``, but with ``old``'s floats where they agree to 1e-12 (no last-digit churn in diffs)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: _keep_close(old[k], v) if k in old else v for k, v in new.items()}
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [_keep_close(o, v) for o, v in zip(old, new)]
    if isinstance(old, float) and isinstance(new, float) and math.isclose(old, new, rel_tol=1e-12, abs_tol=1e-15):
        return old
    return new


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=list(NOTEBOOKS), choices=NOTEBOOKS)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parent))
    import cxlib as cx
    from golden.synth_digest import dataset_digest

    data = cx.synthesize(0)
    print("PINNED_SYNTH_DIGEST =", json.dumps(dataset_digest(data), indent=4))
    with tempfile.TemporaryDirectory() as tmp:
        cx.write_dataset(data, Path(tmp) / "data")
        env = dict(os.environ, MPLBACKEND="Agg")
        proc = subprocess.run(
            [sys.executable, "-m", "cxlib.cli", "report", "--quarter", "2026Q3", "--data", str(Path(tmp) / "data"),
             "--reports-dir", str(Path(tmp) / "reports"), "--only", *args.only, "--quiet"],
            capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            print(proc.stdout + proc.stderr)
            return 1
        root = Path(tmp) / "reports" / "2026Q3"
        path = HERE / "key_figures_2026Q3.json"
        golden = json.loads(path.read_text())
        old = dict(golden)
        golden = {k: v for k, v in golden.items() if k.split("/")[0] not in args.only}
        for nb in args.only:
            for f in sorted(root.glob(f"{nb}/*.json")):
                key = f"{f.parent.name}/{f.stem}"
                golden[key] = _keep_close(old.get(key), json.loads(f.read_text()))
        path.write_text(json.dumps(dict(sorted(golden.items())), indent=1, sort_keys=True) + "\n")
    print(f"rewrote {path} for {', '.join(args.only)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
