"""Who executes the batch's runs: the local worker processes (default), a Dask cluster or Ray.

``cx report --executor dask [--address tcp://scheduler:8786]`` hands each run
(:func:`cxlib.report.execute.execute_run`) to a Dask distributed cluster: a cluster started
for the batch on this machine (``LocalCluster``, ``--jobs`` workers) or an existing one at
``address``. ``cx report --executor ray [--address ray://head:10001 | auto]`` does the same
on Ray (the optional ``ray`` extra): the Ray instance this process is already connected to
(``ray.init`` in a notebook; ``address`` is then not used), else an existing cluster at
``address`` (``ray://`` through Ray Client from outside the cluster; ``auto`` or
``HOST:6379`` on one of its nodes), else at Ray's ``RAY_ADDRESS`` variable, else a local Ray
instance of ``--jobs`` CPUs started for the batch. Both engines execute the same worker function
(:func:`run_on_worker`) and report through the same loop (:func:`execute_cluster`);
everything around the runs stays in the batch process and is the same as with the local
executor: validation before anything runs, the progress line per finished run,
``runs.json`` written as each run ends, failure isolation (a failing notebook, a dead
kernel or a lost worker fails its run only), ``--resume`` and the index.

How a run reads its data on a worker: through a **shared file system**. A run is a small
description (notebook path, parameters, output paths), never the data; the worker changes to
the batch's working directory, reads the dataset from ``data_dir`` and writes the run's
``.ipynb``/``.html``/``.json``/``.log`` under the reports folder, so both must be mounted at
the same path on every worker (relative paths are resolved against the batch's working
directory). A worker that cannot see them fails the run with a message naming the path.
Neither Dask's memory nor Ray's object store carries the data: each run reads only its own
tables, and its outputs must land where the index is written. Workers need the same
environment as the batch: the same cxlib version (checked: a run on a worker with another
version fails, naming both) and a ``python3`` Jupyter kernel that can import it.

Why Dask is the default cluster engine and Ray the optional one: ``distributed`` is pure
Python (about 2.5 MB of wheels with ``dask``, 15 s to install here), its futures follow
:mod:`concurrent.futures` (``submit``/``cancel``/``exception``) so the local executor's loop
carries over, it can run a function on every worker (which stops the kernels of a
cancelled batch), and its ``LocalCluster`` starts in seconds in CI (``dev`` installs it).
Ray ships a compiled core (about 240 MB installed) with its own object store and daemons,
which this batch does not need (a run moves a few kilobytes of description; the data stays
on the shared file system) and a local instance takes tens of seconds to start on a loaded
machine; it is supported for teams whose cluster is a Ray cluster (``pip install
'cxlib[ray]'``), and its tests skip where Ray is not installed (CI).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .definition import ReportDefinitionError
from .runs import RunSpec

#: The executors ``cx report --executor`` accepts.
EXECUTORS = ("local", "dask", "ray")

#: Seconds to wait for the scheduler at ``--address`` before giving up (nothing is run).
CONNECT_TIMEOUT = 20.0

#: Seconds a cancelled Ray task gets to stop its kernel and end (Ctrl-C).
CANCEL_GRACE = 15.0

#: What ``--executor`` needs installed: (module, what it is, the extra to install).
_NEEDS = {"dask": ("distributed", "Dask distributed", "cluster"), "ray": ("ray", "Ray", "ray")}

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def check_executor(executor: str, address: str | None) -> None:
    """Refuse an unknown executor, an ``address`` without ``dask`` or ``ray``, or a missing
    engine package (``distributed``, ``ray``), before anything runs.

    Raises
    ------
    ReportDefinitionError
        Naming the problem and what to use or install instead.

    Examples
    --------
    >>> check_executor("local", None)
    >>> check_executor("local", "tcp://10.0.0.5:8786")
    Traceback (most recent call last):
    ...
    cxlib.report.definition.ReportDefinitionError: --address goes with --executor dask or ray (got --executor local)
    """
    if executor not in EXECUTORS:
        raise ReportDefinitionError(f"unknown executor {executor!r}; choose one of {list(EXECUTORS)}")
    if address is not None and executor not in _NEEDS:
        raise ReportDefinitionError(f"--address goes with --executor dask or ray (got --executor {executor})")
    if executor in _NEEDS:
        module, engine, extra = _NEEDS[executor]
        try:
            __import__(module)
        except ImportError:
            raise ReportDefinitionError(
                f"--executor {executor} needs {engine}: pip install 'cxlib[{extra}]'; nothing was run") from None


# --- worker side -------------------------------------------------------------------------

def _cap_threads(threads: int) -> None:
    """BLAS/OpenMP thread caps that the worker's kernels inherit (unless already set)."""
    for var in _THREAD_VARS:
        os.environ.setdefault(var, str(threads))


