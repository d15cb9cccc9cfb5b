"""Banner tables: :func:`crosstab` and its result :class:`Crosstab`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import engines
from ..core.checks import check_choice, check_confidence_level, check_frame, check_min_base
from ..errors import SmallBaseWarning
from .significance import TEST_NAMES, letters_and_adjusted, pair_tests
from .spec import CORRECTIONS, TESTS, BannerVariable, RowSpec, make_plan
from .sums import Cells, arrange_answers, banner_cells

#: Decimals of the estimates in :meth:`Crosstab.to_frame` per kind of row.
DIGITS = {"column %": 1, "nps": 1, "mean": 2}

#: The mark of a cell whose column is below the minimum base (shown, not tested).
SMALL_BASE_MARK = "*"


@dataclass(frozen=True)
class Crosstab:
    """A banner table: every cell's estimate, interval, base and significance letters.

    Attributes
    ----------
    table : DataFrame
        One row per cell, in reading order (table row by table row, Total then the banner
        columns): ``question``, ``stat`` ("column %", "mean" or "nps"), ``level`` (the
        level, the net's label, "mean" or "NPS"), ``net``, ``banner`` (the banner variable,
        "Total" for the Total column), ``column`` (its level), ``letter`` ("" for Total),
        ``estimate`` (percent, scale points or NPS points), ``std_err``, ``ci_low``,
        ``ci_high``, ``confidence_level``, ``n`` (respondents who answered), ``n_eff``
        (Kish effective base; ``n`` unweighted), ``small_base``, ``min_base`` and
        ``higher_than`` (the letters of the columns of the same banner variable this cell is
        significantly higher than, e.g. "BC"; "" when none or untested).
    tests : DataFrame
        One row per pair of columns of a banner variable and table row: ``column_a``,
        ``letter_a``, ``column_b``, ``letter_b``, ``estimate_a``, ``estimate_b``, ``diff``
        (a − b), ``std_err``, ``statistic`` (z or t), ``df`` (inf for z), ``p_value``,
        ``p_adjusted``, ``significant`` (``<NA>`` when untested: a column below the minimum
        base, or no variance), ``higher`` (the letter of the significantly higher column)
        and ``test``. Empty with ``test=None``.
    banner : DataFrame
        The columns in order: ``banner``, ``column``, ``letter``.
    rows, columns : tuple of str
        The row questions and the banner variables.
    weighted : bool
    test : str or None
    correction : str
        The correction as given ("bh", "bonferroni", "holm" or "none").
    confidence_level : float
        Also the significance level of the letters (α = 1 − confidence_level).
    min_base : int
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    banner: pd.DataFrame
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    weighted: bool
    test: str | None
    correction: str
    confidence_level: float
    min_base: int

    def to_frame(self, digits: dict[str, int] | None = None) -> pd.DataFrame:
        """The wide display: one row per table row, one column per banner column.

        Cells read ``"45.2 BC"`` (estimate, then the letters of the columns it is
        significantly higher than); a column below the minimum base shows its estimate
        with ``*`` (not tested). Each question starts with its ``Base (n)`` row (and
        ``Effective base`` when weighted), the base of its first row (the per-row bases are
        in ``table``: with ``missing`` set, a question's column-% base counts the missing
        answers and its mean's does not). Columns are (banner variable, "level (letter)").

        Examples
        --------
        >>> df = pd.DataFrame({"plan": ["a"] * 100 + ["b"] * 100,
        ...                    "renew": ["yes"] * 60 + ["no"] * 40 + ["yes"] * 40 + ["no"] * 60})
        >>> crosstab(df, "renew", "plan").to_frame().loc["renew"].values.tolist()
        [['200', '100', '100'], ['50.0', '40.0', '60.0 A'], ['50.0', '60.0 B', '40.0']]
        """
        digits = {**DIGITS, **(digits or {})}
        t = self.table
        keys = list(dict.fromkeys(zip(t["question"], t["stat"], t["level"], t["net"])))
        cols = [(b, c if not ltr else f"{c} ({ltr})") for b, c, ltr in self.banner.itertuples(index=False)]
        text = _cell_text(t, digits)
        n_cols = len(cols)
        lines, index = [], []
        for q in self.rows:
            first = t[t["question"] == q].iloc[:n_cols]
            lines.append([f"{int(n):,}" for n in first["n"]])
            index.append((q, "Base (n)"))
            if self.weighted:
                lines.append([f"{x:,.1f}" for x in first["n_eff"]])
                index.append((q, "Effective base"))
            for k, key in enumerate(keys):
                if key[0] == q:
                    lines.append(list(text[k * n_cols:(k + 1) * n_cols]))
                    index.append((q, key[2]))
        return pd.DataFrame(lines, index=pd.MultiIndex.from_tuples(index, names=["question", "row"]),
                            columns=pd.MultiIndex.from_tuples(cols, names=["banner", "column"]))

    def _repr_html_(self) -> str:  # pragma: no cover - display only
        return self.to_frame().to_html()


