"""The durable results store of one experiment.

Layout of a store directory (``results/experiments/<name>-<spec hash>/``)::

    spec.yaml          the normalised experiment file (its hash names the directory)
    design.parquet     the design table, written before any run starts
    runs/run-000042.parquet   one shard per finished run: run_id + flattened outcomes
    runs/run-000042.json      its sidecar: sha256, bytes, rows, config hash, seed, code
                              version, status, wall time; written after the shard
    submissions.jsonl  one line each time a run is handed to an executor (a run counter)
    manifest.json      experiment summary: spec hash, code and package versions, counts
    .mcsim.lock        held (flock) by the one mcsim process writing the store

A run is finished only when its sidecar exists, the shard's size and checksum match it, and
the sidecar's and the shard's run_id match the file name: a shard written without its
sidecar (killed in between), truncated, altered or swapped with another run's is detected
and the run is done again. Every file is written atomically (temporary name + rename).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import yaml

from sim.store import atomic_write_bytes, code_version, package_versions, write_json, write_parquet

RESULTS_DIR = Path("results") / "experiments"


class StoreMismatch(ValueError):
    """The directory holds a different experiment or design; ``str(err)`` is one line."""


def default_store_dir(spec, results_dir: str | Path = RESULTS_DIR) -> Path:
    """``<results_dir>/<name>-<spec hash>``: a changed spec gets a new directory."""
    return Path(results_dir) / f"{spec.name}-{spec.spec_hash()}"


def _shard_run_ids(data: bytes) -> list[int] | None:
    """The run_id column of a shard's bytes (None when it is not a readable shard)."""
    try:
        return [int(r) for r in pq.read_table(pa.BufferReader(data), columns=["run_id"]).column(0).to_pylist()]
    except (pa.ArrowException, OSError, ValueError, KeyError, TypeError):
        return None


def _plain(value):
    """A design cell as plain JSON (numpy scalars and arrays, as Parquet returns them, too)."""
    return json.dumps(value.tolist() if hasattr(value, "tolist") else value, default=str)


def _canonical(design: pd.DataFrame) -> pd.DataFrame:
    return design.reset_index(drop=True).astype(object).map(_plain)


class ResultStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / "runs"

    # ---------------------------------------------------------------- layout
    def shard_path(self, run_id: int) -> Path:
        return self.runs / f"run-{int(run_id):06d}.parquet"

    def sidecar_path(self, run_id: int) -> Path:
        return self.runs / f"run-{int(run_id):06d}.json"

    # ---------------------------------------------------------------- setup
    def prepare(self, spec, design: pd.DataFrame) -> None:
        """Write spec.yaml and design.parquet, or check that the existing ones match."""
        from sim.inputs import InputError, load_yaml, read_parquet

        spec_file = self.root / "spec.yaml"
        rebuilt = "and run the same command again: it is rebuilt from the experiment file, finished runs are kept"
        if spec_file.exists():
            stored = load_yaml(spec_file, "store's spec.yaml", f"delete it {rebuilt}")
            if not isinstance(stored, dict) or "spec_hash" not in stored:
                raise InputError(f"{spec_file} holds no spec_hash: delete it {rebuilt}")
            if stored["spec_hash"] != spec.spec_hash():
                raise StoreMismatch(f"{self.root} holds experiment {stored['spec_hash']}, not {spec.spec_hash()}: "
                                    "use another store directory for a changed experiment")
        design_file = self.root / "design.parquet"
        if design_file.exists():
            stored_design = read_parquet(design_file, "design table", f"delete it {rebuilt}")
            if not _canonical(stored_design).equals(_canonical(design)):
                raise StoreMismatch(f"{design_file} differs from this design: use another store directory")
        else:
            write_parquet(design_file, design.reset_index(drop=True))
        if not spec_file.exists():
            content = {"spec_hash": spec.spec_hash(), **spec.to_dict()}
            atomic_write_bytes(spec_file, yaml.safe_dump(content, sort_keys=False).encode())
        self.runs.mkdir(parents=True, exist_ok=True)

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.root / "design.parquet")

    # ---------------------------------------------------------------- writing
    def write(self, run_id: int, outcomes: dict[str, float], meta: dict) -> None:
        """Write one finished run: the shard, then its sidecar (the commit point)."""
        table = pa.Table.from_pylist([{"run_id": int(run_id), **{k: float(v) for k, v in outcomes.items()}}])
        buffer = io.BytesIO()
        pq.write_table(table, buffer, write_statistics=False)  # statistics of one row are useless
        data = buffer.getvalue()
        atomic_write_bytes(self.shard_path(run_id), data)
        write_json(self.sidecar_path(run_id), {
            "run_id": int(run_id), "status": "done", "rows": 1, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "code_version": code_version(),
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **meta})

    def write_failure(self, run_id: int, meta: dict) -> None:
        """Record a run that raised (no shard); it is tried again on the next invocation."""
        self.shard_path(run_id).unlink(missing_ok=True)
        write_json(self.sidecar_path(run_id), {"run_id": int(run_id), "status": "failed", "code_version": code_version(),
                                               "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **meta})

    def log_submissions(self, run_ids, executor: str) -> None:
        """Append one line per run handed to an executor (how often each run was started)."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        lines = "".join(json.dumps({"run_id": int(r), "executor": executor, "pid": os.getpid(), "at": stamp}) + "\n"
                        for r in run_ids)
        path = self.root / "submissions.jsonl"
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":  # a line cut short by a kill: end it first
                lines = "\n" + lines
            os.write(fd, lines.encode())
        finally:
            os.close(fd)

    def submissions(self) -> Counter:
        path = self.root / "submissions.jsonl"
        if not path.exists():
            return Counter()
        counts = Counter()
        for line in path.read_text(errors="replace").splitlines():
            try:  # a line cut short by a kill is not a submission
                counts[int(json.loads(line)["run_id"])] += 1
            except (ValueError, KeyError, TypeError):
                continue
        return counts

    # ---------------------------------------------------------------- checking
    def check(self, run_id: int) -> str:
        """``done``, ``missing`` (never finished), ``failed`` (the run raised) or ``corrupt``
        (the shard fails its sidecar)."""
        sidecar, shard = self.sidecar_path(run_id), self.shard_path(run_id)
        if not sidecar.exists():
            return "missing"
        try:
            meta = json.loads(sidecar.read_text())
            if not isinstance(meta, dict):
                return "corrupt"
            data = shard.read_bytes() if meta.get("status") != "failed" else b""
        except (OSError, ValueError):
            return "corrupt"
        if meta.get("status") == "failed":
            return "failed"
        if meta.get("status") != "done" or len(data) != meta.get("bytes") \
                or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            return "corrupt"
        if meta.get("run_id") != int(run_id) or _shard_run_ids(data) != [int(run_id)]:
            return "corrupt"  # a sidecar or shard of another run under this name (swapped files)
        return "done"

    def status(self, run_ids) -> dict[int, str]:
        return {int(r): self.check(r) for r in run_ids}

    def done_ids(self, run_ids=None) -> set[int]:
        if run_ids is None:
            run_ids = [int(p.stem.split("-")[1]) for p in self.runs.glob("run-*.json")]
        return {r for r, s in self.status(run_ids).items() if s == "done"}

    def discard(self, run_id: int) -> None:
        """Remove a corrupt or partial run so it is done again."""
        for path in (self.sidecar_path(run_id), self.shard_path(run_id)):
            path.unlink(missing_ok=True)

    def meta(self, run_id: int) -> dict:
        return json.loads(self.sidecar_path(run_id).read_text())

    # ---------------------------------------------------------------- reading
    def dataset(self, run_ids=None) -> ds.Dataset:
        """A lazy pyarrow dataset over the finished shards (nothing is read until scanned)."""
        ids = sorted(self.done_ids(run_ids))
        return ds.dataset([str(self.shard_path(r)) for r in ids], format="parquet")

    def iter_batches(self, columns: list[str] | None = None, batch_size: int = 10_000) -> Iterator[pa.RecordBatch]:
        """Stream outcome rows in record batches, reading only ``columns`` (memory stays
        bounded by one batch, whatever the number of runs)."""
        cols = None if columns is None else ["run_id", *[c for c in columns if c != "run_id"]]
        yield from self.dataset().to_batches(columns=cols, batch_size=batch_size)

    def outcomes(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Finished runs' outcomes (only ``columns`` are read), sorted by run_id."""
        dataset = self.dataset()
        if not dataset.files:
            return pd.DataFrame({"run_id": pd.Series(dtype="int64")})
        cols = None if columns is None else ["run_id", *[c for c in columns if c != "run_id"]]
        return dataset.to_table(columns=cols).to_pandas().sort_values("run_id", ignore_index=True)

    def results(self, design: pd.DataFrame | None = None, outcomes: list[str] | None = None) -> pd.DataFrame:
        """Design columns + outcome columns, one row per finished run."""
        design = self.design() if design is None else design
        return design.merge(self.outcomes(outcomes or None), on="run_id", how="inner")

    # ---------------------------------------------------------------- manifest
    def write_manifest(self, spec, executor: str, wall_time_s: float, n_runs: int) -> dict:
        done = self.done_ids()
        walls = [self.meta(r).get("wall_time_s", 0.0) for r in done]
        content = {
            "experiment": spec.name, "spec_hash": spec.spec_hash(), "code_version": code_version(),
            "packages": package_versions(), "runs": n_runs, "finished": len(done),
            "last_executor": executor, "last_session_wall_time_s": round(wall_time_s, 3),
            "run_wall_time_s_total": round(float(sum(walls)), 3),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        write_json(self.root / "manifest.json", content)
        return content
