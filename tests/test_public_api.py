"""The public surface is documented and light to import.

* Every public name reachable from the Keras-shaped namespaces (``scratchdl``, ``scratchdl.ops``,
  ``scratchdl.layers``, ...) has a docstring: modules, functions, and classes defined in
  scratchdl (a class's own docstring: one inherited from a base class does not count).
* Public methods and properties defined in those classes are documented too (an override may
  rely on the documented method it overrides), and public functions and methods carry type
  hints on every parameter and on the return value.
* Every name in an ``__all__`` exists.
* ``import scratchdl`` pulls in none of the heavy or test-only libraries (checked in a fresh
  interpreter, since this test session has imported them already).
"""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

# The namespaces a Keras user reaches for, plus the scratchdl-only public modules.
NAMESPACES = [
    "scratchdl", "scratchdl.ops", "scratchdl.layers", "scratchdl.models", "scratchdl.optimizers",
    "scratchdl.losses", "scratchdl.metrics", "scratchdl.callbacks", "scratchdl.initializers",
    "scratchdl.regularizers", "scratchdl.activations", "scratchdl.saving", "scratchdl.utils",
    "scratchdl.data", "scratchdl.constraints", "scratchdl.backend", "scratchdl.autograd",
    "scratchdl.applications",
]

FORBIDDEN_ON_IMPORT = ["torch", "keras", "tensorflow", "matplotlib", "tqdm"]


def public_names(module: types.ModuleType) -> list[str]:
    """``__all__`` when the module declares it, else every name without a leading underscore."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name in dir(module) if not name.startswith("_")]


def _is_ours(obj: Any) -> bool:
    return getattr(obj, "__module__", None) is not None and obj.__module__.split(".")[0] == "scratchdl"


def walk(roots: list[str]) -> tuple[dict[str, types.ModuleType], dict[str, tuple[str, Any]]]:
    """Every scratchdl module reachable from ``roots`` through public names, and every public
    class or function defined in scratchdl found there, keyed by its qualified name (with one
    place it is reachable from, for error messages)."""
    modules: dict[str, types.ModuleType] = {}
    objects: dict[str, tuple[str, Any]] = {}
    pending = [importlib.import_module(name) for name in roots]
    while pending:
        module = pending.pop()
        if module.__name__ in modules:
            continue
        modules[module.__name__] = module
        for name in public_names(module):
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType):
                if obj.__name__.split(".")[0] == "scratchdl":
                    pending.append(obj)
            elif (inspect.isclass(obj) or inspect.isfunction(obj)) and _is_ours(obj):
                objects.setdefault(f"{obj.__module__}.{obj.__qualname__}", (f"{module.__name__}.{name}", obj))
    return modules, objects


MODULES, OBJECTS = walk(NAMESPACES)


def _has_text(doc: Any) -> bool:
    return isinstance(doc, str) and bool(doc.strip())


def _own_doc(obj: Any) -> Any:
    """A class's own docstring (``__doc__`` is inherited through the MRO otherwise)."""
    return obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__


def _members(cls: type) -> Iterator[tuple[str, Any, Any]]:
    """(name, raw attribute, underlying function) for the public methods and properties that
    ``cls`` itself defines."""
    for name, attribute in cls.__dict__.items():
        if name.startswith("_"):
            continue
        if isinstance(attribute, property):
            yield name, attribute, attribute.fget
        elif isinstance(attribute, (classmethod, staticmethod)):
            yield name, attribute, attribute.__func__
        elif inspect.isfunction(attribute):
            yield name, attribute, attribute


def _inherited_doc(cls: type, name: str) -> Any:
    for base in cls.__mro__[1:]:
        if name in base.__dict__:
            attribute = base.__dict__[name]
            function = attribute.fget if isinstance(attribute, property) else getattr(attribute, "__func__", attribute)
            doc = attribute.__doc__ if isinstance(attribute, property) else getattr(function, "__doc__", None)
            if _has_text(doc):
                return doc
    return None


