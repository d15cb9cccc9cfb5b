"""The package's shape (issue 9), checked so that it stays that way.

- no module over ``MAX_MODULE_LINES`` lines, no function over ``MAX_FUNCTION_LINES``
  lines of code (docstrings, comments and blank lines not counted) unless a comment
  containing ``long-function:`` inside it says why;
- no import cycles between cxlib's modules (module-level imports);
- analysis modules import no matplotlib and no report-layer module;
- notebooks use no private names and import only declared dependencies;
- the public API is listed once (modules carry no ``__all__``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "cxlib"
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80

#: Layers that may draw or write sentences; everything else is analysis or data code.
PRESENTATION = ("cxlib/viz/", "cxlib/report/")


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def _code_lines(node: ast.AST, source_lines: list[str]) -> int:
    """Lines of a function that hold code: no blank, comment-only or docstring lines."""
    doc_lines: set[int] = set()
    body = getattr(node, "body", [])
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        doc_lines = set(range(body[0].lineno, body[0].end_lineno + 1))
    count = 0
    for i in range(node.lineno, node.end_lineno + 1):
        text = source_lines[i - 1].strip()
        if text and not text.startswith("#") and i not in doc_lines:
            count += 1
    return count


def long_functions() -> list[tuple[str, str, int]]:
    out = []
    for path in _modules():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(node, lines)
                body = "\n".join(lines[node.lineno - 1:node.end_lineno])
                if n > MAX_FUNCTION_LINES and "long-function:" not in body:
                    out.append((_rel(path), node.name, n))
    return out


def test_no_module_is_too_long():
    long = {_rel(p): n for p in _modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_too_long_without_a_reason():
    assert not long_functions(), (
        f"functions over {MAX_FUNCTION_LINES} lines of code (split them, or say why in a "
        f"'# long-function: …' comment): {long_functions()}")


def _imports(path: Path) -> set[str]:
    """cxlib modules imported at module level by ``path`` (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    mod = _rel(path)[:-3].replace("/", ".")
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    if path.name == "__init__.py":
        package = mod.rsplit(".", 1)[0]
    out = set()
    for node in tree.body:  # module level only: local imports inside functions are lazy
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("cxlib"):
                out.add(target)
                for alias in node.names:  # `from . import report` imports a module
                    out.add(f"{target}.{alias.name}")
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("cxlib")}
    return out


def _module_graph() -> dict[str, set[str]]:
    names = {}
    for p in _modules():
        m = _rel(p)[:-3].replace("/", ".")
        names[m.removesuffix(".__init__")] = p
    graph = {}
    for m, p in names.items():
        graph[m] = {t for t in _imports(p) if t in names and t != m}
    return graph


def test_no_import_cycles():
    graph = _module_graph()
    graph = {m: {t for t in deps if not (m == "cxlib" or m.startswith(t + ".") or t == "cxlib")} for m, deps in graph.items()}
    # a package __init__ importing its own sub-modules is not a cycle of concerns
    state: dict[str, int] = {}
    cycles = []

    def visit(m, stack):
        state[m] = 1
        for t in graph.get(m, ()):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t] if t in stack else [m, t])
            elif not state.get(t):
                visit(t, stack + [t])
        state[m] = 2

    for m in graph:
        if not state.get(m):
            visit(m, [m])
    assert not cycles, f"import cycles: {cycles}"


def test_analysis_code_draws_nothing_and_writes_no_report():
    offenders = []
    for p in _modules():
        rel = _rel(p)
        if rel.startswith(PRESENTATION) or rel in ("cxlib/__init__.py", "cxlib/cli.py"):
            continue
        text = p.read_text(encoding="utf-8")
        if re.search(r"^\s*(import|from)\s+(matplotlib|seaborn)", text, re.M):
            offenders.append(f"{rel} imports matplotlib/seaborn")
        if any(t.startswith(("cxlib.report", "cxlib.viz")) for t in _imports(p)):
            offenders.append(f"{rel} imports the report or charting layer")
    assert not offenders, offenders


def test_modules_carry_no_all_the_api_is_listed_once():
    with_all = [_rel(p) for p in _modules() if re.search(r"^__all__\s*=", p.read_text(encoding="utf-8"), re.M)
                and p != PKG / "__init__.py"]
    assert not with_all, f"modules with their own __all__ (the public API is listed in cxlib/__init__.py): {with_all}"


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.py")), ids=lambda p: p.stem)
def test_notebooks_use_no_private_names_and_declared_imports_only(notebook):
    import tomllib

    text = notebook.read_text(encoding="utf-8")
    private = re.findall(r"\bcx(?:\.\w+)*\._\w+|\bcxlib(?:\.\w+)*\._\w+", text)
    assert not private, f"{notebook.name} uses private names {private}"
    declared = {re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0].lower().replace("-", "_")
                for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    aliases = {"sklearn": "scikit_learn", "ipython": "jupyterlab", "IPython": "jupyterlab"}
    stdlib = {"dataclasses", "math", "json", "pathlib", "warnings", "itertools", "functools", "collections"}
    for mod in re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", text, re.M):
        name = aliases.get(mod, mod).lower()
        assert mod == "cxlib" or mod in stdlib or name in declared or mod == "IPython", \
            f"{notebook.name} imports {mod!r}, which pyproject.toml does not declare"
