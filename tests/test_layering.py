"""The house's layering (docs/ARCHITECTURE.md): every module imports, imports point down the
layers only, nothing below the commands imports them, the model package imports no analysis,
report or explorer module, and there is no import cycle among modules."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SIM = ROOT / "sim"

# Lowest first; a module may import its own layer and the layers below it.
LAYERS = [
    {"sim", "sim.paths", "sim.inputs", "sim.metrics", "sim.palette"},  # vocabulary-free helpers
    {"sim.data", "sim.model"},                                  # the data files and the model
    {"sim.config", "sim.run", "sim.reference", "sim.store", "sim.output_folder", "sim.benchmark"},  # one run
    {"sim.experiment", "sim.analysis", "sim.validation"},       # many runs and their analysis
    {"sim.report", "sim.explorer"},                             # what people read and click
    {"sim.commands"},                                           # the mcsim commands
    {"sim.cli"},                                                # parsing and dispatch only
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _imports(path: Path, top_level_only: bool) -> set[str]:
    """sim modules imported by ``path`` (``from pkg import mod`` counts as importing mod)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in MODULES}


def _area(module: str) -> str:
    """The top-level area a module belongs to: sim.model.processes.choice -> sim.model."""
    return ".".join(module.split(".")[:2])


def _layer(module: str) -> int:
    area = _area(module)
    for i, layer in enumerate(LAYERS):
        if area in layer:
            return i
    raise AssertionError(f"{module}: its area {area} has no layer in tests/test_layering.py")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports(module):
    importlib.import_module(module)


def _upward(modules: dict[str, Path]) -> list[str]:
    return sorted(f"{m} imports {t}" for m, p in modules.items() for t in _imports(p, top_level_only=False)
                  if _layer(t) > _layer(m))


def test_imports_point_down_the_layers():
    upward = _upward(MODULES)
    assert not upward, "imports against the layering:\n" + "\n".join(upward)


def test_nothing_below_the_commands_imports_them():
    offenders = [f"{m} imports {t}" for m, p in MODULES.items() for t in _imports(p, top_level_only=False)
                 if _area(t) in ("sim.commands", "sim.cli") and _area(m) not in ("sim.commands", "sim.cli")]
    offenders += [f"{m} imports sim.cli" for m, p in MODULES.items() if "sim.cli" in _imports(p, False)]
    assert not offenders, "\n".join(offenders)


def test_model_package_imports_no_analysis_report_or_explorer():
    forbidden = ("sim.analysis", "sim.report", "sim.explorer", "sim.experiment", "sim.validation",
                 "sim.commands", "sim.config")
    offenders = [f"{m} imports {t}" for m, p in MODULES.items() if _area(m) == "sim.model"
                 for t in _imports(p, top_level_only=False) if _area(t) in forbidden]
    assert not offenders, "\n".join(offenders)


def test_no_import_cycle_among_modules():
    graph = nx.DiGraph()
    for module, path in MODULES.items():
        graph.add_node(module)
        for target in _imports(path, top_level_only=True):
            if target != module:
                graph.add_edge(module, target)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + c[:1]) for c in cycles)


def test_the_layering_check_sees_a_violation(tmp_path):
    """The checker itself catches an upward import, including one inside a function."""
    rogue = tmp_path / "rogue.py"
    rogue.write_text("import numpy\n\ndef f():\n    from sim.report import figures\n")
    assert "sim.model.rogue imports sim.report.figures" in _upward({"sim.model.rogue": rogue})
    assert _upward({"sim.commands.rogue": rogue}) == []
