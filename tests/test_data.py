"""Tests of cxlib.data: quarter helpers (calendar), atomic Parquet I/O and fingerprints
(store), de-duplication and subsets (prepare), and the layering of the data package."""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import cxlib as cx
from cxlib.data.schema import DRIVERS, SCHEMA, TABLES, CXData
from cxlib.errors import CXDataError

DATA_PKG = Path(cx.__file__).parent / "data"


@pytest.fixture(scope="module")
def small():
    return cx.synthesize(5, n_customers=600, quarters=3)


# ----------------------------------------------------------------------------- quarters
def test_quarter_helpers():
    assert cx.previous_quarter("2026Q1") == "2025Q4"
    assert cx.previous_quarter("2026Q3", 5) == "2025Q2"
    assert cx.quarter_range("2026Q1", 3) == ["2025Q3", "2025Q4", "2026Q1"]
    assert cx.quarter_bounds("2025Q4") == (pd.Timestamp("2025-10-01"), pd.Timestamp("2026-01-01"))
    s = pd.Series(pd.to_datetime(["2026-03-31 23:59", None, "2026-04-01 00:00"]), index=[7, 8, 9])
    out = cx.quarter_of(s)
    assert list(out.index) == [7, 8, 9] and list(out) == ["2026Q1", None, "2026Q2"]
    assert cx.quarter_of(pd.Timestamp("2024-11-05")) == "2024Q4"


@pytest.mark.parametrize("bad", ["2026Q5", "2026-Q1", "26Q1", 2026, None, "2026q1"])
def test_bad_quarter_strings(bad):
    with pytest.raises(CXDataError, match="YYYYQn"):
        cx.previous_quarter(bad)


@given(st.integers(1900, 2200), st.integers(1, 4), st.integers(1, 30))
def test_quarter_properties(year, q, n):
    end = f"{year}Q{q}"
    qs = cx.quarter_range(end, n)
    assert len(qs) == n and qs[-1] == end and qs == sorted(qs)
    assert all(cx.previous_quarter(b) == a for a, b in zip(qs, qs[1:]))
    start, stop = cx.quarter_bounds(end)
    assert cx.quarter_of(start) == end and cx.quarter_of(stop - pd.Timedelta(seconds=1)) == end


def test_latest_quarter(small):
    assert cx.latest_quarter(small) == "2026Q3"
    assert cx.latest_quarter(pd.DataFrame({"quarter": ["2025Q4", "2026Q1", None]})) == "2026Q1"
    with pytest.raises(CXDataError):
        cx.latest_quarter(pd.DataFrame({"quarter": [None]}))
    with pytest.raises(CXDataError, match="quarter"):
        cx.latest_quarter(pd.DataFrame({"q": ["2025Q1"]}))


# ----------------------------------------------------------------------------- I/O
def test_round_trip(small, tmp_path):
    out = cx.write_dataset(small, tmp_path / "ds")
    files = sorted(os.listdir(out))
    assert files == sorted([f"{t}.parquet" for t in TABLES] + ["truth.json", "truth_segments.parquet", "manifest.json"])
    back = cx.load_dataset(out)
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(back, t), getattr(small, t))
        assert {c: str(d) for c, d in getattr(back, t).dtypes.items()} == SCHEMA[t]
    assert back.truth.to_dict() == small.truth.to_dict()
    pd.testing.assert_frame_equal(back.truth.customer_segments, small.truth.customer_segments)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["parameters"]["quarters"] == 3
    assert manifest["row_counts"] == {t: len(getattr(small, t)) for t in TABLES}
    assert manifest["generator_version"] == small.truth.generator_version
    assert "survey=" in repr(back)


def test_failed_write_leaves_no_partial_file(small, tmp_path):
    target = tmp_path / "ds"
    cx.write_dataset(small, target)
    before = (target / "survey.parquet").read_bytes()
    bad_survey = small.survey.copy()
    bad_survey["comment"] = [1 if i % 2 else "x" for i in range(len(bad_survey))]  # pyarrow cannot store this
    bad = CXData(small.customers, bad_survey, small.touchpoints, small.tickets, small.journeys, small.truth)
    with pytest.raises(Exception):
        cx.write_dataset(bad, target)
    assert (target / "survey.parquet").read_bytes() == before  # old file untouched
    assert not [f for f in os.listdir(target) if f.startswith(".") or f.endswith(".tmp")]
    fresh = tmp_path / "fresh"
    with pytest.raises(Exception):
        cx.write_dataset(bad, fresh)
    assert sorted(os.listdir(fresh)) == ["customers.parquet"]  # written before the failure; nothing partial


