"""Lazy package exports: a package lists its public names and the modules that define them,
and each module is imported on first use (PEP 562).  This keeps ``textkit --help``, listing
models and reading settings free of torch's 1.5 s import."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports ``exports[name]`` (a module path, relative to
    ``package`` when it starts with a dot) when ``name`` is first asked for."""

    def __getattr__(name: str) -> object:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name], package), name)

    return __getattr__