def _cell_text(t: pd.DataFrame, digits: dict[str, int]) -> list[str]:
    out = []
    for est, stat, small, letters in zip(t["estimate"], t["stat"], t["small_base"], t["higher_than"]):
        txt = "—" if not np.isfinite(est) else f"{est:.{digits[stat]}f}"
        out.append(txt + (SMALL_BASE_MARK if small else (f" {letters}" if letters else "")))
    return out


def crosstab(data: pd.DataFrame, rows: Any, columns: Any, *, weights: Any = None, stat: Any = "column %",
             nets: Any = None, test: str | None = "pairwise", correction: str = "bh", min_base: int = 30,
             confidence_level: float = 0.95, scale: Any = None, missing: str | None = None) -> Crosstab:
    """A banner table with significance letters: questions by a banner of groups.

    Parameters
    ----------
    data : DataFrame
        One row per respondent (not modified); or a polars, pyarrow, DuckDB or Spark table
        (the cells' sums computed in that engine, :mod:`cxlib.engine_ops.crosstab`).
    rows : str or list of str
        The row questions.
    columns : str or list of str
        The banner: one or several variables side by side, after a Total column. Their
        columns are lettered A, B, C … in banner order across all variables (then a … z;
        at most 52). Respondents missing a banner variable count in Total only.
    weights : str or array-like, optional
        Survey weights (column name or array, >= 0).
    stat : str, list of str or dict, default "column %"
        Per question (a dict question -> stat(s); questions not named get "column %") or
        for all: ``"column %"`` (the share of each level, then the nets), ``"nets"`` (the
        nets only), ``"mean"`` (mean of a rating) or ``"nps"`` (NPS of a 0–10 question).
        A list shows several, e.g. ``{"osat": ["nets", "mean"]}``.
    nets : dict, optional
        Nets per question: ``{"osat": {"top-2": (4, 5), "bottom-2": (1, 2)}}`` — the share
        answering any of the listed levels.
    test : {"pairwise", None}, default "pairwise"
        Test every pair of columns within each banner variable (``None``: no tests).
    correction : {"bh", "bonferroni", "holm", "none"}, default "bh"
        Multiple-comparison correction over the pairs of one row within one banner
        variable (Benjamini–Hochberg by default).
    min_base : int, default 30
        Columns whose base (effective base when weighted) is below it are shown, flagged
        ``small_base``, and neither tested nor tested against (one :class:`SmallBaseWarning`).
    confidence_level : float, default 0.95
        Of the intervals, and of the tests (α = 1 − confidence_level).
    scale : tuple or dict, optional
        Rating scale ``(low, high)`` for all rated questions or per question: answers are
        checked against it, and a column-% question shows every whole point of it.
    missing : str, optional
        ``None``: missing answers are left out of the question's bases (column percentages
        of those who answered). A label (e.g. ``"No answer"``): they are a level of the
        column-% questions and count in their bases.

    Returns
    -------
    Crosstab
        ``.table`` (tidy, one row per cell), ``.tests`` (one row per pair), ``.to_frame()``
        (the wide display); ``cx.report.crosstab_html`` and ``cx.report.crosstab_excel``
        render and export it.

    Raises
    ------
    CXDataError
        Unknown columns, stats, corrections or tests; nets naming levels a question lacks;
        answers outside the scale or not numeric for a mean or NPS; bad weights.

    Notes
    -----
    One pass per banner variable reduces the respondents to per-cell counts, Σw and Σw²
    (levels, nets, NPS groups) or n, Σw, Σw², Σwx, Σwx² (means); every number below comes
    from those sums. With weights, shares and means are weighted and the base of every
    interval and test is the Kish effective base ``n_eff = (Σw)²/Σw²``.

    Intervals: Wilson for shares, t (df = n_eff − 1) for means, Wald for NPS
    (``SE = 100 sqrt(V/n_eff)``, ``V = (p_P + p_D) − (p_P − p_D)²``).
    Tests (two-sided, see :mod:`cxlib.crosstab.significance`): the pooled two-proportion
    z-test ``z = (p_a − p_b) / sqrt(p̄(1 − p̄)(1/n_a + 1/n_b))`` (as statsmodels
    ``proportions_ztest``), Welch's t-test for means, and ``z = (NPS_a − NPS_b) /
    (100 sqrt(V_a/n_a + V_b/n_b))`` for NPS. A cell gets the letter of each column of its
    banner variable it is higher than with adjusted ``p < 1 − confidence_level``.

    References
    ----------
    Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., §2.1 (the two-proportion z-test).
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika* 34, 28–35.
    Rocks, B. (2016). Interval estimation for the net promoter score. *The American
    Statistician* 70(4), 365–372.
    Kish, L. (1965). *Survey Sampling*. Wiley (the effective sample size).
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57, 289–300.

    Examples
    --------
    60 of 100 respondents on plan a renew, 40 of 100 on plan b: p̄ = 0.5,
    z = 0.2 / sqrt(0.25 × 0.02) = 2.83, p = 0.005, so a (A) is higher than b (B).

    >>> df = pd.DataFrame({"plan": ["a"] * 100 + ["b"] * 100,
    ...                    "renew": ["yes"] * 60 + ["no"] * 40 + ["yes"] * 40 + ["no"] * 60})
    >>> ct = crosstab(df, "renew", "plan")
    >>> ct.table.query("level == 'yes'")[["column", "letter", "estimate", "n", "higher_than"]]
      column letter  estimate    n higher_than
    3  Total             50.0  200
    4      a      A      60.0  100           B
    5      b      B      40.0  100
    >>> round(float(ct.tests.query("level == 'yes'")["statistic"].iloc[0]), 2)
    2.83
    """
    if engines.is_engine_frame(data):  # polars, pyarrow, DuckDB, Spark: the cell sums in the engine
        from ..engine_ops.crosstab import crosstab as engine_crosstab

        return engine_crosstab(data, rows, columns, weights=weights, stat=stat, nets=nets, test=test,
                               correction=correction, min_base=min_base, confidence_level=confidence_level,
                               scale=scale, missing=missing)
    data = check_frame(data)
    level = check_confidence_level(confidence_level)
    min_base = check_min_base(min_base)
    check_choice(test, TESTS, argument="test")
    check_choice(correction, tuple(CORRECTIONS), argument="correction")
    test = None if test == "none" else test
    plan = make_plan(data, rows, columns, weights=weights, stat=stat, nets=nets, scale=scale, missing=missing)
    answers = arrange_answers(plan.categories, plan.width, plan.scores, plan.weights)
    return build_crosstab(plan, lambda variable: banner_cells(plan, answers, variable, level), plan.weights is not None,
                          test=test, correction=correction, min_base=min_base, level=level)