def test_load_errors(small, tmp_path):
    with pytest.raises(CXDataError, match="does not exist"):
        cx.load_dataset(tmp_path / "nope")
    out = cx.write_dataset(small, tmp_path / "ds")
    (out / "tickets.parquet").unlink()
    with pytest.raises(CXDataError, match=r"'tickets.parquet' is missing.*ticket_id"):
        cx.load_dataset(out)
    (out / "manifest.json").unlink()
    with pytest.raises(CXDataError, match="manifest.json"):
        cx.load_dataset(out)
    with pytest.raises(CXDataError, match="CXData"):
        cx.write_dataset({"survey": small.survey}, tmp_path / "x")


def test_ensure_dataset(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cx.data.default_data_dir() == (tmp_path / "data" / "synthetic").resolve()
    d1 = cx.ensure_dataset(seed=2, n_customers=300, quarters=2)
    manifest = cx.data.default_data_dir() / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    d2 = cx.ensure_dataset(seed=2, n_customers=300, quarters=2)
    assert manifest.stat().st_mtime_ns == stamp  # loaded, not regenerated
    pd.testing.assert_frame_equal(d1.survey, d2.survey)
    with pytest.raises(CXDataError, match="different settings"):
        cx.ensure_dataset(seed=3, n_customers=300, quarters=2)


def _documented_digest(files: dict[str, bytes]) -> str:
    # The formula in fingerprint's Notes, written out here: SHA-256 over, in name order,
    # name + NUL + size + NUL + bytes; the first 16 hex characters.
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + str(len(files[name])).encode() + b"\0" + files[name])
    return h.hexdigest()[:16]


def test_fingerprint_by_hand(tmp_path):
    d = tmp_path / "ds"
    d.mkdir()
    (d / "b.txt").write_bytes(b"xyz")
    (d / "a.txt").write_bytes(b"x")
    expected = hashlib.sha256(b"a.txt\x001\x00x" + b"b.txt\x003\x00xyz").hexdigest()[:16]
    assert cx.fingerprint(d) == expected


def test_fingerprint(small, tmp_path):
    a = cx.write_dataset(small, tmp_path / "a")
    b = cx.write_dataset(small, tmp_path / "b")
    fa = cx.fingerprint(a)
    assert fa == _documented_digest({f.name: f.read_bytes() for f in a.iterdir()})
    assert cx.fingerprint(a) == fa == cx.fingerprint(b)  # stable, location-free
    (a / ".survey.parquet.123.tmp").write_bytes(b"junk")  # hidden temp files are ignored
    assert cx.fingerprint(a) == fa
    files = [a / "survey.parquet", a / "customers.parquet"]
    assert cx.fingerprint(files) == cx.fingerprint(list(reversed(files)))
    # one byte of one file changed -> a different fingerprint (and back again -> the same)
    raw = bytearray((b / "tickets.parquet").read_bytes())
    raw[len(raw) // 2] ^= 0x01
    (b / "tickets.parquet").write_bytes(bytes(raw))
    assert cx.fingerprint(b) != fa
    raw[len(raw) // 2] ^= 0x01
    (b / "tickets.parquet").write_bytes(bytes(raw))
    assert cx.fingerprint(b) == fa
    # the same rows in another order are other data
    shuffled = dataclasses.replace(small, survey=small.survey.iloc[::-1].reset_index(drop=True))
    assert cx.fingerprint(cx.write_dataset(shuffled, tmp_path / "c")) != fa
    with open(a / "truth.json", "a") as fh:
        fh.write(" ")
    assert cx.fingerprint(a) != fa
    with pytest.raises(CXDataError, match="does not exist"):
        cx.fingerprint(tmp_path / "missing")


# ----------------------------------------------------------------------------- duplicates
def test_drop_duplicate_responses_by_hand():
    s = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 1],
        "quarter": ["2026Q1", "2026Q1", "2026Q1", "2026Q1", "2026Q1", "2026Q2"],
        "response_date": pd.to_datetime(["2026-02-03", "2026-02-01", "2026-02-05", "2026-02-01", "2026-02-02", "2026-05-01"]),
        "ltr": pd.array([9, 9, 3, 5, 5, 9], dtype="Int64"),
        "osat": pd.array([4, 4, 2, pd.NA, pd.NA, 4], dtype="Int64"),
        "comment": ["ok", "ok", None, None, None, "ok"],
    })
    original = s.copy()
    out, n = cx.drop_duplicate_responses(s)
    # rows 0/1 repeat (keep row 1, the earlier date); rows 3/4 repeat with NA answers (keep 3)
    assert n == 2 and list(out.index) == [1, 2, 3, 5]
    pd.testing.assert_frame_equal(s, original)  # input untouched
    with pytest.raises(CXDataError, match="answer columns"):
        cx.drop_duplicate_responses(s[["customer_id", "quarter", "response_date"]])


