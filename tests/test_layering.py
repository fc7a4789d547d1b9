"""Data flows one way: a stage imports only the shared core, config and itself.

Only pipeline/ (and web/, a consumer like it) may wire stages together.  Read
from the source with ast, so the rule holds for every module, imported or not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("ingest", "scanners", "ocr", "classify", "bind", "storage")
WIRING = ("pipeline", "web")
SHARED = ("edossier", "config")


def _edossier_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "edossier" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("stage", STAGES + ("config", "edossier"))
def test_stage_imports_no_other_stage(stage: str) -> None:
    folder = ROOT / stage
    allowed = {stage, "config"} | {
        m.stem for m in (ROOT / "edossier").glob("*.py")
    }
    if stage in ("config", "edossier"):
        allowed = {m.stem for m in (ROOT / "edossier").glob("*.py")} | ({"config"} if stage == "config" else set())
    offenders = {}
    for path in folder.rglob("*.py"):
        bad = _edossier_imports(path) - allowed
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert not offenders, f"stage {stage} imports other stages or wiring: {offenders}"


def test_core_modules_are_not_stage_names() -> None:
    core = {m.stem for m in (ROOT / "edossier").glob("*.py")}
    assert not core & set(STAGES + WIRING + SHARED[1:])
