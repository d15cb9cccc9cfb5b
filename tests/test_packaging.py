"""Set-up contract: one source of dependencies, conda file in step, two README commands,
console script, explicit public API, the README example runs."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import cxlib as cx

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_in_step_with_pyproject():
    env = (ROOT / "environment.yml").read_text()
    py = _pyproject()
    # python version: conda pins the minimum that pyproject requires
    minimum = re.search(r">=\s*(\d+\.\d+)", py["project"]["requires-python"]).group(1)
    assert re.search(rf"^\s*-\s*python={re.escape(minimum)}\s*$", env, re.M), "python pin differs from requires-python"
    # the packages come from pyproject through pip (one source), with the same extras
    extras = re.search(r"-e \.\[([^\]]+)\]", env).group(1).split(",")
    assert set(extras) <= set(py["project"]["optional-dependencies"])
    assert "dev" in extras
    # conda lists no package of its own that could drift from pyproject
    deps_section = env.split("dependencies:", 1)[1]
    conda_deps = re.findall(r"^  - ([A-Za-z0-9_.-]+)", deps_section, re.M)
    assert set(conda_deps) <= {"python", "pip"}, conda_deps


def test_core_dependencies_declared_and_seaborn_pinned():
    deps = " ".join(_pyproject()["project"]["dependencies"])
    for name in ("jupyterlab", "pandas", "statsmodels", "seaborn", "papermill", "nbconvert", "ipykernel",
                 "pyarrow", "jupytext", "matplotlib"):
        assert re.search(rf"\b{name}\b", deps), name
    assert re.search(r"seaborn>=0\.13[^,]*,<0\.14", deps)


def test_readme_setup_is_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set-up: two commands", 1)[1].split("##", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, re.S)
    commands = [line for line in blocks[0].splitlines() if line.strip()]
    assert commands == ["make report", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^report:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_console_script_help():
    out = subprocess.run([sys.executable, "-m", "cxlib.cli", "--help"], capture_output=True, text=True, check=True)
    assert "report" in out.stdout and "data" in out.stdout
    assert _pyproject()["project"]["scripts"]["cx"] == "cxlib.cli:main"


def test_public_api_is_explicit():
    assert len(cx.__all__) == len(set(cx.__all__))
    for name in cx.__all__:
        assert hasattr(cx, name), name


def test_import_is_silent():
    out = subprocess.run([sys.executable, "-c", "import cxlib"], capture_output=True, text=True, check=True)
    assert out.stdout == "" and out.stderr == ""


def test_readme_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## Interactive example\n\n```python\n(.*?)```", readme, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    monkeypatch.chdir(tmp_path)  # ensure_dataset() generates data/synthetic/ here
    namespace: dict = {}
    exec(compile(code, "README example", "exec"), namespace)  # noqa: S102
    assert (tmp_path / "data" / "synthetic" / "survey.parquet").exists()


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.py")), ids=lambda p: p.name)
def test_notebooks_are_jupytext_percent_with_one_parameters_cell(path):
    text = path.read_text()
    assert "format_name: percent" in text
    assert len(re.findall(r'^# %%.*tags=\[[^\]]*"parameters"', text, re.M)) == 1
    assert re.match(r"^\d\d_[a-z0-9_]+\.py$", path.name)


def _build_wheel(tmp_path: Path) -> Path:
    """A wheel of a copy of the project (the checkout stays clean: no build/ or egg-info)."""
    import shutil

    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "_notebooks")
    shutil.copytree(ROOT / "cxlib", src / "cxlib", ignore=ignore)
    shutil.copytree(ROOT / "notebooks", src / "notebooks", ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "-q", "-w", str(tmp_path / "dist"), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "dist").glob("cxlib-*.whl")
    return wheel


def test_wheel_ships_the_notebooks_and_finds_them_when_installed(tmp_path):
    """notebooks/ stays at the top of the repository; the wheel carries it as cxlib/_notebooks,
    and an installed cxlib (no checkout beside it) runs its report definition from there."""
    import os
    import zipfile

    pytest.importorskip("setuptools", minversion="77")  # PEP 639 license string (pyproject)
    wheel = _build_wheel(tmp_path)
    shipped = sorted(["report.toml", *(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))])
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        inside = sorted(n.split("/")[-1] for n in names if n.startswith("cxlib/_notebooks/"))
        assert inside == shipped
        assert not [n for n in names if n.startswith("notebooks/")]  # no top-level folder in site-packages
        for name in shipped:
            assert z.read(f"cxlib/_notebooks/{name}") == (ROOT / "notebooks" / name).read_bytes()
        site = tmp_path / "site"
        z.extractall(site)  # an installed layout: site-packages/cxlib/...
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import cxlib; from cxlib.report.notebooks import notebooks_dir; "
            "from cxlib.report.definition import load_definition; d = load_definition(); "
            "print(cxlib.__file__); print(notebooks_dir()); print(*sorted({s.path.parent for s in d.notebooks}))")
    env = {k: v for k, v in os.environ.items() if k != "CX_NOTEBOOKS"} | {"PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    module, folder, parent = out.stdout.split()
    assert Path(module).parent == site / "cxlib"
    assert Path(folder) == Path(parent) == site / "cxlib" / "_notebooks"


def test_checkout_finds_the_repository_notebooks():
    from cxlib.report.notebooks import notebooks_dir

    assert not (ROOT / "cxlib" / "_notebooks").exists()  # the build hook never writes into the checkout
    assert notebooks_dir().resolve() == ROOT / "notebooks"


def test_engine_dependencies_declared():
    """narwhals is core (the metric core uses it); polars and PySpark are extras and tested
    in CI (both in dev)."""
    py = _pyproject()
    assert any(d.startswith("narwhals") for d in py["project"]["dependencies"])
    extras = py["project"]["optional-dependencies"]
    assert any(d.startswith("polars") for d in extras["engines"])
    assert any(d.startswith("polars") for d in extras["dev"])
    assert any(d.startswith("pyspark") for d in extras["spark"])
    assert any(d.startswith("pyspark") for d in extras["dev"])
