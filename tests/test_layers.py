"""minitrack's modules import one way, bottom up, and never in a circle.

Every module of ``src/minitrack`` is named in LAYERS below; a new module must be placed
there before this test passes. A module may import modules of its own layer or of a
lower one, at the top of the file or inside a function alike (a lazy import is still a
dependency), and the imports between our modules must form no cycle. The package root
``minitrack/__init__.py`` sits above everything: it exposes the API.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "minitrack"

# Bottom up. A name ending in ".*" covers a package and everything below it.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "foundation",
        [
            "minitrack.exceptions",
            "minitrack.entities",
            "minitrack.validation",
            "minitrack.uris",
            "minitrack.context",
            "minitrack.names",
        ],
    ),
    ("search", ["minitrack.search.*"]),
    ("store", ["minitrack.store.*"]),
    ("artifacts", ["minitrack.artifacts.*"]),
    ("client", ["minitrack.client", "minitrack.figures", "minitrack.lifecycle"]),
    ("fluent", ["minitrack.fluent", "minitrack.frames", "minitrack.tracking"]),
    (
        "models, autolog",
        [
            "minitrack.models.*",
            "minitrack.autolog.*",
            "minitrack.sklearn",
            "minitrack.xgboost",
            "minitrack.pyfunc",
        ],
    ),
    ("copy", ["minitrack.copy.*"]),
    ("server, cli", ["minitrack.server.*", "minitrack.cli"]),
    ("package root", ["minitrack"]),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int | None:
    for index, (_name, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            if pattern.endswith(".*"):
                base = pattern[:-2]
                if module == base or module.startswith(base + "."):
                    return index
            elif module == pattern:
                return index
    return None


def imported_modules(module: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that ``module`` imports, anywhere in its file."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def add(name: str) -> None:
        # The longest known prefix: importing a name from a module depends on that module.
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != module:
            found.add(name)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "minitrack":
                    add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = module.split(".")
                if not is_package:
                    base_parts = base_parts[:-1]
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != "minitrack":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                add(candidate if candidate in known else base)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.startswith("minitrack")
        ):
            add(node.args[0].value)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imported_modules(name, path, known) for name, path in modules.items()}


def test_every_module_has_a_layer():
    missing = [m for m in all_modules() if layer_of(m) is None]
    assert not missing, f"place these modules in tests/test_layers.py LAYERS: {missing}"


def test_imports_only_go_down():
    upward = []
    for module, imports in import_graph().items():
        here = layer_of(module)
        for target in sorted(imports):
            there = layer_of(target)
            if here is not None and there is not None and there > here:
                upward.append(f"{module} ({LAYERS[here][0]}) imports {target} ({LAYERS[there][0]})")
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = import_graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    # A test that cannot fail is no test: the walker must see imports inside functions.
    fake = tmp_path / "mod.py"
    fake.write_text(
        "def f():\n    from minitrack.client import MlflowClient\n    import minitrack.fluent\n"
    )
    found = imported_modules("minitrack.store.fake", fake, set(all_modules()))
    assert found == {"minitrack.client", "minitrack.fluent"}
