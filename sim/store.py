"""Durable outputs: atomic file writes, JSON that stays valid, and the run manifest.

Every file is written to a temporary name in the same folder and renamed into place, so a
killed process never leaves a half-written result under the final name.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import pandas as pd

PACKAGES = ("numpy", "scipy", "pandas", "pyarrow", "mesa", "hydra-core", "omegaconf", "matplotlib")


def file_mode() -> int:
    """The mode a plain ``open()`` would give a new file: 0o666 less the user's umask
    (temporary files are made 0o600, so they are widened to this before the rename)."""
    try:  # read without changing it: os.umask() is process-wide and racy with threads
        with open("/proc/self/status") as fh:
            umask = next(int(line.split()[1], 8) for line in fh if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _clean(value):
    """JSON-safe copy: NaN and infinities become null (strict JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, (json.dumps(_clean(obj), indent=2, sort_keys=False) + "\n").encode())


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.fchmod(fd, file_mode())
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def code_version() -> str:
    """``git describe`` of the source tree when available, else the package version."""
    root = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty", "--tags"],
                             capture_output=True, text=True, timeout=5)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from sim import __version__

    return __version__


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def config_hash(config_yaml: str) -> str:
    return hashlib.sha256(config_yaml.encode()).hexdigest()[:16]


def manifest(seed: int, config_yaml: str, wall_time_s: float, **extra) -> dict:
    return {
        "seed": seed,
        "config_hash": config_hash(config_yaml),
        "code_version": code_version(),
        "packages": package_versions(),
        "machine": {"platform": platform.platform(), "processor": platform.machine(),
                    "cpus": os.cpu_count()},
        "command": " ".join(["mcsim", *sys.argv[1:]]),
        "wall_time_s": round(wall_time_s, 3),
        **extra,
    }
