"""Speed and memory of the whole model (all agent types, the per-quarter record and the
end-of-run summary), against the idiomatic Mesa reference (``sim.reference``) measured in
the same invocation; ``mcsim bench`` runs it and writes ``bench.json``.

The big run happens in a fresh child process, so its peak resident memory (``VmHWM``) is its
own; ``bytes_per_learner`` is that peak minus the child's resident memory after imports and
data loading (the interpreter and libraries), per agent.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import resource
import time
from pathlib import Path


def _status_mb(key: str) -> float:
    """A memory line of /proc/self/status (VmRSS, VmHWM) in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _fast_child(cfg_container: dict, out) -> None:
    """Build and run the fast model once; report times and memory through ``out``."""
    from omegaconf import OmegaConf

    from sim.model import MicroCredentialModel, population_data
    from sim.model.outcomes import summarise

    cfg = OmegaConf.create(cfg_container)
    population_data(cfg.population.data)
    base_mb = _status_mb("VmRSS")
    t0 = time.perf_counter()
    model = MicroCredentialModel(cfg)
    t1, c1 = time.perf_counter(), time.process_time()
    model.run()
    summarise(model)
    t2, c2 = time.perf_counter(), time.process_time()
    out.put(dict(build_s=t1 - t0, run_s=t2 - t1, run_cpu_s=c2 - c1, base_rss_mb=base_mb,
                 peak_rss_mb=_status_mb("VmHWM")))


def measure_fast(cfg, n_agents: int) -> dict:
    """Run the fast model at ``n_agents`` in a fresh child process."""
    from omegaconf import OmegaConf

    cfg = OmegaConf.merge(cfg, {"population": {"n_agents": n_agents}})
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_fast_child, args=(OmegaConf.to_container(cfg, resolve=True), queue))
    child.start()
    result = queue.get()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"benchmark child for {n_agents} agents exited with code {child.exitcode}")
    q = cfg.horizon.quarters
    return dict(n_agents=n_agents, quarters=q, **result,
                learner_steps_per_s=n_agents * q / result["run_s"],
                learner_steps_per_cpu_s=n_agents * q / result["run_cpu_s"],
                bytes_per_learner=(result["peak_rss_mb"] - result["base_rss_mb"]) * 2**20 / n_agents)


def measure_in_process(cfg, n_agents: int, quarters: int, reference: bool) -> dict:
    """Learner-steps per second of a small run here (reference or fast), build excluded."""
    from omegaconf import OmegaConf

    from sim.model import MicroCredentialModel
    from sim.model.outcomes import summarise
    from sim.reference import ReferenceModel
    from sim.reference.model import summary_view

    cfg = OmegaConf.merge(cfg, {"population": {"n_agents": n_agents}, "horizon": {"quarters": quarters}})
    model = (ReferenceModel if reference else MicroCredentialModel)(cfg)
    t0, c0 = time.perf_counter(), time.process_time()
    model.run()
    summarise(summary_view(model) if reference else model)
    run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    return dict(n_agents=n_agents, quarters=quarters, run_s=run_s, learner_steps_per_s=n_agents * quarters / run_s,
                learner_steps_per_cpu_s=n_agents * quarters / cpu_s)