def test_the_walk_reaches_every_namespace():
    for name in NAMESPACES:
        assert name in MODULES
    assert len(OBJECTS) > 400, f"only {len(OBJECTS)} public classes and functions found"
    for expected in ("scratchdl.layers.core.dense.Dense", "scratchdl.autograd.function.Function",
                     "scratchdl.ops.arithmetic.add", "scratchdl.saving.saving_api.load_model"):
        assert expected in OBJECTS


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_all_lists_resolve(namespace):
    module = importlib.import_module(namespace)
    listed = getattr(module, "__all__", [])
    missing = [name for name in listed if not hasattr(module, name)]
    assert not missing, f"{namespace}.__all__ names missing attributes: {missing}"
    duplicates = sorted({name for name in listed if listed.count(name) > 1})
    assert not duplicates, f"{namespace}.__all__ lists names twice: {duplicates}"


def test_every_public_module_has_a_docstring():
    undocumented = sorted(name for name, module in MODULES.items() if not _has_text(module.__doc__))
    assert not undocumented, f"modules without a docstring: {undocumented}"


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_class_and_function_has_a_docstring(namespace):
    module = importlib.import_module(namespace)
    undocumented = []
    for name in public_names(module):
        obj = getattr(module, name)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and _is_ours(obj) and not _has_text(_own_doc(obj)):
            undocumented.append(f"{name} ({obj.__module__}.{obj.__qualname__})")
    assert not undocumented, f"{namespace}: public names without a docstring: {undocumented}"


def test_every_class_reachable_anywhere_has_its_own_docstring():
    undocumented = sorted(f"{where} ({key})" for key, (where, obj) in OBJECTS.items()
                          if not _has_text(_own_doc(obj)))
    assert not undocumented, f"public classes/functions without a docstring: {undocumented}"


def test_public_methods_and_properties_are_documented():
    undocumented = []
    for key, (_, obj) in sorted(OBJECTS.items()):
        if not inspect.isclass(obj):
            continue
        for name, attribute, _function in _members(obj):
            doc = attribute.__doc__ if isinstance(attribute, property) else _function.__doc__
            if not _has_text(doc) and not _has_text(_inherited_doc(obj, name)):
                undocumented.append(f"{key}.{name}")
    assert not undocumented, f"public methods/properties without a docstring: {undocumented}"


def _unannotated(function: Any, skip_return: bool) -> list[str]:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # pragma: no cover - builtins have no signature
        return []
    missing = [p.name for p in signature.parameters.values()
               if p.name not in ("self", "cls") and p.annotation is inspect.Parameter.empty]
    if not skip_return and signature.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_public_functions_and_methods_have_type_hints():
    problems = []
    for key, (_, obj) in sorted(OBJECTS.items()):
        if inspect.isfunction(obj):
            missing = _unannotated(obj, skip_return=False)
            if missing:
                problems.append(f"{key}: {missing}")
            continue
        functions = [("__init__", obj.__dict__["__init__"])] if inspect.isfunction(obj.__dict__.get("__init__")) else []
        functions += [(name, function) for name, _, function in _members(obj)]
        for name, function in functions:
            # Forwarding properties built by a factory (``cell_property``) are lambdas; their
            # documentation is the property's ``doc``.
            if function is None or function.__name__ == "<lambda>":
                continue
            missing = _unannotated(function, skip_return=name == "__init__")
            if missing:
                problems.append(f"{key}.{name}: {missing}")
    assert not problems, "public functions/methods missing type hints:\n" + "\n".join(problems)


def test_import_scratchdl_does_not_import_heavy_libraries():
    code = (
        "import json, sys\n"
        "import scratchdl\n"
        f"print(json.dumps(sorted(m for m in {FORBIDDEN_ON_IMPORT!r} if m in sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    assert imported == [], f"import scratchdl imported {imported}; import them lazily where used"


def test_forbidden_check_sees_a_real_import():
    """The subprocess check above can fail: importing matplotlib does show up in sys.modules."""
    code = "import json, sys\nimport matplotlib\nprint(json.dumps('matplotlib' in sys.modules))\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) is True
