"""Output folders: one writer at a time, and a finished run is never replaced by accident.

A folder is *finished* when its last-written file (``summary.json`` for a run,
``manifest.json`` for a comparison) exists. Claiming a folder refuses a finished one unless
the user said ``overwrite=true``, then holds an exclusive lock on ``<folder>/.mcsim.lock`` for
the life of the process, so a second ``mcsim`` aimed at the same folder stops with one line
instead of mixing its files with the first one's. The lock is an ``flock``: the kernel drops
it when the process ends, however it ends, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = ".mcsim.lock"
_held: dict[Path, int] = {}  # folder -> open lock file descriptor, for this process's life


class FolderRefused(ValueError):
    """The folder cannot be written now; ``str(err)`` is one line."""


def is_finished(folder: Path, marker: str) -> bool:
    return (Path(folder) / marker).is_file()


def parse_overwrite(args: list[str], command: str) -> tuple[list[str], bool]:
    """``overwrite=true|false`` taken out of the arguments (it is not a model setting)."""
    rest, overwrite = [], False
    for arg in args:
        if arg.split("=", 1)[0] == "overwrite":
            value = arg.split("=", 1)[1].lower() if "=" in arg else ""
            if value not in ("true", "false"):
                raise FolderRefused(f"{arg} is not allowed: expected overwrite=true or overwrite=false")
            overwrite = value == "true"
        else:
            rest.append(arg)
    return rest, overwrite


def claim(folder: str | Path, marker: str | None, overwrite: bool = False, what: str = "run") -> Path:
    """Lock ``folder`` for this process (creating it); FolderRefused if it holds a finished
    ``what`` and ``overwrite`` is false, or another process is writing it. ``marker`` None:
    a folder that is never finished (an experiment store, which resumes)."""
    folder = Path(folder).absolute()
    if folder.exists() and not folder.is_dir():
        raise FolderRefused(f"{folder} is a file, not a folder: choose another output folder")
    if marker and is_finished(folder, marker) and not overwrite:
        raise FolderRefused(f"{folder} already holds a finished {what}: choose another folder, "
                            "or add overwrite=true to replace it")
    if folder in _held:
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise FolderRefused(f"{folder} cannot be written ({exc.strerror}): choose a folder you can write to") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise FolderRefused(f"{folder} is being written by another mcsim process: wait for it to finish "
                            "or choose another folder") from None
    _held[folder] = fd
    if marker and is_finished(folder, marker):  # overwrite: the folder stops counting as finished first
        (folder / marker).unlink()
    return folder


def release(folder: str | Path) -> None:
    fd = _held.pop(Path(folder).absolute(), None)
    if fd is not None:
        os.close(fd)


def release_all() -> None:
    """Unlock every folder this process holds (a command run in-process, as in the tests)."""
    for folder in list(_held):
        release(folder)
