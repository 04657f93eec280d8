"""Encryption of stored files with the platform key ring (core.keyring), in chunks so a
large file never has to sit in memory whole.

Layout of an encrypted file::

    b"WSRF1" | len(key id) (1 byte) | key id (ASCII) |
    chunk*  where chunk = length (4 bytes, big-endian) | Fernet token, base64-decoded

Each token's plaintext is ``index (8 bytes) | last (1 byte) | data``: the index stops
chunks being reordered or spliced between files of the same key, the last flag stops a
truncated file passing for a whole one. Fernet authenticates every chunk (AES-128-CBC +
HMAC-SHA256), so any changed byte makes the file unreadable rather than silently wrong.
Tokens are stored as their raw bytes (Fernet's base64 would add a third to every file).

The key id in the header names the key that encrypted the file, so after a rotation the
files still under an old key are found without trying to decrypt them.
"""

import base64
import binascii
import hashlib
import struct
import tempfile

from cryptography.fernet import InvalidToken

from . import keyring

MAGIC = b"WSRF1"
CHUNK = 1024 * 1024
_LENGTH = struct.Struct(">I")
_INNER = struct.Struct(">QB")
# What a decrypted or encrypted copy may keep in memory before spilling to a temp file.
SPOOL = 2 * 1024 * 1024


class FileDecryptionError(Exception):
    """The file is damaged, truncated, or under a key that is no longer configured."""


def spooled():
    return tempfile.SpooledTemporaryFile(max_size=SPOOL)


def header(head: bytes) -> str | None:
    """The key id if ``head`` (the file's first bytes, at least 6 + id) is encrypted."""
    if not head.startswith(MAGIC) or len(head) < len(MAGIC) + 1:
        return None
    size = head[len(MAGIC)]
    kid = head[len(MAGIC) + 1 : len(MAGIC) + 1 + size]
    return kid.decode("ascii", "replace") if len(kid) == size else None


HEAD_BYTES = len(MAGIC) + 1 + 255


def encrypt_stream(source, target) -> str:
    """Encrypt ``source`` (read from where it is) into ``target`` with the current key;
    returns the key id."""
    kid, fernet = keyring.current()
    encoded = kid.encode("ascii")
    target.write(MAGIC + bytes([len(encoded)]) + encoded)
    index = 0
    data = _read_full(source, CHUNK)
    while True:
        following = _read_full(source, CHUNK) if len(data) == CHUNK else b""
        last = not following
        token = base64.urlsafe_b64decode(fernet.encrypt(_INNER.pack(index, last) + data))
        target.write(_LENGTH.pack(len(token)) + token)
        if last:
            return kid
        data, index = following, index + 1


def decrypt_stream(source, target) -> str:
    """Decrypt an encrypted ``source`` (positioned at its start) into ``target``; returns
    the key id. Raises FileDecryptionError on any damage."""
    prefix = source.read(len(MAGIC) + 1)
    if len(prefix) < len(MAGIC) + 1 or not prefix.startswith(MAGIC):
        raise FileDecryptionError("not an encrypted file")
    kid = source.read(prefix[-1]).decode("ascii", "replace")
    fernet = keyring.by_id(kid)
    if fernet is None:
        raise FileDecryptionError(f"key {kid} is not among the configured keys")
    index = 0
    while True:
        length = source.read(_LENGTH.size)
        if len(length) < _LENGTH.size:
            raise FileDecryptionError("truncated: the last chunk is missing")
        token = _read_full(source, _LENGTH.unpack(length)[0])
        try:
            plain = fernet.decrypt(base64.urlsafe_b64encode(token))
        except (InvalidToken, binascii.Error) as exc:
            raise FileDecryptionError(f"chunk {index} fails authentication") from exc
        seen, last = _INNER.unpack_from(plain)
        if seen != index:
            raise FileDecryptionError(f"chunk {index} is out of order")
        target.write(plain[_INNER.size :])
        if last:
            if source.read(1):
                raise FileDecryptionError("data after the last chunk")
            return kid
        index += 1


def plaintext_sha256(handle) -> str:
    """SHA-256 of what a reader of ``handle`` (already decrypted) gets."""
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(CHUNK), b""):
        digest.update(block)
    return digest.hexdigest()


def _read_full(source, size):
    parts, wanted = [], size
    while wanted:
        block = source.read(wanted)
        if not block:
            break
        parts.append(block)
        wanted -= len(block)
    return b"".join(parts)
