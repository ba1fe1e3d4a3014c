"""The package's layout holds: layers import only downward, internals are private by name, signatures stay short."""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scratchnet_fast"
PUBLIC = {"__init__", "__main__", "cli", "data", "model_file", "onnx", "plots"}  # what a user imports
# Each internal folder and what it may import from the package besides itself.
ALLOWED = {
    "_compile": set(),
    "_simd": {"_compile"},
    "_kernels": {"_compile", "_simd"},
    "_train": {"_compile", "_simd", "_kernels"},
}
# The seed's own signatures, kept as the tutorial wrote them, and scikit-learn's estimator parameters.
LONG_SIGNATURES = {"_tutorial.update_params", "_estimator._Multilayer.__init__", "_estimator.MLPRegressor.__init__"}


def modules():
    return sorted(PACKAGE.rglob("*.py"))


def name_of(path):
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def package_imports(path):
    """The first part below scratchnet_fast of every module that `path` imports from the package."""
    tree = ast.parse(path.read_text())
    depth = len(path.relative_to(PACKAGE).parts) - 1  # folders below the package
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            up = node.level - 1
            parts = list(path.relative_to(PACKAGE).parts[:-1])[:depth - up] if up <= depth else None
            assert parts is not None, f"{name_of(path)} imports from above the package"
            target = parts + (node.module.split(".") if node.module else [])
            if target:
                found.add(target[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [module] if module else [alias.name for alias in node.names]
            for name in names:
                if name and name.startswith("scratchnet_fast."):
                    found.add(name.split(".")[1])
    return found


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(folder):
    for path in sorted((PACKAGE / folder).glob("*.py")):
        outside = {name for name in package_imports(path) if name != folder}
        assert outside <= ALLOWED[folder], f"{name_of(path)} imports {sorted(outside - ALLOWED[folder])}"


def test_every_internal_module_is_private_by_name():
    for path in modules():
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        assert parts[0] in PUBLIC or parts[0].startswith("_"), f"{name_of(path)} is neither public nor private by name"


def test_every_folder_says_what_lives_there():
    for folder in ALLOWED:
        docstring = ast.get_docstring(ast.parse((PACKAGE / folder / "__init__.py").read_text()))
        assert docstring and "import" in docstring, f"{folder} needs a docstring saying what it holds and may import"


def long_signatures(path):
    """Functions of the module at `path` with more than 8 positional parameters (self and cls not counted)."""
    tree = ast.parse(path.read_text())
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = [a.arg for a in child.args.posonlyargs + child.args.args if a.arg not in ("self", "cls")]
                if len(positional) > 8:
                    found.append(f"{name_of(path)}.{prefix}{child.name}")
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


def test_no_function_takes_more_than_eight_positional_arguments():
    """Arguments come in named bundles; keyword-only parameters do not count."""
    found = [name for path in modules() for name in long_signatures(path)]
    assert sorted(set(found) - LONG_SIGNATURES) == []
    assert LONG_SIGNATURES <= set(found), "an exemption no longer needed"
