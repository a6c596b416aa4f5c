"""Record the many-run baseline that ``mcsim bench`` sets beside today's figure
(``sim/experiment/throughput.py``: the same steps, the same workload definition).

Run it with the code and environment of the commit to measure, e.g. the code before the speed
work:

    git worktree add --detach /tmp/mcsim-c91fcf9 c91fcf9 && cd /tmp/mcsim-c91fcf9 && make install
    .venv/bin/python /path/to/mcsim/docs/figures/many_runs_baseline.py c91fcf9 OUT.json

It uses only what that commit already had (``compose`` and ``run_comparison``).
"""

import datetime
import json
import os
import platform
import subprocess
import sys
import time

SCENARIOS = ["awareness_campaign", "b40_voucher", "baseline", "integrated", "provider_readiness",
             "recognition_push", "rural_connectivity", "universal_voucher"]
WORKLOAD = dict(scenarios=SCENARIOS, draws=10, agents=50_000, quarters=40, seed=1, executor="process",
                workers=os.cpu_count() or 1)


def main(commit: str, out: str) -> None:
    from sim.config.compose import compose
    from sim.experiment.compare import run_comparison

    w = WORKLOAD
    run_cfgs = {name: compose("run", [f"scenario={name}", f"population.n_agents={w['agents']}",
                                      f"horizon.quarters={w['quarters']}", "progress=false"])
                for name in w["scenarios"]}
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    runs = run_comparison(run_cfgs, replicates=w["draws"], seed=w["seed"], executor="process",
                          workers=w["workers"], progress=False).runs
    wall = time.perf_counter() - t0
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    record = dict(workload=w, runs=len(runs), wall_s=round(wall, 2), runs_per_minute=round(60.0 * len(runs) / wall, 2),
                  commit=commit, commit_full=head, date=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                  load_average_before=load, load_average=os.getloadavg()[0],
                  command=f"{sys.executable} {os.path.abspath(__file__)} {commit} {out}  (in a checkout of {commit})",
                  machine=dict(cores=os.cpu_count(), python=platform.python_version(), platform=platform.platform()))
    with open(out, "w") as fh:
        json.dump(record, fh, indent=2)
        fh.write("\n")
    print(json.dumps(record, indent=2))


if __name__ == "__main__":
    main(*sys.argv[1:3])
