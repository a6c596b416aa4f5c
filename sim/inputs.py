"""Reading files a user hands in or a store kept: every decoding or format problem becomes one
:class:`InputError` line naming the file, what is wrong and what to do about it.

YAML is read with a safe loader that refuses anchors and aliases (a 500-byte file of nested
aliases expands to gigabytes) and caps the file size and the number of nodes; nothing read
here can construct a Python object.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

MAX_YAML_BYTES = 1_000_000     # settings, experiment and data files are a few kilobytes
MAX_YAML_NODES = 100_000       # scalars, lists and mappings in one YAML file


class InputError(ValueError):
    """A file that cannot be read as what it should be; ``str(err)`` is one line."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_bytes(path: str | Path, what: str, hint: str, max_bytes: int | None = None) -> bytes:
    """The bytes of ``path``; ``what`` says what the file should be, ``hint`` how to recover."""
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(f"{p} is a folder, not a {what}: {hint}")
        if not p.is_file():
            raise InputError(f"{p}: no such file ({what}): {hint}")
        if max_bytes is not None and p.stat().st_size > max_bytes:
            raise InputError(f"{p} is {p.stat().st_size:,} bytes, more than the {max_bytes:,} a {what} may have: "
                             f"{hint}")
        return p.read_bytes()
    except OSError as exc:
        raise InputError(f"{p} cannot be read ({exc.strerror or _first_line(exc)}): {hint}") from None


def read_text(path: str | Path, what: str, hint: str, max_bytes: int | None = None) -> str:
    data = read_bytes(path, what, hint, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text (byte {exc.start}), so not a {what}: {hint}") from None


class _NoAliasLoader(yaml.SafeLoader):
    """SafeLoader without anchors or aliases, and with a node budget."""

    def __init__(self, stream):
        super().__init__(stream)
        self._nodes = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(f"aliases (*{event.anchor}) are not allowed (line {event.start_mark.line + 1})")
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise yaml.YAMLError(f"anchors (&{event.anchor}) are not allowed (line {event.start_mark.line + 1})")
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise yaml.YAMLError(f"more than {MAX_YAML_NODES:,} values")
        return super().compose_node(parent, index)


def parse_yaml(text: str):
    """YAML text to plain data (no anchors, aliases or tags beyond the safe ones)."""
    loader = _NoAliasLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(path: str | Path, what: str, hint: str, max_bytes: int = MAX_YAML_BYTES):
    """Plain data from a YAML file; InputError (one line) on any size, encoding or syntax problem."""
    text = read_text(path, what, hint, max_bytes)
    try:
        return parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or _first_line(exc)
        raise InputError(f"{path} is not valid YAML{where} ({problem}): {hint}") from None
    except RecursionError:
        raise InputError(f"{path} is nested too deeply to be a {what}: {hint}") from None


def load_json(path: str | Path, what: str, hint: str):
    text = read_text(path, what, hint)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path} is not valid JSON ({_first_line(exc)}): {hint}") from None


def load_json_mapping(path: str | Path, what: str, hint: str, keys: tuple[str, ...] = ()) -> dict:
    """A JSON object holding at least ``keys``."""
    data = load_json(path, what, hint)
    if not isinstance(data, dict):
        raise InputError(f"{path} does not hold a JSON object: expected a {what}; {hint}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise InputError(f"{path} lacks {missing[0]!r}: expected a {what}; {hint}")
    return data


def read_parquet(path: str | Path, what: str, hint: str, columns: list[str] | None = None):
    """A pandas frame from a Parquet file; InputError (one line) when it is missing or damaged."""
    import pandas as pd
    import pyarrow as pa

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file ({what}): {hint}")
    try:
        return pd.read_parquet(p, columns=columns)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise InputError(f"{p} is not a readable Parquet table ({_first_line(exc)}): {hint}") from None
