"""The quarterly CX report: a batch of parameterised notebooks run by papermill.

A *report definition* (TOML, validated on load) lists the notebooks of the quarterly
report and their parameter sets, including fan-out (one run per value of a segment column,
plus the overall run). :func:`run_report` validates every parameter set against the
notebooks' declared parameters before anything executes, runs the notebooks in parallel
worker processes, writes ``reports/<quarter>/<notebook>/<run>.ipynb`` and ``.html``
atomically, isolates failures (one failing run never stops the others), and writes the
quarter's ``index.html``.

Layout of a quarter's report directory::

    reports/2026Q3/
        index.html                      # every run, status, key figures, links
        runs.json                       # machine-readable status of every run
        01_cx_scorecard/overall.ipynb   # executed notebook (kept even when it failed)
        01_cx_scorecard/overall.html    # reviewer HTML (code removed)
        01_cx_scorecard/overall.json    # the run's key figures (written by the notebook)
        01_cx_scorecard/overall.log     # stderr, warnings and tracebacks of the run
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.io import atomic_write_json, atomic_write_text

__all__ = [
    "ReportDefinitionError",
    "NotebookSpec",
    "FanOut",
    "ReportDefinition",
    "RunSpec",
    "RunResult",
    "BatchResult",
    "load_definition",
    "default_definition_path",
    "plan_runs",
    "validate_runs",
    "run_report",
]

_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool", list: "list", dict: "dict"}


class ReportDefinitionError(ValueError):
    """The report definition or a run's parameters are invalid (nothing was executed)."""


