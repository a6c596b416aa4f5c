"""Build the report of a stored comparison: tables (CSV), figures, report.md and report.html.

Reads only what ``mcsim compare`` stored (``sim.experiment.results``), so ``mcsim report PATH``
rebuilds everything without re-running the simulation.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sim.analysis.tables import build_tables
from sim.experiment import results
from sim.report import content, figures, html, markdown


def write_tables(tables: dict, out_dir: Path) -> None:
    from sim.store import atomic_write_bytes

    for name, table in tables.items():
        atomic_write_bytes(out_dir / "tables" / f"{name}.csv", table.to_csv(index=False).encode())


def build_report(path: Path) -> Path:
    """Write tables/, figures/, report.md and report.html under ``path``; returns report.html."""
    from sim.store import atomic_write_bytes

    for noisy in ("fontTools", "matplotlib"):  # PDF font subsetting logs every table at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    path = Path(path)
    comparison = results.load(path)
    meta = comparison.meta
    tables = build_tables(comparison.runs, comparison.timeseries, comparison.counterfactuals,
                          comparison.counterfactual_groups, parameters=comparison.parameters, meta=meta)
    write_tables(tables, path)
    titles = dict(figures.draw_all(tables, meta, path))
    blocks = content.build(tables, meta)
    atomic_write_bytes(path / "report.md", markdown.render(blocks, titles).encode())
    atomic_write_bytes(path / "report.html", html.render(blocks, titles, path / "figures").encode())
    return path / "report.html"
