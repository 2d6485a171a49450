"""The layering, read from the code itself (`ast`), so it stays a fact rather than a hope:

- `domain/` is plain logic: it imports nothing of the project but itself;
- `storage/` (repositories, the only place with SQL) imports only `domain/`;
- `bot/` (the runtime and its services) never imports `handlers/`, except the composition root
  and the entry points;
- `aiosqlite` is imported only in `storage/`;
- `handlers/` hold no SQL statement and run none;
- a feature (a module or package under `handlers/`) imports no other feature, except the one
  declared shared module, the menu; what features share is a service in `bot/`;
- the bench imports no feature internals and no tests; no test module imports another (their
  shared helpers are `tests/helpers.py`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("bot", "domain", "handlers", "storage")
COMPOSITION = {"bot/app.py", "bot/__main__.py", "bot/sandbox/terminal.py"}
_SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|WITH)\s+\S", re.M
)
_DB_CALLS = {"execute", "executemany", "executescript", "fetch_one", "fetch_all", "fetchone"}


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (functions and TYPE_CHECKING blocks too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def test_the_layers_are_what_the_readme_says():
    wrong: list[str] = []
    for folder, allowed in (("domain", {"domain"}), ("storage", {"domain", "storage"})):
        for path in modules(folder):
            for module in imports(path):
                if top(module) in PROJECT and top(module) not in allowed:
                    wrong.append(f"{name(path)} imports {module}")
    for path in modules("bot"):
        if name(path) in COMPOSITION:
            continue
        wrong += [f"{name(path)} imports {m}" for m in imports(path) if top(m) == "handlers"]
    assert not wrong, "\n".join(sorted(wrong))


def test_aiosqlite_only_in_storage():
    users = [
        name(path)
        for folder in ("bot", "domain", "handlers", "bench", "tests")
        for path in modules(folder)
        if any(top(m) == "aiosqlite" for m in imports(path))
    ]
    assert users == []
    assert any("aiosqlite" in imports(path) for path in modules("storage"))  # the check can see


def test_no_sql_in_handlers():
    found: list[str] = []
    for path in modules("handlers"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and _SQL.search(node.value)
            ):
                found.append(f"{name(path)}:{node.lineno} {node.value.strip()[:40]!r}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _DB_CALLS
            ):
                found.append(f"{name(path)}:{node.lineno} .{node.func.attr}()")
    assert not found, "\n".join(found)


def test_the_checks_would_see_a_violation():
    """The readers above are not blind: they find what they look for in a known sample."""
    sample = ROOT / "storage" / "scuola.py"
    assert "domain.scuola" in imports(sample)
    assert _SQL.search("SELECT * FROM signups WHERE id = ?")
    assert not _SQL.search("Seleziona il laboratorio")


SHARED_FEATURES = {"handlers.menu"}  # the main menu: every conversation comes back to it


def feature_of(module: str) -> str:
    """`handlers.labs.browse` -> `handlers.labs`; `handlers.menu` -> `handlers.menu`."""
    return ".".join(module.split(".")[:2])


def test_a_feature_imports_no_other_feature():
    wrong: list[str] = []
    for path in modules("handlers"):
        if name(path) == "handlers/__init__.py":  # register_all: the routing order, all of them
            continue
        own = feature_of(name(path).removesuffix(".py").replace("/", "."))
        for module in imports(path):
            if top(module) != "handlers" or module == "handlers":
                continue
            other = feature_of(module)
            if other != own and other not in SHARED_FEATURES and module not in SHARED_FEATURES:
                wrong.append(f"{name(path)} imports {module}")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_bench_imports_no_feature_and_no_test_and_tests_import_no_test_module():
    wrong = [
        f"{name(path)} imports {m}"
        for path in modules("bench")
        for m in imports(path)
        if top(m) in ("handlers", "tests") and m != "handlers.register_all"
    ]
    wrong += [
        f"{name(path)} imports {m}"
        for path in modules("tests")
        for m in imports(path)
        if m.startswith("tests.test_")
    ]
    assert not wrong, "\n".join(sorted(wrong))
