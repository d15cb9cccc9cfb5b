"""Execute the quarterly report: papermill runs in parallel workers, isolated failures, resume.

:func:`run_report` validates every run before anything executes, runs the notebooks in
worker processes, writes ``reports/<quarter>/<notebook>/<run>.ipynb`` and ``.html``
atomically, isolates failures (one failing run never stops the others), records progress
in ``runs.json`` as it goes (so an interrupted batch can be resumed) and writes the
quarter's ``index.html``.

Before anything executes it also checks that the quarter is in the data and that the
report folders are writable. Each run's inputs (data fingerprint, notebook content,
parameters, cxlib version) are recorded in ``runs.json``; ``resume`` skips a run only when
its last run succeeded, its outputs exist and those inputs are unchanged, and says why it
reruns the others. Ctrl-C (SIGINT) stops the batch within seconds: the running kernels are
killed, queued runs are cancelled, finished runs are recorded and the index marks the rest
"cancelled" (``BatchResult.interrupted``).

Layout of a quarter's report directory::

    reports/2026Q3/
        index.html                      # every run, status, key figures, links
        runs.json                       # machine-readable status of every run
        01_cx_scorecard/overall.ipynb   # executed notebook (kept even when it failed)
        01_cx_scorecard/overall.html    # reviewer HTML (code removed)
        01_cx_scorecard/overall.json    # the run's key figures (written by the notebook)
        01_cx_scorecard/overall.log     # stderr, warnings and tracebacks of the run

With ``executor="dask"`` (or ``"ray"``) the runs go to a Dask distributed cluster (or Ray)
instead of the local worker processes (:mod:`cxlib.report.executors`); the rest is the same.

papermill, nbconvert and nbformat are imported inside the functions that use them, so
``import cxlib`` stays light.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.io import atomic_write_json, atomic_write_text, atomic_write_with
from .definition import ReportDefinition, ReportDefinitionError, load_definition
from .executors import check_executor, execute_cluster
from .runs import (
    RunSpec,
    check_quarter,
    plan_runs,
    read_notebook,
    schedule,
    validate_runs,
)

#: The matplotlib backend of every kernel: figures must land in the cell outputs whatever
#: backend the caller uses (e.g. Agg in tests).
_KERNEL_BACKEND = "module://matplotlib_inline.backend_inline"

#: Seconds the running runs get to stop after Ctrl-C before their workers are killed.
_CANCEL_GRACE = 10.0

#: What a changed input means for ``resume`` (the keys of a run's recorded ``inputs``).
_INPUT_CHANGES = {"data": "data changed", "notebook": "notebook changed",
                  "parameters": "parameters changed", "cxlib": "cxlib version changed"}


@dataclass(frozen=True)
class RunResult:
    """What happened to one run (paths relative to the quarter's report directory)."""

    notebook: str
    run: str
    status: str  # "ok" | "failed" | "cancelled" (the batch was interrupted)
    seconds: float
    error: str | None = None
    had_warnings: bool = False
    html: str | None = None
    ipynb: str | None = None
    figures: str | None = None
    log: str | None = None
    column: str | None = None  # the fan-out column and its original value (None: overall run)
    value: str | None = None

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
    reruns: tuple[tuple[str, str], ...] = ()  # (key, why) of the runs ``resume`` executed again

    @property
    def failed(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def cancelled(self) -> list[RunResult]:
        return [r for r in self.results if r.status == "cancelled"]

    @property
    def interrupted(self) -> bool:
        """The batch was stopped by Ctrl-C (some runs were cancelled)."""
        return bool(self.cancelled)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def to_frame(self):
        """One row per run (the fields of :class:`RunResult`)."""
        import pandas as pd

        return pd.DataFrame([dataclasses.asdict(r) for r in self.results])


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path, start).replace(os.sep, "/")


# --- cancellation (worker side) -------------------------------------------------------
# A worker gets the batch's cancel event from _worker_init. Kernels started in the worker
# are tracked, so that a watcher thread can kill them the moment the event is set (nbclient
# then sees a dead kernel within a second); a kernel that starts after it is killed at once.
_CANCEL: Any = None
_KERNELS: set[Any] = set()
_KERNELS_LOCK = threading.Lock()
_KERNEL_MANAGER: type | None = None
_FORK_KERNELS = False  # set in a batch worker: kernels are forked from a fork server (.kernels)


def _cancelled() -> bool:
    return _CANCEL is not None and _CANCEL.is_set()


def _kill_kernel(km: Any) -> None:
    """Kill a kernel's process group (a kernel runs in a session of its own)."""
    provisioner = getattr(km, "provisioner", None)
    pgid, pid = getattr(provisioner, "pgid", None), getattr(provisioner, "pid", None)
    with contextlib.suppress(OSError):
        if pgid and hasattr(os, "killpg") and pgid != os.getpgrp():  # never the worker's own group
            os.killpg(pgid, signal.SIGKILL)
        elif pid:
            os.kill(pid, signal.SIGKILL)


def _kill_kernels() -> None:
    with _KERNELS_LOCK:
        for km in _KERNELS:
            _kill_kernel(km)


def _kernel_manager_class() -> type:
    """nbclient's kernel manager, recording each kernel it starts (for cancellation)."""
    global _KERNEL_MANAGER
    if _KERNEL_MANAGER is None:
        from jupyter_client import AsyncKernelManager

        class TrackedKernelManager(AsyncKernelManager):
            async def start_kernel(self, **kw: Any) -> None:
                if _FORK_KERNELS and self.provisioner is None:
                    from .kernels import provisioner_class

                    self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
                    self.provisioner = provisioner_class()(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                           parent=self)
                await super().start_kernel(**kw)
                with _KERNELS_LOCK:
                    _KERNELS.add(self)
                if _cancelled():  # cancelled while the kernel was starting
                    _kill_kernel(self)

        _KERNEL_MANAGER = TrackedKernelManager
    return _KERNEL_MANAGER


def _watch_cancel(event: Any) -> None:
    event.wait()
    _kill_kernels()


class _NoNotebook(Exception):
    """papermill wrote nothing, or the run was cancelled: keep the previous notebook file."""


@contextlib.contextmanager
def _kernel_backend() -> Iterator[None]:
    """Kernels inherit the environment, so their matplotlib backend is set around a run."""
    saved = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = _KERNEL_BACKEND
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved


#: Kernel starts tried per run when a kernel dies before it answers (no cell has run then, so
#: starting another is safe; seen once in a fresh environment with two kernels starting at once).
KERNEL_START_ATTEMPTS = 3


def _kernel_never_started(exc: BaseException) -> bool:
    """Whether ``exc`` says the kernel died before replying to its first request."""
    return isinstance(exc, RuntimeError) and "before replying to kernel_info" in str(exc)


def _papermill(run: RunSpec, nb) -> str | None:
    """Execute ``nb`` with the run's parameters into ``run.ipynb``; the error text, or None.

    papermill writes the executed notebook (complete, or up to the failing cell) to a temp
    file that is then renamed into place with the usual file mode
    (:func:`cxlib.core.io.atomic_write_with`), so no half-written notebook is ever visible.
    A cancelled run leaves the previous notebook file in place.
    """
    import warnings

    import papermill
    from papermill.exceptions import PapermillExecutionError

    error = None

    def execute(tmp: Path) -> None:
        nonlocal error
        for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
            error = None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    papermill.execute_notebook(
                        nb, str(tmp), parameters=dict(run.parameters), kernel_name="python3",
                        progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                        execution_timeout=run.timeout, shutdown_kernel="immediate", cwd=os.getcwd(),
                        kernel_manager_class=_kernel_manager_class())
            except PapermillExecutionError as exc:
                error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
            except Exception as exc:  # dead kernel, timeout, bad notebook: isolate the failure
                error = f"{type(exc).__name__}: {exc}"
                if _kernel_never_started(exc) and attempt < KERNEL_START_ATTEMPTS and not _cancelled():
                    continue  # no cell ran: start a fresh kernel rather than fail the run
            break
        if _cancelled() or tmp.stat().st_size == 0:
            raise _NoNotebook

    try:
        with _kernel_backend():
            atomic_write_with(run.ipynb, execute)
    except _NoNotebook:
        pass
    finally:
        with _KERNELS_LOCK:
            _KERNELS.clear()
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
    succeeds but writes no key figures is failed too. A run of a cancelled batch (Ctrl-C)
    has ``status="cancelled"``.
    """
    start = time.perf_counter()
    if _cancelled():
        return _cancelled_result(run)
    run.ipynb.parent.mkdir(parents=True, exist_ok=True)
    run.figures.unlink(missing_ok=True)  # a stale file must not pass for this run's figures
    nb = read_notebook(run.input_path)
    error = _papermill(run, nb)
    if error is not None and _cancelled():  # the kernel was killed by the cancellation
        return _cancelled_result(run, seconds=time.perf_counter() - start)
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
        column=run.column, value=run.value,
    )


def _cancelled_result(run: RunSpec, *, seconds: float = 0.0) -> RunResult:
    return RunResult(notebook=run.notebook, run=run.run, status="cancelled", seconds=round(seconds, 2),
                     column=run.column, value=run.value)


def _start_fork_server() -> None:
    """Kernels of this process are forked from a fork server (:mod:`cxlib.report.kernels`),
    started now so that it imports while the worker does."""
    global _FORK_KERNELS
    from . import kernels

    _FORK_KERNELS = kernels.fork_supported()
    if _FORK_KERNELS:
        kernels.prestart({**os.environ, "MPLBACKEND": _KERNEL_BACKEND})


def _worker_init(threads: int = 1, cancel: Any = None, fork: bool = True) -> None:
    """Prepare a worker process.

    Kernels inherit the worker's environment: BLAS/OpenMP thread pools are capped at
    ``threads`` so that parallel notebooks don't oversubscribe the cores (k-means under two
    workers ran 4x slower without it). Kernels' own chatter (not cell output, which
    papermill captures) must not scramble the progress display, so fds 1 and 2 go to
    devnull. The worker leaves the terminal's process group and ignores SIGINT: Ctrl-C
    reaches the batch process only, which cancels the runs through ``cancel`` (an event
    watched here, see :func:`_watch_cancel`). With ``fork``, the worker's kernels are
    forked from a fork server that has imported ipykernel and the notebooks' libraries once
    (:mod:`cxlib.report.kernels`; each run still gets a fresh kernel process).
    """
    global _CANCEL
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "setpgrp"):
        os.setpgrp()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    if cancel is not None:
        _CANCEL = cancel
        threading.Thread(target=_watch_cancel, args=(cancel,), name="cx-cancel", daemon=True).start()
    if fork:
        _start_fork_server()
    import nbconvert  # noqa: F401  (warm the worker: later runs skip these imports)
    import papermill  # noqa: F401


def _load_manifest(out_dir: Path) -> dict[str, Any]:
    p = out_dir / "runs.json"
    if not p.is_file():
        return {"runs": {}}
    try:
        manifest = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {"runs": {}}
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("runs"), dict) else {"runs": {}}


def recorded_seconds(out_dir: Path, manifest: dict[str, Any]) -> dict[str, float]:
    """What each run took when it last succeeded, by run key: from this quarter's
    ``runs.json`` (``manifest``), else from the other quarters' beside it (latest first),
    for :func:`~cxlib.report.runs.schedule`. Unreadable or odd entries are ignored."""
    found: dict[str, float] = {}
    others = sorted((p for p in out_dir.parent.glob("*/runs.json") if p.parent != out_dir), reverse=True) \
        if out_dir.parent.is_dir() else []
    for runs in [manifest.get("runs", {}), *(_load_manifest(p.parent)["runs"] for p in others)]:
        for key, entry in runs.items():
            ok = isinstance(entry, dict) and entry.get("status") == "ok"
            if ok and key not in found and isinstance(entry.get("seconds"), (int, float)):
                found[key] = float(entry["seconds"])
    return found


def _jsonable(obj: Any) -> Any:
    """``obj`` as it reads back from JSON (tuples become lists, dates text)."""
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def run_inputs(runs: Sequence[RunSpec], data_dir: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """What each run's results depend on, by run key: the data fingerprint
    (:func:`cxlib.data.store.fingerprint`), a SHA-256 digest of the notebook file, the run's
    parameters and the cxlib version. Recorded in ``runs.json``; ``resume`` compares them."""
    from .. import __version__
    from ..data.store import fingerprint

    data = fingerprint(data_dir)
    digests: dict[Path, str] = {}
    inputs = {}
    for r in runs:
        if r.input_path not in digests:
            digests[r.input_path] = hashlib.sha256(r.input_path.read_bytes()).hexdigest()[:16]
        inputs[r.key] = {"data": data, "notebook": digests[r.input_path],
                         "parameters": _jsonable(dict(r.parameters)), "cxlib": __version__}
    return inputs


def _rerun_reason(run: RunSpec, previous: Any, inputs: dict[str, Any]) -> str | None:
    """Why ``resume`` must execute ``run`` again, or None when its last result still holds."""
    if not isinstance(previous, dict):
        return "not run before"
    if previous.get("status") != "ok":
        return f"last run {previous.get('status', 'unknown')}"
    if not (run.html.exists() and run.figures.exists()):
        return "outputs missing"
    recorded = previous.get("inputs")
    if not isinstance(recorded, dict):
        return "its inputs were not recorded"
    changed = [why for key, why in _INPUT_CHANGES.items() if recorded.get(key) != inputs.get(key)]
    if "cxlib version changed" in changed:
        changed[changed.index("cxlib version changed")] += f" ({recorded.get('cxlib')} -> {inputs['cxlib']})"
    return ", ".join(changed) or None


def worth_saying(reruns: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The rerun reasons to print: none when no run of the quarter was ever made (a first
    run of ``--resume`` would otherwise list every run as "not run before")."""
    reruns = list(reruns)
    return [] if all(why == "not run before" for _, why in reruns) else reruns