def test_drop_duplicate_responses_synthetic(small):
    out, n = cx.drop_duplicate_responses(small.survey)
    assert n > 0 and len(out) == len(small.survey) - n
    key = ["customer_id", "quarter", "ltr", "osat", "ces", "comment", *DRIVERS]
    assert not out.duplicated(subset=key).any()
    assert np.all(np.diff(out["response_id"].to_numpy()) > 0)  # original order kept


# ----------------------------------------------------------------------------- subsets
def test_subset_dataset_keeps_truth_and_input(small):
    before = {t: len(getattr(small, t)) for t in TABLES}
    plans = small.customers.set_index("customer_id")["plan"]
    sub = cx.subset_dataset(small, "plan", "premium")
    for t in TABLES:
        frame = getattr(sub, t)
        # rows = the table's rows whose customer is on the premium plan (counted directly)
        assert len(frame) == int((getattr(small, t)["customer_id"].map(plans) == "premium").sum()), t
        assert list(frame.index) == list(range(len(frame))), t
    assert sub.truth is small.truth  # the planted truth travels with the subset
    assert {t: len(getattr(small, t)) for t in TABLES} == before  # input untouched
    assert cx.subset_dataset(small, None, "premium") is small


def _study_roles(**survey):
    from cxlib.data.roles import StudyRoles

    return StudyRoles(title="t", roles={"survey": {"satisfaction": "sat", **survey}}, quarters=("2025Q4",))


def test_drop_duplicate_responses_by_roles():
    s = pd.DataFrame({"cust": ["a", "a", "a", "b"], "quarter": ["2025Q4"] * 4, "sat": [1, 1, 0, 1],
                      "seat": [4, 4, 4, 4], "when": pd.to_datetime(["2025-11-02", "2025-11-01", "2025-11-01",
                                                                      "2025-11-03"])})
    # customer, date and answers from the roles: rows 0/1 repeat, the earlier (row 1) is kept
    out, n = cx.drop_duplicate_responses(s, roles=_study_roles(customer_id="cust", date="when", drivers=("seat",)))
    assert n == 1 and list(out.index) == [1, 2, 3]
    # no date role: the first row of the group is kept
    out, n = cx.drop_duplicate_responses(s, roles=_study_roles(customer_id="cust", drivers=("seat",)))
    assert n == 1 and list(out.index) == [0, 2, 3]
    # without a customer id repeated submissions cannot be told apart: nothing is dropped
    out, n = cx.drop_duplicate_responses(s, roles=_study_roles())
    assert n == 0 and out.equals(s) and out is not s
    # the synthetic roles give the default behaviour
    from cxlib.data.roles import SYNTHETIC_ROLES

    small = cx.synthesize(5, n_customers=300, quarters=2).survey
    a, na = cx.drop_duplicate_responses(small)
    b, nb = cx.drop_duplicate_responses(small, roles=SYNTHETIC_ROLES)
    assert na == nb and a.equals(b)


