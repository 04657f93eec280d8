"""Bring every stored file under the current key: encrypt files stored before encryption,
re-encrypt files under an older key (rotation), and move files from a plain folder (the
old MEDIA_ROOT) into the configured storage (object storage). Idempotent: a file already
under the current key is left alone, so the command can be re-run after an interruption.

Each file is rewritten under its own name (the database keeps pointing at it) and read
back before it counts as done; where the database recorded the content's checksum, the
plaintext is checked against it before and after.
"""

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.utils._os import safe_join

from . import filecrypt, keyring
from .stored_files import content_sha256


@dataclass
class MigrationReport:
    counts: Counter = field(default_factory=Counter)
    problems: list = field(default_factory=list)  # (reference, why)

    def summary(self):
        parts = ("encrypted", "re-encrypted", "moved", "already encrypted", "missing")
        return ", ".join(f"{self.counts[p]} {p}" for p in parts)


def _plaintext(handle):
    """A spooled copy of what ``handle`` holds, decrypted if it is encrypted."""
    head = handle.read(filecrypt.HEAD_BYTES)
    handle.seek(0)
    plain = filecrypt.spooled()
    if filecrypt.header(head) is not None:
        filecrypt.decrypt_stream(handle, plain)
    else:
        for block in iter(lambda: handle.read(filecrypt.CHUNK), b""):
            plain.write(block)
    plain.seek(0)
    return plain


def _rewrite(storage, name, plain, expected):
    digest = filecrypt.plaintext_sha256(plain)
    if expected and digest != expected:
        return f"its content is not what the database recorded (sha256 {digest[:12]}…)"
    plain.seek(0)
    with filecrypt.spooled() as cipher:
        filecrypt.encrypt_stream(plain, cipher)
        cipher.seek(0)
        storage.write_raw(name, cipher)
    if content_sha256(storage, name) != digest:
        return "read back differently after encryption"
    return None


def encrypt_files(storage, references, *, from_root=None, dry_run=False):
    report = MigrationReport()
    current, _ = keyring.current()
    seen = set()
    for ref in references:
        if ref.name in seen:
            continue
        seen.add(ref.name)
        if storage.exists(ref.name):
            kid = storage.key_id(ref.name)
            if kid == current:
                report.counts["already encrypted"] += 1
                continue
            outcome = "encrypted" if kid is None else "re-encrypted"
            if kid is not None and keyring.by_id(kid) is None:
                report.problems.append((ref, f"under key {kid}, which is not configured"))
                continue
            opener = partial(storage.open_raw, ref.name)
        elif from_root is not None and _root_path(from_root, ref.name).is_file():
            outcome = "moved"
            path = _root_path(from_root, ref.name)
            opener = partial(open, path, "rb")
        else:
            report.counts["missing"] += 1
            report.problems.append(
                (ref, "not in storage" + (" nor the folder" if from_root else ""))
            )
            continue
        if dry_run:
            report.counts[outcome] += 1
            continue
        with opener() as handle, _plaintext(handle) as plain:
            problem = _rewrite(storage, ref.name, plain, ref.sha256)
        if problem:
            report.problems.append((ref, problem))
        else:
            report.counts[outcome] += 1
    return report


def _root_path(root, name):
    return Path(safe_join(str(Path(root).resolve()), name))