def build_crosstab(plan, cells_of, weighted: bool, *, test, correction, min_base, level) -> Crosstab:
    """The tables, tests and letters from the plan and ``cells_of(variable)`` (each banner
    variable's :class:`~cxlib.crosstab.sums.Cells`; from pandas rows here, from an engine's
    sums in :mod:`cxlib.engine_ops.crosstab`)."""
    cell_parts, test_parts, small_columns = [], [], []
    for i, variable in enumerate(plan.banner):  # the Total column first: never tested
        cells = cells_of(variable)
        small = ~(cells.n_eff >= min_base)
        letters = np.full(small.shape, "", dtype=object)
        if test is not None and i > 0:
            tests = pair_tests(cells, plan.rows, ~small)
            adjusted, letters, flags = letters_and_adjusted(tests, variable.letters, len(variable.labels),
                                                            CORRECTIONS[correction], level)
            test_parts.append(_tests_frame(plan.rows, variable, cells, tests, adjusted, flags))
        cell_parts.append(_cells_frame(plan.rows, variable, cells, small, letters))
        small_columns += [f"{variable.name}={lab}" for lab, s in zip(variable.labels, small.any(axis=1)) if s]
    table = _ordered(pd.concat(cell_parts, ignore_index=True), level, min_base)
    tests_frame = pd.concat(test_parts, ignore_index=True) if test_parts else _empty_tests()
    if small_columns:
        warnings.warn(f"{len(small_columns)} banner column(s) have a base below min_base={min_base} "
                      f"(effective base when weighted) on at least one question: {small_columns[:10]}; "
                      "they are shown, flagged small_base, and not tested", SmallBaseWarning, stacklevel=3)
    banner = pd.DataFrame([(v.name, lab, ltr) for v in plan.banner for lab, ltr in zip(v.labels, v.letters)],
                          columns=["banner", "column", "letter"])
    return Crosstab(table, tests_frame, banner, tuple(dict.fromkeys(r.question for r in plan.rows)),
                    tuple(v.name for v in plan.banner[1:]), weighted, test,
                    "none" if correction is None else correction, level, min_base)


