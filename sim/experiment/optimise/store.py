"""The durable store of a search's evaluations, keyed by (candidate values, draw, seed).

One evaluation is one run of one candidate in one (parameter draw, seed) cell. Its outcomes
are kept as in ``sim.experiment.store.ResultStore`` (one Parquet shard and a checksummed
sidecar per run, both written atomically; a run counts only when both check out), under a
run id. What the store adds::

    context.json        what every evaluation here shares (base configuration, parameter
                        draws, problem): another context is refused, never mixed in
    evaluations.jsonl   one line each time an evaluation is handed to an executor: its key,
                        run id, candidate values, draw and seed (the key -> run id index and
                        a count of how often each was started)
    runs/run-*.parquet, runs/run-*.json   the finished evaluations (ResultStore)

A search looks every evaluation up here before running it, so a killed search, run again
with the same command, repeats no finished evaluation and loses at most those in flight.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.experiment.store import ResultStore, StoreMismatch
from sim.store import atomic_write_bytes, code_version, write_json

INDEX = "evaluations.jsonl"
CONTEXT = "context.json"


def canonical(obj: Any) -> str:
    """JSON that is the same for equal values (sorted keys, floats as repr)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def evaluation_key(values: dict, draw: int, seed: int) -> str:
    """The key of one evaluation: a hash of the candidate's values, the draw and the seed."""
    return hashlib.sha256(canonical({"values": values, "draw": int(draw), "seed": int(seed)}).encode()).hexdigest()[:32]


class _Shards(ResultStore):
    """ResultStore whose writes reuse one code version (``git describe`` once, not per run)."""

    def __init__(self, root: Path):
        super().__init__(root)
        self.version = code_version()

    def write(self, run_id: int, outcomes: dict[str, float], meta: dict) -> None:
        table = pa.Table.from_pylist([{"run_id": int(run_id), **{k: float(v) for k, v in outcomes.items()}}])
        buffer = io.BytesIO()
        pq.write_table(table, buffer, write_statistics=False)
        data = buffer.getvalue()
        atomic_write_bytes(self.shard_path(run_id), data)
        write_json(self.sidecar_path(run_id), {
            "run_id": int(run_id), "status": "done", "rows": 1, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "code_version": self.version,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **meta})

    def read(self, run_id: int) -> dict[str, float]:
        row = pq.read_table(self.shard_path(run_id)).to_pylist()[0]
        row.pop("run_id")
        return row


class EvaluationStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.shards = _Shards(self.root)
        self.index: dict[str, int] = {}     # key -> run id
        self.done: dict[str, dict] = {}     # key -> outcomes of a finished evaluation

    # ---------------------------------------------------------------- opening
    def open(self, context: dict) -> "EvaluationStore":
        """Create the store or check that it holds this ``context``; load what is finished
        (a shard failing its sidecar is discarded: that evaluation is run again)."""
        digest = hashlib.sha256(canonical(context).encode()).hexdigest()[:16]
        path = self.root / CONTEXT
        if path.exists():
            try:
                stored = json.loads(path.read_text()).get("context_hash")
            except (OSError, ValueError, AttributeError):
                stored = None
            if stored != digest:
                raise StoreMismatch(f"{self.root} holds the evaluations of another search context "
                                    f"({stored}, not {digest}: other population, horizon, draws or base settings): "
                                    "use another output folder (optimise.name=...)")
        else:
            write_json(path, {"context_hash": digest, "context": context})
        self.shards.runs.mkdir(parents=True, exist_ok=True)
        self.index = self._read_index()
        for key, run_id in self.index.items():
            state = self.shards.check(run_id)
            if state == "done":
                self.done[key] = self.shards.read(run_id)
            elif state == "corrupt":
                self.shards.discard(run_id)
        return self

    def _lines(self) -> list[dict]:
        path = self.root / INDEX
        if not path.exists():
            return []
        out = []
        for line in path.read_text(errors="replace").splitlines():
            try:  # a line cut short by a kill is no submission
                entry = json.loads(line)
                out.append({"key": str(entry["key"]), "run_id": int(entry["run_id"]), **entry})
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def _read_index(self) -> dict[str, int]:
        index: dict[str, int] = {}
        for entry in self._lines():
            index.setdefault(entry["key"], entry["run_id"])
        return index

    # ---------------------------------------------------------------- reading
    def get(self, key: str) -> dict | None:
        return self.done.get(key)

    def submissions(self) -> Counter:
        """How often each evaluation (by key) was handed to an executor."""
        return Counter(entry["key"] for entry in self._lines())

    def entries(self) -> list[dict]:
        """Every submission line (key, run_id, values, draw, seed, pid, at), in order."""
        return self._lines()

    # ---------------------------------------------------------------- writing
    def submit(self, items: list[tuple[str, dict, int, int]], executor: str) -> list[int]:
        """Record that the evaluations ``(key, values, draw, seed)`` are handed to ``executor``;
        returns their run ids (a key submitted before keeps its id). Written before the runs
        start, so a run in flight at a kill is known and done again."""
        next_id = max(self.index.values(), default=-1) + 1
        ids, lines = [], []
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        for key, values, draw, seed in items:
            if key not in self.index:
                self.index[key] = next_id
                next_id += 1
            ids.append(self.index[key])
            lines.append(canonical({"key": key, "run_id": self.index[key], "values": values, "draw": int(draw),
                                    "seed": int(seed), "executor": executor, "pid": os.getpid(), "at": stamp}) + "\n")
        self._append("".join(lines))
        return ids

    def _append(self, text: str) -> None:
        path = self.root / INDEX
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":  # a line cut short by a kill: end it first
                text = "\n" + text
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def put(self, key: str, outcomes: dict[str, float], meta: dict) -> None:
        """Write one finished evaluation (its shard, then its sidecar: the commit point)."""
        run_id = self.index[key]
        self.shards.write(run_id, outcomes, {"key": key, **meta})
        self.done[key] = {k: float(v) for k, v in outcomes.items()}

    def put_failure(self, key: str, meta: dict) -> None:
        self.shards.write_failure(self.index[key], {"key": key, **meta})
