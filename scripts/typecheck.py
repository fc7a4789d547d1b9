"""mypy over the ``edossier`` package as it installs (README command (2) runs it).

pyproject.toml's package-dir maps ``edossier.*`` onto top-level folders (``edossier.ocr`` is
``ocr/``).  mypy names a module after its folder and cannot follow that mapping (the editable
install resolves it with an import hook at run time), so this names every source file's module
from the same [tool.setuptools] tables and hands mypy the files under those names: errors point at
the real files and nothing is built or linked.  Options come from [tool.mypy] in pyproject.toml;
arguments are passed on to mypy (``--no-incremental``, say).
"""

import os
import sys
import tomllib
from pathlib import Path

from mypy import build
from mypy.errors import CompileError
from mypy.main import process_options
from mypy.modulefinder import BuildSource

ROOT = Path(__file__).resolve().parent.parent


def sources() -> list[BuildSource]:
    """Each .py file of each installed package, named as ``import`` names it."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders: dict[str, str] = setuptools["package-dir"]
    found = []
    for package in setuptools["packages"]:
        # A package without an entry of its own lies under its nearest mapped parent's folder.
        parent = max((name for name in folders if package == name or package.startswith(name + ".")), key=len)
        folder = ROOT / folders[parent] / Path(*package[len(parent):].split(".")[1:])
        for path in sorted(folder.glob("*.py")):
            module = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found.append(BuildSource(str(path.relative_to(ROOT)), module))
    return found


def main(args: list[str]) -> int:
    os.chdir(ROOT)  # mypy reads its options from the pyproject.toml in the working folder
    _, options = process_options(args, require_targets=False)
    files = sources()
    try:
        errors = build.build(files, options).errors
    except CompileError as failure:  # a syntax error or a bad option stops mypy before checking
        errors = failure.messages
    for line in errors:
        print(line)
    problems = sum(": error:" in line for line in errors)
    if problems:
        print(f"mypy: {problems} errors (checked {len(files)} source files)")
        return 1
    print(f"mypy: no issues found in {len(files)} source files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
