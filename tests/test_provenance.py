"""Provenance of a run (cxlib.report.provenance): package versions as importlib.metadata
reports them, the git commit as git itself reports it (on a repository made here), and a
table that lists every parameter the run used."""

from __future__ import annotations

import platform
import shutil
import subprocess
from importlib import metadata

import pytest

from cxlib.data.store import fingerprint
from cxlib.report.provenance import (
    REPORT_PACKAGES,
    git_commit,
    package_versions,
    provenance_table,
)

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(repo, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    (path / "a.txt").write_text("one\n")
    git(path, "add", "a.txt")
    git(path, "commit", "-q", "-m", "first")
    return path


def test_package_versions_are_importlib_metadata_versions():
    versions = package_versions()
    assert list(versions) == ["python", *REPORT_PACKAGES]
    assert versions["python"] == platform.python_version()
    for name in REPORT_PACKAGES:
        try:
            expected = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected = "not installed"
        assert versions[name] == expected, name
    assert versions["pandas"] == __import__("pandas").__version__  # an installed one, checked another way
    assert package_versions(["no-such-package-cxlib-test"]) == {"python": platform.python_version(),
                                                                "no-such-package-cxlib-test": "not installed"}


@needs_git
def test_git_commit_is_the_repository_head(repo):
    head = git(repo, "rev-parse", "HEAD")
    assert git_commit(repo) == head[:12]
    (repo / "b.txt").write_text("untracked\n")
    assert git_commit(repo) == head[:12]  # untracked files do not make the tree dirty
    (repo / "a.txt").write_text("two\n")
    assert git_commit(repo) == head[:12] + "-dirty"
    git(repo, "commit", "-q", "-am", "second")
    new_head = git(repo, "rev-parse", "HEAD")
    assert new_head != head and git_commit(repo) == new_head[:12]


def test_git_commit_outside_a_repository_is_unknown(tmp_path):
    outside = tmp_path / "plain"
    outside.mkdir()
    (outside / ".git").write_text("not a repository")  # stops git from searching the parents
    assert git_commit(outside) == "unknown"


@needs_git
def test_the_table_lists_every_parameter_and_the_provenance(repo, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "survey.csv").write_text("ltr\n10\n")
    parameters = {"quarter": "2026Q3", "min_base": 30, "confidence_level": 0.95, "subset_value": None,
                  "drivers": ["support", "billing"], "exclude": []}
    monkeypatch.chdir(repo)  # the commit recorded is the working directory's
    table = provenance_table(parameters, data_dir=data)
    assert list(table.columns) == ["section", "item", "value"]
    params = table[table["section"] == "parameter"]
    assert params["item"].tolist() == list(parameters)
    assert params["value"].tolist() == ["2026Q3", "30", "0.95", "None", "support, billing", "(none)"]
    prov = dict(table.loc[table["section"] == "provenance", ["item", "value"]].itertuples(index=False))
    assert prov["data fingerprint (sha256)"] == fingerprint(data)
    assert prov["git commit"] == git(repo, "rev-parse", "HEAD")[:12]
    assert {k.removesuffix(" version"): v for k, v in prov.items() if k.endswith(" version")} == package_versions()
    # the fingerprint follows the data
    (data / "survey.csv").write_text("ltr\n9\n")
    changed = provenance_table(parameters, data_dir=data)
    assert changed.loc[changed["item"] == "data fingerprint (sha256)", "value"].item() != prov[
        "data fingerprint (sha256)"]


def test_without_data_there_is_no_fingerprint_row():
    table = provenance_table({"quarter": "2026Q3"})
    assert "data fingerprint (sha256)" not in table["item"].tolist()
    assert table.iloc[0].tolist() == ["parameter", "quarter", "2026Q3"]
