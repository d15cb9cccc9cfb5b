"""Execute the quarterly report: papermill runs in parallel workers, isolated failures, resume.

:func:`run_report` validates every run before anything executes, runs the notebooks in
worker processes, writes ``reports/<quarter>/<notebook>/<run>.ipynb`` and ``.html``
atomically, isolates failures (one failing run never stops the others), records progress
in ``runs.json`` as it goes (so an interrupted batch can be resumed) and writes the
quarter's ``index.html``.

Layout of a quarter's report directory::

    reports/2026Q3/
        index.html                      # every run, status, key figures, links
        runs.json                       # machine-readable status of every run
        01_cx_scorecard/overall.ipynb   # executed notebook (kept even when it failed)
        01_cx_scorecard/overall.html    # reviewer HTML (code removed)
        01_cx_scorecard/overall.json    # the run's key figures (written by the notebook)
        01_cx_scorecard/overall.log     # stderr, warnings and tracebacks of the run

papermill, nbconvert and nbformat are imported inside the functions that use them, so
``import cxlib`` stays light.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.io import atomic_write_json, atomic_write_text
from .definition import ReportDefinition, ReportDefinitionError, load_definition
from .runs import RunSpec, plan_runs, read_notebook, validate_runs

#: The matplotlib backend of every kernel: figures must land in the cell outputs whatever
#: backend the caller uses (e.g. Agg in tests).
_KERNEL_BACKEND = "module://matplotlib_inline.backend_inline"


@dataclass(frozen=True)
class RunResult:
    """What happened to one run (paths relative to the quarter's report directory)."""

    notebook: str
    run: str
    status: str  # "ok" | "failed"
    seconds: float
    error: str | None = None
    had_warnings: bool = False
    html: str | None = None
    ipynb: str | None = None
    figures: str | None = None
    log: str | None = None

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.run}"


@dataclass(frozen=True)
class BatchResult:
    """What a :func:`run_report` call did."""

    quarter: str
    out_dir: Path
    results: tuple[RunResult, ...]
    skipped: tuple[str, ...] = ()

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_frame(self):
        """One row per run (the fields of :class:`RunResult`)."""
        import pandas as pd

        return pd.DataFrame([dataclasses.asdict(r) for r in self.results])


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path, start).replace(os.sep, "/")