@dataclass(frozen=True)
class FanOut:
    """One run per value of ``column`` in ``table``; the value is passed as ``parameter``.

    ``values`` restricts the runs to the listed values (otherwise all values found in the
    data, sorted). The overall run (``parameter`` = None) is always included.
    """

    parameter: str
    column: str
    table: str = "survey"
    values: tuple[str, ...] | None = None


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of the report and its parameter sets."""

    name: str
    path: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    fan_out: FanOut | None = None
    timeout: int = 600


@dataclass(frozen=True)
class ReportDefinition:
    """A validated report definition."""

    title: str
    notebooks: tuple[NotebookSpec, ...]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None


def default_definition_path() -> Path:
    """``notebooks/report.toml`` of the current working directory."""
    return Path("notebooks") / "report.toml"


def _require(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise ReportDefinitionError(f"{where}: missing required key {key!r}")
    value = table[key]
    if not isinstance(value, kind):
        raise ReportDefinitionError(
            f"{where}: {key!r} must be a {kind.__name__}, got {type(value).__name__} ({value!r})")
    return value


def _check_keys(table: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ReportDefinitionError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def load_definition(path: str | os.PathLike | None = None) -> ReportDefinition:
    """Load and validate a report definition (TOML).

    The format::

        [report]
        title = "Quarterly CX report"
        [report.parameters]          # passed to every notebook that declares them
        min_base = 30

        [[notebook]]
        name = "01_cx_scorecard"     # output folder name
        path = "01_cx_scorecard.py"  # relative to the definition file (jupytext or .ipynb)
        timeout = 600                # seconds per cell
        [notebook.parameters]
        segment_column = "plan"
        [notebook.fan_out]           # optional: one run per value, plus the overall run
        parameter = "subset_value"
        column = "country"
        table = "survey"

    Raises
    ------
    ReportDefinitionError
        On a missing file, bad TOML, unknown or missing keys, wrong types, duplicate names,
        or a notebook file that does not exist.
    """
    path = Path(path) if path is not None else default_definition_path()
    if not path.is_file():
        raise ReportDefinitionError(f"no report definition at {str(path)!r}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ReportDefinitionError(f"{path}: not valid TOML: {exc}") from None
    _check_keys(raw, ["report", "notebook"], str(path))
    report = _require(raw, "report", dict, str(path))
    _check_keys(report, ["title", "parameters"], f"{path} [report]")
    title = _require(report, "title", str, f"{path} [report]")
    shared = report.get("parameters", {})
    if not isinstance(shared, dict):
        raise ReportDefinitionError(f"{path} [report.parameters] must be a table")
    entries = _require(raw, "notebook", list, str(path))
    if not entries:
        raise ReportDefinitionError(f"{path}: no [[notebook]] entries")
    specs: list[NotebookSpec] = []
    for i, entry in enumerate(entries):
        where = f"{path} [[notebook]] #{i + 1}"
        _check_keys(entry, ["name", "path", "parameters", "fan_out", "timeout"], where)
        name = _require(entry, "name", str, where)
        if not _NAME.match(name):
            raise ReportDefinitionError(f"{where}: name {name!r} must be letters, digits, '_', '-' or '.'")
        nb_path = (path.parent / _require(entry, "path", str, where))
        if not nb_path.is_file():
            raise ReportDefinitionError(f"{where}: notebook file {str(nb_path)!r} does not exist")
        params = entry.get("parameters", {})
        if not isinstance(params, dict):
            raise ReportDefinitionError(f"{where}: 'parameters' must be a table")
        timeout = entry.get("timeout", 600)
        if not isinstance(timeout, int) or timeout <= 0:
            raise ReportDefinitionError(f"{where}: 'timeout' must be a positive integer (seconds)")
        fan = None
        if "fan_out" in entry:
            f = entry["fan_out"]
            if not isinstance(f, dict):
                raise ReportDefinitionError(f"{where}: 'fan_out' must be a table")
            _check_keys(f, ["parameter", "column", "table", "values"], f"{where} fan_out")
            values = f.get("values")
            if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
                raise ReportDefinitionError(f"{where} fan_out: 'values' must be a list of strings")
            fan = FanOut(parameter=_require(f, "parameter", str, f"{where} fan_out"),
                         column=_require(f, "column", str, f"{where} fan_out"),
                         table=f.get("table", "survey"),
                         values=tuple(values) if values is not None else None)
        specs.append(NotebookSpec(name=name, path=nb_path, parameters=params, fan_out=fan, timeout=timeout))
    names = [s.name for s in specs]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ReportDefinitionError(f"{path}: duplicate notebook name(s) {dup}")
    return ReportDefinition(title=title, notebooks=tuple(specs), parameters=shared, source=path)


@dataclass(frozen=True)
class RunSpec:
    """One notebook execution of the batch."""

    notebook: str
    run: str
    input_path: Path
    parameters: Mapping[str, Any]
    out_dir: Path
    timeout: int = 600

    @property
    def key(self) -> str:
        return f"{self.notebook}/{self.run}"

    @property
    def ipynb(self) -> Path:
        return self.out_dir / self.notebook / f"{self.run}.ipynb"

    @property
    def html(self) -> Path:
        return self.out_dir / self.notebook / f"{self.run}.html"

    @property
    def figures(self) -> Path:
        return self.out_dir / self.notebook / f"{self.run}.json"

    @property
    def log(self) -> Path:
        return self.out_dir / self.notebook / f"{self.run}.log"


def _slug(value: Any) -> str:
    s = re.sub(r"[^A-Za-z0-9_.-]+", "-", str(value)).strip("-")
    return s or "blank"


def _fan_values(fan: FanOut, data_dir: Path) -> list[str]:
    if fan.values is not None:
        return list(fan.values)
    import pandas as pd

    table = data_dir / f"{fan.table}.parquet"
    if not table.is_file():
        raise ReportDefinitionError(f"fan-out over {fan.table}.{fan.column}: no table at {str(table)!r}")
    try:
        col = pd.read_parquet(table, columns=[fan.column])[fan.column]
    except (KeyError, ValueError) as exc:
        raise ReportDefinitionError(f"fan-out: column {fan.column!r} not found in {str(table)!r} ({exc})") from None
    return sorted(map(str, col.dropna().unique()))


def plan_runs(definition: ReportDefinition, *, quarter: str, data_dir: str | os.PathLike,
              out_dir: str | os.PathLike, only: Sequence[str] | None = None) -> list[RunSpec]:
    """Expand the definition into the runs of one quarter (fan-out included).

    Every run receives ``quarter``, ``data_dir`` and ``figures_path`` (where it writes its
    key figures), plus the report-wide and notebook parameters; fan-out runs also receive
    their segment value. ``only`` keeps notebooks or runs by name (``"01_cx_scorecard"`` or
    ``"01_cx_scorecard/country-DE"``).
    """
    if not _QUARTER.match(str(quarter)):
        raise ReportDefinitionError(f"quarter {quarter!r} must look like '2026Q3'")
    data_dir = Path(data_dir)
    out_dir = Path(out_dir)
    runs: list[RunSpec] = []
    for spec in definition.notebooks:
        base = {**definition.parameters, **spec.parameters, "quarter": quarter, "data_dir": str(data_dir)}
        variants: list[tuple[str, dict[str, Any]]] = [("overall", {})]
        if spec.fan_out is not None:
            for value in _fan_values(spec.fan_out, data_dir):
                variants.append((f"{_slug(spec.fan_out.column)}-{_slug(value)}", {spec.fan_out.parameter: value}))
        for run_name, extra in variants:
            params = {**base, **extra}
            r = RunSpec(notebook=spec.name, run=run_name, input_path=spec.path, parameters=params,
                        out_dir=out_dir, timeout=spec.timeout)
            params["figures_path"] = str(r.figures)
            runs.append(r)
    if only:
        wanted = set(only)
        known = {r.notebook for r in runs} | {r.key for r in runs}
        unknown = sorted(wanted - known)
        if unknown:
            raise ReportDefinitionError(f"--only {unknown} matches no notebook or run; known: {sorted(known)}")
        runs = [r for r in runs if r.notebook in wanted or r.key in wanted]
    return runs


def read_notebook(path: str | os.PathLike):
    """Read a notebook: jupytext ``.py`` (py:percent) or ``.ipynb``."""
    import jupytext
    import nbformat

    path = Path(path)
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    nb = jupytext.read(path)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    nb.metadata.setdefault("language_info", {"name": "python"})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def declared_parameters(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares (papermill's ``inspect_notebook``)."""
    import tempfile

    import nbformat
    import papermill

    path = Path(path)
    nb = read_notebook(path)
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / (path.stem + ".ipynb")
        nbformat.write(nb, p)
        declared = papermill.inspect_notebook(str(p))
    # papermill skips (with only a log line) assignments it cannot parse, e.g. a comment
    # containing "="; such a parameter could never be injected, so say so.
    assigned = _assigned_names(nb)
    unparsed = sorted(assigned - set(declared))
    if unparsed:
        raise ReportDefinitionError(
            f"{path}: papermill cannot parse the parameters cell line(s) for {unparsed}; "
            "keep each line as `name: type = literal  # comment` without '=' in the comment")
    return declared