def _row_keys(rows: tuple[RowSpec, ...]) -> dict[str, list]:
    return {"question": [r.question for r in rows], "stat": [r.stat for r in rows],
            "level": [r.level for r in rows], "net": [r.net for r in rows]}


def _cells_frame(rows: tuple[RowSpec, ...], variable: BannerVariable, cells: Cells, small: np.ndarray,
                 letters: np.ndarray) -> pd.DataFrame:
    """The cells of one banner variable, row-major (table row, then column)."""
    n_cols, n_rows = cells.estimate.shape
    keys = {k: np.repeat(np.array(v, dtype=object), n_cols) for k, v in _row_keys(rows).items()}
    flat = {name: getattr(cells, name).T.ravel() for name in ("estimate", "std_err", "ci_low", "ci_high")}
    return pd.DataFrame({
        "_row": np.repeat(np.arange(n_rows), n_cols), **keys,
        "banner": variable.name, "column": np.tile(np.array(variable.labels, dtype=object), n_rows),
        "letter": np.tile(np.array(variable.letters, dtype=object), n_rows), **flat,
        "n": cells.n.T.ravel().round().astype(np.int64), "n_eff": cells.n_eff.T.ravel(),
        "small_base": small.T.ravel(), "higher_than": letters.T.ravel(),
    })


def _ordered(table: pd.DataFrame, level: float, min_base: int) -> pd.DataFrame:
    """Reading order (stable: Total, then the banner variables), with the level and base rule."""
    table = table.sort_values("_row", kind="stable").drop(columns="_row").reset_index(drop=True)
    table.insert(table.columns.get_loc("n"), "confidence_level", level)
    table.insert(table.columns.get_loc("small_base") + 1, "min_base", min_base)
    table["net"] = table["net"].astype(bool)
    return table


def _tests_frame(rows: tuple[RowSpec, ...], variable: BannerVariable, cells: Cells, tests: dict,
                 adjusted: np.ndarray, flags: pd.arrays.BooleanArray) -> pd.DataFrame:
    """One row per (table row, pair of columns) of one banner variable."""
    a, b = tests["column_a"], tests["column_b"]
    n_pairs, n_rows = len(a), len(rows)
    labels, letters = np.array(variable.labels, dtype=object), np.array(variable.letters, dtype=object)
    keys = {k: np.repeat(np.array(v, dtype=object), n_pairs) for k, v in _row_keys(rows).items()}
    sig = pd.array(np.asarray(flags, dtype=object).reshape(n_pairs, n_rows).T.ravel(), dtype="boolean")
    diff = tests["diff"].T.ravel()
    higher = np.where(diff > 0, np.tile(letters[a], n_rows), np.tile(letters[b], n_rows))
    return pd.DataFrame({
        **keys, "banner": variable.name,
        "column_a": np.tile(labels[a], n_rows), "letter_a": np.tile(letters[a], n_rows),
        "column_b": np.tile(labels[b], n_rows), "letter_b": np.tile(letters[b], n_rows),
        "estimate_a": cells.estimate[a].T.ravel(), "estimate_b": cells.estimate[b].T.ravel(), "diff": diff,
        **{k: tests[k].T.ravel() for k in ("std_err", "statistic", "df", "p_value")},
        "p_adjusted": adjusted.T.ravel(), "significant": sig,
        "higher": np.where(sig.fillna(False).to_numpy(dtype=bool), higher, ""),
        "test": np.repeat(np.array([TEST_NAMES[r.stat] for r in rows], dtype=object), n_pairs),
    })


def _empty_tests() -> pd.DataFrame:
    return pd.DataFrame(columns=["question", "stat", "level", "net", "banner", "column_a", "letter_a", "column_b",
                                 "letter_b", "estimate_a", "estimate_b", "diff", "std_err", "statistic", "df",
                                 "p_value", "p_adjusted", "significant", "higher", "test"])