def _papermill(run: RunSpec, nb) -> str | None:
    """Execute ``nb`` with the run's parameters into ``run.ipynb``; the error text, or None.

    papermill writes the executed notebook (complete, or up to the failing cell) to a temp
    file that is then renamed into place, so no half-written notebook is ever visible.
    """
    import warnings

    import papermill
    from papermill.exceptions import PapermillExecutionError

    fd, tmp_name = tempfile.mkstemp(prefix=f".{run.run}.", suffix=".ipynb.tmp", dir=run.ipynb.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # Kernels inherit the environment, so the backend is set around the call.
    saved_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = _KERNEL_BACKEND
    error = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            papermill.execute_notebook(
                nb, str(tmp), parameters=dict(run.parameters), kernel_name="python3",
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                execution_timeout=run.timeout, shutdown_kernel="immediate", cwd=os.getcwd())
    except PapermillExecutionError as exc:
        error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    except Exception as exc:  # dead kernel, timeout, bad notebook: isolate the failure
        error = f"{type(exc).__name__}: {exc}"
    finally:
        if saved_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved_backend
        if tmp.exists() and tmp.stat().st_size > 0:
            os.replace(tmp, run.ipynb)
        else:
            tmp.unlink(missing_ok=True)
    return error


def _render(run: RunSpec, nb, error: str | None) -> tuple[str | None, bool]:
    """Write the run's reviewer HTML and log; the (possibly refined) error and the warnings flag."""
    import nbformat

    from .provenance import provenance_table
    from .render import render_html

    executed = nbformat.read(run.ipynb, as_version=4) if run.ipynb.exists() else nb
    prov = list(provenance_table(run.parameters, data_dir=run.parameters.get("data_dir"))
                .itertuples(index=False, name=None))
    rendered = render_html(executed, title=f"{run.notebook} — {run.run} — {run.parameters.get('quarter')}",
                           provenance=prov)
    atomic_write_text(run.html, rendered.html)
    log = rendered.log
    if error is not None and rendered.error is None:
        log = f"{log}\n--- run error ---\n{error}".strip()
    atomic_write_text(run.log, log + ("\n" if log else ""))
    if error is not None and rendered.error is not None:
        error = rendered.error  # the failing cell's own error is the more precise
    return error, rendered.had_warnings


def execute_run(run: RunSpec) -> RunResult:
    """Execute one run with papermill and render its HTML (runs in a worker process).

    Never raises for a failing notebook, a dead kernel, a timeout or a rendering error:
    the returned :class:`RunResult` has ``status="failed"`` and the error text. A run that
    succeeds but writes no key figures is failed too.
    """
    start = time.perf_counter()
    run.ipynb.parent.mkdir(parents=True, exist_ok=True)
    run.figures.unlink(missing_ok=True)  # a stale file must not pass for this run's figures
    nb = read_notebook(run.input_path)
    error = _papermill(run, nb)
    had_warnings = False
    try:
        error, had_warnings = _render(run, nb, error)
    except Exception as exc:  # rendering must not take the batch down either
        error = error or f"rendering failed: {type(exc).__name__}: {exc}"
    if error is None and not run.figures.exists():
        error = f"the notebook wrote no key figures to {run.figures}"

    def rel(path: Path) -> str | None:
        return _relative(path, run.out_dir) if path.exists() else None

    return RunResult(
        notebook=run.notebook, run=run.run, status="ok" if error is None else "failed",
        seconds=round(time.perf_counter() - start, 2), error=error, had_warnings=had_warnings,
        html=rel(run.html), ipynb=rel(run.ipynb), figures=rel(run.figures), log=rel(run.log),
    )


def _worker_init(threads: int = 1) -> None:
    """Prepare a worker process.

    Kernels inherit the worker's environment: BLAS/OpenMP thread pools are capped at
    ``threads`` so that parallel notebooks don't oversubscribe the cores (k-means under two
    workers ran 4x slower without it). Kernels' own chatter (not cell output, which
    papermill captures) must not scramble the progress display, so fd 2 goes to devnull.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    import nbconvert  # noqa: F401  (warm the worker: later runs skip these imports)
    import papermill  # noqa: F401


def _load_manifest(out_dir: Path) -> dict[str, Any]:
    p = out_dir / "runs.json"
    if not p.is_file():
        return {"runs": {}}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {"runs": {}}


def _pending(runs: list[RunSpec], previous: dict[str, Any], *, resume: bool) -> tuple[list[RunSpec], list[str]]:
    """The runs to execute and the keys skipped: with ``resume``, a run whose last status was
    ok and whose HTML and key figures exist is skipped."""
    if not resume:
        return runs, []
    todo, skipped = [], []
    for r in runs:
        prev = previous.get(r.key)
        if prev and prev.get("status") == "ok" and r.html.exists() and r.figures.exists():
            skipped.append(r.key)
        else:
            todo.append(r)
    return todo, skipped


def _execute_all(runs: Sequence[RunSpec], *, jobs: int, on_done: Callable[[RunResult], None]) -> None:
    """Execute the runs in up to ``jobs`` worker processes, calling ``on_done`` as each ends."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    workers = min(jobs, len(runs))
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver"),
                             initializer=_worker_init, initargs=(threads,)) as pool:
        futures = {pool.submit(execute_run, r): r for r in runs}
        for fut in as_completed(futures):
            r = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # a worker died: record, continue
                res = RunResult(notebook=r.notebook, run=r.run, status="failed", seconds=0.0,
                                error=f"worker crashed: {type(exc).__name__}: {exc}")
            on_done(res)


