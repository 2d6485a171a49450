"""The package as pip installs it: the wheel holds every package and the texts, nothing else, and
it works on its own, away from the source tree (a non-editable `pip install .`).

The wheel is built from a copy of the project's sources, so that a `build/` folder left in the
work tree (setuptools builds in place and reuses it) can neither add stale modules to the wheel
nor be disturbed by two builds at once. This takes a few seconds: it runs pip and starts Python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "domain", "handlers", "storage")
CATALOGS = ("bot/locales/it/LC_MESSAGES/labbot.po", "bot/locales/en/LC_MESSAGES/labbot.po")
NOT_SOURCES = (
    ".git",
    ".venv",
    ".hypothesis",
    ".*_cache",
    "__pycache__",
    "*.egg-info",
    "build",
    "var",
)

# Run in the installed copy: imports every module of every package and reports where they are.
IMPORT_ALL = """
import importlib, json, pkgutil, sys
from bot.i18n import Catalog

found = {}
for top in sys.argv[1:]:
    package = importlib.import_module(top)
    found[top] = package.__file__
    for info in pkgutil.walk_packages(package.__path__, f"{top}."):
        found[info.name] = importlib.import_module(info.name).__file__
catalog = Catalog.load()
print(json.dumps({"modules": found, "it": len(catalog.keys("it")), "en": len(catalog.keys("en"))}))
"""


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def source_modules() -> set[str]:
    """Every module of the packages in the work tree, as a dotted name."""
    names = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_the_wheel_has_every_package_and_works_away_from_the_sources(tmp_path):
    sources = tmp_path / "src"
    shutil.copytree(ROOT, sources, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    wheels = tmp_path / "wheels"
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet")
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(sources))
    [wheel] = wheels.glob("labbot-*.whl")

    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {name.split("/", 1)[0] for name in names if ".dist-info/" not in name}
    assert tops == set(PACKAGES)  # so no tests/, no bench/
    expected = source_modules()
    packaged = {
        name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for name in names
        if name.endswith(".py")
    }
    assert packaged == expected
    assert set(CATALOGS) <= names

    site = tmp_path / "site"
    run(*pip, "install", "--no-deps", "--target", str(site), str(wheel))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABBOT_")}
    env["PYTHONPATH"] = str(site)
    out = run(sys.executable, "-c", IMPORT_ALL, *PACKAGES, cwd=elsewhere, env=env)
    report = json.loads(out.splitlines()[-1])
    imported = report["modules"]
    assert set(imported) == expected
    assert Path(imported["bot"]).resolve().is_relative_to(site.resolve())  # not the work tree
    for module, path in imported.items():
        assert Path(path).resolve().is_relative_to(site.resolve()), (module, path)
    assert report["it"] and report["en"]  # the texts were read from the installed catalogs
