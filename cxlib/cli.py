"""The ``cx`` command line: generate data and run the quarterly report.

Examples::

    cx data synth                      # write the default synthetic dataset to data/synthetic/
    cx data import study.toml          # import a study's own data into dataset/ beside the study file
    cx report                          # the latest quarter of the default data
    cx report --quarter 2026Q3 --jobs 2 --only 01_cx_scorecard
    cx report --quarter 2026Q3 --resume
    cx report --executor dask --address tcp://10.0.0.5:8786   # the runs on a Dask cluster
    cx report --executor ray --address ray://10.0.0.5:10001   # ... or on a Ray cluster (cxlib[ray])
    cx report --study study.toml       # import the study if needed, report its latest wave (from any directory)
    cx notebooks export out/           # .ipynb copies of the report's notebooks (for papermill)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

def _build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="cx", description="cxlib: customer-experience research notebooks and the quarterly CX report.")
    parser.add_argument("--version", action="version", version=f"cxlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rep = sub.add_parser("report", help="run the quarterly report (papermill) and render HTML under reports/",
                         description="Execute the report's notebooks for a quarter and render reviewer HTML to "
                                     "reports/<quarter>/ with an index.html. With --study, on a researcher's own "
                                     "data: the study is imported into dataset/ beside the study file (again only "
                                     "when the study file or a source changed) and the report is written to "
                                     "reports/ beside it; works from any directory.")
    rep.add_argument("--study", default=None, metavar="STUDY.toml",
                     help="report on a study's own data (see data/study-file.md); the definition is the study's "
                          "[report] definition or the package's notebooks/report.toml, fanned out over the "
                          "study's segments")
    rep.add_argument("--quarter", help="quarter to report, e.g. 2026Q3 (default: the latest quarter (wave) in the data)")
    rep.add_argument("--only", nargs="+", metavar="NAME", help="run only these notebooks or notebook/run keys")
    rep.add_argument("--jobs", type=int, default=None, help="parallel notebook runs (default: number of cores)")
    rep.add_argument("--executor", default="local", choices=["local", "dask", "ray"],
                     help="who executes the runs: local worker processes (default), a Dask distributed cluster "
                          "(pip install 'cxlib[cluster]') or Ray (optional: pip install 'cxlib[ray]'); with a "
                          "cluster, data and reports must be on a file system the workers share")
    rep.add_argument("--address", default=None, metavar="ADDRESS",
                     help="with --executor dask: an existing cluster's scheduler, e.g. tcp://10.0.0.5:8786; with "
                          "--executor ray: ray://HEAD:10001 (Ray Client) or auto (on a node of the cluster) "
                          "(default: a local cluster / Ray instance of --jobs workers)")
    rep.add_argument("--resume", action="store_true",
                     help="rerun only the runs that failed, are missing or whose inputs changed (says why)")
    rep.add_argument("--force", action="store_true", help="overwrite an existing report for the quarter")
    rep.add_argument("--data", default=None, help="dataset directory (default: data/synthetic, generated if absent); "
                                                  "not with --study")
    rep.add_argument("--reports-dir", default=None,
                     help="where <quarter>/ is written (default: reports/ in the working directory; with --study, "
                          "reports/ beside the study file)")
    rep.add_argument("--definition", default=None,
                     help="report definition (default: the study's [report] definition, else the package's "
                          "notebooks/report.toml)")
    rep.add_argument("--reimport", action="store_true", help="with --study: import the study even when up to date")
    rep.add_argument("--quiet", action="store_true", help="no progress bar")

    nbs = sub.add_parser("notebooks", help="the report's notebooks")
    nsub = nbs.add_subparsers(dest="notebooks_command", metavar="NOTEBOOKS_COMMAND")
    exp = nsub.add_parser("export", help="write .ipynb copies of the notebooks (for papermill or JupyterLab)")
    exp.add_argument("out", help="folder to write the .ipynb files to")

    data = sub.add_parser("data", help="data utilities")
    dsub = data.add_subparsers(dest="data_command", metavar="DATA_COMMAND")
    synth = dsub.add_parser("synth", help="generate the synthetic CX dataset with planted truth (Parquet + truth.json)")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--customers", type=int, default=20_000)
    synth.add_argument("--quarters", type=int, default=12)
    synth.add_argument("--end-quarter", default="2026Q3")
    synth.add_argument("--out", default=None, help="output directory (default: data/synthetic)")
    imp = dsub.add_parser("import", help="import a study's data (study file, see data/study-file.md) into a dataset",
                          description="Read the sources a study file declares, apply its roles and scales, check "
                                      "the data contracts and write the dataset directory; print the import report.")
    imp.add_argument("study", metavar="STUDY.toml", help="the study file")
    imp.add_argument("--out", default=None, help="dataset directory (default: dataset/ beside the study file)")

    init = sub.add_parser("init", help="scaffold a study file (study.toml) from a data file, roles and scales guessed",
                          description="Read a survey export, guess which column plays which role and the rating "
                                      "scales, and write DIR/study.toml with every guess marked '# REVIEW:'.")
    init.add_argument("dir", metavar="DIR", help="the study directory (created if absent)")
    init.add_argument("--from", dest="source", required=True, metavar="FILE",
                      help="the data file (CSV, Excel, Parquet, SPSS, Qualtrics export)")
    init.add_argument("--format", default=None, help="the file's format (default: from the suffix and content)")
    init.add_argument("--sheet", default=None, help="Excel only: the sheet's name or 0-based number")
    init.add_argument("--force", action="store_true", help="replace an existing DIR/study.toml")
    return parser


def _cmd_synth(args: argparse.Namespace) -> int:
    import time

    from .data.store import default_data_dir, write_dataset
    from .data.synthetic.generator import synthesize

    out = Path(args.out) if args.out else default_data_dir()
    t0 = time.perf_counter()
    ds = synthesize(seed=args.seed, n_customers=args.customers, quarters=args.quarters, end_quarter=args.end_quarter)
    write_dataset(ds, out)
    sizes = ", ".join(f"{name} {len(getattr(ds, name)):,}" for name in ("customers", "survey", "touchpoints", "tickets", "journeys"))
    print(f"wrote {out}/ ({sizes} rows) in {time.perf_counter() - t0:.1f} s")
    return 0


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from .report.notebooks import export_notebooks

    if args.notebooks_command != "export":
        print("usage: cx notebooks export DIR", file=sys.stderr)
        return 2
    for path in export_notebooks(args.out):
        print(f"wrote {path}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    import pandas as pd

    from .data.importer import ImportFailed, import_study
    from .errors import CXDataError

    with pd.option_context("display.width", 200, "display.max_columns", None, "display.max_colwidth", 60):
        try:
            result = import_study(args.study, out=args.out)
        except CXDataError as exc:
            if isinstance(exc, ImportFailed):
                print(exc.summary.to_string(index=False), exc.report.to_string(index=False), sep="\n\n")
            print(f"cx: error: {exc}", file=sys.stderr)
            return 1
        print(result.summary.to_string(index=False), result.report.to_string(index=False), sep="\n\n")
        if result.weighting is not None:  # the weighting report: per wave, then the margins vs the targets
            print("", result.weighting.summary.to_string(index=False), result.weighting.margins.to_string(index=False),
                  sep="\n\n")
    rows = ", ".join(f"{name} {len(frame):,}" for name, frame in result.tables.items())
    print(f"\nwrote {result.path}/ ({rows} rows)")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from .data.scaffold import scaffold_study
    from .data.study import load_study
    from .errors import CXDataError

    sheet = int(args.sheet) if args.sheet is not None and args.sheet.isdigit() else args.sheet
    try:
        path = scaffold_study(args.source, args.dir, force=args.force, format=args.format, sheet=sheet)
    except CXDataError as exc:
        print(f"cx: error: {exc}", file=sys.stderr)
        return 1
    shown = Path(args.dir) / path.name
    study = load_study(path)
    print(f"wrote {shown} from {args.source}; guessed roles:")
    for role, value in study.roles["survey"].items():
        names = ", ".join(value[:6]) + (f", … ({len(value)} columns)" if len(value) > 6 else "") \
            if isinstance(value, list) else value
        scale = study.scales[role].to_dict() if role in study.scales else None
        parts = [f"points {scale['points']}"] if scale else []
        if scale and scale["missing"]:
            parts.append(f"missing {scale['missing']}")
        if scale and 0 < len(scale["values"]) <= 2:
            parts.append("values " + ", ".join(f"{k!r} = {v}" for k, v in scale["values"].items()))
        print(f"  {role:<14} {names}" + (f"  [{'; '.join(parts)}]" if parts else ""))
    n_review = sum("# REVIEW:" in line for line in path.read_text(encoding="utf-8").splitlines())
    print(f"\n{n_review} lines are marked '# REVIEW:': check them against your questionnaire, then run\n"
          f"  cx data import {shown}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    try:
        return _report(args)
    except KeyboardInterrupt:  # Ctrl-C outside the runs (while loading data or planning)
        print("cx: interrupted before the runs started; nothing was recorded", file=sys.stderr)
        return 130


def _report(args: argparse.Namespace) -> int:
    from .data.calendar import latest_quarter
    from .data.store import default_data_dir, ensure_dataset, load_dataset
    from .report.execute import run_report

    if args.study is not None:
        return _study_report(args)
    if args.reimport:
        print("cx: error: --reimport goes with --study", file=sys.stderr)
        return 2
    data_dir = Path(args.data) if args.data else default_data_dir()
    if data_dir.is_absolute() and data_dir.is_relative_to(Path.cwd()):
        data_dir = data_dir.relative_to(Path.cwd())  # relative paths keep reports identical across clones
    quarter = args.quarter
    if args.data is None:
        ds = ensure_dataset(data_dir)  # the default data is generated on first use
        quarter = quarter or latest_quarter(ds)
    elif quarter is None:
        quarter = latest_quarter(load_dataset(data_dir))
    result = run_report(quarter, definition=args.definition, data_dir=data_dir,
                        reports_dir=args.reports_dir or "reports", only=args.only, jobs=args.jobs,
                        resume=args.resume, force=args.force, progress=not args.quiet,
                        executor=args.executor, address=args.address)
    return _finish(args, result, quarter)


def _study_report(args: argparse.Namespace) -> int:
    """``cx report --study``: import when needed, then the report beside the study file."""
    import pandas as pd

    from .data.importer import ImportFailed
    from .errors import CXDataError
    from .report.execute import run_report
    from .report.runs import plan_notes
    from .report.study import prepare_study_report

    if args.data is not None:
        print("cx: error: --data and --study exclude each other (the study's dataset/ is used)", file=sys.stderr)
        return 2
    try:
        prepared = prepare_study_report(args.study, definition=args.definition, quarter=args.quarter,
                                        reimport=args.reimport)
    except ImportFailed as exc:
        with pd.option_context("display.width", 200, "display.max_columns", None, "display.max_colwidth", 60):
            print(exc.summary.to_string(index=False), exc.report.to_string(index=False), sep="\n\n")
        raise CXDataError(str(exc)) from None
    print(prepared.why)
    if prepared.imported is not None and not args.quiet:
        with pd.option_context("display.width", 200, "display.max_colwidth", 80):
            print(prepared.imported.summary.to_string(index=False))
    data_dir = _relative(prepared.data_dir)
    reports_dir = Path(args.reports_dir) if args.reports_dir else _relative(prepared.reports_dir)
    for note in plan_notes(prepared.definition, quarter=prepared.quarter, data_dir=data_dir):
        print(note)
    result = run_report(prepared.quarter, definition=prepared.definition, data_dir=data_dir, reports_dir=reports_dir,
                        only=args.only, jobs=args.jobs, resume=args.resume, force=args.force,
                        progress=not args.quiet, executor=args.executor, address=args.address)
    return _finish(args, result, prepared.quarter)


def _relative(path: Path) -> Path:
    """``path`` relative to the working directory when below it (reports identical across clones)."""
    return path.relative_to(Path.cwd()) if path.is_absolute() and path.is_relative_to(Path.cwd()) else path


def _finish(args: argparse.Namespace, result, quarter: str) -> int:
    """The batch's summary line, and the exit code."""
    if args.quiet:  # otherwise shown before the runs started
        from .report.execute import worth_saying

        for key, why in worth_saying(result.reruns):
            print(f"rerun {key}: {why}")
    n_ok = sum(r.status == "ok" for r in result.results)
    cancelled = f", {len(result.cancelled)} cancelled" if result.interrupted else ""
    print(f"{quarter}: {n_ok} ok, {len(result.failed)} failed{cancelled}, {len(result.skipped)} skipped "
          f"(already done); index: {result.out_dir / 'index.html'}")
    if result.interrupted:
        print(f"cx: interrupted; finished runs are recorded. Resume with: {_resume_command(args, quarter)}",
              file=sys.stderr)
        return 130
    return 0 if result.ok else 1