def mcsim_command() -> list[str]:
    """The installed ``mcsim`` entry point beside this interpreter (else the one on PATH)."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "mcsim"
    found = str(beside) if beside.exists() else shutil.which("mcsim")
    if not found:
        raise RuntimeError("the mcsim entry point is not installed (pip install -e .); "
                           "or skip this measure with bench.cli_agents=0")
    return [found]


def measure_cli(n_agents: int) -> dict:
    """Wall time of ``mcsim run population.n_agents=N`` end to end in a new process (interpreter
    start, imports, composing, the run, its files), written to a temporary folder outside the
    repository and removed after."""
    import subprocess
    import tempfile

    command = [*mcsim_command(), "run", f"population.n_agents={n_agents}"]
    with tempfile.TemporaryDirectory(prefix="mcsim-bench-") as tmp:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        done = subprocess.run([*command, f"hydra.run.dir={tmp}/run"], cwd=tmp, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"{' '.join(command)} exited with code {done.returncode}: {last}")
    return dict(n_agents=n_agents, command=" ".join(["mcsim", *command[1:]]), wall_s=wall,
                load_average_before=load, load_average=os.getloadavg()[0])


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    return dict(cpu_model=cpu, cores=os.cpu_count(), memory_gb=round(mem_kb / 2**20, 1),
                python=platform.python_version(), platform=platform.platform())


def plot_scaling(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = sorted(rows, key=lambda r: r["n_agents"])
    n = [r["n_agents"] for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.loglog(n, [r["run_s"] for r in rows], "o-", label="run + summary, wall")
    a.loglog(n, [r["run_cpu_s"] for r in rows], "^-", label="run + summary, CPU")
    a.loglog(n, [r["build_s"] for r in rows], "s--", label="population build, wall")
    a.loglog(n, [rows[-1]["run_cpu_s"] * x / n[-1] for x in n], ":", color="grey", label="linear")
    a.set(xlabel="learner agents", ylabel="wall time (s)", title="Time")
    a.legend()
    b.loglog(n, [r["peak_rss_mb"] for r in rows], "o-", label="peak RSS")
    b.loglog(n, [r["peak_rss_mb"] - r["base_rss_mb"] for r in rows], "s--", label="peak RSS above interpreter")
    b.loglog(n, [(rows[-1]["peak_rss_mb"] - rows[-1]["base_rss_mb"]) * x / n[-1] for x in n], ":", color="grey",
             label="linear")
    b.set(xlabel="learner agents", ylabel="memory (MB)", title="Memory")
    b.legend()
    fig.suptitle(f"mcsim bench, {rows[0]['quarters']} quarters, {machine()['cores']} cores "
                 f"(wall time depends on other load; CPU time does not)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


# --------------------------------------------------------------------------- command
def run_benchmark(run_cfg, settings) -> dict:
    """The whole benchmark for a run configuration: the fast model at its size (and each
    ``settings.scaling`` size) in fresh children, the reference and the fast model at the
    reference's size in this process. Returns what ``bench.json`` holds."""
    n, q = run_cfg.population.n_agents, run_cfg.horizon.quarters
    ref_n = settings.reference_agents
    ref_q = settings.reference_quarters or q
    print(f"mcsim bench: fast model at {n:,} agents x {q} quarters (child process) ...", flush=True)
    big = measure_fast(run_cfg, n)
    print(f"  reference (one mesa.Agent per learner) at {ref_n:,} agents x {ref_q} quarters ...", flush=True)
    ref = measure_in_process(run_cfg, ref_n, ref_q, reference=True)
    small = measure_in_process(run_cfg, ref_n, ref_q, reference=False)
    scaling = [big] + [measure_fast(run_cfg, size) for size in settings.scaling if size != n]
    result = dict(
        n_agents=n, quarters=q, scenario=run_cfg.scenario.name, seed=int(run_cfg.seed),
        learner_steps_per_s=big["learner_steps_per_s"],
        reference_agents=ref_n, reference_quarters=ref_q,
        reference_learner_steps_per_s=ref["learner_steps_per_s"],
        speedup_vs_reference=big["learner_steps_per_s"] / ref["learner_steps_per_s"],
        # Per CPU second: what the machine delivers when nothing else runs on it.
        learner_steps_per_cpu_s=big["learner_steps_per_cpu_s"],
        reference_learner_steps_per_cpu_s=ref["learner_steps_per_cpu_s"],
        speedup_vs_reference_cpu=big["learner_steps_per_cpu_s"] / ref["learner_steps_per_cpu_s"],
        load_average=os.getloadavg()[0],
        fast_at_reference_size_learner_steps_per_s=small["learner_steps_per_s"],
        speedup_at_reference_size=small["learner_steps_per_s"] / ref["learner_steps_per_s"],
        peak_rss_mb=big["peak_rss_mb"], base_rss_mb=big["base_rss_mb"],
        bytes_per_learner=big["bytes_per_learner"],
        build_s=big["build_s"], run_s=big["run_s"],
        children_max_rss_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        machine=machine(),
        scaling=sorted(scaling, key=lambda r: r["n_agents"]),
    )
    return result


def format_table(r: dict) -> str:
    m = r["machine"]
    lines = [
        f"machine: {m['cpu_model']}, {m['cores']} cores, {m['memory_gb']} GB",
        f"{'run':<34}{'agents':>12}{'quarters':>10}{'learner-steps/s':>18}{'per CPU s':>14}{'peak RSS MB':>13}"
        f"{'bytes/learner':>15}",
    ]
    for row in r["scaling"]:
        lines.append(f"{'fast (whole model)':<34}{row['n_agents']:>12,}{row['quarters']:>10}"
                     f"{row['learner_steps_per_s']:>18,.0f}{row['learner_steps_per_cpu_s']:>14,.0f}"
                     f"{row['peak_rss_mb']:>13,.0f}{row['bytes_per_learner']:>15,.0f}")
    lines.append(f"{'fast at the reference size':<34}{r['reference_agents']:>12,}{r['reference_quarters']:>10}"
                 f"{r['fast_at_reference_size_learner_steps_per_s']:>18,.0f}")
    lines.append(f"{'reference (mesa.Agent per learner)':<34}{r['reference_agents']:>12,}{r['reference_quarters']:>10}"
                 f"{r['reference_learner_steps_per_s']:>18,.0f}{r['reference_learner_steps_per_cpu_s']:>14,.0f}")
    lines.append(f"load average during the bench: {r['load_average']:.1f} on {m['cores']} cores")
    lines.append(f"speedup vs reference: {r['speedup_vs_reference']:,.0f}x "
                 f"({r['speedup_at_reference_size']:,.0f}x at the reference's size); "
                 f"population build {r['build_s']:.1f} s, run {r['run_s']:.1f} s")
    return "\n".join(lines)
