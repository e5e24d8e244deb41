"""The layers of the engine (docs/layers.md): imports point down, features meet only in the core's
hooks, the engine imports neither the apps nor the demo, nothing imports another module's private
name, and no module grows past about 400 lines."""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "apps", "demo")
LONGEST = 400  # lines; generated database migrations are not counted
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    """import-linter's contracts from root/pyproject.toml, over the packages at `root`."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def copy_of_the_tree(tmp_path: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(module: Path, line: str) -> None:
    text = module.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    module.write_text(head + sep + line + "\n" + rest, encoding="utf-8")


def test_a_core_module_importing_a_feature_is_refused(tmp_path):
    tree = copy_of_the_tree(tmp_path)
    add_import(tree / "engine/core/records.py", "from engine.features import delivery  # noqa")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "engine.core is not allowed to import engine.features" in result.stdout
    assert "engine.core.records -> engine.features.delivery" in result.stdout


def test_a_function_local_import_is_refused_too(tmp_path):
    """A cycle is not dodged by importing inside a function: the contract reads those imports too."""
    tree = copy_of_the_tree(tmp_path)
    records = tree / "engine/core/records.py"
    records.write_text(records.read_text(encoding="utf-8")
                       + "\n\ndef _sneaky():\n    from engine.output import documents  # noqa\n    return documents\n",
                       encoding="utf-8")
    result = lint_imports(tree)
    assert result.returncode == 1 and "engine.core.records -> engine.output.documents" in result.stdout


def test_features_importing_each_other_and_the_engine_importing_the_demo_are_refused(tmp_path):
    tree = copy_of_the_tree(tmp_path)
    add_import(tree / "engine/features/funds.py", "from engine.features import voting  # noqa")
    add_import(tree / "engine/output/reports.py", "import demo.seed  # noqa")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "Features do not import each other: they meet in the core's hooks BROKEN" in result.stdout
    assert "engine.features.funds -> engine.features.voting" in result.stdout
    assert "The engine imports neither the apps nor the demo BROKEN" in result.stdout


def python_files(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def private_imports(path: Path) -> list[str]:
    """Names starting with one underscore imported from another module of ours, and attributes
    like `module._name` read through a module of ours imported by name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found, modules = [], set()
    ours = PACKAGES + ("tests", "bench")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ours:
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{shown}:{node.lineno}: {node.module}.{alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in ours:
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                and isinstance(node.value, ast.Name) and node.value.id in modules:
            found.append(f"{shown}:{node.lineno}: {node.value.id}.{node.attr}")
    return found


def test_no_module_imports_a_private_name_of_another():
    found = [hit for path in python_files(*PACKAGES, "bench", "tests") for hit in private_imports(path)]
    assert found == []


def test_the_private_name_check_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from engine.core.sheets import _hidden, public\nfrom engine.core import records\n"
                      "records._secret()\nrecords.fine()\n", encoding="utf-8")
    assert [hit.split(": ")[1] for hit in private_imports(sample)] == ["engine.core.sheets._hidden", "records._secret"]


def test_no_module_is_over_400_lines():
    long = [f"{p.relative_to(ROOT)}: {n} lines" for p in python_files(*PACKAGES)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > LONGEST]
    assert long == []