def test_subset_dataset_without_a_customers_table():
    survey = pd.DataFrame({"Class": ["Eco", "Business", None, "Eco"], "sat": [1, 0, 1, 0]})
    empty = {t: pd.DataFrame() for t in TABLES if t != "survey"}
    data = CXData(survey=survey, **empty, study={"title": "t"})
    sub = cx.subset_dataset(data, "Class", "Eco")
    assert sub.survey["sat"].tolist() == [1, 0] and list(sub.survey.index) == [0, 1]
    assert sub.study == {"title": "t"} and sub.customers.empty  # other fields travel unchanged
    with pytest.raises(CXDataError, match=r"no survey response has Class = 'First'; values of 'Class': \['Business', 'Eco'\]"):
        cx.subset_dataset(data, "Class", "First")
    with pytest.raises(CXDataError, match=r"'Cabin' is not a column of the survey \(the dataset has no customers"):
        cx.subset_dataset(data, "Cabin", "Eco")


# ----------------------------------------------------------------------------- layering
def _imports(path: Path) -> list[tuple[str, bool]]:
    """(absolute module, at module level?) of every cxlib import in ``path``; imports
    under ``if TYPE_CHECKING:`` are skipped (they never run)."""
    rel = path.relative_to(DATA_PKG.parent.parent).with_suffix("")
    package = list(rel.parts[:-1])  # the package a relative import starts from
    out = []

    def visit(node, top):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            if isinstance(child, ast.ImportFrom):
                base = package[: len(package) - child.level + 1] if child.level else []
                mod = ".".join([*base, *(child.module.split(".") if child.module else [])])
                if child.module is None:  # from . import x: x is a module of the package
                    out.extend((f"{mod}.{a.name}", top) for a in child.names)
                else:
                    out.append((mod, top))
            elif isinstance(child, ast.Import):
                out.extend((a.name, top) for a in child.names)
            visit(child, inner)

    visit(ast.parse(path.read_text()), True)
    return [(m, top) for m, top in out if m == "cxlib" or m.startswith("cxlib.")]


def test_data_layer_imports_nothing_above_it():
    allowed = ("cxlib.data", "cxlib.core", "cxlib.errors")
    for path in sorted(DATA_PKG.rglob("*.py")):
        for mod, _ in _imports(path):
            assert mod.startswith(allowed), f"{path.relative_to(DATA_PKG)} imports {mod}"


def test_data_layer_has_no_import_cycle():
    # every import, local ones included, forms an acyclic graph between the modules
    graph = {}
    for path in sorted(DATA_PKG.rglob("*.py")):
        rel = path.relative_to(DATA_PKG.parent.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        graph[name] = {m for m, _ in _imports(path) if m.startswith("cxlib.data")}
    state = {}

    def visit(node, trail):
        if state.get(node) == "done":
            return
        assert state.get(node) != "open", f"import cycle: {' -> '.join([*trail, node])}"
        state[node] = "open"
        for nxt in graph.get(node, ()):
            visit(nxt, [*trail, node])
        state[node] = "done"

    for node in graph:
        visit(node, [])
    # and no module outside synthetic/ imports it at module level (store does, inside the
    # functions that need it)
    for path in sorted(DATA_PKG.glob("*.py")):
        top = [m for m, at_top in _imports(path) if at_top and m.startswith("cxlib.data.synthetic")]
        assert not top, f"{path.name} imports {top} at module level"


def test_importing_the_data_layer_does_not_import_the_generator():
    # a fresh interpreter; the cxlib package itself is stubbed so that only cxlib.data runs
    code = (
        "import sys, types\n"
        f"pkg = types.ModuleType('cxlib'); pkg.__path__ = [{str(DATA_PKG.parent)!r}]; sys.modules['cxlib'] = pkg\n"
        "import cxlib.data.calendar, cxlib.data.schema, cxlib.data.store, cxlib.data.prepare\n"
        "print(sorted(m for m in sys.modules if m.startswith('cxlib.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = ast.literal_eval(out.strip())
    assert "cxlib.data.store" in loaded
    assert not [m for m in loaded if m.startswith("cxlib.data.synthetic")], loaded
    assert all(m.startswith(("cxlib.data", "cxlib.core", "cxlib.errors")) for m in loaded), loaded