def _resume_command(args: argparse.Namespace, quarter: str) -> str:
    """The ``cx report`` command line that resumes this batch."""
    import shlex

    parts = ["cx", "report", *(["--study", args.study] if args.study else []), "--quarter", quarter, "--resume"]
    for flag, value in (("--data", args.data), ("--definition", args.definition),
                        ("--reports-dir", None if args.reports_dir == "reports" else args.reports_dir),
                        ("--jobs", args.jobs),
                        ("--executor", None if args.executor == "local" else args.executor),
                        ("--address", args.address)):
        if value is not None:
            parts += [flag, str(value)]
    if args.only:
        parts += ["--only", *args.only]
    return shlex.join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cx`` console script."""
    from .errors import CXDataError
    from .report.definition import ReportDefinitionError

    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "report":
            return _cmd_report(args)
        if args.command == "data" and args.data_command == "synth":
            return _cmd_synth(args)
        if args.command == "notebooks":
            return _cmd_notebooks(args)
        if args.command == "data" and args.data_command == "import":
            return _cmd_import(args)
        if args.command == "init":
            return _cmd_init(args)
    except (CXDataError, ReportDefinitionError) as exc:
        print(f"cx: error: {exc}", file=sys.stderr)
        return 2
    parser.print_help()
    return 0 if args.command is None else 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
