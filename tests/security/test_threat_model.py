"""docs/security.md names the test that proves each control; every name must exist, so
the threat model cannot silently drift from the code."""

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REF = re.compile(r"`((?:tests/[\w/]+\.py)?)::(\w+)`")


def _functions(path):
    tree = ast.parse(path.read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)} | {
        t.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }


def test_every_test_named_in_the_threat_model_exists():
    text = (REPO / "docs" / "security.md").read_text()
    current, missing, checked = None, [], 0
    for path, name in REF.findall(text):
        current = path or current
        assert current, f"::{name} before any file is named"
        file = REPO / current
        if not file.exists() or name not in _functions(file):
            missing.append(f"{current}::{name}")
        checked += 1
    assert checked > 40
    assert not missing, "named in docs/security.md but not found:\n" + "\n".join(missing)