def _quiet_worker(threads: int) -> None:
    """Prepare a worker of a Dask cluster started for the batch (``client.run``): thread
    caps, and the kernels' chatter kept off the terminal (fds 1 and 2 to devnull, as the
    local executor's workers do)."""
    _cap_threads(threads)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def run_on_worker(run: RunSpec, *, cwd: str, version: str):
    """Execute one run on a cluster's worker (Dask or Ray): in the batch's working directory
    ``cwd``, with the batch's cxlib ``version`` (a worker with another fails the run).
    Returns a :class:`~cxlib.report.execute.RunResult`, never raises for a failing run."""
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
    """Cancel the run a worker is executing (Dask: ``client.run``; Ray: a thread started on
    ``ray.cancel``'s interrupt): its kernel is killed and the run ends as cancelled without
    writing its outputs, as in a local worker."""
    from . import execute

    if execute._CANCEL is None:
        execute._CANCEL = threading.Event()
    execute._CANCEL.set()
    execute._kill_kernels()


def run_on_ray_worker(run: RunSpec, *, cwd: str, version: str, threads: int | None = None):
    """:func:`run_on_worker` as a Ray task. ``ray.cancel`` interrupts the task's main thread
    (a simulated SIGINT): while the run executes, that cancels it as Dask's
    :func:`_cancel_on_worker` does (the kernel killed from a thread of its own, the run
    recorded cancelled) instead of raising ``KeyboardInterrupt`` at an arbitrary point.
    ``threads``: thread caps for the kernels of a Ray instance started for the batch."""
    if threads is not None:
        _cap_threads(threads)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, lambda *_: threading.Thread(
        target=_cancel_on_worker, name="cx-cancel", daemon=True).start()) if main else None
    try:
        return run_on_worker(run, cwd=cwd, version=version)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


# --- batch side --------------------------------------------------------------------------

#: A started batch on an engine: the runs' futures (``concurrent.futures`` style) and the
#: function that cancels the given unfinished ones, queued and running.
_Batch = tuple[dict[Any, RunSpec], Callable[[list[Any]], None]]


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


