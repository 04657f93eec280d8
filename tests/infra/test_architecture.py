"""The architecture guide and the rules it states: the kernel imports no feature app, apps
import one another directly, every app has the same skeleton, and every path that
docs/architecture.md names exists (so the map cannot drift from the code)."""

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KERNEL = "core"
FEATURE_APPS = {
    "programs",
    "complaints",
    "audits",
    "enforcement",
    "buyers",
    "premiums",
    "disclosure",
    "exports",
    "demo",
}
PROJECT_PACKAGES = FEATURE_APPS | {KERNEL, "config"}


def _python_files(folder):
    return [
        p
        for p in (REPO / folder).rglob("*.py")
        if "migrations" not in p.parts and "__pycache__" not in p.parts
    ]


def _imported_modules(path):
    """Every module a file imports, at any depth (function-level imports too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_the_kernel_imports_no_feature_app():
    offenders = [
        f"{path.relative_to(REPO)} imports {module}"
        for path in _python_files(KERNEL)
        for module in _imported_modules(path)
        if module.split(".")[0] in FEATURE_APPS | {"config"}
    ]
    assert not offenders, "\n".join(offenders)


def test_the_import_check_sees_a_kernel_import_of_a_feature_app(tmp_path):
    """The check above is only worth something if it catches a violation."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from programs.models import Buyer\n    return Buyer\n")
    assert "programs.models" in set(_imported_modules(sample))


# Module names written as strings (importlib, import_string, apps.get_model("app", ...))
# and ImportError fallbacks are how code pretends a sibling app might be missing.
_APPS_ALTERNATION = "|".join(sorted(FEATURE_APPS))
STRING_IMPORT = re.compile(
    rf"(import_module|import_string|get_model)\(\s*f?[\"']({_APPS_ALTERNATION})\b"
)


def test_apps_import_each_other_directly():
    offenders = []
    for package in sorted(PROJECT_PACKAGES):
        for path in _python_files(package):
            text = path.read_text()
            rel = path.relative_to(REPO)
            if STRING_IMPORT.search(text):
                offenders.append(f"{rel}: a sibling module named in a string")
            tree = ast.parse(text)
            for node in ast.walk(tree):
                if isinstance(node, ast.ExceptHandler) and node.type is not None:
                    names = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)} | {
                        n.attr for n in ast.walk(node.type) if isinstance(n, ast.Attribute)
                    }
                    if names & {"ImportError", "ModuleNotFoundError"}:
                        offenders.append(f"{rel}:{node.lineno}: an ImportError fallback")
    assert not offenders, "\n".join(offenders)


# The skeleton each app keeps (docs/architecture.md, "One skeleton per app"): a module or
# a package of that name.
SKELETON = {
    "programs": {"models", "services", "selectors", "views", "urls", "api", "admin", "forms"},
    "complaints": {"models", "services", "selectors", "views", "urls", "api", "admin", "tasks"},
    "audits": {"models", "services", "selectors", "views", "urls", "api", "admin", "tasks"},
    "enforcement": {"models", "services", "selectors", "views", "urls", "api", "admin", "tasks"},
    "buyers": {"services", "selectors", "views", "urls", "api", "forms", "tasks"},
    "premiums": {"models", "services", "selectors", "views", "urls", "api", "forms", "tasks"},
    "disclosure": {"models", "selectors", "views", "urls", "api", "tasks"},
    "exports": {"services", "views", "urls"},
}


def _has_module(app, name):
    return (REPO / app / f"{name}.py").exists() or (REPO / app / name / "__init__.py").exists()


def test_every_app_has_the_common_skeleton():
    missing = [
        f"{app}/{name}"
        for app, names in SKELETON.items()
        for name in sorted(names | {"apps"})
        if not _has_module(app, name)
    ]
    assert not missing, missing


def test_no_module_outside_the_skeleton_wears_another_apps_prefix():
    """The buyer portal was enforcement/portal_*.py: an app hiding inside another."""
    hidden = sorted(str(p.relative_to(REPO)) for p in REPO.glob("*/portal_*.py"))
    assert not hidden, hidden


PATH_REF = re.compile(r"`((?:[a-z_]+/)+(?:[\w.]+\.(?:py|md|html|yml|toml))?)`")


def test_every_path_in_the_architecture_guide_exists():
    text = (REPO / "docs" / "architecture.md").read_text()
    paths = set(PATH_REF.findall(text))
    assert len(paths) > 20, paths
    missing = sorted(p for p in paths if not (REPO / p.rstrip("/")).exists())
    assert not missing, "named in docs/architecture.md but not in the repository: " + str(missing)


def test_every_app_and_kernel_module_is_on_the_map():
    text = (REPO / "docs" / "architecture.md").read_text()
    for package in sorted(PROJECT_PACKAGES):
        assert f"`{package}/`" in text, f"{package}/ is not described in docs/architecture.md"
