"""Shared fixtures: a small synthetic dataset on disk, and a notebook runner that executes
notebooks the way production does (papermill, through the report runner's code path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Timing-based deadlines make property tests flaky on a loaded 2-core CI machine; on CI
# (CI=true) the examples are also derandomized, so a run is reproducible. Locally they are
# random, to keep exploring.
settings.register_profile("cxlib", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "cxlib")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

os.environ.setdefault("MPLBACKEND", "Agg")

# tests/notebooks/ holds notebooks the runner executes, not test modules to import
collect_ignore = ["notebooks"]


@pytest.fixture(scope="session")
def small_dataset():
    """A small synthetic dataset (seed 7): fast to generate, same structure as the default."""
    import cxlib as cx

    return cx.synthesize(seed=7, n_customers=4000, quarters=6)


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory, small_dataset):
    """``small_dataset`` written to disk as the notebooks read it."""
    import cxlib as cx

    path = tmp_path_factory.mktemp("data") / "synthetic"
    cx.write_dataset(small_dataset, path)
    return path


@pytest.fixture(scope="session")
def run_notebook(tmp_path_factory):
    """Execute ``notebooks/<name>.py`` with papermill and render it like the batch does.

    Returns a function ``(name, **parameters) -> (RunResult, key_figures dict, html str)``.
    """
    from cxlib.report.execute import execute_run
    from cxlib.report.figures import load_key_figures
    from cxlib.report.runs import RunSpec, validate_runs

    out = tmp_path_factory.mktemp("nbruns")

    def _run(name: str, run: str = "smoke", **parameters):
        spec = RunSpec(notebook=name, run=run, input_path=NOTEBOOKS / f"{name}.py",
                       parameters=dict(parameters), out_dir=out, timeout=300)
        spec.parameters["figures_path"] = str(spec.figures)  # type: ignore[index]
        validate_runs([spec])
        result = execute_run(spec)
        assert result.status == "ok", (result.error, spec.log.read_text() if spec.log.exists() else "")
        return result, load_key_figures(spec.figures), spec.html.read_text(encoding="utf-8")

    return _run


@pytest.fixture(scope="session")
def spark():
    """One local Spark session per test process (each xdist worker starts its own JVM).

    Small queries on small data, tuned for CPU time (the JVM's work here is mostly compiling,
    measured in benchmarks/README.md): one core, one shuffle partition, no adaptive re-planning
    (its extra jobs cost more than they save here), interpreted rather than whole-stage
    generated code, the JVM's quick compiler only and a serial garbage collector (about 40%
    less JVM CPU), no UI or progress bar. PySpark is in the ``dev`` extra; the tests that use
    this fixture skip only when Java is not on PATH.
    """
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("PySpark needs Java 17: `java` is not on PATH (and JAVA_HOME is not set)")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("cxlib-tests")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "1").config("spark.default.parallelism", "1")
               .config("spark.sql.adaptive.enabled", "false").config("spark.sql.codegen.wholeStage", "false")
               .config("spark.driver.memory", "512m")
               .config("spark.driver.extraJavaOptions",
                       "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_connect(spark):
    """The URL (``sc://localhost:PORT``) of a Spark Connect server running inside the
    ``spark`` fixture's JVM, on a free port: no second JVM (the server starts in about half a
    second). Clients open it with ``cxlib.data.sources.spark_session(url)``: the Connect
    client's builder, which works beside the classic session of this process. The Connect
    client's gRPC packages come with ``pyspark[connect]`` (in ``dev``)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    jvm = spark._jvm
    spark._jsc.sc().conf().set("spark.connect.grpc.binding.port", str(port))
    jvm.org.apache.spark.sql.connect.service.SparkConnectService.start(spark._jsc.sc())
    yield f"sc://localhost:{port}"
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    client = ConnectSession.getActiveSession()
    if client is not None:
        client.stop()
    try:
        jvm.org.apache.spark.sql.connect.service.SparkConnectService.stop(jvm.scala.Option.empty(),
                                                                           jvm.scala.Option.empty())
    except Exception:  # noqa: BLE001 - the JVM may be gone already (another module stopped its session)
        pass