@contextlib.contextmanager
def _dask_batch(runs: Sequence[RunSpec], *, address: str | None, workers: int, cwd: str,
                version: str) -> Iterator[_Batch]:
    """The runs submitted to a Dask cluster (:func:`_client`)."""
    with _client(address, workers) as (client, own):
        if own:
            client.run(_quiet_worker, max(1, (os.cpu_count() or 1) // workers))
        futures = {client.submit(run_on_worker, r, cwd=cwd, version=version, pure=False,
                                 key=f"cx-{r.key}-{time.time_ns()}"): r for r in runs}

        def cancel(pending: list[Any]) -> None:
            client.cancel(pending)
            with contextlib.suppress(Exception):  # a worker that is gone has no kernel to stop
                client.run(_cancel_on_worker)

        yield futures, cancel


@contextlib.contextmanager
def _ray_session(address: str | None, workers: int):
    """Connected to Ray: the connection this process already has (left open); else the
    cluster at ``address`` or, without one, at Ray's ``RAY_ADDRESS`` variable; else a local
    instance of ``workers`` CPUs started for the batch (disconnected, and the local instance
    stopped, at the end). Yields whether the instance was started for the batch."""
    import logging

    import ray

    if ray.is_initialized():
        yield False
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    try:
        if address is not None:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:  # "local": not a cluster that `ray start` left running on this machine
            ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
    except Exception as exc:  # noqa: BLE001 - ray raises ConnectionError, RuntimeError or a bare Exception
        with contextlib.suppress(Exception):
            ray.shutdown()
        if address is not None:
            raise ReportDefinitionError(f"cannot reach the Ray cluster at {address!r} ({exc}); nothing was run") from None
        raise ReportDefinitionError(  # e.g. its agents too slow to start on a loaded machine (Ray allows 15 s)
            f"could not start a local Ray instance ({exc}); start one with `ray start --head` and pass "
            "--address auto, or use --executor dask; nothing was run") from None
    try:
        yield address is None
    finally:
        ray.shutdown()


@contextlib.contextmanager
def _ray_batch(runs: Sequence[RunSpec], *, address: str | None, workers: int, cwd: str,
               version: str) -> Iterator[_Batch]:
    """The runs submitted as Ray tasks of one CPU each, never retried (a run whose worker
    died fails, as with Dask); their ``ObjectRef.future()`` are the futures."""
    import ray

    with _ray_session(address, workers) as own:
        threads = max(1, (os.cpu_count() or 1) // workers) if own else None
        task = ray.remote(num_cpus=1, max_retries=0)(run_on_ray_worker)
        refs = {task.remote(r, cwd=cwd, version=version, threads=threads): r for r in runs}
        futures = {ref.future(): ref for ref in refs}

        def cancel(pending: list[Any]) -> None:
            for fut in pending:  # queued tasks never start; running ones are interrupted
                with contextlib.suppress(Exception):
                    ray.cancel(futures[fut], recursive=False)
            # the running ones kill their kernels before the session ends (a stopped instance kills
            # its workers, which would orphan the kernels)
            concurrent.futures.wait(pending, timeout=CANCEL_GRACE)

        yield {fut: refs[ref] for fut, ref in futures.items()}, cancel


def execute_cluster(runs: Sequence[RunSpec], *, executor: str, address: str | None, jobs: int,
                    on_done: Callable[[Any], None], interrupt: Any, outcome: Callable[..., Any],
                    cancelled: Callable[[RunSpec], Any]) -> None:
    """Execute the runs on a Dask cluster or Ray, calling ``on_done`` with each run's result as it ends.

    ``outcome(future, run, cancelling=False)`` turns a finished future into a result (a task
    that raised, e.g. ``KilledWorker`` or ``WorkerCrashedError`` after the worker running it
    died, fails its run); ``cancelled(run)`` makes the result of a run that never finished.
    On Ctrl-C (``interrupt.count``) every unfinished run is cancelled at once and recorded
    so: the queued runs never start, and the workers kill the kernels of the running ones,
    which then end without writing their outputs (``--resume`` reruns them).
    """
    from .. import __version__

    start = _dask_batch if executor == "dask" else _ray_batch
    with start(runs, address=address, workers=min(jobs, len(runs)), cwd=os.getcwd(),
               version=__version__) as (futures, cancel):
        pending = set(futures)
        try:
            while pending and not interrupt.count:
                for fut in [f for f in pending if f.done()]:
                    pending.discard(fut)
                    on_done(outcome(fut, futures[fut], cancelling=False))
                time.sleep(0.1)
        finally:
            if pending:  # interrupted, or on_done raised: the queued runs never start, the running stop
                cancel(list(pending))
    for fut in sorted(pending, key=lambda f: runs.index(futures[f])):
        on_done(cancelled(futures[fut]))
