"""The house of autograd and nn: who imports whom, read from the sources (every import statement, also those
inside functions and under TYPE_CHECKING). No import circle, module by module; the engine on the ground floor
knows neither its debugger (anomaly mode checks through the engine's hook) nor the notebook card's reader; nn
reads only the public API of autograd and the internal names documented for it (display's card, files' writer
and reader, the engine's fused_dot)."""

import ast
import pathlib

import pytest

import autograd

ROOT = pathlib.Path(__file__).resolve().parent.parent


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path, source=None):
    """The modules of autograd and nn that the file imports (or `source`, read as that file), resolved to module
    names: every import statement, also those inside functions and under ``if TYPE_CHECKING:``."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8") if source is None else source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if node.module:  # `from . import ops` imports the module ops, not the package's face
                found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] in ("autograd", "nn")}


FILES = sorted([*ROOT.joinpath("autograd").rglob("*.py"), *ROOT.joinpath("nn").rglob("*.py")])
MODULES = {module_name(p) for p in FILES}
GRAPH = {module_name(p): {m for m in imports(p) if m in MODULES} - {module_name(p)} for p in FILES}


def test_no_import_circles():
    """Module by module, also inside a package such as draw, and with the imports made only for type checkers
    (under ``if TYPE_CHECKING:``, which `imports` reads too): a circle of those still means two modules that
    cannot be read apart."""
    graph = {
        m: {t for t in targets if t not in ("autograd", "nn")}
        for m, targets in GRAPH.items()
        if not m.endswith("__init__") and m not in ("autograd", "nn")  # a package's face hands names on
    }
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()) - {node}:
                assert nxt != start, f"an import circle: {' -> '.join([*path, nxt])}"
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))


@pytest.mark.parametrize(
    "module, allowed",
    [
        ("autograd.ops", set()),
        ("autograd.grad_mode", set()),
        ("autograd.display", set()),
        ("autograd.files", set()),
        ("autograd.methods", {"autograd.ops"}),
        ("autograd.engine", {"autograd.ops", "autograd.grad_mode", "autograd.methods", "autograd.display"}),
        ("nn.serialization", {"autograd.files"}),
    ],
)
def test_the_ground_floors_import_only_what_lies_below(module, allowed):
    assert GRAPH[module] <= allowed, sorted(GRAPH[module] - allowed)


# What nn may take from autograd beyond its public API: the internal API documented for it (display's card,
# files' writer and reader, and the engine's fused_dot, by which a layer reads its inputs' data once for all
# its neurons).
DOCUMENTED_FOR_NN = {
    "autograd.display": {"card_html"},
    "autograd.files": {"write_atomic", "read_regular"},
    "autograd.engine": {"fused_dot"},
}


def test_nn_reads_only_the_public_api_and_the_names_documented_for_it():
    public = {"autograd"} | {f"autograd.{name}" for name in autograd.__all__ if f"autograd.{name}" in MODULES}
    for path in FILES:
        if module_name(path).startswith("nn"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and not node.level and node.module.startswith("autograd"):
                    names = {alias.name for alias in node.names}
                    if node.module not in public:
                        assert names <= DOCUMENTED_FOR_NN.get(node.module, set()), (path.name, node.module, names)