def _pending(runs: list[RunSpec], previous: dict[str, Any], inputs: dict[str, dict[str, Any]], *,
             resume: bool) -> tuple[list[RunSpec], list[str], list[tuple[str, str]]]:
    """The runs to execute, the keys skipped and, with ``resume``, why each run is executed."""
    if not resume:
        return runs, [], []
    todo, skipped, reasons = [], [], []
    for r in runs:
        why = _rerun_reason(r, previous.get(r.key), inputs[r.key])
        if why is None:
            skipped.append(r.key)
        else:
            todo.append(r)
            reasons.append((r.key, why))
    return todo, skipped, reasons


def _check_writable(folders: Iterable[Path]) -> None:
    """Create the report folders and prove each writable, before anything executes."""
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".cx-write-check.", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise ReportDefinitionError(
                f"cannot write the report to {str(folder)!r} ({exc.strerror or exc}); fix its permissions "
                "or choose another --reports-dir; nothing was run") from None


class _Interrupt:
    """Counts Ctrl-C presses while installed: SIGINT then sets a flag instead of raising
    KeyboardInterrupt at an arbitrary point (the batch stops at a point of its choosing)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, signum: int, frame: Any) -> None:
        self.count += 1

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Interrupt]:
        if threading.current_thread() is not threading.main_thread():
            yield self  # signals reach the main thread only: leave them alone
            return
        previous = signal.signal(signal.SIGINT, self)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)


def _outcome(fut: Any, run: RunSpec, *, cancelling: bool) -> RunResult:
    """A finished future's RunResult (a crashed worker fails its run; cancelled ones are cancelled)."""
    if fut.cancelled():
        return _cancelled_result(run)
    exc = fut.exception()
    if exc is None:
        return fut.result()
    if cancelling:
        return _cancelled_result(run)
    return RunResult(notebook=run.notebook, run=run.run, status="failed", seconds=0.0,
                     error=f"worker crashed: {type(exc).__name__}: {exc}", column=run.column, value=run.value)


