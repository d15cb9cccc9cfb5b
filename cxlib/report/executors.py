"""Who executes the batch's runs: the local worker processes (default) or a Dask cluster.

``cx report --executor dask [--address tcp://scheduler:8786]`` hands each run
(:func:`cxlib.report.execute.execute_run`) to a Dask distributed cluster: a cluster started
for the batch on this machine (``LocalCluster``, ``--jobs`` workers) or an existing one at
``address``. Everything around the runs stays in the batch process and is the same as with
the local executor: validation before anything runs, the progress line per finished run,
``runs.json`` written as each run ends, failure isolation (a failing notebook, a dead
kernel or a lost worker fails its run only), ``--resume`` and the index.

How a run reads its data on a worker: through a **shared file system**. A run is a small
description (notebook path, parameters, output paths), never the data; the worker changes to
the batch's working directory, reads the dataset from ``data_dir`` and writes the run's
``.ipynb``/``.html``/``.json``/``.log`` under the reports folder, so both must be mounted at
the same path on every worker (relative paths are resolved against the batch's working
directory). A worker that cannot see them fails the run with a message naming the path.
Workers need the same environment as the batch: the same cxlib version (checked: a run on a
worker with another version fails, naming both) and a ``python3`` Jupyter kernel that can
import it.

Why Dask rather than Ray: ``distributed`` is pure Python (about 2.5 MB of wheels with
``dask``, 15 s to install here), its futures follow :mod:`concurrent.futures`
(``submit``/``cancel``/``exception``) so the local executor's loop carries over, and its
``LocalCluster`` starts in seconds in CI. Ray ships a compiled core of tens of MB with its
own object store and daemons, which this batch does not need (a run moves a few kilobytes
of description; the data stays on the shared file system); ``--executor ray`` is refused
with that reason.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .definition import ReportDefinitionError
from .runs import RunSpec

#: The executors ``cx report --executor`` accepts (``ray`` is refused with the reason).
EXECUTORS = ("local", "dask", "ray")

#: Seconds to wait for the scheduler at ``--address`` before giving up (nothing is run).
CONNECT_TIMEOUT = 20.0

_RAY_REFUSED = ("--executor ray is not supported: cxlib runs its batch on Dask distributed (pure Python, "
                "concurrent.futures API, a LocalCluster for tests); use --executor dask, with --address "
                "tcp://SCHEDULER:8786 for an existing cluster (pip install 'cxlib[cluster]')")


def check_executor(executor: str, address: str | None) -> None:
    """Refuse an unknown executor, ``ray``, an ``address`` without ``dask`` or a missing
    ``distributed`` package, before anything runs.

    Raises
    ------
    ReportDefinitionError
        Naming the problem and what to use instead.

    Examples
    --------
    >>> check_executor("local", None)
    >>> check_executor("local", "tcp://10.0.0.5:8786")
    Traceback (most recent call last):
    ...
    cxlib.report.definition.ReportDefinitionError: --address goes with --executor dask (got --executor local)
    """
    if executor not in EXECUTORS:
        raise ReportDefinitionError(f"unknown executor {executor!r}; choose one of {list(EXECUTORS)}")
    if executor == "ray":
        raise ReportDefinitionError(_RAY_REFUSED)
    if address is not None and executor != "dask":
        raise ReportDefinitionError(f"--address goes with --executor dask (got --executor {executor})")
    if executor == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ReportDefinitionError(
                "--executor dask needs Dask distributed: pip install 'cxlib[cluster]'; nothing was run") from None


# --- worker side -------------------------------------------------------------------------

def _quiet_worker(threads: int) -> None:
    """Prepare a worker of a cluster started for the batch (``client.run``): BLAS/OpenMP
    thread caps that its kernels inherit, and the kernels' chatter kept off the terminal
    (fds 1 and 2 to devnull, as the local executor's workers do)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def run_on_worker(run: RunSpec, *, cwd: str, version: str):
    """Execute one run on a Dask worker: in the batch's working directory ``cwd``, with the
    batch's cxlib ``version`` (a worker with another fails the run). Returns a
    :class:`~cxlib.report.execute.RunResult`, never raises for a failing run."""
    from .. import __version__
    from . import execute
    from .execute import RunResult, execute_run

    execute._CANCEL = threading.Event()  # a worker of an existing cluster serves batch after batch

    def failed(error: str) -> RunResult:
        return RunResult(notebook=run.notebook, run=run.run, status="failed", seconds=0.0, error=error,
                         column=run.column, value=run.value)

    if __version__ != version:
        return failed(f"the worker has cxlib {__version__}, the batch {version}: workers need the same environment")
    try:
        os.chdir(cwd)
    except OSError:
        return failed(f"the worker cannot see the batch's working directory {cwd!r}: the data and the reports "
                      "folder must be on a shared file system, at the same path on every worker")
    for what, path in (("notebook", run.input_path), ("dataset", run.parameters.get("data_dir"))):
        if path is not None and not os.path.exists(path):
            return failed(f"the worker cannot see the {what} {str(path)!r} (in {cwd!r}): it must be on a shared "
                          "file system, at the same path on every worker")
    return execute_run(run)


def _cancel_on_worker() -> None:
    """Cancel the run a worker is executing (``client.run``): its kernel is killed and the
    run ends as cancelled without writing its outputs, as in a local worker."""
    from . import execute

    if execute._CANCEL is None:
        execute._CANCEL = threading.Event()
    execute._CANCEL.set()
    execute._kill_kernels()


# --- batch side --------------------------------------------------------------------------

@contextlib.contextmanager
def _client(address: str | None, workers: int):
    """A Dask client: to the scheduler at ``address``, or to a cluster of ``workers``
    single-threaded worker processes started (and closed) for the batch."""
    from distributed import Client, LocalCluster

    if address is not None:
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ReportDefinitionError(f"cannot reach the Dask scheduler at {address!r} ({exc}); "
                                        "nothing was run") from None
        with contextlib.closing(client):
            yield client, False
        return
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    with contextlib.closing(cluster), contextlib.closing(Client(cluster, set_as_default=False)) as client:
        yield client, True


def execute_dask(runs: Sequence[RunSpec], *, address: str | None, jobs: int,
                 on_done: Callable[[Any], None], interrupt: Any, outcome: Callable[..., Any],
                 cancelled: Callable[[RunSpec], Any]) -> None:
    """Execute the runs on a Dask cluster, calling ``on_done`` with each run's result as it ends.

    ``outcome(future, run, cancelling=False)`` turns a finished future into a result (a task
    that raised, e.g. ``KilledWorker`` after the workers running it died, fails its run);
    ``cancelled(run)`` makes the result of a run that never finished. On Ctrl-C
    (``interrupt.count``) every unfinished run is cancelled at once and recorded so: the
    queued runs never start, and the workers kill the kernels of the running ones, which
    then end without writing their outputs (``--resume`` reruns them).
    """
    from .. import __version__

    workers = min(jobs, len(runs))
    with _client(address, workers) as (client, own):
        if own:
            client.run(_quiet_worker, max(1, (os.cpu_count() or 1) // workers))
        cwd = os.getcwd()
        futures = {client.submit(run_on_worker, r, cwd=cwd, version=__version__, pure=False,
                                 key=f"cx-{r.key}-{time.time_ns()}"): r for r in runs}
        pending = set(futures)
        try:
            while pending and not interrupt.count:
                for fut in [f for f in pending if f.done()]:
                    pending.discard(fut)
                    on_done(outcome(fut, futures[fut], cancelling=False))
                time.sleep(0.1)
        finally:
            if pending:  # interrupted, or on_done raised: the queued runs never start, the running stop
                client.cancel(list(pending))
                with contextlib.suppress(Exception):  # a worker that is gone has no kernel to stop
                    client.run(_cancel_on_worker)
        for fut in sorted(pending, key=lambda f: runs.index(futures[f])):
            on_done(cancelled(futures[fut]))
