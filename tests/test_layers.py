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
  shared helpers are `tests/helpers.py`);
- a tap is routed by its feature's table (`bot.callbacks.Buttons.on`): no handler parses,
  answers and dispatches it by hand, and no function in `handlers/` is over 60 lines.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot import callbacks

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


MAX_FUNCTION_LINES = 60
# Where a tap's data is parsed or built by hand: the protocol itself, and the guard that reads
# the lab a tap names.
TAP_MACHINERY = {"bot/callbacks.py", "bot/guards.py"}


def long_functions(source: str, where: str) -> list[str]:
    """The functions longer than MAX_FUNCTION_LINES, counted from the def line to the last."""
    return [
        f"{where}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def hand_routed_taps(source: str, where: str) -> list[str]:
    """A tap handled by hand: `.pressed(...)`, `callbacks.parse(...)` or `callbacks.pack(...)`
    (a button is built by its feature's `Buttons`, or `bot.protocols` for another feature's),
    or, in a handler, the old prologue `query = update.callback_query`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            called = node.func.attr
            by_hand = called == "pressed" or (
                called in ("parse", "pack")
                and isinstance(owner, ast.Name)
                and owner.id == "callbacks"
            )
            if by_hand:
                found.append(f"{where}:{node.lineno} .{called}()")
        if (
            not where.startswith("bot/")  # edit_or_send reads the message a button is on
            and isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "callback_query"
        ):
            found.append(f"{where}:{node.lineno} = update.callback_query")
    return found


def test_no_function_in_handlers_is_over_60_lines():
    found = [
        line
        for path in modules("handlers")
        for line in long_functions(path.read_text(encoding="utf-8"), name(path))
    ]
    assert not found, "split these along what they do:\n" + "\n".join(found)


def test_taps_are_routed_by_the_table():
    found = [
        line
        for folder in ("handlers", "bot")
        for path in modules(folder)
        if name(path) not in TAP_MACHINERY
        for line in hand_routed_taps(path.read_text(encoding="utf-8"), name(path))
    ]
    assert not found, "route these with @BUTTONS.on(...):\n" + "\n".join(found)
    assert not hasattr(callbacks.Buttons, "pressed")


def test_the_checks_would_see_a_violation():
    """The readers above are not blind: they find what they look for in a known sample."""
    sample = ROOT / "storage" / "scuola.py"
    assert "domain.scuola" in imports(sample)
    assert _SQL.search("SELECT * FROM signups WHERE id = ?")
    assert not _SQL.search("Seleziona il laboratorio")
    prologue = (
        "async def on_button(update, context):\n"
        "    query = update.callback_query\n"
        "    assert query is not None\n"
        "    parsed = await BUTTONS.pressed(update, context)\n"
        "    other = callbacks.parse(query.data, 'x')\n"
        "    data = callbacks.pack('lab', 'card', 'x')\n" + "    pass\n" * (MAX_FUNCTION_LINES - 5)
    )
    assert len(hand_routed_taps(prologue, "sample")) == 4
    assert len(long_functions(prologue, "sample")) == 1
    assert long_functions(prologue.removesuffix("    pass\n"), "sample") == []


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
