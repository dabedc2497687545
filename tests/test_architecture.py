"""The rooms' arrows point inward (docs/architecture.md): a test over every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INNER = ("school", "state_machines", "notifications", "chase", "cases")
DOORS = ("flows", "web", "cli", "demo")
SERVICES = (*INNER, "migrations")
# What each room may import of ours (itself always).
ALLOWED: dict[str, set[str]] = {
    "school": set(),
    "state_machines": {"school"},
    "notifications": {"school"},
    "chase": {"school", "state_machines", "notifications"},
    "cases": {"school", "state_machines", "notifications", "chase"},
    "migrations": {"school", "notifications", "chase", "cases"},
    "flows": set(INNER),
    "web": set(INNER),
    "demo": set(INNER),
    # The command line is the launcher: it also starts the Prefect deployments, the web app and
    # the demo.
    "cli": {*INNER, "flows", "web", "demo"},
}
OURS = set(ALLOWED)
MAX_LINES = 450


def _modules(room: str) -> list[Path]:
    return sorted((ROOT / room).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """Every top-level package of ours this module imports, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found & OURS


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_only_inward(room: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {other}"
        for path in _modules(room)
        for other in sorted(_imports(path) - ALLOWED[room] - {room})
    ]
    assert not wrong, "\n".join(wrong)


def test_the_rule_catches_an_outward_import(tmp_path: Path) -> None:
    module = tmp_path / "outward.py"
    module.write_text("from cases.review import run_daily_review\nimport flows.deployments\n")
    assert _imports(module) == {"cases", "flows"}


# Sets the environment Prefect reads at import, so it must not import Prefect itself.
PREFECT_ENVIRONMENT = "prefect_settings.py"


@pytest.mark.parametrize("path", _modules("flows"), ids=lambda p: p.name)
def test_flows_hold_only_prefect(path: Path) -> None:
    if path.name in ("__init__.py", PREFECT_ENVIRONMENT):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert "prefect" in {name.split(".")[0] for name in imported}, (
        f"flows/{path.name} does not use Prefect: its logic belongs in chase/ or cases/"
    )


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_every_package_says_what_it_is_for(room: str) -> None:
    for init in (ROOT / room).rglob("__init__.py"):
        if room == "migrations":
            continue
        docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert docstring, f"{init.relative_to(ROOT)} has no docstring"


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_no_source_file_is_too_long(room: str) -> None:
    long = [
        f"{path.relative_to(ROOT)}: {n} lines"
        for path in _modules(room)
        if "versions" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert not long, f"over {MAX_LINES} lines:\n" + "\n".join(long)


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _module_graph() -> dict[str, set[str]]:
    """Each of our modules and the modules of ours it imports when it is imported (top-level
    statements only: imports inside functions and under TYPE_CHECKING are deliberately lazy)."""
    paths = {_module_name(p): p for room in ALLOWED for p in _modules(room)}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    found.add(child if child in paths else node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = found & set(paths)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for other in sorted(graph[module]):
            if state.get(other) == 1:
                cycles.append([*path[path.index(other) :], other])
            elif other not in state:
                visit(other)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return cycles


def test_no_module_imports_itself_in_a_circle() -> None:
    assert not _cycles(_module_graph()), "\n".join(" -> ".join(c) for c in _cycles(_module_graph()))


def test_the_circle_check_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
