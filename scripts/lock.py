#!/usr/bin/env python3
"""Keep the lock files honest about pyproject.toml (standard library only: it runs before
the virtualenv has anything in it).

    scripts/lock.py stamp   after `uv pip compile` (make lock): write the fingerprint
    scripts/lock.py check   before installing (make install): refuse a stale lock

The fingerprint is a hash of what the resolution depends on (requires-python and the
dependency lists), not of the whole file and not of its modification time: editing the
pytest or ruff settings does not make the lock stale, git checkouts do not either, and
any added, removed or re-pinned dependency does.
"""

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = [ROOT / "requirements.lock", ROOT / "requirements-dev.lock"]
MARK = "# pyproject-fingerprint: "


def fingerprint():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": sorted(project.get("dependencies", [])),
        "optional-dependencies": {
            extra: sorted(deps) for extra, deps in project.get("optional-dependencies", {}).items()
        },
    }
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def stamp():
    line = f"{MARK}{fingerprint()}\n"
    for lock in LOCKS:
        kept = [x for x in lock.read_text().splitlines(keepends=True) if not x.startswith(MARK)]
        lock.write_text(line + "".join(kept))


def check():
    expected = fingerprint()
    stale = []
    for lock in LOCKS:
        if not lock.exists():
            stale.append(f"{lock.name} is missing")
            continue
        found = next((x[len(MARK) :].strip() for x in lock.open() if x.startswith(MARK)), None)
        if found != expected:
            stale.append(f"{lock.name} was not made from the current pyproject.toml")
    if stale:
        print(
            "The dependency lock is out of date: " + "; ".join(stale) + ".\n"
            "Run `make lock` (it resolves pyproject.toml again, keeping every other pin "
            "where it is) and commit requirements.lock and requirements-dev.lock.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "stamp":
        stamp()
    elif command == "check":
        sys.exit(check())
    else:
        sys.exit(f"usage: {sys.argv[0]} stamp|check")
