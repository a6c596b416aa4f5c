"""A plain, read-only attribute view of a composed configuration, for the model's hot loops.

Reading a key of an OmegaConf ``DictConfig`` costs microseconds (validation, interpolation,
type checks); the model reads behaviour and market parameters thousands of times a quarter
(once per provider and employer step), which made config access a visible share of run
time. ``plain(cfg)`` resolves the config once into nested :class:`Plain` objects with the
same attribute and item access (``cfg.behaviour.asc_enrol``, ``cfg.policy["subsidy"]``).
"""

from __future__ import annotations

from typing import Any


class Plain:
    """Nested read-only namespace: attribute and item access, ``in``, ``keys()``, ``get()``."""

    __slots__ = ("_d",)

    def __init__(self, d: dict) -> None:
        object.__setattr__(self, "_d", {k: _wrap(v) for k, v in d.items()})

    def __getattr__(self, name: str) -> Any:
        try:
            return self._d[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._d[name]

    def __contains__(self, name: str) -> bool:
        return name in self._d

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Plain config view is read-only")

    def keys(self):
        return self._d.keys()

    def get(self, name: str, default: Any = None) -> Any:
        return self._d.get(name, default)

    def __repr__(self) -> str:
        return f"Plain({self._d!r})"

    def to_dict(self) -> dict:
        """Plain nested dicts and lists again (for export)."""
        return {k: _unwrap(v) for k, v in self._d.items()}


def _unwrap(value: Any) -> Any:
    if isinstance(value, Plain):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_unwrap(v) for v in value]
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Plain(value)
    if isinstance(value, list):
        return tuple(_wrap(v) for v in value)
    return value


def plain(cfg) -> Plain:
    """Resolve ``cfg`` (DictConfig, dataclass or dict) into a :class:`Plain` view."""
    if isinstance(cfg, Plain):
        return cfg
    from omegaconf import OmegaConf

    if not isinstance(cfg, dict):
        cfg = OmegaConf.to_container(OmegaConf.create(cfg) if not OmegaConf.is_config(cfg) else cfg, resolve=True)
    return Plain(cfg)