def _stop_workers(pool: Any, *, force: bool) -> None:
    """Shut the pool down; after an interrupt, workers still alive after a grace period are killed."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public handle on them
    pool.shutdown(wait=not force, cancel_futures=True)
    deadline = time.monotonic() + 5.0
    for proc in processes if force else ():
        proc.join(timeout=max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()


def _worker_context():
    """multiprocessing's fork server context, the workers forked from it once it has imported
    what each of them needs (:mod:`cxlib.report.worker_imports`; no effect when that server
    already runs, then each worker imports it)."""
    import multiprocessing as mp

    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["__main__", "cxlib.report.worker_imports"])
    return ctx


def _start_worker_server() -> None:
    """Start multiprocessing's fork server now: it imports the workers' modules while this
    process validates the runs (the workers are forked from it later)."""
    from multiprocessing import forkserver

    _worker_context()
    with contextlib.suppress(OSError, ValueError):
        forkserver.ensure_running()


def _execute_all(runs: Sequence[RunSpec], *, jobs: int, on_done: Callable[[RunResult], None],
                 interrupt: _Interrupt) -> None:
    """Execute the runs in up to ``jobs`` worker processes, calling ``on_done`` as each ends.

    On Ctrl-C (``interrupt``) the queued runs are cancelled and the workers kill their
    kernels; the running runs get ``_CANCEL_GRACE`` seconds to report (a second Ctrl-C
    stops waiting), then every run not finished is reported cancelled.
    """
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = _worker_context()
    cancel = ctx.Event()
    workers = min(jobs, len(runs))
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init,
                               initargs=(threads, cancel))
    futures = {pool.submit(execute_run, r): r for r in runs}
    pending = set(futures)
    try:
        while pending and not interrupt.count:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in done:
                on_done(_outcome(fut, futures[fut], cancelling=False))
        if pending:
            cancel.set()
            for fut in pending:
                fut.cancel()
            deadline = time.monotonic() + _CANCEL_GRACE
            while pending and time.monotonic() < deadline and interrupt.count < 2:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    on_done(_outcome(fut, futures[fut], cancelling=True))
            for fut in pending:
                on_done(_cancelled_result(futures[fut]))
    finally:
        if pending:  # interrupted, or on_done raised: stop the kernels before the workers
            cancel.set()
        _stop_workers(pool, force=cancel.is_set())


class _Progress:
    """Collects results, shows a line per finished run and records the manifest as it goes."""

    def __init__(self, *, quarter: str, out_dir: Path, manifest: dict[str, Any], total: int,
                 inputs: dict[str, dict[str, Any]], show: bool, stream) -> None:
        self.quarter, self.out_dir, self.manifest, self.stream = quarter, out_dir, manifest, stream
        self.inputs = inputs
        self.results: list[RunResult] = []
        self.bar = None
        if show and total:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=f"cx report {quarter}", unit="run", file=stream, leave=True)

    def __call__(self, res: RunResult) -> None:
        self.results.append(res)
        if self.bar is not None:
            line = f"{res.status.upper():9} {res.key:45} {res.seconds:7.1f} s" + (f"  {res.error}" if res.error else "")
            self.bar.write(line, file=self.stream)
            self.bar.update(1)
        entry = dataclasses.asdict(res)
        if res.status != "cancelled":
            entry["inputs"] = self.inputs.get(res.key)
        self.manifest.setdefault("runs", {})[res.key] = entry
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
    executor: str = "local",
    address: str | None = None,
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
        Parallel worker processes; default the number of cores. With ``executor="dask"``
        and no ``address``: the workers of the cluster started for the batch.
    resume : bool
        Skip the runs whose last run succeeded, whose outputs exist and whose recorded
        inputs (data fingerprint, notebook content, parameters, cxlib version; see
        :func:`run_inputs`) are unchanged; execute the others (``BatchResult.reruns`` says why).
    force : bool
        Allow overwriting an existing quarter's report.
    progress : bool
        Show why runs are executed again, a progress bar and a line per finished run (on
        ``stream``, default stderr).
    executor : {"local", "dask", "ray"}
        Who executes the runs: worker processes on this machine (default), a Dask
        distributed cluster (needs ``cxlib[cluster]``) or Ray (needs ``cxlib[ray]``), see
        :mod:`cxlib.report.executors`; with a cluster, the data and reports folder must be on
        a file system the workers share. Everything else (validation, progress, isolation,
        resume, index) is the same.
    address : str, optional
        With ``executor="dask"``: the scheduler of an existing cluster
        (``"tcp://host:8786"``); with ``"ray"``: ``"ray://head:10001"`` (Ray Client) or
        ``"auto"`` (on a node of the cluster). Default a local cluster (Ray instance) of
        ``jobs`` workers; with ``"ray"``, a process already connected by ``ray.init`` uses
        that connection.

    Returns
    -------
    BatchResult
        ``.ok`` is False if any run failed or the batch was interrupted (the CLI then exits
        non-zero); ``.interrupted`` after Ctrl-C, when the runs not finished are
        ``"cancelled"`` (in ``runs.json`` and the index too). Runs recorded by an earlier
        batch that the definition and data no longer produce (a segment gone from the data)
        are dropped from ``runs.json`` and the index.

    Raises
    ------
    ReportDefinitionError
        Before anything runs: a bad definition or parameters, a quarter that is not in the
        data, a reports folder that cannot be written, an existing quarter's report
        without ``force``/``resume``, an unknown or unavailable executor, or a Dask
        scheduler or Ray cluster that cannot be reached.
    CXDataError
        Before anything runs: a dataset file that cannot be read.
    """
    check_executor(executor, address)
    if executor == "local":
        _start_worker_server()
    if not isinstance(definition, ReportDefinition):
        definition = load_definition(definition)
    data_dir = Path(data_dir) if data_dir is not None else Path("data") / "synthetic"
    check_quarter(quarter, data_dir)
    out_dir = Path(reports_dir) / quarter
    full = plan_runs(definition, quarter=quarter, data_dir=data_dir, out_dir=out_dir)
    planned = plan_runs(definition, quarter=quarter, data_dir=data_dir, out_dir=out_dir, only=only) if only else full
    validate_runs(planned)

    manifest = _load_manifest(out_dir)
    previous = manifest["runs"]
    if out_dir.exists() and previous and not (force or resume):
        raise ReportDefinitionError(
            f"a report for {quarter} already exists at {str(out_dir)!r}; "
            "use --resume to rerun only failed, missing or outdated runs, or --force to overwrite it")
    stale = set(previous) - {r.key for r in full}  # e.g. a segment no longer in the data
    for key in stale:
        del previous[key]
    inputs = run_inputs(planned, data_dir)
    todo, skipped, reruns = _pending(planned, previous, inputs, resume=resume)
    todo = schedule(todo, recorded_seconds(out_dir, manifest))  # the longest expected first
    _check_writable([out_dir, *sorted({r.ipynb.parent for r in todo})])
    if stale:
        atomic_write_json(out_dir / "runs.json", manifest)

    stream = stream if stream is not None else sys.stderr
    if progress:
        for key, why in worth_saying(reruns):
            print(f"rerun {key}: {why}", file=stream)
    with _Interrupt().installed() as interrupt:
        tracker = _Progress(quarter=quarter, out_dir=out_dir, manifest=manifest, total=len(todo),
                            inputs=inputs, show=progress, stream=stream)
        jobs = max(1, int(jobs or os.cpu_count() or 1))
        try:
            if todo and executor != "local":
                execute_cluster(todo, executor=executor, address=address, jobs=jobs, on_done=tracker,
                                interrupt=interrupt, outcome=_outcome, cancelled=_cancelled_result)
            elif todo:
                _execute_all(todo, jobs=jobs, on_done=tracker, interrupt=interrupt)
        finally:
            tracker.close()
        from .index import write_index

        write_index(out_dir, definition=definition, quarter=quarter, data_dir=data_dir, manifest=manifest)
    order = {r.key: i for i, r in enumerate(planned)}
    results = sorted(tracker.results, key=lambda r: order.get(r.key, 0))
    return BatchResult(quarter=quarter, out_dir=out_dir, results=tuple(results), skipped=tuple(skipped),
                       reruns=tuple(reruns))
