"""Names that become parts of output paths, and the check that an output path stays inside
its results folder.

A scenario or experiment name is one folder-name part (``results/run/<name>_seed1_<time>``),
so it may hold letters, digits, ``_``, ``-`` and ``.`` only, starting with a letter or digit:
no ``/``, no ``..``, nothing absolute. Every resolved output folder built from such names is
also checked to lie inside its results folder (a second line of defence).
"""

from __future__ import annotations

import re
from pathlib import Path

SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
SAFE_NAME_RULE = "1 to 80 letters, digits, _, - or ., starting with a letter or digit"


class UnsafePath(ValueError):
    """A name or path that would write outside its results folder; one line."""


def is_safe_name(value) -> bool:
    return isinstance(value, str) and bool(SAFE_NAME.match(value))


def check_name(value, what: str) -> str:
    if not is_safe_name(value):
        raise UnsafePath(f"{what}={value!r} is not allowed as a name: expected {SAFE_NAME_RULE}")
    return value


def inside(path: str | Path, root: str | Path, what: str = "output folder") -> Path:
    """``path`` resolved, if it lies inside ``root`` (resolved); else UnsafePath."""
    resolved, base = Path(path).resolve(), Path(root).resolve()
    if resolved != base and base not in resolved.parents:
        raise UnsafePath(f"{what} {path} resolves to {resolved}, outside its results folder {base}")
    return resolved