class _Progress:
    """Collects results, shows a line per finished run and records the manifest as it goes."""

    def __init__(self, *, quarter: str, out_dir: Path, manifest: dict[str, Any], total: int,
                 show: bool, stream) -> None:
        self.quarter, self.out_dir, self.manifest, self.stream = quarter, out_dir, manifest, stream
        self.results: list[RunResult] = []
        self.bar = None
        if show and total:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=f"cx report {quarter}", unit="run", file=stream, leave=True)

    def __call__(self, res: RunResult) -> None:
        self.results.append(res)
        if self.bar is not None:
            line = f"{res.status.upper():6} {res.key:45} {res.seconds:7.1f} s" + (f"  {res.error}" if res.error else "")
            self.bar.write(line, file=self.stream)
            self.bar.update(1)
        self.manifest.setdefault("runs", {})[res.key] = dataclasses.asdict(res)
        self.manifest["quarter"] = self.quarter
        atomic_write_json(self.out_dir / "runs.json", self.manifest)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_report(
    quarter: str,
    *,
    definition: ReportDefinition | str | os.PathLike | None = None,
    data_dir: str | os.PathLike | None = None,
    reports_dir: str | os.PathLike = "reports",
    only: Sequence[str] | None = None,
    jobs: int | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = True,
    stream=None,
) -> BatchResult:
    """Run the quarterly report: validate, execute in parallel, render, index.

    Parameters
    ----------
    quarter : str
        e.g. ``"2026Q3"``.
    definition : ReportDefinition or path, optional
        Defaults to ``notebooks/report.toml``.
    data_dir : path, optional
        The dataset directory (Parquet tables); defaults to ``data/synthetic``.
    reports_dir : path
        Where ``<quarter>/`` is written.
    only : list of str, optional
        Notebook names or ``notebook/run`` keys to run.
    jobs : int, optional
        Parallel worker processes; default the number of cores.
    resume : bool
        Rerun only the runs that failed or whose outputs are missing.
    force : bool
        Allow overwriting an existing quarter's report.
    progress : bool
        Show a progress bar and a line per finished run (on ``stream``, default stderr).

    Returns
    -------
    BatchResult
        ``.ok`` is False if any run failed (the CLI then exits non-zero).

    Raises
    ------
    ReportDefinitionError
        Before anything runs: a bad definition or parameters, or an existing quarter's
        report without ``force``/``resume``.
    """
    if not isinstance(definition, ReportDefinition):
        definition = load_definition(definition)
    data_dir = Path(data_dir) if data_dir is not None else Path("data") / "synthetic"
    out_dir = Path(reports_dir) / quarter
    planned = plan_runs(definition, quarter=quarter, data_dir=data_dir, out_dir=out_dir, only=only)
    validate_runs(planned)

    manifest = _load_manifest(out_dir)
    previous = manifest.get("runs", {})
    if out_dir.exists() and previous and not (force or resume):
        raise ReportDefinitionError(
            f"a report for {quarter} already exists at {str(out_dir)!r}; "
            "use --resume to rerun only failed or missing runs, or --force to overwrite it")
    todo, skipped = _pending(planned, previous, resume=resume)

    out_dir.mkdir(parents=True, exist_ok=True)
    tracker = _Progress(quarter=quarter, out_dir=out_dir, manifest=manifest, total=len(todo), show=progress,
                        stream=stream if stream is not None else sys.stderr)
    if todo:
        _execute_all(todo, jobs=max(1, int(jobs or os.cpu_count() or 1)), on_done=tracker)
    tracker.close()

    from .index import write_index

    write_index(out_dir, definition=definition, quarter=quarter, data_dir=data_dir, manifest=manifest)
    order = {r.key: i for i, r in enumerate(planned)}
    results = sorted(tracker.results, key=lambda r: order.get(r.key, 0))
    return BatchResult(quarter=quarter, out_dir=out_dir, results=tuple(results), skipped=tuple(skipped))
