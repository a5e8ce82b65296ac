"""Package names imported on first use (PEP 562), so `city-sandbox --help` does not load pandas or pydantic."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, module_of: dict[str, str]) -> tuple[Callable, Callable, list[str]]:
    """`__getattr__`, `__dir__` and `__all__` for `package`, whose name N lives in submodule `module_of[N]`."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *module_of})

    return __getattr__, __dir__, sorted(module_of)