def _assigned_names(nb) -> set[str]:
    import ast

    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            try:
                tree = ast.parse(cell.source)
            except SyntaxError as exc:
                raise ReportDefinitionError(f"the parameters cell is not valid Python: {exc}") from None
            names: set[str] = set()
            for node in tree.body:
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    names.add(node.target.id)
                elif isinstance(node, ast.Assign):
                    names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            return names
    return set()


def _type_ok(value: Any, declared: str, default: str) -> bool:
    declared = (declared or "None").replace(" ", "")
    if value is None:
        return default == "None" or "None" in declared or "Optional" in declared
    if declared in ("None", "Any"):
        return True
    names = set(re.split(r"[|\[\],]", declared.replace("Optional", ""))) - {""}
    actual = _TYPE_NAMES.get(type(value), type(value).__name__)
    if actual in names:
        return True
    if actual == "int" and "float" in names:  # an int is a valid float
        return True
    return False


def validate_runs(runs: Sequence[RunSpec]) -> None:
    """Check every run's parameters against its notebook's declared parameters.

    Fails fast, before anything executes, on unknown names (papermill itself only warns),
    missing required values (a declared default of ``None`` whose comment starts with
    ``required``) and wrong types (by the declared annotation, e.g. ``min_base: int = 30``).

    Raises
    ------
    ReportDefinitionError
        Listing every problem found, one per line.
    """
    problems: list[str] = []
    cache: dict[Path, dict[str, dict[str, Any]]] = {}
    for r in runs:
        if r.input_path not in cache:
            declared = declared_parameters(r.input_path)
            if not declared:
                problems.append(f"{r.notebook}: {r.input_path} has no cell tagged 'parameters'")
            cache[r.input_path] = declared
        declared = cache[r.input_path]
        if not declared:
            continue
        for name, value in r.parameters.items():
            if name not in declared:
                problems.append(f"{r.key}: unknown parameter {name!r} (the notebook declares {sorted(declared)})")
                continue
            d = declared[name]
            if not _type_ok(value, d.get("inferred_type_name", "None"), d.get("default", "")):
                problems.append(f"{r.key}: parameter {name!r}={value!r} is a {type(value).__name__}, "
                                f"but the notebook declares {d.get('inferred_type_name')}")
        for name, d in declared.items():
            required = d.get("default") == "None" and str(d.get("help", "")).lower().startswith("required")
            if required and r.parameters.get(name) is None:
                problems.append(f"{r.key}: required parameter {name!r} has no value ({d.get('help')})")
    if problems:
        raise ReportDefinitionError("invalid report parameters:\n  " + "\n  ".join(dict.fromkeys(problems)))


@dataclass(frozen=True)
class RunResult:
    """What happened to one run."""

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
        import pandas as pd

        return pd.DataFrame([dataclasses.asdict(r) for r in self.results])


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path, start).replace(os.sep, "/")


