"""The layout rules of README.md ("Layout") that import-linter cannot see: no import of the
project inside a function (such an import hides a cycle; AppConfig.ready and migrations
are the exceptions Django documents), no module over about 400 lines unless its
docstring says why it is one table, and a layout table that names every subpackage."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "screening"
LINE_LIMIT = 420  # "about 400"


def _modules() -> list[Path]:
    return sorted(
        path for path in PACKAGE.rglob("*.py") if "migrations" not in path.relative_to(ROOT).parts
    )


def _function_level_project_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if path.name == "apps.py" and function.name == "ready":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] in {"screening", "clinic"}:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    return found


def test_no_project_import_inside_a_function():
    found = [line for path in _modules() for line in _function_level_project_imports(path)]
    assert found == []


def test_long_modules_say_why_in_their_docstring():
    too_long = []
    for path in _modules():
        text = path.read_text()
        if text.count("\n") <= LINE_LIMIT:
            continue
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if "one table" not in docstring.lower():
            too_long.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    assert too_long == []


def _subpackages() -> set[str]:
    return {
        f"screening/{path.parent.name}/"
        for path in PACKAGE.glob("*/__init__.py")
        if path.parent.name != "migrations"
    }


def test_readme_layout_table_names_every_subpackage_and_no_other():
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `(screening/[a-z_]+/)`", layout, flags=re.MULTILINE))
    assert named == _subpackages()


def test_readme_layout_table_names_every_top_level_module():
    readme = (ROOT / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    top_level = {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    named = set(re.findall(r"`(?:screening/)?([a-z_]+\.py)`", layout))
    assert top_level <= named
