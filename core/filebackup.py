"""Stored files in backups: copied as stored (ciphertext: a backup without the key in
the environment reveals nothing), with a manifest of SHA-256 checksums; put back and
checked on restore.

A backup of files is a folder beside the database dump (``<dump>.files/``)::

    manifest.json   {"format", "created", "files": {name: {"sha256", "size"}}, "missing"}
    objects/<name>  the stored bytes of each file

Restoring checks every copy against the manifest before it goes back into storage (a
damaged copy is reported, never restored), then checks the restored database against the
storage: every file it refers to is there and readable with the configured keys, and its
content matches the checksum the database recorded when it was uploaded.
"""

import datetime
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.utils._os import safe_join

from . import filecrypt
from .storage import open_raw
from .stored_files import content_sha256, raw_sha256

FORMAT = "wsr-files-1"
MANIFEST = "manifest.json"


def files_folder(dump_path):
    """The files' folder belonging to a database dump."""
    dump_path = Path(dump_path)
    return dump_path.with_name(dump_path.name + ".files")


def _object_path(folder, name):
    # safe_join refuses a name that would leave the folder ("../", absolute paths).
    return Path(safe_join(str(Path(folder).resolve() / "objects"), name))


def backup_files(storage, references, folder):
    """Copy each referenced file's stored bytes into ``folder``; returns the manifest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files, missing = {}, []
    for ref in references:
        if ref.name in files:
            continue
        target = _object_path(folder, ref.name)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest, size = hashlib.sha256(), 0
        try:
            with open_raw(storage, ref.name) as source, open(target, "wb") as out:
                for block in iter(lambda: source.read(filecrypt.CHUNK), b""):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            missing.append(str(ref))
            continue
        os.chmod(target, 0o600)
        files[ref.name] = {"sha256": digest.hexdigest(), "size": size}
    manifest = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "files": files,
        "missing": missing,
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.chmod(path, 0o600)
    return manifest


@dataclass
class RestoreReport:
    restored: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    corrupt_in_backup: list = field(default_factory=list)  # (name, why)
    missing: list = field(default_factory=list)  # (reference, why)
    mismatched: list = field(default_factory=list)  # (reference, why)

    @property
    def ok(self):
        return not (self.corrupt_in_backup or self.missing or self.mismatched)

    def lines(self):
        yield (
            f"Files: {len(self.restored)} restored, {len(self.unchanged)} already in place, "
            f"{len(self.corrupt_in_backup)} corrupt in the backup, {len(self.missing)} missing, "
            f"{len(self.mismatched)} not matching the database."
        )
        for name, why in self.corrupt_in_backup:
            yield f"CORRUPT in the backup (not restored): {name}: {why}"
        for ref, why in self.missing:
            yield f"MISSING: {ref}: {why}"
        for ref, why in self.mismatched:
            yield f"CORRUPT: {ref}: {why}"


def restore_files(storage, folder, report=None):
    """Put the backup's files back into ``storage`` (those whose copy matches the manifest)."""
    report = report or RestoreReport()
    folder = Path(folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{folder / MANIFEST} is not a {FORMAT} manifest")
    for name, meta in sorted(manifest["files"].items()):
        source = _object_path(folder, name)
        if not source.is_file():
            report.corrupt_in_backup.append((name, "its copy is not in the backup"))
            continue
        with open(source, "rb") as handle:
            digest = filecrypt.plaintext_sha256(handle)
        if digest != meta["sha256"]:
            report.corrupt_in_backup.append(
                (name, f"checksum {digest[:12]}… is not the manifest's {meta['sha256'][:12]}…")
            )
            continue
        if storage.exists(name) and raw_sha256(storage, name) == digest:
            report.unchanged.append(name)
            continue
        with open(source, "rb") as handle:
            storage.write_raw(name, handle)
        report.restored.append(name)
    return report


def verify_references(storage, references, report=None):
    """Every file the database refers to is in storage, decrypts, and (where the database
    recorded a checksum) has the content that was uploaded."""
    report = report or RestoreReport()
    for ref in references:
        if not storage.exists(ref.name):
            report.missing.append((ref, "not in storage"))
            continue
        try:
            digest = content_sha256(storage, ref.name)
        except filecrypt.FileDecryptionError as exc:
            report.mismatched.append((ref, f"cannot be decrypted ({exc})"))
            continue
        if ref.sha256 and digest != ref.sha256:
            report.mismatched.append((ref, "its content is not what the database recorded"))
    return report