def execute_run(run: RunSpec) -> RunResult:
    """Execute one run with papermill and render its HTML (runs in a worker process)."""
    import warnings

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from .provenance import provenance_table
    from .render import render_html

    start = time.perf_counter()
    run.ipynb.parent.mkdir(parents=True, exist_ok=True)
    run.figures.unlink(missing_ok=True)  # a stale file must not pass for this run's figures
    nb = read_notebook(run.input_path)
    error: str | None = None
    had_warnings = False
    # papermill writes the executed notebook (complete, or up to the failing cell) to a temp
    # file; it is then renamed into place, so no half-written notebook is ever visible.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{run.run}.", suffix=".ipynb.tmp", dir=run.ipynb.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # Kernels inherit the environment: whatever backend the caller uses (e.g. Agg in
    # tests), notebooks must draw with the inline backend so figures land in the output.
    saved_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
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
    try:
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
        had_warnings = rendered.had_warnings
        if error is not None and rendered.error is not None:
            error = rendered.error
    except Exception as exc:  # rendering must not take the batch down either
        error = error or f"rendering failed: {type(exc).__name__}: {exc}"
    if error is None and not run.figures.exists():
        error = f"the notebook wrote no key figures to {run.figures}"
    base = run.out_dir
    return RunResult(
        notebook=run.notebook, run=run.run, status="ok" if error is None else "failed",
        seconds=round(time.perf_counter() - start, 2), error=error, had_warnings=had_warnings,
        html=_relative(run.html, base) if run.html.exists() else None,
        ipynb=_relative(run.ipynb, base) if run.ipynb.exists() else None,
        figures=_relative(run.figures, base) if run.figures.exists() else None,
        log=_relative(run.log, base) if run.log.exists() else None,
    )


def _load_manifest(out_dir: Path) -> dict[str, Any]:
    p = out_dir / "runs.json"
    if not p.is_file():
        return {"runs": {}}
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {"runs": {}}


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
        Show a progress bar and a line per finished run.

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
    stream = stream if stream is not None else sys.stderr
    runs = plan_runs(definition, quarter=quarter, data_dir=data_dir, out_dir=out_dir, only=only)
    validate_runs(runs)

    manifest = _load_manifest(out_dir)
    previous = manifest.get("runs", {})
    if out_dir.exists() and previous and not (force or resume):
        raise ReportDefinitionError(
            f"a report for {quarter} already exists at {str(out_dir)!r}; "
            "use --resume to rerun only failed or missing runs, or --force to overwrite it")
    skipped: list[str] = []
    if resume:
        todo = []
        for r in runs:
            prev = previous.get(r.key)
            if prev and prev.get("status") == "ok" and r.html.exists() and r.figures.exists():
                skipped.append(r.key)
            else:
                todo.append(r)
        runs = todo

    jobs = max(1, int(jobs or os.cpu_count() or 1))
    results: list[RunResult] = []
    bar = None
    if progress and runs:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(runs), desc=f"cx report {quarter}", unit="run", file=stream, leave=True)

    def _done(res: RunResult) -> None:
        results.append(res)
        line = f"{res.status.upper():6} {res.key:45} {res.seconds:7.1f} s" + (f"  {res.error}" if res.error else "")
        if bar is not None:
            bar.write(line, file=stream)
            bar.update(1)
        # record progress as we go, so an interrupted batch can be resumed
        entry = {k: v for k, v in dataclasses.asdict(res).items()}
        manifest.setdefault("runs", {})[res.key] = entry
        manifest["quarter"] = quarter
        atomic_write_json(out_dir / "runs.json", manifest)

    out_dir.mkdir(parents=True, exist_ok=True)
    if runs:
        import multiprocessing as mp

        ctx = mp.get_context("forkserver")
        workers = min(jobs, len(runs))
        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                 initializer=_worker_init, initargs=(threads,)) as pool:
            futures = {pool.submit(execute_run, r): r for r in runs}
            for fut in as_completed(futures):
                r = futures[fut]
                try:
                    res = fut.result()
                except Exception as exc:  # a worker died: record, continue
                    res = RunResult(notebook=r.notebook, run=r.run, status="failed", seconds=0.0,
                                    error=f"worker crashed: {type(exc).__name__}: {exc}")
                _done(res)
    if bar is not None:
        bar.close()

    from .index import write_index

    write_index(out_dir, definition=definition, quarter=quarter, data_dir=data_dir, manifest=manifest)
    order = {r.key: i for i, r in enumerate(plan_runs(definition, quarter=quarter, data_dir=data_dir,
                                                          out_dir=out_dir, only=only))}
    results.sort(key=lambda r: order.get(r.key, 0))
    return BatchResult(quarter=quarter, out_dir=out_dir, results=tuple(results), skipped=tuple(skipped))
