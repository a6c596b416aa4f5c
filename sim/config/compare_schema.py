"""Schema of ``mcsim compare``: the run schema (every lever, parameter, population and
horizon key, applied to every scenario) plus the keys of the comparison itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sim.config.schema import RunConfig

EXECUTORS = ("serial", "process")


@dataclass
class CompareConfig(RunConfig):
    scenarios: list[str] = field(default_factory=list)  # scenario names; empty = every named scenario
    replicates: int = 10             # seeds per scenario; replicate i uses seed + i in every scenario
    executor: str = "process"        # serial | process (all cores); identical numbers either way
    workers: Optional[int] = None    # processes for executor=process; None = all cores
