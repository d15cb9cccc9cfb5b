"""Build hook: ship the report's notebooks and definition inside the package.

The notebooks stay at the top of the repository (``notebooks/NN_name.py`` and
``notebooks/report.toml``), where researchers and reviewers read them. A built wheel (and a
regular ``pip install .``) carries a copy under ``cxlib/_notebooks/``, where
:func:`cxlib.report.notebooks.notebooks_dir` finds them when cxlib is installed, so that
``cx report`` works from any directory. An editable install reads ``notebooks/`` in the
checkout instead. Everything else about the package is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: The files of notebooks/ that ship: the report's notebooks and its definition.
NOTEBOOK_FILES = ("[0-9][0-9]_*.py", "report.toml")


class BuildPyWithNotebooks(build_py):
    """``build_py`` that also copies notebooks/ into ``cxlib/_notebooks`` of the build."""

    def _notebook_files(self):
        src = Path(__file__).resolve().parent / "notebooks"
        return [f for pattern in NOTEBOOK_FILES for f in sorted(src.glob(pattern))]

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads notebooks/ in the checkout
        dest = Path(self.build_lib) / "cxlib" / "_notebooks"
        self.mkpath(str(dest))
        for f in self._notebook_files():
            self.copy_file(str(f), str(dest / f.name))

    def get_outputs(self, include_bytecode=True):
        extra = [str(Path(self.build_lib) / "cxlib" / "_notebooks" / f.name) for f in self._notebook_files()]
        return super().get_outputs(include_bytecode) + ([] if getattr(self, "editable_mode", False) else extra)


setup(cmdclass={"build_py": BuildPyWithNotebooks})
